import { strict as assert } from 'node:assert';
import { JobGraph } from '../../../src/core/job.js';
import { Rng } from '../../../src/core/random.js';
import {
  ALL_FEATURES,
  FeatureScaler,
  graphFeatures,
  P_INVARIANT_FEATURES,
  withLabels,
  withParallelism,
} from '../../../src/learning/features.js';
import { toyDataset } from '../../../src/learning/toy.js';

const job = JobGraph.create({
  name: 'j',
  operators: [
    { id: 'src', type: 'source' },
    { id: 'f', type: 'filter', selectivity: 0.5 },
    { id: 'w', type: 'window', window: { sizeSec: 60, slideSec: 10 }, keySkew: 0.3 },
    { id: 'sink', type: 'sink' },
  ],
  edges: [
    { from: 'src', to: 'f' },
    { from: 'f', to: 'w' },
    { from: 'w', to: 'sink' },
  ],
});
const p = { src: 1, f: 2, w: 8, sink: 1 };

function col(g: ReturnType<typeof graphFeatures>, op: string, name: string): number {
  const i = g.nodeIds.indexOf(op);
  const j = g.featureNames.indexOf(name as (typeof ALL_FEATURES)[number]);
  return g.x[i * g.featureNames.length + j] as number;
}

describe('learning/features', () => {
  it('builds one row per operator, keeps parallelism out of the matrix, and the adjacency by index', () => {
    const g = graphFeatures({ job, parallelism: p, sourceRate: 1000 });
    assert.deepEqual(g.nodeIds, ['src', 'f', 'w', 'sink']);
    assert.equal(g.x.length, 4 * ALL_FEATURES.length);
    assert.deepEqual(Array.from(g.p), [1, 2, 8, 1]);
    assert.deepEqual(g.edges, [
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    assert.ok(!g.featureNames.some((n) => n === ('p' as string) || n === ('logP' as string)));
    assert.equal(col(g, 'w', 'type:window'), 1);
    assert.equal(col(g, 'w', 'type:map'), 0);
    assert.ok(Math.abs(col(g, 'w', 'logDemandRate') - Math.log1p(500)) < 1e-4, 'demand = load factor x rate');
    assert.ok(Math.abs(col(g, 'src', 'logSourceRate') - Math.log1p(1000)) < 1e-4);
    assert.equal(col(g, 'w', 'stateful'), 1);
    assert.ok(Math.abs(col(g, 'w', 'keySkew') - 0.3) < 1e-6);
    assert.ok(Math.abs(col(g, 'w', 'logWindowSize') - Math.log1p(60)) < 1e-4);
    assert.equal(col(g, 'w', 'observed'), 0);
    assert.equal(col(g, 'w', 'busy'), 0);
  });

  it('uses observed metrics when given', () => {
    const g = graphFeatures({
      job,
      parallelism: p,
      sourceRate: 1000,
      metrics: { f: { recordsInPerSecond: 900, recordsOutPerSecond: 300, busyMsPerSecond: 500, busyMsPerSecondMax: 800, backPressuredMsPerSecond: 100 } },
    });
    assert.equal(col(g, 'f', 'observed'), 1);
    assert.ok(Math.abs(col(g, 'f', 'logInputRate') - Math.log1p(900)) < 1e-4);
    assert.ok(Math.abs(col(g, 'f', 'logSelectivity') - Math.log1p(1 / 3)) < 1e-4);
    assert.ok(Math.abs(col(g, 'f', 'busy') - 0.5) < 1e-6);
    assert.ok(Math.abs(col(g, 'f', 'busyMax') - 0.8) < 1e-6);
    assert.ok(Math.abs(col(g, 'f', 'backpressured') - 0.1) < 1e-6);
    assert.ok(Math.abs(col(g, 'f', 'logBusyInstances') - Math.log1p(1)) < 1e-5);
    assert.equal(col(g, 'w', 'observed'), 0);
  });

  it('selects columns, attaches labels with a mask, and swaps parallelism', () => {
    const g = graphFeatures({ job, parallelism: p, sourceRate: 10, featureNames: P_INVARIANT_FEATURES });
    assert.equal(g.featureNames.length, P_INVARIANT_FEATURES.length);
    assert.ok(!g.featureNames.includes('busy'));
    const l = withLabels(g, { f: 1, w: false });
    assert.deepEqual(Array.from(l.labels), [0, 1, 0, 0]);
    assert.deepEqual(Array.from(l.mask), [0, 1, 1, 0]);
    assert.deepEqual(Array.from(withParallelism(g, { w: 3 }).p), [1, 2, 3, 1]);
    assert.throws(() => graphFeatures({ job, parallelism: { src: 1 }, sourceRate: 1 }), /operator 'f'/);
  });

  it('fits a mean/std scaler that serialises, leaving binary columns alone', () => {
    const data = toyDataset(new Rng(4), { graphs: 30, metrics: true });
    const s = FeatureScaler.fit(data);
    const back = FeatureScaler.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    assert.deepEqual(back.toJSON(), s.toJSON());
    const names = s.featureNames;
    const f = names.length;
    const all = data.map((g) => s.transform(g));
    names.forEach((n, j) => {
      const v = all.flatMap((x) => Array.from(x).filter((_, k) => k % f === j));
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      if (n.startsWith('type:') || n === 'observed' || n === 'stateful') {
        assert.equal(s.json.mean[j], 0);
        assert.equal(s.json.std[j], 1);
      } else assert.ok(Math.abs(mean) < 1e-3, `${n} scaled mean ${mean}`);
    });
    const [sp, sl] = s.scaleP(Math.exp(s.json.logP.mean));
    assert.ok(Math.abs(sl) < 1e-9 && Number.isFinite(sp));
  });
});
