import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { Rng } from '../../../src/core/random.js';
import { chooseBackend } from '../../../src/learning/backend.js';
import { FeatureScaler, type LabelledGraph } from '../../../src/learning/features.js';
import { BottleneckModel } from '../../../src/learning/model.js';
import { toyDataset } from '../../../src/learning/toy.js';
import { evaluateModel, positiveWeight, pretrain, trainModel, weightedBce } from '../../../src/learning/train.js';

describe('learning/train', () => {
  let data: LabelledGraph[];
  before(async () => {
    await chooseBackend();
    data = toyDataset(new Rng(1), { graphs: 60, minOps: 4, maxOps: 10 });
  });

  it('weighted BCE matches a hand computation and is stable for large logits', () => {
    const z = [2, -1, 40, -40];
    const y = [1, 0, 0, 1];
    const m = [1, 1, 1, 0];
    const pw = 3;
    const bce = (zi: number, yi: number) => Math.max(zi, 0) - zi * yi + Math.log1p(Math.exp(-Math.abs(zi)));
    const w = y.map((yi, i) => (m[i] as number) * (yi ? pw : 1));
    const expected = w.reduce((a, wi, i) => a + wi * bce(z[i] as number, y[i] as number), 0) / w.reduce((a, b) => a + b, 0);
    const got = tf.tidy(() => weightedBce(tf.tensor(z), tf.tensor(y), tf.tensor(m), pw).dataSync()[0] as number);
    assert.ok(Math.abs(got - expected) < 1e-4 * expected, `${got} vs ${expected}`);
  });

  it('positive weight is n_neg / n_pos', () => {
    let pos = 0;
    let all = 0;
    for (const g of data)
      for (const y of g.labels) {
        all++;
        pos += y;
      }
    assert.ok(pos > 0 && pos < all);
    assert.ok(Math.abs(positiveWeight(data) - (all - pos) / pos) < 1e-9);
  });

  for (const cfg of [{ name: 'gnn + monotone' }, { name: 'mlp + unconstrained', encoder: { kind: 'mlp' as const }, head: { kind: 'unconstrained' as const } }])
    it(`lowers the loss and separates a small separable set (${cfg.name})`, async () => {
      const { model, result } = await pretrain(data, { ...cfg, seed: 3 }, { epochs: 80, lr: 1e-2, batchSize: 8 });
      const first = result.losses[0] as number;
      const last = result.losses.at(-1) as number;
      assert.equal(result.losses.length, 80);
      assert.ok(last < first * 0.2, `loss ${first} -> ${last}`);
      const ev = evaluateModel(model, data);
      assert.ok(ev.accuracy >= 0.95, `accuracy ${ev.accuracy}`);
      assert.ok(ev.recall >= 0.9, `recall ${ev.recall}`);
      model.dispose();
    });

  it('is deterministic for a seed (same losses, same weights) and differs across seeds', async () => {
    const run = async (seed: number) => {
      const { model, result } = await pretrain(data.slice(0, 20), { seed }, { epochs: 5, lr: 1e-2, batchSize: 4 });
      const w = model.params.toArrays();
      model.dispose();
      return { losses: result.losses, w };
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    assert.deepEqual(a.losses, b.losses);
    a.w.forEach((x, i) => assert.deepEqual(Array.from(x.values), Array.from(b.w[i]?.values ?? [])));
    assert.notDeepEqual(a.losses, c.losses);
  });

  it("fine-tune modes: 'headOnly' changes only the head, 'frozen' nothing, 'full' both", async () => {
    const base = BottleneckModel.create({ seed: 4 }, FeatureScaler.fit(data));
    const w0 = base.params.toArrays();
    const changed = (m: BottleneckModel, group: 'encoder' | 'head') =>
      m.params.toArrays().some((x, i) => x.group === group && x.values.some((v, k) => v !== w0[i]?.values[k]));
    for (const mode of ['headOnly', 'frozen', 'full'] as const) {
      const m = base.clone();
      const r = await trainModel(m, data.slice(0, 16), { epochs: 3, lr: 1e-2, fineTune: mode, batchSize: 4 });
      assert.equal(changed(m, 'encoder'), mode === 'full', `${mode} encoder`);
      assert.equal(changed(m, 'head'), mode !== 'frozen', `${mode} head`);
      assert.equal(r.losses.length, mode === 'frozen' ? 0 : 3);
      m.dispose();
    }
    // headOnly fine-tuning lowers the loss too.
    const m = base.clone();
    const before = evaluateModel(m, data).loss;
    await trainModel(m, data, { epochs: 30, lr: 1e-2, fineTune: 'headOnly' });
    assert.ok(evaluateModel(m, data).loss < before);
    m.dispose();
    base.dispose();
  });

  it('does not leak tensors', async () => {
    const m = BottleneckModel.create({ seed: 1 }, FeatureScaler.fit(data));
    const n0 = tf.memory().numTensors;
    await trainModel(m, data.slice(0, 10), { epochs: 2, batchSize: 3 });
    await trainModel(m, data.slice(0, 10), { epochs: 2, batchSize: 3, fineTune: 'headOnly' });
    assert.equal(tf.memory().numTensors, n0);
    m.dispose();
  });
});
