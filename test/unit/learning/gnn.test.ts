import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { Rng } from '../../../src/core/random.js';
import { chooseBackend } from '../../../src/learning/backend.js';
import { FeatureScaler, type GraphFeatures } from '../../../src/learning/features.js';
import { blockDiagonalAdjacency, chunkByNodes } from '../../../src/learning/gnn.js';
import { BottleneckModel } from '../../../src/learning/model.js';
import { toyDataset } from '../../../src/learning/toy.js';
import { randomizeWeights } from './helpers.js';

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs((a[i] as number) - (b[i] as number)) <= tol * (1 + Math.abs(b[i] as number)), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

describe('learning/gnn', () => {
  before(async () => {
    await chooseBackend();
  });

  it('builds row-normalised block-diagonal adjacency', () => {
    const data = toyDataset(new Rng(1), { graphs: 3, minOps: 4, maxOps: 6 });
    const { aIn, aOut, nodes } = blockDiagonalAdjacency(data);
    assert.equal(nodes, data.reduce((a, g) => a + g.nodeIds.length, 0));
    let off = 0;
    const owner: number[] = [];
    data.forEach((g, k) => g.nodeIds.forEach(() => owner.push(k)));
    for (let v = 0; v < nodes; v++) {
      const rowIn = Array.from(aIn.slice(v * nodes, (v + 1) * nodes));
      const rowOut = Array.from(aOut.slice(v * nodes, (v + 1) * nodes));
      for (const row of [rowIn, rowOut]) {
        const s = row.reduce((a, b) => a + b, 0);
        assert.ok(s === 0 || Math.abs(s - 1) < 1e-6, `row ${v} sums to ${s}`);
        row.forEach((x, u) => assert.ok(x === 0 || owner[u] === owner[v], 'no entry outside the block'));
      }
    }
    for (const g of data) {
      for (const [u, v] of g.edges) assert.ok((aIn[(off + v) * nodes + off + u] as number) > 0);
      off += g.nodeIds.length;
    }
  });

  for (const encoder of ['gnn', 'mlp'] as const)
    for (const head of ['monotone', 'unconstrained'] as const)
      it(`batched (block-diagonal) outputs equal one-graph-at-a-time outputs (${encoder}, ${head})`, () => {
        const data = toyDataset(new Rng(7), { graphs: 12, minOps: 3, maxOps: 20, metrics: true });
        const model = BottleneckModel.create({ encoder: { kind: encoder, layers: 3 }, head: { kind: head }, seed: 5 }, FeatureScaler.fit(data));
        randomizeWeights(model, 11, 0.5);
        const batched = model.predictLogits(data);
        data.forEach((g, k) => {
          const single = model.predictLogits([g])[0] as Float32Array;
          close(batched[k] as Float32Array, single, 1e-5, `graph ${k}`);
        });
        model.dispose();
      });

  it('messages never cross graphs in a batch', () => {
    const [a, b] = toyDataset(new Rng(3), { graphs: 2, minOps: 6, maxOps: 8, metrics: true, jobs: 2 }) as GraphFeatures[] as [GraphFeatures, GraphFeatures];
    const model = BottleneckModel.create({ seed: 1 });
    randomizeWeights(model, 2, 0.5);
    const before = model.predictLogits([a, b])[0] as Float32Array;
    const bx = new Float32Array(b.x.map((v) => v * 3 + 1));
    const after = model.predictLogits([a, { ...b, x: bx }])[0] as Float32Array;
    assert.deepEqual(Array.from(after), Array.from(before));
    model.dispose();
  });

  it("a 'forward' encoder only sees upstream operators; 'both' also sees downstream ones", () => {
    const g = toyDataset(new Rng(9), { graphs: 1, minOps: 6, maxOps: 6, metrics: true })[0] as GraphFeatures;
    const sinkIdx = g.nodeIds.indexOf('sink');
    const f = g.featureNames.length;
    const x = new Float32Array(g.x);
    for (let j = 0; j < f; j++) x[sinkIdx * f + j] = (x[sinkIdx * f + j] as number) + 5; // change only the sink
    const changed = { ...g, x };
    for (const direction of ['forward', 'both'] as const) {
      const m = BottleneckModel.create({ encoder: { direction, skip: false }, seed: 4 });
      randomizeWeights(m, 8, 0.7);
      const z0 = m.predictLogits([g])[0] as Float32Array;
      const z1 = m.predictLogits([changed])[0] as Float32Array;
      const upstreamMoved = g.nodeIds.some((_, i) => i !== sinkIdx && z0[i] !== z1[i]);
      assert.equal(upstreamMoved, direction === 'both', direction);
      m.dispose();
    }
  });

  it('chunks graphs by node count and does not leak tensors in predict', () => {
    const data = toyDataset(new Rng(5), { graphs: 10, minOps: 5, maxOps: 5 });
    assert.deepEqual(chunkByNodes(data, 12).map((c) => c.length), [2, 2, 2, 2, 2]);
    const model = BottleneckModel.create({ seed: 0 });
    const n0 = tf.memory().numTensors;
    model.predict(data);
    model.prepare(data[0] as GraphFeatures).dispose();
    assert.equal(tf.memory().numTensors, n0);
    model.dispose();
  });
});
