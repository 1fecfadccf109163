import assert from 'node:assert/strict';
import { JobGraph } from '../../../src/core/job.js';
import { SimulatorEngine } from '../../../src/engines/simulator/simulator.js';
import { capacity } from '../../../src/engines/simulator/model.js';
import { syntheticJob } from '../../../src/workloads/synthetic/generator.js';
import { nexmark } from '../../../src/workloads/nexmark/templates.js';

const chain = (): JobGraph =>
  JobGraph.create({
    name: 'chain',
    operators: [
      { id: 'src', type: 'source', cost: 1 },
      { id: 'a', type: 'map', cost: 10 },
      { id: 'b', type: 'filter', cost: 100, selectivity: 0.5 },
      { id: 'c', type: 'map', cost: 5 },
      { id: 'k', type: 'sink', cost: 1 },
    ],
    edges: [
      { from: 'src', to: 'a' },
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'k' },
    ],
  });

const ones = { src: 1, a: 1, b: 1, c: 1, k: 1 };

describe('simulator physics', () => {
  const engine = new SimulatorEngine({ noise: 0 });

  it('saturates the one bottleneck, backpressures everything upstream, throttles the sources', async () => {
    const job = chain();
    const d = await engine.deploy(job, ones, 20_000); // b's capacity is 10k records/s
    await d.advance(30);
    const s = await d.observe(20);
    const m = s.operators;
    assert.ok((m.b?.busyMsPerSecond ?? 0) > 990, `bottleneck busy ${m.b?.busyMsPerSecond}`);
    for (const up of ['src', 'a']) assert.ok((m[up]?.backPressuredMsPerSecond ?? 0) > 500, `${up} should be backpressured`);
    for (const down of ['c', 'k']) assert.ok((m[down]?.backPressuredMsPerSecond ?? 1) < 1, `${down} should not be backpressured`);
    // Achieved source rate = bottleneck capacity / its load factor (1: b reads every source record).
    const cap = capacity(job, job.operator('b'), 1, engine.options.coordinationOverhead);
    assert.ok(Math.abs(s.achievedRate - cap / job.loadFactors().b!) / cap < 0.01, `achieved ${s.achievedRate} vs ${cap}`);
    // Lag grows at (target - achieved).
    const s2 = await d.observe(10);
    const grew = (s2.sources.src?.lagRecords ?? 0) - (s.sources.src?.lagRecords ?? 0);
    assert.ok(Math.abs(grew - (20_000 - s2.achievedRate) * 10) < 0.01 * grew, `lag grew ${grew}`);
  });

  it('the oracle parallelism removes the backpressure, and one less on any operator makes it a bottleneck', async () => {
    for (const w of [nexmark('q1'), nexmark('q5'), syntheticJob({ seed: 4, minOperators: 8, maxOperators: 12 })]) {
      const job = w.job;
      const truth = engine.groundTruth(job);
      const rate = 6 * w.workloadUnit;
      const { parallelism, feasible } = truth.oracle(rate);
      assert.ok(feasible);
      const d = await engine.deploy(job, parallelism, rate);
      await d.advance(30);
      const s = await d.observe(30);
      assert.ok(s.achievedRate > 0.999 * rate, `${job.name}: achieved ${s.achievedRate} of ${rate}`);
      for (const [id, m] of Object.entries(s.operators)) assert.ok(m.backPressuredMsPerSecond < 5, `${job.name}/${id} bp ${m.backPressuredMsPerSecond}`);
      for (const id of job.operatorIds) {
        if ((parallelism[id] ?? 1) <= 1) continue;
        const less = { ...parallelism, [id]: (parallelism[id] as number) - 1 };
        assert.equal(truth.bottlenecks(less, rate)[id], true, `${job.name}/${id} at oracle-1`);
        const dl = await engine.deploy(job, less, rate);
        await dl.advance(200); // small deficits take a while to fill the buffers
        const sl = await dl.observe(20);
        assert.ok((sl.operators[id]?.busyMsPerSecondMax ?? 0) > 950, `${job.name}/${id} at oracle-1 should saturate`);
        assert.ok(sl.achievedRate < rate * 0.9999, `${job.name}/${id} at oracle-1 should throttle the source`);
      }
    }
  });

  it('a backpressured two-input operator consumes both inputs (no input starves)', async () => {
    const job = JobGraph.create({
      name: 'join',
      operators: [
        { id: 's1', type: 'source', cost: 1 },
        { id: 's2', type: 'source', cost: 1 },
        { id: 'j', type: 'join', cost: 100 },
        { id: 'k', type: 'sink', cost: 1 },
      ],
      edges: [
        { from: 's1', to: 'j' },
        { from: 's2', to: 'j' },
        { from: 'j', to: 'k' },
      ],
    });
    const d = await engine.deploy(job, { s1: 1, s2: 1, j: 1, k: 1 }, 40_000); // j sustains 10k of 40k
    await d.advance(60);
    const s = await d.observe(20);
    const a = s.sources.s1?.achievedRate ?? 0;
    const b = s.sources.s2?.achievedRate ?? 0;
    assert.ok(a > 4000 && b > 4000, `inputs ${a} and ${b}`);
    assert.ok(Math.abs(a - b) / (a + b) < 0.05, `inputs ${a} and ${b} should share the capacity evenly`);
  });

  it('hot-key skew caps a keyed operator however high its parallelism goes', () => {
    const job = JobGraph.create({
      name: 'skew',
      operators: [
        { id: 's', type: 'source', cost: 1 },
        { id: 'agg', type: 'keyedAggregate', cost: 100, keySkew: 0.25, maxParallelism: 4096 },
        { id: 'k', type: 'sink', cost: 1 },
      ],
      edges: [
        { from: 's', to: 'agg' },
        { from: 'agg', to: 'k' },
      ],
    });
    const op = job.operator('agg');
    const mu = 1e6 / 100;
    for (const p of [1, 2, 8, 64, 1024, 4096]) assert.ok(capacity(job, op, p, 0) <= mu / 0.25 + 1e-6);
    assert.ok(capacity(job, op, 4096, 0) > 0.99 * (mu / 0.25));
  });

  it('is deterministic per seed and differs across seeds (measurement noise)', async () => {
    const w = nexmark('q3');
    const run = async (seed: number) => {
      const e = new SimulatorEngine({ seed, noise: 0.05 });
      const d = await e.deploy(w.job, e.groundTruth(w.job).oracle(3 * w.workloadUnit).parallelism, 3 * w.workloadUnit);
      return JSON.stringify([await d.observe(10), await d.observe(10)]);
    };
    assert.equal(await run(7), await run(7));
    assert.notEqual(await run(7), await run(8));
  });

  it('a rescale stops processing for its downtime, then catches up the backlog', async () => {
    const e = new SimulatorEngine({ noise: 0, rescaleBaseSec: 4, rescaleSecPerMb: 0.1 });
    const w = nexmark('q5');
    const rate = 3 * w.workloadUnit;
    // Twice the oracle everywhere (capped): headroom to catch up.
    const p = Object.fromEntries(Object.entries(e.groundTruth(w.job).oracle(rate).parallelism).map(([k, v]) => [k, Math.min(2 * v, w.job.operator(k).maxParallelism)]));
    const d = await e.deploy(w.job, p, rate);
    await d.advance(10);
    const r = await d.rescale({ ...p, hotCount: p.hotCount! + 2 });
    assert.equal(r.downtimeSeconds, 4 + 0.1 * w.job.operator('hotCount').stateSizeMb);
    const s = await d.observe(r.downtimeSeconds);
    assert.ok(s.achievedRate < 0.05 * rate);
    assert.ok((s.sources.source?.lagRecords ?? 0) > 0.9 * rate * r.downtimeSeconds);
    await d.advance(120);
    const after = await d.observe(10);
    assert.ok((after.sources.source?.lagRecords ?? 1) < rate * 0.5, `lag ${after.sources.source?.lagRecords}`);
  });

  it('timely mode shares W workers: the oracle is one worker count, and fewer workers throttle the job', async () => {
    const e = new SimulatorEngine({ mode: 'timely', noise: 0 });
    const w = nexmark('q1');
    const rate = 2 * w.workloadUnit;
    const { parallelism } = e.groundTruth(w.job).oracle(rate);
    const wc = new Set(Object.values(parallelism));
    assert.equal(wc.size, 1);
    const W = [...wc][0] as number;
    const d = await e.deploy(w.job, parallelism, rate);
    await d.advance(20);
    assert.ok((await d.observe(10)).achievedRate > 0.999 * rate);
    const fewer = Object.fromEntries(w.job.operatorIds.map((id) => [id, W - 1]));
    const d2 = await e.deploy(w.job, fewer, rate);
    await d2.advance(200);
    const s2 = await d2.observe(10);
    assert.ok(s2.achievedRate < 0.9995 * rate && (s2.sources.source?.lagRecords ?? 0) > 0);
  });
});
