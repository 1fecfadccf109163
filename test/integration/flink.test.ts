/**
 * The Flink engine on a real local Flink (a MiniCluster JVM per deployment). Skipped when java or mvn is missing,
 * unless REQUIRE_ENGINES=1, which turns their absence into a failure.
 */
import assert from 'node:assert/strict';
import { JobGraph } from '../../src/core/job.js';
import type { Snapshot } from '../../src/core/metrics.js';
import type { Parallelism } from '../../src/core/parallelism.js';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandWorks, defaultJobsDir, ensureJobJar, FlinkEngine, livePids, LOCAL_TEMP_PREFIX, pidAlive, startLocalCluster } from '../../src/engines/flink/index.js';
import type { Tuner, TunerView } from '../../src/tuners/tuner.js';
import { nexmark } from '../../src/workloads/nexmark/templates.js';
import { killHard, startExperiment, waitWhileRunning } from '../helpers/cli.js';

const REQUIRED = process.env.REQUIRE_ENGINES === '1';

function requireJavaAndMaven(ctx: Mocha.Context): void {
  const missing = ['java', 'mvn'].filter((c) => !commandWorks(c));
  if (missing.length === 0) return;
  if (REQUIRED) throw new Error(`REQUIRE_ENGINES=1 but ${missing.join(' and ')} cannot run`);
  ctx.skip();
}

function describeSnapshot(s: Snapshot): string {
  const ops = Object.entries(s.operators)
    .map(([id, m]) => `${id}[p=${m.parallelism} in=${m.recordsInPerSecond.toFixed(0)}/s busy=${m.busyMsPerSecond.toFixed(0)} bp=${m.backPressuredMsPerSecond.toFixed(0)}]`)
    .join(' ');
  return `valid=${s.valid}${s.note ? ` (${s.note})` : ''} achieved=${s.achievedRate.toFixed(0)}/${s.targetRate}/s ${ops}`;
}

/** A chain whose every operator costs enough to show busy time at a low rate. */
const chain = JobGraph.create({
  name: 'flink-it-chain',
  operators: [
    { id: 'src', type: 'source', cost: 5 },
    { id: 'parse', type: 'map', cost: 100 },
    { id: 'count', type: 'keyedAggregate', cost: 100, keySkew: 0.05 },
    { id: 'out', type: 'sink', cost: 20 },
  ],
  edges: [
    { from: 'src', to: 'parse' },
    { from: 'parse', to: 'count' },
    { from: 'count', to: 'out' },
  ],
});

function ones(job: JobGraph): Parallelism {
  return Object.fromEntries(job.operatorIds.map((id) => [id, 1]));
}

describe('Flink engine on a real local Flink', function () {
  this.timeout(200_000);

  before(async function () {
    this.timeout(600_000); // a first build may download Flink from Maven Central
    requireJavaAndMaven(this);
    const jar = await ensureJobJar();
    if (jar.buildSeconds > 0) console.log(`      built the job jar in ${jar.buildSeconds.toFixed(1)} s`);
  });

  afterEach(() => {
    assert.deepEqual(livePids(), [], 'no JVM started by the engine may outlive a test');
  });

  it('runs the synthetic job, measures every operator, rescales one in place, changes the rate, stops the JVM', async () => {
    const engine = new FlinkEngine({ slots: 4 });
    let pid: number | undefined;
    try {
      const d = await engine.deploy(chain, ones(chain), 2000);
      pid = d.pid;
      assert.ok(pid && pidAlive(pid));
      console.log(`      deploy: JVM up in ${d.timings.clusterStartSeconds.toFixed(1)} s, job RUNNING ${d.timings.submitSeconds.toFixed(1)} s later`);
      await d.advance(2);
      const s = await observeValid(d, 5);
      console.log(`      ${describeSnapshot(s)}`);
      assert.equal(s.valid, true, s.note);
      for (const id of chain.operatorIds) {
        const m = s.operators[id];
        assert.ok(m, id);
        assert.ok(m.recordsInPerSecond > 0, `${id} reads records`);
        assert.ok(m.busyMsPerSecond > 0, `${id} has busy time`);
        assert.ok(m.trueProcessingRate > 0, `${id} has a true processing rate`);
      }
      assert.ok(Math.abs(s.achievedRate - 2000) < 400, `source paced at about 2000/s, got ${s.achievedRate}`);
      assert.equal(s.sources.src?.targetRate, 2000);

      const report = await d.rescale({ ...ones(chain), parse: 2 });
      console.log(`      in-place rescale: downtime ${report.downtimeSeconds.toFixed(2)} s, total ${report.totalSeconds.toFixed(2)} s`);
      assert.equal(report.tookEffect, true);
      assert.equal(report.mode, 'inPlace');
      assert.equal(d.parallelism.parse, 2);
      const details = await d.client.job(d.jobId);
      const parse = details.vertices.find((v) => v.name === 'parse');
      assert.equal(parse?.parallelism, 2, 'Flink REST shows the new parallelism');
      assert.equal(parse?.tasks.RUNNING, 2);

      await d.setRate(1000);
      await d.advance(3);
      const after = await observeValid(d, 5);
      console.log(`      ${describeSnapshot(after)}`);
      assert.equal(after.valid, true, after.note);
      assert.equal(after.operators.parse?.parallelism, 2);
      assert.ok(after.operators.parse && after.operators.parse.recordsInPerSecond > 0);
      assert.ok(Math.abs(after.achievedRate - 1000) < 250, `the new rate reached the source: ${after.achievedRate}`);
      await d.stop();
      assert.equal(pidAlive(pid), false, 'stop() killed the JVM');
    } finally {
      await engine.close();
    }
    assert.ok(pid !== undefined && !pidAlive(pid));
  });

  it('runs Nexmark q5 and rescales by savepoint and resubmission', async () => {
    const engine = new FlinkEngine({ slots: 4 });
    const { job } = nexmark('q5', { calibration: null });
    try {
      const d = await engine.deploy(job, ones(job), 4000);
      await d.advance(2);
      const s = await observeValid(d, 6);
      console.log(`      ${describeSnapshot(s)}`);
      assert.equal(s.valid, true, s.note);
      for (const id of ['source', 'bids', 'hotCount', 'maxCount']) assert.ok((s.operators[id]?.recordsInPerSecond ?? 0) > 0, `${id} reads records`);
      const oldJob = d.jobId;
      const r = await d.rescale({ ...ones(job), hotCount: 2 }, { mode: 'savepoint' });
      console.log(`      savepoint rescale: downtime ${r.downtimeSeconds.toFixed(2)} s; ${r.note}`);
      assert.equal(r.tookEffect, true);
      assert.notEqual(d.jobId, oldJob, 'a new job restored from the savepoint');
      const s2 = await observeValid(d, 5);
      console.log(`      ${describeSnapshot(s2)}`);
      assert.equal(s2.valid, true, s2.note);
      assert.equal(s2.operators.hotCount?.parallelism, 2);
      assert.ok((s2.operators.hotCount?.recordsInPerSecond ?? 0) > 0);
    } finally {
      await engine.close();
    }
  });

  for (const [q, aggregate] of [
    ['q4', 'average'],
    ['q6', 'sellerAvg'],
  ] as const) {
    it(`runs Nexmark ${q}: winning bids close when the watermark passes the expiry, at most one per auction, into ${aggregate}`, async () => {
      const engine = new FlinkEngine({ slots: 4 });
      const { job } = nexmark(q, { calibration: null });
      try {
        const d = await engine.deploy(job, ones(job), 4000);
        // auctions expire 0-20 s after they open and the watermark trails by 4 s: the first close after ~4 s
        await d.advance(6);
        const s = await observeValid(d, 5);
        console.log(`      ${describeSnapshot(s)}`);
        assert.equal(s.valid, true, s.note);
        assert.deepEqual(Object.keys(s.operators).sort(), [...job.operatorIds].sort(), 'metrics under the template operator ids');
        const near = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol * Math.max(a, b), `${what}: ${a} vs ${b}`);
        const bids = s.operators.bids!;
        const auctions = s.operators.auctions!;
        const win = s.operators.winningBid!;
        const agg = s.operators[aggregate]!;
        near(bids.recordsOutPerSecond, (46 / 50) * bids.recordsInPerSecond, 0.05, 'bids out = in x 46/50');
        near(auctions.recordsOutPerSecond, (3 / 50) * auctions.recordsInPerSecond, 0.15, 'auctions out = in x 3/50');
        near(win.recordsInPerSecond, bids.recordsOutPerSecond + auctions.recordsOutPerSecond, 0.1, 'winningBid reads both inputs');
        assert.ok(win.recordsOutPerSecond > 0, 'auctions close at their expiry');
        assert.ok(win.recordsOutPerSecond <= 1.1 * auctions.recordsOutPerSecond, `at most one winning bid per auction: ${win.recordsOutPerSecond} vs ${auctions.recordsOutPerSecond}`);
        assert.ok(agg.recordsInPerSecond > 0, `${aggregate} reads the winning bids`);
        near(agg.recordsOutPerSecond, agg.recordsInPerSecond, 0.15, `${aggregate} emits one average per winning bid`);
      } finally {
        await engine.close();
      }
    });
  }

  it('drives an existing cluster over REST (remote mode): submits, observes, rescales, cancels', async () => {
    const jar = await ensureJobJar();
    const stateDir = mkdtempSync(join(tmpdir(), 'streamtune-flink-remote-'));
    const cluster = await startLocalCluster({
      java: 'java',
      javaOptions: ['-Xmx1g'],
      jobsDir: defaultJobsDir(),
      classpath: jar.classpath,
      slots: 4,
      stateDir,
      metricsIntervalMs: 500,
      startTimeoutSec: 120,
    });
    try {
      const engine = FlinkEngine.fromConfig({ kind: 'flink', rest: cluster.url });
      assert.equal(engine.remote, true);
      const d = await engine.deploy(chain, ones(chain), 1500);
      assert.equal(d.pid, undefined, 'remote mode starts no JVM');
      await d.advance(1);
      const s = await observeValid(d, 4);
      assert.equal(s.valid, true, s.note);
      assert.ok((s.operators.count?.recordsInPerSecond ?? 0) > 0);
      // A restart during a window (here: an in-place rescale) makes that window invalid.
      const during = d.observe(8);
      await new Promise((ok) => setTimeout(ok, 2500));
      const r = await d.rescale({ ...ones(chain), count: 2 });
      assert.equal(r.tookEffect, true);
      const hit = await during;
      console.log(`      window with a restart: valid=${hit.valid} (${hit.note})`);
      assert.equal(hit.valid, false, 'a window with a restart is invalid');
      assert.match(hit.note ?? '', /restarted|rescaled|state|metrics/);
      const jobId = d.jobId;
      await engine.close();
      const after = await d.client.job(jobId);
      assert.equal(after.state, 'CANCELED', 'stop() cancelled the job');
      assert.equal(cluster.exited, false, 'remote mode leaves the cluster running');
    } finally {
      await cluster.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
    assert.equal(pidAlive(cluster.pid), false);
  });

  it('kills the JVM when a deployment fails to start', async () => {
    const engine = new FlinkEngine({ startTimeoutSec: 0.2 });
    try {
      await assert.rejects(engine.deploy(chain, ones(chain), 100), /did not report its REST URL/);
      assert.deepEqual(livePids(), []);
    } finally {
      await engine.close();
    }
  });

  it('--resume removes the temporary folder a killed harness left, then runs the run again', async () => {
    const work = mkdtempSync(join(tmpdir(), 'streamtune-flink-resume-it-'));
    try {
      const config = join(work, 'killed.json');
      writeFileSync(
        config,
        JSON.stringify({
          name: 'killed',
          engine: { kind: 'flink', slots: 2 },
          workload: { kind: 'wordcount', workloadUnit: 500 },
          rates: { kind: 'constant', rate: 1, durationSec: 10 },
          tuners: { static: {} },
          seeds: [1],
          loop: { warmupSec: 2, windowSec: 4, initialParallelism: 1 },
          outputs: { charts: false },
        }),
      );
      const { child, output } = startExperiment([config, '--out', join(work, 'results')]);
      const prefix = `${LOCAL_TEMP_PREFIX}${child.pid}-`;
      // The harness's MiniCluster is up once its launcher log names the REST URL.
      const folder = await waitWhileRunning(child, output, 'its cluster was up', () => {
        const name = readdirSync(tmpdir()).find((n) => n.startsWith(prefix));
        const log = name ? join(tmpdir(), name, 'launcher.log') : undefined;
        return name && log && existsSync(log) && readFileSync(log, 'utf8').includes('"event":"rest"') ? join(tmpdir(), name) : undefined;
      });
      await killHard(child);
      const runDir = /run folder: (.+)/.exec(output())?.[1]?.trim() as string;
      // The JVM exits once the killed harness's pipe closes; its folder stays.
      for (let i = 0; i < 150 && jvmUsing(folder); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(jvmUsing(folder), false, 'the MiniCluster JVM exited with its harness');
      assert.ok(existsSync(folder), 'the killed harness left its temporary folder');
      console.log(`      killed the harness; left behind: ${folder}`);

      const lines: string[] = [];
      const { runExperiment } = await import('../../src/experiment/experiment.js');
      const outcome = await runExperiment({ resume: runDir, onReclaim: (l) => lines.push(l) });
      for (const l of lines) console.log(`      resume: ${l}`);
      assert.deepEqual(outcome.failed, []);
      assert.ok(lines.includes(`removed ${folder}, the temporary folder of a killed local Flink run`), JSON.stringify(lines));
      assert.equal(existsSync(folder), false);
      assert.deepEqual(readdirSync(tmpdir()).filter((n) => n.startsWith(`${LOCAL_TEMP_PREFIX}${process.pid}-`)), [], 'the resumed run removed its own folder');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  const ds2Path = new URL('../../src/tuners/ds2/index.ts', import.meta.url);
  (existsSync(ds2Path) ? it : it.skip)('DS2 tunes the synthetic job on real Flink: it scales up the bottleneck', async () => {
    const ds2 = (await import('../../src/tuners/ds2/index.js')) as { create(o: { overProvisioning: number }): Tuner };
    const tuner = ds2.create({ overProvisioning: 0 });
    // 'slow' needs 3000/s x 500 us = 1.5 instances: at parallelism 1 it is the bottleneck.
    const job = JobGraph.create({
      name: 'flink-it-ds2',
      operators: [
        { id: 'src', type: 'source', cost: 5 },
        { id: 'light', type: 'map', cost: 30 },
        { id: 'slow', type: 'keyedAggregate', cost: 500, keySkew: 0 },
        { id: 'out', type: 'sink', cost: 10 },
      ],
      edges: [
        { from: 'src', to: 'light' },
        { from: 'light', to: 'slow' },
        { from: 'slow', to: 'out' },
      ],
    });
    const rate = 3000;
    const engine = new FlinkEngine({ slots: 6 });
    try {
      const d = await engine.deploy(job, ones(job), rate);
      await d.advance(4);
      const history: { parallelism: Parallelism; snapshot: Snapshot; rate: number }[] = [];
      let steps = 0;
      for (let i = 0; i < 3; i++) {
        const snapshot = await observeValid(d, 6);
        console.log(`      DS2 step ${i}: ${describeSnapshot(snapshot)}`);
        if (!snapshot.valid) continue;
        history.push({ parallelism: d.parallelism, snapshot, rate });
        const view: TunerView = {
          job,
          parallelism: d.parallelism,
          snapshot,
          targetRate: rate,
          episode: history,
          history,
          clock: d.now(),
          sharedWorkers: engine.capabilities.sharedWorkers,
        };
        const decision = await tuner.decide(view);
        console.log(`      DS2 decision: ${decision.kind} ${decision.kind === 'rescale' ? JSON.stringify(decision.parallelism) : decision.reason}`);
        if (decision.kind !== 'rescale') break;
        const r = await d.rescale(decision.parallelism);
        assert.equal(r.tookEffect, true);
        steps++;
        await d.advance(4);
      }
      assert.ok(steps >= 1, 'DS2 reconfigured at least once');
      assert.ok((d.parallelism.slow ?? 1) >= 2, `DS2 scaled up the bottleneck: ${JSON.stringify(d.parallelism)}`);
      assert.equal(d.parallelism.src, 1, 'DS2 keeps the sources');
      const final = await observeValid(d, 6);
      console.log(`      after DS2: ${describeSnapshot(final)}`);
      assert.ok(final.valid, final.note);
      assert.ok(final.achievedRate > 0.8 * rate, `the tuned job keeps up: ${final.achievedRate}/s`);
    } finally {
      await engine.close();
    }
  });
});

/**
 * Observes until a window is valid (at most 3 tries): on a loaded machine Flink's metric fetcher can lag a window,
 * which the engine reports as invalid, and the control loop likewise skips such windows.
 */
async function observeValid(d: { observe(s: number): Promise<import('../../src/core/metrics.js').Snapshot> }, seconds: number) {
  let s = await d.observe(seconds);
  for (let i = 1; i < 3 && !s.valid; i++) s = await d.observe(seconds);
  return s;
}

/** Whether a live process names `folder` on its command line (the MiniCluster JVM's --state-dir). */
function jvmUsing(folder: string): boolean {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(folder)) return true;
    } catch {
      // exited meanwhile
    }
  }
  return false;
}
