/** The Timely engine's pure parts: layouts, program arguments, resume points and snapshots from fixed samples. */
import assert from 'node:assert/strict';
import { JobGraph } from '../../../src/core/job.js';
import { metricLabels } from '../../../src/history/labels.js';
import {
  binaryArguments,
  computeSnapshot,
  layoutOf,
  parallelismOf,
  processCommand,
  resolveTimelyConfig,
  resumeFrom,
  TimelyEngine,
  workerIdle,
  workloadOf,
  type ProcessSample,
  type WorkerSample,
} from '../../../src/engines/timely/index.js';
import { NEXMARK_QUERIES, nexmark } from '../../../src/workloads/nexmark/templates.js';

const job = JobGraph.create({
  name: 'chain',
  operators: [
    { id: 'src', type: 'source' },
    { id: 'work', type: 'keyedAggregate' },
    { id: 'agg', type: 'window', maxParallelism: 1 },
    { id: 'out', type: 'sink' },
  ],
  edges: [
    { from: 'src', to: 'work' },
    { from: 'work', to: 'agg' },
    { from: 'agg', to: 'out' },
  ],
});

type Ops = Record<string, [number, number, number, number, number]>;
const worker = (index: number, asOfNs: number, ops: Ops, parkNs = 0): WorkerSample => ({ index, asOfNs, epochUnixMs: 1000, parkNs, ops });
const sample = (unixMs: number, workers: WorkerSample[], emitted: number[], lag = 0, blockedNs: number[] = []): ProcessSample => ({
  sample: 1,
  process: 0,
  unixMs,
  rate: 1000,
  logging: true,
  workers,
  sources: { src: emitted.map((e, i) => ({ worker: i, emitted: e, nextId: e * 2 + i, cursorMs: unixMs - i, rate: 500, lag, blockedNs: blockedNs[i] ?? 0 })) },
});

describe('Timely engine (pure parts)', () => {
  const cfg = resolveTimelyConfig({});

  it('reduces a vector to W workers in worker-count mode, keeps it per operator in placement mode', () => {
    const p = { src: 1, work: 3, agg: 1, out: 2 };
    assert.deepEqual(layoutOf(job, p, cfg), { workers: 3 });
    assert.deepEqual(parallelismOf(job, layoutOf(job, p, cfg)), { src: 3, work: 3, agg: 1, out: 3 });
    const placed = resolveTimelyConfig({ parallelism: 'placement' });
    assert.deepEqual(layoutOf(job, p, placed), { workers: 3, placement: p });
    assert.deepEqual(parallelismOf(job, layoutOf(job, p, placed)), p);
    assert.deepEqual(layoutOf(job, p, resolveTimelyConfig({ maxWorkers: 2 })), { workers: 2 });
    assert.equal(new TimelyEngine({}).capabilities.sharedWorkers, true);
    assert.equal(new TimelyEngine({ parallelism: 'placement' }).capabilities.sharedWorkers, false);
  });

  it('runs a nexmark-qN job as that query and any other job as the synthetic job', () => {
    assert.deepEqual(workloadOf(nexmark('q5').job), { kind: 'nexmark', query: 'q5' });
    assert.deepEqual(workloadOf(job), { kind: 'synthetic' });
    const q9 = JobGraph.create({ name: 'nexmark-q9', operators: [{ id: 'source', type: 'source' }, { id: 'sink', type: 'sink' }], edges: [{ from: 'source', to: 'sink' }] });
    assert.throws(() => workloadOf(q9), /q9 is not implemented on Timely/);
    for (const q of NEXMARK_QUERIES) assert.equal(workloadOf(nexmark(q, { calibration: null }).job).kind, 'nexmark', `every template runs as the real ${q}`);
    const args = binaryArguments(nexmark('q3').job, { workers: 4 }, 5000, cfg, { processes: 2, process: 1, hosts: ['a:1', 'b:2'], resume: { source: { nextId: 7, cursorMs: 1 } } });
    const at = (k: string): string | undefined => args[args.indexOf(k) + 1];
    assert.equal(at('--query'), 'q3');
    assert.equal(at('--workers'), '2', 'threads per process');
    assert.equal(at('--process'), '1');
    assert.equal(at('--hosts'), 'a:1,b:2');
    assert.deepEqual(layoutOf(job, { src: 3, work: 3, agg: 1, out: 3 }, resolveTimelyConfig({ processes: 2 })), { workers: 4 }, 'W rounded up to a multiple of the processes');
    const remote = resolveTimelyConfig({ hosts: ['m1:2101', 'm2:2101'], launcher: ['ssh', '-T', '{host}'], remoteBinary: '/opt/st/streamtune-timely' });
    assert.deepEqual(processCommand('/here/bin', ['--spec', '{"a": 1}', "it's"], remote, 'm2'), ['ssh', ['-T', 'm2', "'/opt/st/streamtune-timely'", '\'--spec\'', '\'{"a": 1}\'', "'it'\\''s'"]]);
    assert.deepEqual(processCommand('/here/bin', ['--x'], cfg), ['/here/bin', ['--x']]);
    assert.deepEqual(JSON.parse(at('--resume') as string), { source: { nextId: 7, cursorMs: 1 } });
    const synth = binaryArguments(job, { workers: 2, placement: { src: 1, work: 2, agg: 1, out: 2 } }, 10, cfg);
    assert.equal(synth[synth.indexOf('--job') + 1], 'synthetic');
    assert.deepEqual(JSON.parse(synth[synth.indexOf('--placement') + 1] as string), { src: 1, work: 2, agg: 1, out: 2 });
  });

  it('resumes every source at the smallest next event id and cursor over its workers', () => {
    const s = sample(5000, [], [10, 12]);
    assert.deepEqual(resumeFrom([s]), { src: { nextId: 20, cursorMs: 4999 } });
  });

  it('differences two samples into Flink-meaning metrics (busy + idle + backpressured = 1000 per worker)', () => {
    const ops0: Ops = { src: [0, 0, 0, 0, 0], work: [0, 0, 0, 0, 0], agg: [0, 0, 0, 0, 0], out: [0, 0, 0, 0, 0] };
    // 2 s on each worker's logging clock; work is busy 1.6 s on w0 and 0.8 s on w1 and processes 1000 + 1000
    const w0 = worker(0, 2e9, { src: [1e8, 0, 1000, 5, 0], work: [1.6e9, 1000, 500, 9, 1000], agg: [1e7, 500, 1, 2, 500], out: [0, 1, 0, 1, 1] }, 1e8);
    const w1 = worker(1, 2e9, { src: [1e8, 0, 1000, 5, 0], work: [0.8e9, 1000, 500, 9, 1000], agg: [0, 0, 0, 0, 0], out: [0, 0, 0, 0, 0] }, 5e8);
    const s0 = sample(1000, [worker(0, 0, ops0), worker(1, 0, ops0)], [0, 0]);
    const s1 = sample(3000, [w0, w1], [1000, 1000], 30, [2e8, 0]);
    const snap = computeSnapshot([s0], [s1], {
      job,
      time: 3,
      windowSeconds: 2,
      targetRate: 1000,
      workersOf: { src: [0, 1], work: [0, 1], agg: [0], out: [0, 1] },
      parallelism: { src: 2, work: 2, agg: 1, out: 2 },
    });
    assert.equal(snap.valid, true, snap.note);
    const work = snap.operators.work!;
    assert.equal(work.busyMsPerSecond, 600);
    assert.equal(work.busyMsPerSecondMax, 800);
    assert.equal(work.idleMsPerSecond, 400);
    assert.equal(work.recordsInPerSecond, 1000);
    assert.equal(work.recordsOutPerSecond, 500);
    assert.equal(work.trueProcessingRate, 1000 / 0.6);
    const src = snap.operators.src!;
    assert.equal(src.recordsInPerSecond, 1000, 'a source counts the events it emitted');
    assert.equal(src.backPressuredMsPerSecondMax, 100, 'flow control is the source backpressure');
    assert.equal(src.busyMsPerSecond + src.idleMsPerSecond + src.backPressuredMsPerSecond, 1000);
    assert.equal(snap.operators.agg!.parallelism, 1);
    assert.equal(snap.operators.agg!.busyMsPerSecond, 5, 'averaged over the workers it runs on only');
    assert.deepEqual(snap.sources.src, { targetRate: 1000, achievedRate: 1000, lagRecords: 60 });
    assert.deepEqual(workerIdle([s0], [s1]), { 0: 50, 1: 250 });
    // Only sources can be backpressured: with a lagging source, the saturated operator is the label.
    const lagging = { ...snap, sources: { src: { targetRate: 1500, achievedRate: 1000, lagRecords: 500 } } };
    assert.deepEqual(metricLabels(job, lagging), { src: false, work: true, agg: false, out: false });
  });

  it('marks a window invalid when a worker restarted, did not advance or logging is off', () => {
    const ops: Ops = { src: [0, 0, 0, 0, 0], work: [0, 0, 0, 0, 0], agg: [0, 0, 0, 0, 0], out: [0, 0, 0, 0, 0] };
    const ctx = { job, time: 1, windowSeconds: 1, targetRate: 1, workersOf: { src: [0], work: [0], agg: [0], out: [0] }, parallelism: { src: 1, work: 1, agg: 1, out: 1 } };
    const a = sample(0, [worker(0, 5, ops)], [0]);
    assert.match(computeSnapshot([a], [sample(1, [worker(0, 5, ops)], [0])], ctx).note ?? '', /did not advance/);
    assert.match(computeSnapshot([a], [sample(1, [{ ...worker(0, 9, ops), epochUnixMs: 7 }], [0])], ctx).note ?? '', /restarted/);
    assert.match(computeSnapshot([a], [{ ...sample(1, [worker(0, 9, ops)], [0]), logging: false }], ctx).note ?? '', /logging is off/);
    assert.equal(computeSnapshot([a], [sample(1, [worker(0, 9, ops)], [0])], ctx).valid, true);
  });
});
