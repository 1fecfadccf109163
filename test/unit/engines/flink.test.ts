import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JobGraph } from '../../../src/core/job.js';
import {
  computeSnapshot,
  FlinkRestClient,
  FlinkRestError,
  jobArguments,
  mapVertices,
  operatorIdOfVertexName,
  RateServer,
  resolveFlinkConfig,
  workloadOf,
  type JobSample,
  type SubtaskSample,
  type VertexSample,
} from '../../../src/engines/flink/index.js';
import { parseDurationMs } from '../../../src/engines/flink/job-state.js';
import { NEXMARK_QUERIES, nexmark } from '../../../src/workloads/nexmark/templates.js';

const chain = JobGraph.create({
  name: 'chain',
  operators: [
    { id: 'src', type: 'source' },
    { id: 'work', type: 'keyedAggregate', cost: 100, keySkew: 0.1 },
    { id: 'out', type: 'sink' },
  ],
  edges: [
    { from: 'src', to: 'work' },
    { from: 'work', to: 'out' },
  ],
});

function subtask(index: number, o: Partial<SubtaskSample> = {}): SubtaskSample {
  return {
    index,
    attempt: 0,
    startTime: 1000,
    status: 'RUNNING',
    complete: true,
    busyMs: 0,
    idleMs: 0,
    backPressuredMs: 0,
    recordsIn: 0,
    recordsOut: 0,
    ...o,
  };
}

function vertex(id: string, subtasks: SubtaskSample[]): VertexSample {
  return { vertexId: id, parallelism: subtasks.length, status: 'RUNNING', subtasks };
}

function sample(at: number, vertices: Record<string, VertexSample>, lag = 0, state = 'RUNNING'): JobSample {
  return { at, jobId: 'j1', state, vertices, sources: { src: { lagRecords: lag } } };
}

describe('Flink engine: vertex names', () => {
  it('maps Flink vertex names to operator ids', () => {
    assert.equal(operatorIdOfVertexName('Source: source'), 'source');
    assert.equal(operatorIdOfVertexName('sink: Writer'), 'sink');
    assert.equal(operatorIdOfVertexName('hotCount'), 'hotCount');
    const m = mapVertices(chain, [
      { id: 'v1', name: 'Source: src' },
      { id: 'v2', name: 'work' },
      { id: 'v3', name: 'out' },
    ]);
    assert.deepEqual(m, { src: 'v1', work: 'v2', out: 'v3' });
  });
  it('names the operators that have no vertex', () => {
    assert.throws(() => mapVertices(chain, [{ id: 'v1', name: 'Source: src' }]), /work, out/);
  });
});

describe('Flink engine: which job runs', () => {
  const cfg = resolveFlinkConfig({});
  it('runs nexmark-qN as the real query and other jobs as the synthetic job', () => {
    assert.deepEqual(workloadOf(nexmark('q5', { calibration: null }).job), { kind: 'nexmark', query: 'q5' });
    assert.deepEqual(workloadOf(chain), { kind: 'synthetic' });
    assert.deepEqual(workloadOf(nexmark('q5', { calibration: null }).job, 'synthetic'), { kind: 'synthetic' });
  });
  it('refuses a Nexmark query the Flink job lacks, and says how to run it anyway', () => {
    const q9 = JobGraph.create({ name: 'nexmark-q9', operators: [{ id: 'source', type: 'source' }, { id: 'sink', type: 'sink' }], edges: [{ from: 'source', to: 'sink' }] });
    assert.throws(() => workloadOf(q9), /q9 is not implemented on Flink.*synthetic/);
  });
  it('every Nexmark template the Flink job implements has the same operator ids', () => {
    for (const q of NEXMARK_QUERIES) {
      assert.equal(workloadOf(nexmark(q, { calibration: null }).job).kind, 'nexmark', q);
    }
  });
  it('passes the synthetic spec, parallelism, rate and rate URL as an argument array', () => {
    const args = jobArguments(chain, { src: 1, work: 3, out: 1 }, 2500, 'http://127.0.0.1:1/rate/x', cfg);
    const at = (k: string): string | undefined => args[args.indexOf(k) + 1];
    assert.equal(at('--job'), 'synthetic');
    assert.deepEqual(JSON.parse(at('--spec') as string).operators.map((o: { id: string }) => o.id), ['src', 'work', 'out']);
    assert.deepEqual(JSON.parse(at('--parallelism') as string), { src: 1, work: 3, out: 1 });
    assert.equal(at('--rate'), '2500');
    assert.equal(at('--rate-url'), 'http://127.0.0.1:1/rate/x');
    assert.equal(at('--wait-fraction'), '0.8');
  });
  it('validates its config', () => {
    assert.equal(resolveFlinkConfig({ rest: 'http://h:8081' }).rest, 'http://h:8081');
    assert.throws(() => resolveFlinkConfig({ slotz: 3 }));
    assert.equal(parseDurationMs('500 ms'), 500);
    assert.equal(parseDurationMs('10 s'), 10_000);
    assert.equal(parseDurationMs('10000'), 10_000);
  });
});

describe('Flink engine: snapshots from differenced counters', () => {
  const ctx = { job: chain, time: 10, windowSeconds: 10, targetRate: 1000 };
  const s0 = sample(0, {
    src: vertex('a', [subtask(0, { busyMs: 100, idleMs: 900, recordsOut: 0 })]),
    work: vertex('b', [subtask(0, { busyMs: 1000 }), subtask(1, { busyMs: 1000 })]),
    out: vertex('c', [subtask(0, { idleMs: 1000 })]),
  });
  const s1 = sample(
    10_000,
    {
      // the source ran 10 s: 1 s busy, 9 s idle, emitted 10 000 records
      src: vertex('a', [subtask(0, { busyMs: 1100, idleMs: 9900, recordsOut: 10_000 })]),
      // subtask 0: 8 s busy, 2 s backpressured, 6000 in; subtask 1: 4 s busy, 6 s idle, 4000 in
      work: vertex('b', [
        subtask(0, { busyMs: 9000, backPressuredMs: 2000, recordsIn: 6000, recordsOut: 6000 }),
        subtask(1, { busyMs: 5000, idleMs: 6000, recordsIn: 4000, recordsOut: 2000 }),
      ]),
      out: vertex('c', [subtask(0, { busyMs: 500, idleMs: 10_500, recordsIn: 8000 })]),
    },
    42,
  );
  it('computes busy/idle/backpressure avg and max, rates and true processing rates', () => {
    const s = computeSnapshot(s0, s1, ctx);
    assert.equal(s.valid, true, s.note);
    const w = s.operators.work;
    assert.ok(w);
    assert.equal(w.parallelism, 2);
    assert.equal(w.busyMsPerSecond, 600);
    assert.equal(w.busyMsPerSecondMax, 800);
    assert.equal(w.backPressuredMsPerSecond, 100);
    assert.equal(w.backPressuredMsPerSecondMax, 200);
    assert.equal(w.idleMsPerSecond, 300);
    assert.equal(w.recordsInPerSecond, 1000);
    assert.equal(w.recordsOutPerSecond, 800);
    // 1000 records/s at an average busy ratio of 0.6
    assert.ok(Math.abs(w.trueProcessingRate - 1000 / 0.6) < 1e-9);
    assert.equal(s.operators.src?.recordsInPerSecond, 1000, 'a source counts emitted records as its input');
    assert.deepEqual(s.sources.src, { targetRate: 1000, achievedRate: 1000, lagRecords: 42 });
    assert.equal(s.achievedRate, 1000);
  });
  it('invalidates a window with a restart, a rescale, a failed job or stale metrics', () => {
    const restarted = sample(10_000, { ...s1.vertices, work: vertex('b', [subtask(0, { attempt: 1 }), subtask(1)]) });
    assert.match(computeSnapshot(s0, restarted, ctx).note ?? '', /restarted/);
    assert.equal(computeSnapshot(s0, restarted, ctx).valid, false);
    const rescaled = sample(10_000, { ...s1.vertices, work: vertex('b', [subtask(0), subtask(1), subtask(2)]) });
    assert.match(computeSnapshot(s0, rescaled, ctx).note ?? '', /rescaled/);
    const failing = sample(10_000, s1.vertices, 0, 'RESTARTING');
    assert.equal(computeSnapshot(s0, failing, ctx).valid, false);
    const stale = sample(10_000, { ...s1.vertices, out: s0.vertices.out as VertexSample });
    const st = computeSnapshot(s0, stale, ctx);
    assert.equal(st.valid, false);
    assert.match(st.note ?? '', /out did not advance/);
  });
});

describe('Flink engine: REST client faults', () => {
  let server: Server;
  let base = '';
  let calls = 0;
  let mode: 'flaky' | 'bad' | 'slow' = 'flaky';
  before(async () => {
    server = createServer((req, res) => {
      calls++;
      if (mode === 'bad') return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":["Not found: /jobs/x"]}');
      if (mode === 'slow') return void setTimeout(() => res.writeHead(200).end('{}'), 500);
      if (calls < 3) return void res.writeHead(503).end('{"errors":["busy"]}');
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"jobs":[{"id":"a","status":"RUNNING"}]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  beforeEach(() => (calls = 0));

  it('retries 5xx with backoff, then succeeds', async () => {
    mode = 'flaky';
    const c = new FlinkRestClient(base, { retries: 3, backoffMs: 5 });
    assert.deepEqual(await c.jobs(), [{ id: 'a', status: 'RUNNING' }]);
    assert.equal(calls, 3);
  });
  it('reports a 4xx at once with Flink\'s message', async () => {
    mode = 'bad';
    const c = new FlinkRestClient(base, { retries: 3, backoffMs: 5 });
    await assert.rejects(c.job('x'), (e: unknown) => e instanceof FlinkRestError && e.status === 404 && /Not found/.test(e.message));
    assert.equal(calls, 1);
  });
  it('times out, retries, then reports', async () => {
    mode = 'slow';
    const c = new FlinkRestClient(base, { retries: 1, backoffMs: 5, timeoutMs: 100 });
    await assert.rejects(c.jobs(), /failed after 2 attempts: timed out/);
  });
  it('does not resend a POST that may have been processed', async () => {
    mode = 'slow';
    const c = new FlinkRestClient(base, { retries: 3, backoffMs: 5, timeoutMs: 100 });
    await assert.rejects(c.request('POST', '/jars/jar/run', {}), /timed out/);
    assert.equal(calls, 1);
  });
});

describe('Flink engine: rate endpoint', () => {
  it('serves each deployment its current rate', async () => {
    const rs = new RateServer();
    try {
      const { token, url } = await rs.register(1500);
      assert.equal((await (await fetch(url)).text()).trim(), '1500');
      rs.set(token, 250.5);
      assert.equal((await (await fetch(url)).text()).trim(), '250.5');
      rs.unregister(token);
      assert.equal((await fetch(url)).status, 404);
    } finally {
      await rs.close();
    }
  });
});
