import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Decision } from '../../../src/core/decision.js';
import type { JobGraph } from '../../../src/core/job.js';
import { parallelismKey, totalParallelism } from '../../../src/core/parallelism.js';
import { Rng } from '../../../src/core/random.js';
import { SimulatorEngine } from '../../../src/engines/simulator/simulator.js';
import { runLoop, type LoopResult } from '../../../src/loop/index.js';
import { SLO_DEFAULTS, type LoopConfig } from '../../../src/loop/config.js';
import { loadModel } from '../../../src/learning/io.js';
import { create, labelOptions, observedWork, options, type StreamTuneOptions, type StreamTuneTuner } from '../../../src/tuners/streamtune/index.js';
import { Constraints, SettledConfigurations } from '../../../src/tuners/streamtune/constraints.js';
import { bottleneckOperators, windowLabels } from '../../../src/tuners/streamtune/labels.js';
import { jobFeatures } from '../../../src/tuners/streamtune/features.js';
import { readManifest, resolveSetDir } from '../../../src/tuners/streamtune/pretrain.js';
import type { Tuner, TunerView } from '../../../src/tuners/tuner.js';
import { syntheticJob } from '../../../src/workloads/synthetic/generator.js';
import { chain, replay } from '../../fixtures/snapshots.js';

const LOOP: LoopConfig = { warmupSec: 30, windowSec: 10, activation: 1, maxReconfigurations: 10, initialParallelism: 1, carryOver: true };

async function prepared(job: JobGraph, engine: SimulatorEngine, o: Partial<StreamTuneOptions> = {}, seed = 1): Promise<StreamTuneTuner> {
  const t = create(options.parse(o));
  await t.prepare?.(job, { rng: new Rng(seed).fork('tuner:streamtune'), engineKind: 'simulator', groundTruth: engine.groundTruth(job) });
  return t;
}

/** Runs the real control loop on the simulator, recording every view and decision. */
async function run(tuner: Tuner, job: JobGraph, engine: SimulatorEngine, rates: number[]): Promise<{ result: LoopResult; views: TunerView[]; decisions: Decision[] }> {
  const views: TunerView[] = [];
  const decisions: Decision[] = [];
  const recording: Tuner = {
    name: tuner.name,
    startEpisode: (r) => tuner.startEpisode?.(r),
    async decide(v) {
      const d = await tuner.decide(v);
      views.push({ ...v, episode: [...v.episode], history: [...v.history] });
      decisions.push(d);
      return d;
    },
  };
  const result = await runLoop({
    run: 'st',
    sweep: 'base',
    seed: 1,
    job,
    engine,
    tuner: recording,
    schedule: rates.map((rate) => ({ rate, durationSec: 900 })),
    loop: LOOP,
    slo: SLO_DEFAULTS,
    keepHistory: false,
  });
  return { result, views, decisions };
}

describe('streamtune: hard constraints', () => {
  it('floors: a bottleneck at p forbids p and below at that rate and (acrossRates) above it; ceilings from healthy windows', () => {
    const c = new Constraints({ acrossRates: true, ceilings: true });
    c.observe(100, { a: 3, b: 2 }, ['a'], false);
    c.observe(100, { a: 5, b: 2 }, ['a'], false);
    c.observe(200, { a: 9, b: 4 }, [], true);
    assert.equal(c.floor('a', 100), 5);
    assert.equal(c.floor('a', 150), 5); // demand only grows with the rate
    assert.equal(c.floor('a', 50), 0);
    assert.equal(c.floor('b', 100), 0);
    assert.equal(c.ceiling('a', 100), 9); // 9 sustained 200, hence 100
    assert.equal(c.ceiling('a', 250), Infinity);
    assert.deepEqual(c.bounds('a', 100, 128), [6, 9]);
    const sameRateOnly = new Constraints({ acrossRates: false, ceilings: false });
    sameRateOnly.observe(100, { a: 5 }, ['a'], false);
    assert.equal(sameRateOnly.floor('a', 150), 0);
    assert.equal(sameRateOnly.floor('a', 100), 5);
  });

  it('never re-proposes, at the same rate, a parallelism observed to bottleneck for that operator (real loop, simulator)', async () => {
    const w = syntheticJob({ seed: 11, minOperators: 6, maxOperators: 9 });
    const engine = new SimulatorEngine({ seed: 3 });
    const tuner = await prepared(w.job, engine);
    const rates = [8, 3, 9].map((u) => u * w.workloadUnit);
    const { views, decisions } = await run(tuner, w.job, engine, rates);
    const labelOpts = labelOptions(options.parse({}));
    let checked = 0;
    let bottlenecked = 0;
    decisions.forEach((d, k) => {
      if (d.kind !== 'rescale') return;
      const v = views[k] as TunerView;
      for (const obs of v.history) {
        if (obs.rate !== v.targetRate) continue;
        const culprits = bottleneckOperators(windowLabels(w.job, obs.snapshot, labelOpts, undefined, obs.rate));
        if (culprits.length === 0) continue;
        bottlenecked++;
        assert.notEqual(parallelismKey(d.parallelism), parallelismKey(obs.parallelism), `decision ${k} re-proposes a bottlenecked configuration`);
        for (const op of culprits)
          assert.ok((d.parallelism[op] ?? 0) > (obs.parallelism[op] ?? 0), `decision ${k}: ${op} at ${d.parallelism[op]} <= ${obs.parallelism[op]} observed as bottleneck`);
        checked++;
      }
    });
    assert.ok(bottlenecked > 0 && checked > 0, 'the stream should contain bottlenecked windows');
  });
});

const parse = (s: string) => Object.fromEntries(s.split(';').map((kv) => [kv.split('=')[0] as string, Number(kv.split('=')[1])]));

describe('streamtune: the job\'s own history', () => {
  it('settled configurations: recalled at their rate or up to the tolerance above it, forgotten when shown short there', () => {
    const s = new SettledConfigurations(0.05);
    s.settle(100, { a: 3, b: 2 });
    s.settle(200, { a: 6, b: 4 });
    assert.deepEqual(s.recall(100), { a: 3, b: 2 });
    assert.deepEqual(s.recall(96), { a: 3, b: 2 }); // settled at 100 <= 96 x 1.05: it sustains 96
    assert.equal(s.recall(94), undefined); // 100 > 94 x 1.05: too far above
    assert.equal(s.recall(101), undefined); // never a configuration settled at a lower rate
    assert.deepEqual(s.recall(199), { a: 6, b: 4 });
    s.refute(100, { a: 3, b: 1 }); // another configuration short at 100: nothing settled is refuted
    assert.deepEqual(s.recall(100), { a: 3, b: 2 });
    s.refute(90, { a: 3, b: 2 }); // short at 90, hence at 100
    assert.equal(s.recall(100), undefined);
    assert.deepEqual(s.recall(200), { a: 6, b: 4 });
  });

  it('proposes the configuration it settled on when the rate returns, and grows no bottleneck below its observed work (real loop, simulator)', async () => {
    const w = syntheticJob({ seed: 11, minOperators: 6, maxOperators: 9 });
    const engine = new SimulatorEngine({ seed: 3 });
    const [hi, lo] = [8 * w.workloadUnit, 3 * w.workloadUnit];
    const { result, views, decisions } = await run(await prepared(w.job, engine), w.job, engine, [hi, lo, hi]);
    const [first, , back] = result.episodes;
    assert.equal(first?.outcome, 'sustained');
    assert.equal(back?.outcome, 'sustained');
    // Back at the first rate: one reconfiguration, straight to what the first episode settled on.
    assert.equal(Number(back?.reconfigurations), 1);
    assert.equal(back?.finalParallelism, first?.finalParallelism);
    const load = w.job.loadFactors();
    let checked = 0;
    decisions.forEach((d, k) => {
      if (d.kind !== 'rescale') return;
      const v = views[k] as TunerView;
      const culprits = bottleneckOperators(windowLabels(w.job, v.snapshot, labelOptions(options.parse({})), undefined, v.targetRate));
      for (const op of culprits) {
        const work = observedWork(v.snapshot, v.parallelism, op, (load[op] ?? 0) * v.targetRate);
        assert.ok((d.parallelism[op] ?? 0) >= Math.min(work, w.job.operator(op).maxParallelism), `decision ${k}: ${op} grown to ${d.parallelism[op]} < observed work ${work}`);
        checked++;
      }
    });
    assert.ok(checked > 0, 'the run should grow bottlenecks');
    const recalled = decisions.filter((d) => d.kind === 'rescale' && d.reason.includes('settled on'));
    assert.equal(recalled.length, 1, 'one recall: when the rate returns');
    assert.equal(parallelismKey((recalled[0] as Extract<Decision, { kind: 'rescale' }>).parallelism), parallelismKey(parse(String(first?.finalParallelism))));
  });
});

describe('streamtune: determinism and the pretrained set', () => {
  it('decide() is deterministic across two runs on the same snapshot stream', async () => {
    const job = chain('st-det', 'src:source', 'parse:map', { id: 'agg', type: 'keyedAggregate', cost: 40, keySkew: 0.05 }, 'sink:sink');
    const engine = new SimulatorEngine({ seed: 5 });
    const { views, decisions } = await run(await prepared(job, engine), job, engine, [40_000, 90_000]);
    assert.ok(decisions.some((d) => d.kind === 'rescale'), 'the stream should exercise rescaling');
    const first = await replay(await prepared(job, engine), views);
    const second = await replay(await prepared(job, engine), views);
    assert.deepEqual(first, second);
    assert.deepEqual(first, decisions);
  });

  it('the model prepare() loads predicts exactly what the saved model predicts', async () => {
    const w = syntheticJob({ seed: 5, minOperators: 5, maxOperators: 8 });
    const engine = new SimulatorEngine({ seed: 1 });
    const o = options.parse({});
    const tuner = await prepared(w.job, engine, {});
    const a = tuner.assignment;
    assert.ok(a && a.kind !== 'none', 'a pretrained model is assigned');
    const dir = resolveSetDir(o.pretrained);
    const m = readManifest(dir);
    const saved = await loadModel(join(dir, a.kind === 'global' ? m.global.model : (m.clusters[a.cluster as number]?.model as string)));
    const p = Object.fromEntries(w.job.operatorIds.map((id, i) => [id, 1 + (i % 4)]));
    const g = jobFeatures(w.job, p, 5 * w.workloadUnit, undefined, o);
    assert.deepEqual(tuner.model?.predict([g]), saved.predict([g]));
    saved.dispose();
  });

  it('nearest medoid by GED, global beyond gedFallback, random cluster from the run Rng, global on request', async () => {
    const w = syntheticJob({ seed: 5, minOperators: 5, maxOperators: 8 });
    const engine = new SimulatorEngine({ seed: 1 });
    const m = readManifest(resolveSetDir(options.parse({}).pretrained));
    const near = await prepared(w.job, engine, { gedFallback: 1e6 });
    assert.equal(near.assignment?.kind, 'cluster');
    const far = await prepared(w.job, engine, { gedFallback: 0 });
    assert.equal(far.assignment?.kind, near.assignment?.distance === 0 ? 'cluster' : 'global');
    assert.equal((await prepared(w.job, engine, { clusterAssignment: 'global' })).assignment?.kind, 'global');
    const picks = new Set<number>();
    for (let s = 1; s <= 12; s++) picks.add((await prepared(w.job, engine, { clusterAssignment: 'random' }, s)).assignment?.cluster as number);
    // Twelve seeds spread over the clusters, each a cluster of the set.
    assert.ok(picks.size >= Math.min(m.clusters.length, 3), `random picks ${[...picks].join(', ')}`);
    for (const c of picks) assert.ok(Number.isInteger(c) && c >= 0 && c < m.clusters.length);
  });
});

describe('streamtune: convergence on the simulator (real control loop)', () => {
  it('converges on a simple job at every rate, sustaining the rate near the oracle parallelism', async () => {
    const job = chain('st-conv', 'src:source', { id: 'parse', type: 'map', cost: 12 }, { id: 'agg', type: 'keyedAggregate', cost: 30, keySkew: 0.01 }, 'sink:sink');
    const engine = new SimulatorEngine({ seed: 2 });
    const rates = [60_000, 200_000, 30_000];
    const { result } = await run(await prepared(job, engine), job, engine, rates);
    for (const e of result.episodes) {
      assert.equal(e.outcome, 'sustained', `episode ${e.episode}`);
      assert.ok(Number(e.reconfigurations) <= 4, `episode ${e.episode}: ${e.reconfigurations} reconfigurations`);
      // The SLO held at the end: the lag does not grow.
      assert.ok(Number(e.lagTrend) <= SLO_DEFAULTS.maxLagTrend, `episode ${e.episode}: lag trend ${e.lagTrend}`);
      const final = Object.fromEntries(String(e.finalParallelism).split(';').map((kv) => [kv.split('=')[0] as string, Number(kv.split('=')[1])]));
      assert.ok(totalParallelism(final) <= 1.5 * Number(e.oracleTotalParallelism) + 1, `episode ${e.episode}: ${e.finalTotalParallelism} vs oracle ${e.oracleTotalParallelism}`);
    }
  });

  it('without pre-training (ablation) it still converges, from a model trained on the job alone', async () => {
    const job = chain('st-fresh', 'src:source', { id: 'parse', type: 'map', cost: 12 }, 'sink:sink');
    const engine = new SimulatorEngine({ seed: 2 });
    const tuner = await prepared(job, engine, { pretrained: '' });
    assert.equal(tuner.assignment?.kind, 'none');
    const { result } = await run(tuner, job, engine, [100_000, 40_000]);
    for (const e of result.episodes) assert.equal(e.outcome, 'sustained', `episode ${e.episode}`);
  });

  it('on shared workers (Timely) every decision is one worker count', async () => {
    const job = chain('st-timely', 'src:source', { id: 'parse', type: 'map', cost: 12 }, { id: 'agg', type: 'keyedAggregate', cost: 30 }, 'sink:sink');
    const engine = new SimulatorEngine({ seed: 2, mode: 'timely' });
    const { result, decisions } = await run(await prepared(job, engine), job, engine, [60_000, 150_000]);
    for (const d of decisions) if (d.kind === 'rescale') assert.equal(new Set(Object.values(d.parallelism)).size, 1);
    for (const e of result.episodes) assert.equal(e.outcome, 'sustained', `episode ${e.episode}`);
  });
});

describe('streamtune: options', () => {
  it('every option has a default and a description, and the defaults are the reconstruction of streamtune.md §10', () => {
    const o = options.parse({});
    assert.equal(o.labelRule, 'projected'); // every operator by its projected utilisation (§5's culprit rule: 'metric')
    assert.equal(o.tauBp, 0.1);
    assert.equal(o.tauBusy, 0.8);
    assert.equal(o.gedExactMaxNodes, 12);
    assert.equal(o.gedFallback, 'auto'); // the set's measured threshold (§10 had 0.3)
    assert.equal(o.k, 'auto');
    assert.equal(o.layers, 2);
    assert.equal(o.hidden, 32);
    assert.equal(o.direction, 'forward');
    assert.equal(o.head, 'monotone');
    assert.equal(o.theta, 0.5);
    assert.equal(o.fineTune, 'headOnly');
    assert.equal(o.pretrainEpochs, 30); // on the family corpus: as many steps as 200 epochs on 1 000 windows
    assert.equal(o.pretrainLr, 1e-3);
    for (const [key, field] of Object.entries(options.shape)) {
      assert.ok((field.description ?? '').length > 10, `${key} has no description`);
      assert.equal(field.def.type, 'default', `${key} has no default`);
    }
    assert.throws(() => options.parse({ head: 'convex' }));
    assert.throws(() => options.parse({ nope: 1 }));
  });
});
