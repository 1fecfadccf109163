import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Rng } from '../../../src/core/random.js';
import { chooseBackend } from '../../../src/learning/backend.js';
import type { GraphFeatures } from '../../../src/learning/features.js';
import { smallestSafeParallelismAll } from '../../../src/learning/head.js';
import { deserializeModel, loadModel, readModelMeta, saveModel, serializeModel } from '../../../src/learning/io.js';
import { toyDataset } from '../../../src/learning/toy.js';
import { pretrain } from '../../../src/learning/train.js';

describe('learning/io', () => {
  let dir: string;
  before(async () => {
    await chooseBackend();
    dir = await mkdtemp(path.join(tmpdir(), 'streamtune-learning-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const variants = [
    { name: 'gnn-monotone-log', cfg: {} },
    { name: 'gnn3-monotone-bases-global', cfg: { encoder: { layers: 3, hidden: 16 }, head: { phi: 'bases' as const, slope: 'global' as const } } },
    { name: 'mlp-unconstrained', cfg: { encoder: { kind: 'mlp' as const }, head: { kind: 'unconstrained' as const } } },
  ];
  for (const v of variants)
    it(`a saved and reloaded model predicts exactly the same (${v.name})`, async () => {
      const data = toyDataset(new Rng(2), { graphs: 24, metrics: true });
      const { model } = await pretrain(data, { ...v.cfg, seed: 9 }, { epochs: 3, lr: 1e-2 });
      const d = path.join(dir, v.name);
      await saveModel(model, d, { note: 'test' });
      const back = await loadModel(d);
      assert.deepEqual(back.config, model.config);
      assert.deepEqual(back.scaler.toJSON(), model.scaler.toJSON());
      const a = model.predictLogits(data);
      const b = back.predictLogits(data);
      a.forEach((x, k) => assert.deepEqual(Array.from(b[k] as Float32Array), Array.from(x)));
      const g = data[0] as GraphFeatures;
      assert.deepEqual(smallestSafeParallelismAll({ model: back, graph: g }), smallestSafeParallelismAll({ model, graph: g }));
      assert.deepEqual(await readModelMeta(d), { note: 'test' });
      model.dispose();
      back.dispose();
    });

  it('rejects a wrong format, a short weights file and a shape mismatch', async () => {
    const data = toyDataset(new Rng(2), { graphs: 4 });
    const { model } = await pretrain(data, { seed: 1 }, { epochs: 1 });
    const s = serializeModel(model);
    assert.throws(() => deserializeModel({ ...s, json: { ...s.json, format: 'x' as never } }), /not a model file/);
    assert.throws(() => deserializeModel({ ...s, weights: s.weights.slice(0, 8) }), /too short/);
    const wrong = structuredClone(s.json);
    wrong.config.encoder.hidden = 7;
    assert.throws(() => deserializeModel({ json: wrong, weights: s.weights }), /shape/);
    const d = path.join(dir, 'broken');
    await saveModel(model, d);
    await writeFile(path.join(d, 'model.json'), (await readFile(path.join(d, 'model.json'), 'utf8')).slice(0, 20));
    await assert.rejects(loadModel(d), /cannot read model/);
    model.dispose();
  });
});
