/**
 * The simulator's placement mode (Timely, `parallelism: "placement"`): operators confined to p_v of W workers, the
 * workers' time shared by the operators on them, and the oracle: the smallest sum of p_v that sustains the rate.
 */
import assert from 'node:assert/strict';
import { JobGraph } from '../../../src/core/job.js';
import { totalParallelism, type Parallelism } from '../../../src/core/parallelism.js';
import { SimulatorEngine } from '../../../src/engines/simulator/simulator.js';
import { PlacementTruth, slots, stagingOrder } from '../../../src/engines/simulator/placement.js';
import { engineCapabilities, engineConfig } from '../../../src/engines/registry.js';
import type { LoopConfig } from '../../../src/loop/config.js';
import { oracleEpisodes } from '../../helpers/oracle-loop.js';
import { NEXMARK_QUERIES, nexmark } from '../../../src/workloads/nexmark/templates.js';
import { syntheticJob } from '../../../src/workloads/synthetic/generator.js';

const placement = (o: { workers?: number; noise?: number } = {}): SimulatorEngine => new SimulatorEngine({ mode: 'timely', parallelism: 'placement', noise: 0, ...o });

/** src (1 us) -> a (100 us: 10k records/s on one worker) -> b (100 us) -> sink (1 us), forward edges. */
const chain = (): JobGraph =>
  JobGraph.create({
    name: 'placed',
    operators: [
      { id: 'src', type: 'source', cost: 1 },
      { id: 'a', type: 'map', cost: 100 },
      { id: 'b', type: 'map', cost: 100 },
      { id: 'sink', type: 'sink', cost: 1 },
    ],
    edges: [
      { from: 'src', to: 'a' },
      { from: 'a', to: 'b' },
      { from: 'b', to: 'sink' },
    ],
  });

async function sustains(e: SimulatorEngine, job: JobGraph, p: Parallelism, rate: number): Promise<boolean> {
  const d = await e.deploy(job, p, rate);
  await d.advance(60);
  const s1 = await d.observe(20);
  await d.advance(100);
  const s2 = await d.observe(20);
  await d.stop();
  return s2.achievedRate > 0.999 * rate && (s2.sources.src?.lagRecords ?? 0) <= (s1.sources.src?.lagRecords ?? 0) + 1e-6 * rate;
}

describe('simulator placement mode', () => {
  it('places operators as jobs/timely does: bases staggered in staging order, an operator on all W workers from 0', () => {
    const job = chain();
    const { workers, slots: s } = slots(job, { src: 1, a: 3, b: 2, sink: 4 });
    assert.equal(workers, 4);
    assert.deepEqual(s, { src: { base: 0, k: 1 }, a: { base: 1, k: 3 }, b: { base: 0, k: 2 }, sink: { base: 0, k: 4 } });
    // With the worker count set, every p_v is clipped to it.
    assert.deepEqual(slots(job, { src: 1, a: 3, b: 2, sink: 4 }, 6).slots, { src: { base: 0, k: 1 }, a: { base: 1, k: 3 }, b: { base: 4, k: 2 }, sink: { base: 0, k: 4 } });
    assert.deepEqual(placement({ workers: 2 }).normalise(job, { src: 1, a: 3, b: 2, sink: 4 }), { src: 1, a: 2, b: 2, sink: 2 });
  });

  it('stages Nexmark q3 and q8 as the real plan does (persons before auctions), a synthetic job first-in first-out', () => {
    assert.deepEqual(stagingOrder(nexmark('q3').job), ['source', 'persons', 'auctions', 'join', 'sink']);
    assert.deepEqual(stagingOrder(nexmark('q8').job), ['source', 'persons', 'auctions', 'join', 'sink']);
    const job = JobGraph.create({
      name: 'fifo',
      operators: [
        { id: 's', type: 'source' },
        { id: 'a', type: 'map' },
        { id: 'b', type: 'sink' },
        { id: 'c', type: 'sink' },
      ],
      edges: [
        { from: 's', to: 'a' },
        { from: 's', to: 'c' },
        { from: 'a', to: 'b' },
      ],
    });
    assert.deepEqual(job.operatorIds, ['s', 'a', 'b', 'c']);
    assert.deepEqual(stagingOrder(job), ['s', 'a', 'c', 'b']);
  });

  it("a worker's time is shared by the operators on it: two that fit alone throttle the job together", async () => {
    const job = chain();
    const e = placement();
    const truth = e.groundTruth(job);
    // 6k records/s: a and b each need 0.6 of a worker. On W = 2: src on worker 0, a on 1, b on 0 (next = 2 = 0 mod 2).
    const apart = { src: 1, a: 1, b: 1, sink: 2 };
    assert.deepEqual(slots(job, apart).slots, { src: { base: 0, k: 1 }, a: { base: 1, k: 1 }, b: { base: 0, k: 1 }, sink: { base: 0, k: 2 } });
    assert.equal(Object.values(truth.bottlenecks(apart, 6000)).some(Boolean), false);
    assert.ok(await sustains(e, job, apart, 6000));
    const oneWorker = { src: 1, a: 1, b: 1, sink: 1 }; // W = 1: 1.2 s of work per second on one worker
    const b = truth.bottlenecks(oneWorker, 6000);
    assert.equal(b.a && b.b, true);
    assert.equal(await sustains(e, job, oneWorker, 6000), false);
    const d = await e.deploy(job, oneWorker, 6000);
    await d.advance(60);
    const s = await d.observe(20);
    // The worker does 1 s of work per second: a and b share it, so the source runs at 1 / (2 x 100 us) = 5k records/s.
    assert.ok(Math.abs(s.achievedRate - 5000) / 5000 < 0.02, `achieved ${s.achievedRate}`);
    // As on the real Timely engine, only a held-back source is backpressured.
    assert.ok((s.operators.src?.backPressuredMsPerSecond ?? 0) > 500, `src bp ${s.operators.src?.backPressuredMsPerSecond}`);
    for (const id of ['a', 'b', 'sink']) assert.ok((s.operators[id]?.backPressuredMsPerSecond ?? 1) < 1, `${id} bp`);
    const free = await e.deploy(job, apart, 6000);
    await free.advance(60);
    assert.ok(((await free.observe(20)).operators.src?.backPressuredMsPerSecond ?? 1000) < 5);
  });

  it('W is the largest p_v (the tuner sets per-operator parallelism); total parallelism is the sum of p_v', async () => {
    const e = placement();
    assert.equal(e.capabilities.sharedWorkers, false);
    const job = chain();
    const d = await e.deploy(job, { src: 1, a: 3, b: 2, sink: 1 }, 1000);
    assert.deepEqual(d.parallelism, { src: 1, a: 3, b: 2, sink: 1 });
    const s = await d.observe(10);
    assert.equal(s.operators.a?.parallelism, 3);
    assert.equal(totalParallelism(d.parallelism), 7);
  });

  it('the oracle is the smallest sum of p_v that sustains the rate (every vector up to 8 per operator tried)', () => {
    const job = chain();
    const truth = new PlacementTruth(job, { coordinationOverhead: 0.01, keySkew: true, measuredSkew: {} });
    for (const rate of [3000, 9000, 14_000, 23_000, 31_000]) {
      let best = Infinity;
      for (let a = 1; a <= 8; a++) for (let b = 1; b <= 8; b++) for (let s = 1; s <= 8; s++) for (let k = 1; k <= 8; k++) {
        const p = { src: s, a, b, sink: k };
        if (!Object.values(truth.bottlenecks(p, rate)).some(Boolean)) best = Math.min(best, a + b + s + k);
      }
      const o = truth.oracle(rate);
      assert.ok(o.feasible, `${rate}`);
      assert.equal(Object.values(truth.bottlenecks(o.parallelism, rate)).some(Boolean), false, `${rate}: the oracle sustains`);
      assert.equal(totalParallelism(o.parallelism), best, `${rate}: ${JSON.stringify(o.parallelism)}`);
    }
  });

  it('the oracle with the worker count set: every p_v within W, infeasible when W workers cannot do the work', () => {
    const job = chain();
    const terms = { coordinationOverhead: 0.01, keySkew: true, measuredSkew: {} };
    const truth = new PlacementTruth(job, terms, 4);
    const o = truth.oracle(20_000); // a and b: 2 s of work per second each, src and sink 0.02 each: more than 4 workers
    assert.equal(o.feasible, false);
    const ok = truth.oracle(15_000);
    assert.ok(ok.feasible);
    assert.ok(Object.values(ok.parallelism).every((v) => v <= 4));
    assert.equal(Object.values(truth.bottlenecks(ok.parallelism, 15_000)).some(Boolean), false);
  });

  it('is configured with the real Timely engine key, and refused outside Timely mode', () => {
    const ok = engineConfig.parse({ kind: 'simulator', mode: 'timely', parallelism: 'placement' });
    assert.equal(engineCapabilities(ok).sharedWorkers, false);
    assert.equal(engineCapabilities(engineConfig.parse({ kind: 'simulator', mode: 'timely' })).sharedWorkers, true);
    const bad = engineConfig.safeParse({ kind: 'simulator', parallelism: 'placement' });
    assert.ok(!bad.success && bad.error.issues.some((i) => i.path.join('.') === 'parallelism' && /needs "mode": "timely"/.test(i.message)));
    const noW = engineConfig.safeParse({ kind: 'simulator', mode: 'timely', workers: 4 });
    assert.ok(!noW.success && noW.error.issues.some((i) => i.path.join('.') === 'workers'));
    assert.throws(() => new SimulatorEngine({ parallelism: 'placement' }), /needs mode 'timely'/);
  });
});

describe('control loop: the oracle is exact in placement mode', () => {
  const LOOP: LoopConfig = { warmupSec: 30, windowSec: 10, activation: 1, maxReconfigurations: 10, initialParallelism: 1, carryOver: true };
  const rates = [2, 7, 4];
  const workloads = [...NEXMARK_QUERIES.map((q) => nexmark(q, { calibration: null })), nexmark('wordcount', { calibration: null }), ...[1, 4, 6].map((seed) => syntheticJob({ seed }))];
  for (const workers of [undefined, 64])
  it(`${workers ? `${workers} workers` : 'W = the largest p_v'}: P / oracle 1.000 with 1 reconfiguration per episode, every episode sustained (${workloads.length} workloads)`, async () => {
    for (const w of workloads) {
      const engine = new SimulatorEngine({ seed: 1, mode: 'timely', parallelism: 'placement', ...(workers ? { workers } : {}) });
      const episodes = await oracleEpisodes(engine, w.job, rates.map((u) => u * w.workloadUnit), LOOP);
      const truth = engine.groundTruth(w.job) as PlacementTruth;
      for (const u of rates) {
        truth.oracle(u * w.workloadUnit);
        assert.equal(truth.searchOf(u * w.workloadUnit)?.exact, true, `${w.job.name} at ${u} x W_u: the search finished`);
      }
      for (const e of episodes) {
        const at = `${w.job.name} episode ${e.episode}`;
        assert.equal(e.outcome, 'sustained', `${at}: ${e.violation}`);
        assert.equal(e.parallelismOverOracle, 1, `${at}: ${e.finalTotalParallelism} vs ${e.oracleTotalParallelism}`);
        assert.equal(e.reconfigurations, 1, at);
      }
    }
  });
});
