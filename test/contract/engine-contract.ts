/**
 * The engine contract: what every engine behind src/engines/engine.ts must do, whatever it runs on. One suite,
 * registered per engine by a *.contract.test.ts file that supplies a ContractSubject. The simulator passes it in
 * every run; real engines pass it in CI (REQUIRE_ENGINES=1 turns a missing engine from a skip into a failure).
 */
import assert from 'node:assert/strict';
import type { JobGraph } from '../../src/core/job.js';
import type { Snapshot } from '../../src/core/metrics.js';
import { workersParallelism, type Parallelism } from '../../src/core/parallelism.js';
import type { Deployment, Engine } from '../../src/engines/engine.js';

export interface ContractSubject {
  /** Shown in the test titles, e.g. 'simulator' or 'flink (MiniCluster)'. */
  readonly name: string;
  /** undefined when the engine can run here; otherwise why not (a skip, or a failure under REQUIRE_ENGINES=1). */
  available(): string | undefined;
  engine(): Promise<Engine>;
  readonly job: JobGraph;
  /** Deployed at first. */
  readonly parallelism: Parallelism;
  /** A different parallelism that rescale() must reach. */
  readonly rescaleTo: Parallelism;
  /** Source rate at deploy, records/s, and a clearly higher one for setRate (both sustainable). */
  readonly rate: number;
  readonly higherRate: number;
  readonly windowSec: number;
  readonly warmupSec: number;
  /** Processes the engine started that are still alive (real engines); [] when none. */
  leftovers?(): Promise<string[]>;
}

/** Busy + idle + backpressured per operator must be 1000 ms/s within this much (1 %). */
export const TIME_TOLERANCE_MS = 10;

/** Every violated invariant of one snapshot, as readable lines (empty when it holds). */
export function snapshotViolations(s: Snapshot, job: JobGraph): string[] {
  const bad: string[] = [];
  for (const id of job.operatorIds) {
    const m = s.operators[id];
    if (!m) {
      bad.push(`${id}: no metrics`);
      continue;
    }
    for (const [k, v] of Object.entries(m))
      if (!Number.isFinite(v) || v < 0) bad.push(`${id}.${k} = ${v} (expected a finite value >= 0)`);
    const sum = m.busyMsPerSecond + m.idleMsPerSecond + m.backPressuredMsPerSecond;
    if (Math.abs(sum - 1000) > TIME_TOLERANCE_MS) bad.push(`${id}: busy + idle + backpressured = ${sum.toFixed(1)} ms/s (expected 1000 +- ${TIME_TOLERANCE_MS})`);
  }
  for (const [id, src] of Object.entries(s.sources))
    for (const [k, v] of Object.entries(src)) if (!Number.isFinite(v) || v < 0) bad.push(`source ${id}.${k} = ${v} (expected >= 0)`);
  if (!(s.achievedRate >= 0)) bad.push(`achievedRate = ${s.achievedRate}`);
  return bad;
}

/** Observes until a valid window (a real engine may invalidate one right after a change), at most `tries`. */
async function validWindow(d: Deployment, windowSec: number, tries = 4): Promise<Snapshot> {
  let s = await d.observe(windowSec);
  for (let i = 1; i < tries && !s.valid; i++) s = await d.observe(windowSec);
  assert.ok(s.valid, `no valid window in ${tries} tries: ${s.note ?? ''}`);
  return s;
}

function reportedParallelism(s: Snapshot): Parallelism {
  return Object.fromEntries(Object.entries(s.operators).map(([id, m]) => [id, m.parallelism]));
}

/** What the engine should report for a requested vector: shared-worker engines run the largest value everywhere. */
function expected(engine: Engine, job: JobGraph, p: Parallelism): Parallelism {
  return engine.capabilities.sharedWorkers ? workersParallelism(job, Math.max(...Object.values(p))) : p;
}

export function engineContract(subject: ContractSubject): void {
  describe(`engine contract: ${subject.name}`, function () {
    this.timeout(600_000);
    let engine: Engine | undefined;
    let deployment: Deployment | undefined;

    before(async function () {
      const why = subject.available();
      if (why !== undefined) {
        if (process.env.REQUIRE_ENGINES === '1') throw new Error(`REQUIRE_ENGINES=1 but ${subject.name} cannot run: ${why}`);
        this.skip();
      }
      engine = await subject.engine();
      deployment = await engine.deploy(subject.job, subject.parallelism, subject.rate);
      await deployment.advance(subject.warmupSec);
    });

    after(async () => {
      await deployment?.stop().catch(() => undefined);
      await engine?.close();
    });

    it('declares its capabilities', () => {
      const c = (engine as Engine).capabilities;
      for (const k of ['groundTruth', 'parallelDeployments', 'inPlaceRescale', 'sharedWorkers'] as const) assert.equal(typeof c[k], 'boolean', k);
      assert.equal(c.groundTruth, typeof (engine as Engine).groundTruth === 'function', 'groundTruth capability matches the method');
    });

    it('deploys at the requested parallelism', () => {
      assert.deepEqual((deployment as Deployment).parallelism, expected(engine as Engine, subject.job, subject.parallelism));
    });

    it('observes windows whose metrics hold the invariants (time ratios sum to 1000 ms/s, nothing negative)', async () => {
      const d = deployment as Deployment;
      const t0 = d.now();
      const s = await validWindow(d, subject.windowSec);
      assert.ok(d.now() > t0, 'engine time advances');
      assert.deepEqual(snapshotViolations(s, subject.job), []);
      assert.ok(s.achievedRate > 0, 'the sources emit');
      assert.deepEqual(reportedParallelism(s), expected(engine as Engine, subject.job, subject.parallelism));
    });

    it('setRate changes the achieved rate', async () => {
      const d = deployment as Deployment;
      const before = await validWindow(d, subject.windowSec);
      await d.setRate(subject.higherRate);
      await d.advance(subject.warmupSec);
      const after = await validWindow(d, subject.windowSec);
      assert.equal(after.targetRate, subject.higherRate);
      const expectedRise = (subject.higherRate - subject.rate) / 2;
      assert.ok(
        after.achievedRate - before.achievedRate > expectedRise,
        `achieved ${before.achievedRate.toFixed(0)} -> ${after.achievedRate.toFixed(0)} records/s for target ${subject.rate} -> ${subject.higherRate}`,
      );
      await d.setRate(subject.rate);
    });

    it('rescale changes the parallelism it reports, in the deployment and in the next valid snapshot', async () => {
      const d = deployment as Deployment;
      const report = await d.rescale(subject.rescaleTo);
      const want = expected(engine as Engine, subject.job, subject.rescaleTo);
      assert.equal(report.tookEffect, true, 'the rescale took effect');
      assert.deepEqual(report.parallelism, want);
      assert.ok(report.downtimeSeconds >= 0);
      assert.deepEqual(d.parallelism, want);
      await d.advance(subject.warmupSec);
      const s = await validWindow(d, subject.windowSec);
      assert.deepEqual(reportedParallelism(s), want);
      assert.deepEqual(snapshotViolations(s, subject.job), []);
    });

    it('stop leaves no process, and a call after stop fails with a clear error', async () => {
      const d = deployment as Deployment;
      await d.stop();
      assert.deepEqual((await subject.leftovers?.()) ?? [], [], 'processes left after stop');
      await assert.rejects(() => d.observe(subject.windowSec), (e: unknown) => e instanceof Error && /stop/i.test(e.message));
      await assert.rejects(() => d.rescale(subject.parallelism), (e: unknown) => e instanceof Error && /stop/i.test(e.message));
    });
  });
}
