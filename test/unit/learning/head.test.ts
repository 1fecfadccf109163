import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { Rng } from '../../../src/core/random.js';
import { activate, chooseBackend } from '../../../src/learning/backend.js';
import { FeatureScaler, type GraphFeatures } from '../../../src/learning/features.js';
import {
  searchSafeParallelism,
  smallestSafeParallelism,
  smallestSafeParallelismAll,
  type HeadEvaluator,
} from '../../../src/learning/head.js';
import { BottleneckModel } from '../../../src/learning/model.js';
import { toyDataset } from '../../../src/learning/toy.js';
import { randomizeWeights } from './helpers.js';

const P_MAX = 256;

/** Logit of every node at every p in 1..pMax, through the prepared (search) path. */
function grid(ev: HeadEvaluator, pMax: number): Float32Array[] {
  const n = ev.nodeIds.length;
  const nodes = new Int32Array(n * pMax);
  const ps = new Float32Array(n * pMax);
  for (let i = 0; i < n; i++)
    for (let p = 1; p <= pMax; p++) {
      nodes[i * pMax + p - 1] = i;
      ps[i * pMax + p - 1] = p;
    }
  const z = ev.logitsAt(nodes, ps);
  return Array.from({ length: n }, (_, i) => z.slice(i * pMax, (i + 1) * pMax));
}

function randomConfig(rng: Rng) {
  return {
    encoder: { kind: rng.pick(['gnn', 'mlp'] as const), layers: rng.int(2, 3), hidden: rng.pick([8, 16, 32]), direction: rng.pick(['both', 'forward'] as const) },
    head: { phi: rng.pick(['log', 'bases'] as const), slope: rng.pick(['global', 'perNode'] as const), bases: rng.int(1, 6), hidden: rng.pick([8, 32]) },
  };
}

function checkMonotone(seed: number): void {
  const rng = new Rng(seed);
  const data = toyDataset(rng.fork('data'), { graphs: 2, minOps: 3, maxOps: 15, metrics: rng.next() < 0.5 });
  const model = BottleneckModel.create({ ...randomConfig(rng), seed }, FeatureScaler.fit(data));
  randomizeWeights(model, seed * 7 + 1, rng.uniform(0.2, 3));
  for (const g of data) {
    const ev = model.prepare(g);
    grid(ev, P_MAX).forEach((z, i) => {
      for (let p = 1; p < P_MAX; p++) {
        const a = z[p - 1] as number;
        const b = z[p] as number;
        assert.ok(Number.isFinite(a), `seed ${seed}: non-finite logit`);
        assert.ok(b <= a, `seed ${seed}, node ${g.nodeIds[i]}: logit rises from p=${p} (${a}) to p=${p + 1} (${b})`);
        const pa = 1 / (1 + Math.exp(-a));
        const pb = 1 / (1 + Math.exp(-b));
        assert.ok(pb <= pa, `seed ${seed}: probability rises`);
      }
    });
    // The training/predict path (full forward pass with a p override) is monotone too.
    const b = model.batch([g]);
    let prev: Float32Array | undefined;
    for (const p of [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233]) {
      const z = tf.tidy(() => model.logits(b, tf.fill([g.nodeIds.length, 1], p) as tf.Tensor2D).dataSync() as Float32Array);
      if (prev) z.forEach((v, i) => assert.ok(v <= (prev as Float32Array)[i]!, `seed ${seed}: forward pass rises at p=${p}`));
      prev = new Float32Array(z);
    }
    b.dispose();
    ev.dispose();
  }
  model.dispose();
}

describe('learning/head', () => {
  before(async () => {
    await chooseBackend();
  });

  it('the monotone head is non-increasing in the operator\'s own parallelism (200 random models, weights and graphs)', () => {
    for (let seed = 0; seed < 200; seed++) checkMonotone(seed);
  });

  it('... also on the cpu backend', async () => {
    const before = tf.getBackend();
    assert.equal(await activate('cpu'), undefined);
    try {
      for (let seed = 1000; seed < 1040; seed++) checkMonotone(seed);
    } finally {
      await tf.setBackend(before);
    }
  });

  it('negative control: the unconstrained head is not monotone for random weights', () => {
    let violations = 0;
    for (let seed = 0; seed < 10; seed++) {
      const data = toyDataset(new Rng(seed), { graphs: 1 });
      const model = BottleneckModel.create({ head: { kind: 'unconstrained' }, seed }, FeatureScaler.fit(data));
      randomizeWeights(model, seed, 1.5);
      const ev = model.prepare(data[0] as GraphFeatures);
      for (const z of grid(ev, 64)) for (let p = 1; p < 64; p++) if ((z[p] as number) > (z[p - 1] as number)) violations++;
      ev.dispose();
      model.dispose();
    }
    assert.ok(violations > 0);
  });

  it("the prepared evaluator agrees with the model's forward pass (bit for bit for the monotone head)", () => {
    const data = toyDataset(new Rng(3), { graphs: 3, metrics: true });
    for (const head of [{ kind: 'monotone' as const }, { kind: 'monotone' as const, phi: 'bases' as const, slope: 'global' as const }, { kind: 'unconstrained' as const }]) {
      const model = BottleneckModel.create({ head, seed: 2 }, FeatureScaler.fit(data));
      randomizeWeights(model, 5, 0.8);
      for (const g of data) {
        const ev = model.prepare(g);
        const b = model.batch([g]);
        for (const p of [undefined, 1, 7, 100, 2.5]) {
          const pv = p === undefined ? g.p : new Float32Array(g.nodeIds.length).fill(p);
          const a = ev.logitsAtParallelism(pv);
          const z = tf.tidy(() => model.logits(b, tf.tensor2d(pv, [pv.length, 1])).dataSync() as Float32Array);
          if (head.kind === 'monotone') assert.deepEqual(Array.from(a), Array.from(z), `${JSON.stringify(head)} p=${p}`);
          else a.forEach((v, i) => assert.ok(Math.abs(v - (z[i] as number)) < 1e-5, `${v} vs ${z[i]}`));
        }
        b.dispose();
        ev.dispose();
      }
      model.dispose();
    }
  });

  for (const kind of ['monotone', 'unconstrained'] as const)
    it(`smallestSafeParallelism (${kind}) returns the smallest p with Pr < theta, as a brute-force scan does`, () => {
      for (let seed = 0; seed < 20; seed++) {
        const rng = new Rng(seed);
        const data = toyDataset(rng, { graphs: 1, minOps: 4, maxOps: 10 });
        const g = data[0] as GraphFeatures;
        const model = BottleneckModel.create({ head: { kind }, seed }, FeatureScaler.fit(data));
        randomizeWeights(model, seed + 100, 1.5);
        const theta = rng.uniform(0.2, 0.8);
        const cut = Math.log(theta / (1 - theta));
        const pMax = rng.int(1, 64);
        const ev = model.prepare(g);
        const z = grid(ev, pMax);
        const all = smallestSafeParallelismAll(ev, { theta, pMax });
        g.nodeIds.forEach((id, i) => {
          const zi = z[i] as Float32Array;
          const first = zi.findIndex((v) => v < cut);
          const expected = first >= 0 ? first + 1 : pMax;
          const one = searchSafeParallelism(ev, id, { theta, pMax });
          assert.equal(one.p, expected, `seed ${seed} ${id}`);
          assert.equal(one.found, first >= 0);
          assert.equal(all[id]?.p, expected);
          assert.equal(smallestSafeParallelism({ model, graph: g }, id, theta, pMax), expected);
          if (kind === 'monotone') assert.ok(one.probes <= Math.ceil(Math.log2(pMax)) + 1, `probes ${one.probes}`);
          else assert.equal(one.probes, pMax);
        });
        ev.dispose();
        model.dispose();
      }
    });

  it('reuses a prepared graph (one encoder pass for all operators) and prepares once from model inputs', () => {
    const data = toyDataset(new Rng(2), { graphs: 1, minOps: 8, maxOps: 8 });
    const g = data[0] as GraphFeatures;
    const model = BottleneckModel.create({ seed: 1 });
    let prepares = 0;
    const prepare = model.prepare.bind(model);
    model.prepare = (x) => {
      prepares++;
      return prepare(x);
    };
    const ev = model.prepare(g);
    for (const id of g.nodeIds) smallestSafeParallelism(ev, id);
    assert.equal(prepares, 1);
    smallestSafeParallelismAll({ model, graph: g });
    assert.equal(prepares, 2);
    ev.dispose();
    model.dispose();
  });

  it('respects pMin and defaults pMax to the operator maxParallelism', () => {
    const data = toyDataset(new Rng(1), { graphs: 1 });
    const g = data[0] as GraphFeatures;
    const model = BottleneckModel.create({ seed: 1 });
    // A head that always says "bottleneck": g = +large, slope ~ 0.
    model.params.assign(
      model.params.toArrays().map((a) => ({ ...a, values: a.name === 'head.g.b2' ? a.values.map(() => 50) : a.name.startsWith('head.slope') ? a.values.map(() => -40) : a.values.map(() => 0) })),
    );
    const r = searchSafeParallelism({ model, graph: g }, g.nodeIds[1] as string);
    assert.equal(r.found, false);
    assert.equal(r.p, g.maxParallelism[1]);
    // A head that always says "safe": the answer is pMin.
    model.params.assign(model.params.toArrays().map((a) => ({ ...a, values: a.name === 'head.g.b2' ? a.values.map(() => -50) : a.values.map(() => 0) })));
    assert.equal(smallestSafeParallelism({ model, graph: g }, 1, 0.5, 32, 7), 7);
    assert.throws(() => smallestSafeParallelism({ model, graph: g }, 'nope'), /no operator 'nope'/);
    model.dispose();
  });
});
