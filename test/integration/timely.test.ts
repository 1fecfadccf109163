/**
 * The Timely engine on the real jobs/timely binary. Skipped when cargo is missing, unless REQUIRE_ENGINES=1,
 * which turns its absence into a failure. Assertions are on metrics and parallelism, never on wall time.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { JobGraph } from '../../src/core/job.js';
import type { Snapshot } from '../../src/core/metrics.js';
import type { Parallelism } from '../../src/core/parallelism.js';
import { cargoAvailable, ensureBinary, pidAlive, TimelyEngine, TimelyJobFailedError, trackedPids, type TimelyDeployment } from '../../src/engines/timely/index.js';
import { metricLabels } from '../../src/history/labels.js';
import type { Tuner, TunerView } from '../../src/tuners/tuner.js';
import { nexmark } from '../../src/workloads/nexmark/templates.js';
import { runWithEpisodeHook } from '../helpers/experiment.js';

const REQUIRED = process.env.REQUIRE_ENGINES === '1';

function requireCargo(ctx: Mocha.Context): void {
  if (cargoAvailable()) return;
  if (REQUIRED) throw new Error('REQUIRE_ENGINES=1 but cargo cannot run');
  ctx.skip();
}

function describeSnapshot(s: Snapshot): string {
  const ops = Object.entries(s.operators)
    .map(([id, m]) => `${id}[p=${m.parallelism} in=${m.recordsInPerSecond.toFixed(0)}/s out=${m.recordsOutPerSecond.toFixed(0)}/s busy=${m.busyMsPerSecond.toFixed(0)}/${m.busyMsPerSecondMax.toFixed(0)}]`)
    .join(' ');
  return `valid=${s.valid}${s.note ? ` (${s.note})` : ''} achieved=${s.achievedRate.toFixed(0)}/${s.targetRate}/s lag=${Object.values(s.sources)
    .map((x) => x.lagRecords)
    .join(',')} ${ops}`;
}

async function observeValid(d: TimelyDeployment, sec: number, tries = 3): Promise<Snapshot> {
  let s = await d.observe(sec);
  for (let i = 1; i < tries && !s.valid; i++) s = await d.observe(sec);
  return s;
}

const uniform = (job: JobGraph, p: number): Parallelism => Object.fromEntries(job.operators().map((o) => [o.id, Math.min(p, o.maxParallelism)]));

/** A chain with a configured bottleneck: 'slow' needs rate x 2000 us of a worker (80 % of it parked). */
const bottleneck = JobGraph.create({
  name: 'timely-it-bottleneck',
  operators: [
    { id: 'src', type: 'source', cost: 1 },
    { id: 'parse', type: 'map', cost: 20 },
    { id: 'slow', type: 'keyedAggregate', cost: 2000, keySkew: 0 },
    { id: 'out', type: 'sink', cost: 5 },
  ],
  edges: [
    { from: 'src', to: 'parse' },
    { from: 'parse', to: 'slow' },
    { from: 'slow', to: 'out' },
  ],
});

const tmpEntries = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('streamtune-timely-')).sort();

describe('Timely engine on the real jobs/timely binary', function () {
  this.timeout(120_000);
  let tmpBefore: string[] = [];

  before(async function () {
    this.timeout(900_000); // a first build downloads timely from crates.io and compiles it
    requireCargo(this);
    const b = await ensureBinary();
    if (b.buildSeconds > 0) console.log(`      built jobs/timely in ${b.buildSeconds.toFixed(1)} s`);
    tmpBefore = tmpEntries();
  });

  afterEach(() => {
    assert.deepEqual(trackedPids(), [], 'no process started by the engine may outlive a test');
  });

  after(() => {
    assert.deepEqual(tmpEntries(), tmpBefore, 'the engine leaves /tmp as it found it');
  });

  it('runs Nexmark q5 on W workers: busy within wall time, records consistent with the selectivities', async () => {
    const job = nexmark('q5').job;
    const engine = new TimelyEngine({});
    try {
      const d = await engine.deploy(job, uniform(job, 2), 60_000);
      await d.advance(1);
      const s = await observeValid(d, 3);
      console.log(`      ${describeSnapshot(s)}`);
      assert.equal(s.valid, true, s.note);
      for (const [id, m] of Object.entries(s.operators)) {
        assert.ok(m.busyMsPerSecondMax <= 1000 + 1e-6, `${id}: busy <= wall time per worker`);
        assert.ok(Math.abs(m.busyMsPerSecond + m.idleMsPerSecond + m.backPressuredMsPerSecond - 1000) < 1e-6, `${id}: busy + idle + bp = 1000`);
      }
      for (const id of ['source', 'bids', 'hotCount']) assert.ok((s.operators[id]?.busyMsPerSecond ?? 0) > 0, `${id} has busy time`);
      const src = s.operators.source!;
      const bids = s.operators.bids!;
      const hot = s.operators.hotCount!;
      assert.ok(src.recordsInPerSecond > 0.9 * 60_000, `the source keeps up: ${src.recordsInPerSecond}`);
      const near = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol * Math.max(a, b), `${what}: ${a} vs ${b}`);
      near(bids.recordsInPerSecond, src.recordsOutPerSecond, 0.05, 'bids in = source out');
      near(bids.recordsOutPerSecond, (46 / 50) * bids.recordsInPerSecond, 0.03, 'bids out = in x 46/50');
      near(hot.recordsInPerSecond, bids.recordsOutPerSecond, 0.05, 'hotCount in = bids out');
      assert.ok(s.operators.maxCount!.recordsInPerSecond > 0, 'windows close on the event-time frontier');
      assert.deepEqual(d.parallelism, uniform(job, 2));
    } finally {
      await engine.close();
    }
  });

  for (const [q, aggregate] of [
    ['q4', 'average'],
    ['q6', 'sellerAvg'],
  ] as const) {
    it(`runs Nexmark ${q}: winning bids close on the event-time frontier, at most one per auction, into ${aggregate}`, async () => {
      const job = nexmark(q).job;
      const engine = new TimelyEngine({});
      try {
        const d = await engine.deploy(job, uniform(job, 2), 20_000);
        await d.advance(1);
        const s = await observeValid(d, 3);
        console.log(`      ${describeSnapshot(s)}`);
        assert.equal(s.valid, true, s.note);
        assert.deepEqual(Object.keys(s.operators).sort(), [...job.operatorIds].sort(), 'metrics under the template operator ids');
        const near = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol * Math.max(a, b), `${what}: ${a} vs ${b}`);
        const src = s.operators.source!;
        const bids = s.operators.bids!;
        const auctions = s.operators.auctions!;
        const win = s.operators.winningBid!;
        const agg = s.operators[aggregate]!;
        assert.ok(src.recordsInPerSecond > 0.9 * 20_000, `the source keeps up: ${src.recordsInPerSecond}`);
        near(bids.recordsOutPerSecond, (46 / 50) * bids.recordsInPerSecond, 0.03, 'bids out = in x 46/50');
        near(auctions.recordsOutPerSecond, (3 / 50) * auctions.recordsInPerSecond, 0.1, 'auctions out = in x 3/50');
        near(win.recordsInPerSecond, bids.recordsOutPerSecond + auctions.recordsOutPerSecond, 0.05, 'winningBid reads both inputs');
        assert.ok(win.recordsOutPerSecond > 0, 'auctions close at their expiry');
        assert.ok(win.recordsOutPerSecond <= 1.05 * auctions.recordsOutPerSecond, `at most one winning bid per auction: ${win.recordsOutPerSecond} vs ${auctions.recordsOutPerSecond}`);
        near(agg.recordsInPerSecond, win.recordsOutPerSecond, 0.05, `${aggregate} in = winningBid out`);
        near(agg.recordsOutPerSecond, agg.recordsInPerSecond, 0.05, `${aggregate} emits one average per winning bid`);
        for (const id of ['bids', 'auctions', 'winningBid']) assert.ok((s.operators[id]?.busyMsPerSecond ?? 0) > 0, `${id} has busy time`);
      } finally {
        await engine.close();
      }
    });
  }

  it('changes W by a restart that resumes the generator, visible in the next snapshot', async () => {
    const engine = new TimelyEngine({});
    try {
      const d = await engine.deploy(bottleneck, uniform(bottleneck, 1), 400);
      await d.advance(1);
      const before = await d.sample();
      const s1 = await observeValid(d, 2);
      assert.equal(s1.operators.slow?.parallelism, 1);
      const r = await d.rescale(uniform(bottleneck, 3));
      console.log(`      restart 1 -> 3 workers: downtime ${r.downtimeSeconds.toFixed(3)} s (stop ${r.stopSeconds.toFixed(3)} s, start ${r.startSeconds.toFixed(3)} s)`);
      assert.equal(r.tookEffect, true);
      assert.equal(d.workers, 3);
      const after = await d.sample();
      const nextIds = (ss: typeof before): number[] => ss.flatMap((x) => x.sources.src ?? []).map((w) => w.nextId);
      assert.ok(Math.min(...nextIds(after)) >= Math.min(...nextIds(before)), 'the generator resumed, not restarted from 0');
      await d.advance(1);
      const s2 = await observeValid(d, 2);
      console.log(`      ${describeSnapshot(s2)}`);
      assert.equal(s2.valid, true, s2.note);
      for (const id of bottleneck.operatorIds) assert.equal(s2.operators[id]?.parallelism, 3, id);
      const perWorker = after[0]!.workers.length;
      assert.equal(perWorker, 3, 'three workers report');
      const same = await d.rescale(uniform(bottleneck, 3));
      assert.equal(same.downtimeSeconds, 0, 'an unchanged W is no restart');
    } finally {
      await engine.close();
    }
  });

  it('placement mode confines an operator to k of W workers through its exchange', async () => {
    const engine = new TimelyEngine({ parallelism: 'placement' });
    assert.equal(engine.capabilities.sharedWorkers, false);
    try {
      const p: Parallelism = { src: 3, parse: 3, slow: 1, out: 3 };
      const d = await engine.deploy(bottleneck, p, 300);
      await d.advance(1);
      const s = await observeValid(d, 3);
      console.log(`      ${describeSnapshot(s)}`);
      assert.equal(s.valid, true, s.note);
      assert.equal(s.operators.slow?.parallelism, 1);
      assert.equal(d.workers, 3);
      const slowOn = d.workersOf().slow ?? [];
      assert.equal(slowOn.length, 1);
      const raw = await d.sample();
      const busy = (w: number): number => raw.flatMap((x) => x.workers).find((x) => x.index === w)?.ops.slow?.[1] ?? 0;
      for (let w = 0; w < 3; w++) {
        if (slowOn.includes(w)) assert.ok(busy(w) > 0, `slow receives records on its worker ${w}`);
        else assert.equal(busy(w), 0, `slow receives nothing on worker ${w}`);
      }
      const r = await d.rescale({ ...p, slow: 2 });
      assert.equal(r.tookEffect, true);
      await d.advance(1);
      const s2 = await observeValid(d, 2);
      assert.equal(s2.operators.slow?.parallelism, 2);
      assert.equal(d.workersOf().slow?.length, 2);
    } finally {
      await engine.close();
    }
  });

  it('labels a bottleneck made by configuration with the metric rule', async () => {
    const engine = new TimelyEngine({});
    try {
      // 'slow' needs 800/s x 2000 us = 1.6 workers: one worker cannot keep up. Timely has no backpressure: records
      // queue before 'slow' until the source's flow control (maxInFlightMs of event time) holds it back, then the
      // source lags; warm up past that point.
      const d = await engine.deploy(bottleneck, uniform(bottleneck, 1), 800);
      await d.advance(5);
      const s = await observeValid(d, 3);
      console.log(`      ${describeSnapshot(s)}`);
      assert.equal(s.valid, true, s.note);
      const labels = metricLabels(bottleneck, s);
      console.log(`      labels: ${JSON.stringify(labels)}`);
      assert.equal(labels.slow, true, 'slow is the bottleneck');
      for (const id of ['parse', 'out']) assert.equal(labels[id], false, `${id} is not`);
    } finally {
      await engine.close();
    }
  });

  it('DS2 raises W for an overloaded synthetic job, then keeps', async function () {
    let ds2: { create(o: { overProvisioning: number }): Tuner };
    try {
      ds2 = (await import('../../src/tuners/ds2/index.js')) as typeof ds2;
    } catch {
      this.skip();
    }
    const tuner = ds2.create({ overProvisioning: 0 });
    const engine = new TimelyEngine({});
    const rate = 700;
    try {
      const d = await engine.deploy(bottleneck, uniform(bottleneck, 1), rate);
      await d.advance(2);
      const history: { parallelism: Parallelism; snapshot: Snapshot; rate: number }[] = [];
      const kinds: string[] = [];
      for (let i = 0; i < 4; i++) {
        const snapshot = await observeValid(d, 3);
        console.log(`      DS2 step ${i} (W=${d.workers}): ${describeSnapshot(snapshot)}`);
        if (!snapshot.valid) continue;
        history.push({ parallelism: d.parallelism, snapshot, rate });
        const view: TunerView = { job: bottleneck, parallelism: d.parallelism, snapshot, targetRate: rate, episode: history, history, clock: d.now(), sharedWorkers: true };
        const decision = await tuner.decide(view);
        kinds.push(decision.kind);
        console.log(`      DS2 decision: ${decision.kind} ${'reason' in decision ? String(decision.reason) : ''}`);
        if (decision.kind === 'keep') break;
        if (decision.kind !== 'rescale') continue;
        const r = await d.rescale(decision.parallelism);
        assert.equal(r.tookEffect, true);
        await d.advance(3);
      }
      assert.ok(kinds.includes('rescale'), `DS2 rescaled: ${kinds.join(', ')}`);
      assert.ok(d.workers >= 2, `DS2 raised W: ${d.workers}`);
      assert.equal(kinds[kinds.length - 1], 'keep', `DS2 then keeps: ${kinds.join(', ')}`);
    } finally {
      await engine.close();
    }
  });

  it('runs one job over 2 processes on loopback (-n 2 -p i -h hostfile)', async () => {
    const job = nexmark('q3').job;
    const engine = new TimelyEngine({ processes: 2 });
    try {
      const d = await engine.deploy(job, uniform(job, 2), 20_000);
      assert.equal(d.pids.length, 2);
      await d.advance(1);
      const raw = await d.sample();
      assert.deepEqual(raw.map((x) => x.workers.map((w) => w.index)).flat().sort(), [0, 1], 'one worker in each process');
      const s = await observeValid(d, 3);
      console.log(`      ${describeSnapshot(s)}`);
      assert.equal(s.valid, true, s.note);
      assert.ok(s.operators.join!.recordsInPerSecond > 0, 'records cross the processes to the join');
      const r = await d.rescale(uniform(job, 4));
      assert.equal(r.tookEffect, true);
      assert.equal(d.pids.length, 2);
      const s2 = await observeValid(d, 2);
      assert.equal(s2.valid, true, s2.note);
      assert.equal(s2.operators.join?.parallelism, 4);
    } finally {
      await engine.close();
    }
  });

  it('leaves no process after stop, after a failure, and after a killed harness', async () => {
    const engine = new TimelyEngine({});
    const d = await engine.deploy(bottleneck, uniform(bottleneck, 2), 200);
    const [pid] = d.pids;
    assert.ok(pid && pidAlive(pid));
    await d.stop();
    assert.equal(pidAlive(pid), false, 'stop() ended the process');

    const d2 = await engine.deploy(bottleneck, uniform(bottleneck, 1), 200);
    const [pid2] = d2.pids;
    process.kill(pid2 as number, 'SIGKILL');
    await assert.rejects(d2.observe(1), TimelyJobFailedError, 'a dead job fails the next observation');
    await d2.stop();
    await assert.rejects(engine.deploy(bottleneck, { ...uniform(bottleneck, 1), slow: 0 }, 100), 'a bad deployment is refused');
    await engine.close();
    assert.deepEqual(trackedPids(), []);

    // A harness killed with SIGKILL cannot clean up: the binary exits when its stdin closes.
    const engineUrl = new URL('../../src/engines/timely/index.ts', import.meta.url).href;
    const jobUrl = new URL('../../src/core/job.ts', import.meta.url).href;
    const script = `
      const { TimelyEngine } = await import(${JSON.stringify(engineUrl)});
      const { JobGraph } = await import(${JSON.stringify(jobUrl)});
      const job = JobGraph.create(${JSON.stringify(bottleneck.toSpec())});
      const d = await new TimelyEngine({}).deploy(job, { src: 2, parse: 2, slow: 2, out: 2 }, 100);
      console.log(JSON.stringify({ pid: d.pids[0] }));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, TSX_DISABLE_CACHE: '1' }, // tsx would leave its cache folder in the temp folder
    });
    const childPid = await new Promise<number>((ok, fail) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /\{"pid":(\d+)\}/.exec(out);
        if (m) ok(Number(m[1]));
      });
      child.on('exit', (code) => fail(new Error(`the harness exited early (${code})`)));
    });
    assert.ok(pidAlive(childPid));
    child.kill('SIGKILL');
    for (let i = 0; i < 100 && pidAlive(childPid); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(pidAlive(childPid), false, 'the binary exited when the killed harness closed its stdin');
  });

  it('a run whose binary is killed keeps its finished episode and windows, and summary.md states the failure', async () => {
    const work = mkdtempSync(join(tmpdir(), 'streamtune-timely-killed-it-'));
    try {
      const config = join(work, 'killed.json');
      writeFileSync(
        config,
        JSON.stringify({
          name: 'killed',
          engine: { kind: 'timely' },
          workload: { kind: 'wordcount', workloadUnit: 200 },
          rates: { kind: 'steps', rates: [1, 1], durationSec: 8 },
          tuners: { static: {} },
          seeds: [1],
          loop: { warmupSec: 1, windowSec: 2, initialParallelism: 1 },
          outputs: { charts: false },
        }),
      );
      let killed: number | undefined;
      // After the first episode: kill -9 the run's binary (a child of this process).
      const outcome = await runWithEpisodeHook(config, join(work, 'results'), () => {
        if (killed !== undefined) return;
        killed = childBinaries()[0];
        if (killed !== undefined) process.kill(killed, 'SIGKILL');
      });
      assert.ok(killed !== undefined, 'the binary was found and killed');
      const dir = outcome.dir;
      assert.equal(outcome.failed.length, 1);
      const error = outcome.failed[0]?.error ?? '';
      console.log(`      run failed: ${error}`);
      assert.match(error, new RegExp(`the Timely job \\(pid ${killed}\\) ended`));
      const timeline = parse(readFileSync(join(dir, 'timeline.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
      for (const t of timeline) console.log(`      timeline: episode ${t.episode} window ${t.window} t=${t.time} ${t.event}: ${t.reason?.slice(0, 120)}`);
      assert.ok(timeline.filter((t) => t.episode === '0' && t.event !== 'invalid').length >= 2, 'the first episode\'s windows are kept');
      assert.equal(timeline[timeline.length - 1]?.event, 'failed');
      assert.equal(timeline[timeline.length - 1]?.reason, error);
      const episodes = parse(readFileSync(join(dir, 'episodes.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
      assert.deepEqual(
        episodes.map((e) => e.episode),
        ['0'],
        'the finished episode is kept',
      );
      const summary = readFileSync(join(dir, 'summary.md'), 'utf8');
      assert.match(summary, /## Failed runs/);
      assert.ok(summary.includes(`\`p0-static-s1\`: ${error}`), summary);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

/** Pids of streamtune-timely processes whose parent is this process. */
function childBinaries(): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('streamtune-timely')) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
