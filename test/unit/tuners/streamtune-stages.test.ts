/**
 * StreamTune's stages called alone (recommend.ts, reuse.ts, guards.ts, cluster.ts, fine-tune.ts) on hand-built
 * inputs, expected values by hand. The head is a hand-written evaluator: logit_i(p) = ln(c_i) - ln(p), so
 * Pr[bottleneck at p] = c_i / (c_i + p), below theta = 0.5 exactly when p > c_i and below 0.2 when p > 4 c_i.
 */
import assert from 'node:assert/strict';
import type { Decision } from '../../../src/core/decision.js';
import { Rng } from '../../../src/core/random.js';
import type { LabelledGraph } from '../../../src/learning/features.js';
import type { HeadEvaluator } from '../../../src/learning/head.js';
import { chooseAssignment } from '../../../src/tuners/streamtune/cluster.js';
import { Constraints, SettledConfigurations } from '../../../src/tuners/streamtune/constraints.js';
import { dagStructure } from '../../../src/tuners/streamtune/dataset.js';
import { fineTuneSet } from '../../../src/tuners/streamtune/fine-tune.js';
import { withHysteresis } from '../../../src/tuners/streamtune/guards.js';
import { options } from '../../../src/tuners/streamtune/index.js';
import { crossings, recommendOperators } from '../../../src/tuners/streamtune/recommend.js';
import { reuseSettled } from '../../../src/tuners/streamtune/reuse.js';
import { chain, snapshot, viewOf } from '../../fixtures/snapshots.js';

const o = options.parse({});
const job = chain('c', 'src:source', 'map:map', 'sink:sink');

function head(c: Record<string, number>): HeadEvaluator {
  const ids = job.operatorIds;
  return {
    nodeIds: ids,
    monotone: true,
    maxParallelism: ids.map(() => 128),
    logitsAt: (nodes, p) => Float32Array.from(nodes, (n, k) => Math.log(c[ids[n] as string] as number) - Math.log(p[k] as number)),
  };
}

/** A window at `rate` in which every operator received the rate (load factor 1), busy as given. */
function viewAt(p: Record<string, number>, busy: Record<string, number>, rate = 1000) {
  const ops = Object.fromEntries(job.operatorIds.map((id) => [id, { parallelism: p[id] ?? 1, recordsIn: rate, busy: busy[id] ?? 0.1 }]));
  return viewOf({ job, snapshot: snapshot({ operators: ops, sources: { src: { targetRate: rate } } }), parallelism: p });
}
const rescaled = (d: Decision) => (d.kind === 'rescale' ? d.parallelism : undefined);

describe('StreamTune recommend (per operator), alone', () => {
  it('a culprit grows to the smallest p with Pr < 0.5: c = 3.5 at p = 2 (Pr 0.64) -> 4 (Pr 3.5/7.5 = 0.47)', () => {
    const r = recommendOperators(viewAt({ src: 1, map: 2, sink: 1 }, { map: 0.5 }), head({ src: 0.5, map: 3.5, sink: 0.5 }), ['map'], new Constraints({ acrossRates: true, ceilings: true }), o);
    assert.deepEqual(rescaled(r.decision), { src: 1, map: 4, sink: 1 });
    assert.equal(r.converged, undefined);
    assert.equal(r.decision.reason, 'streamtune: bottleneck map; smallest predicted-safe parallelism (theta 0.5)');
    assert.equal(r.decision.kind === 'rescale' && r.decision.changes[0]?.reason, 'Pr=0.64 at 2; Pr=0.47 at 4');
  });

  it("the work guard raises a culprit to the instances its window shows busy: busy 1.0 x p 2 x demand/input 3 = 6 > the model's 4", () => {
    const v = viewAt({ src: 1, map: 2, sink: 1 }, { map: 1 }, 1000);
    // The same window with a third of the target's input: map received 1000/s of a demand of 3000/s.
    const s = snapshot({ operators: { ...v.snapshot.operators, map: { ...(v.snapshot.operators.map as NonNullable<(typeof v.snapshot.operators)['map']>), recordsInPerSecond: 1000 / 3 } }, sources: { src: { targetRate: 1000 } } });
    const r = recommendOperators({ ...v, snapshot: s }, head({ src: 0.5, map: 3.5, sink: 0.5 }), ['map'], new Constraints({ acrossRates: true, ceilings: true }), o);
    assert.deepEqual(rescaled(r.decision), { src: 1, map: 6, sink: 1 });
  });

  it('a floor from an earlier bottleneck at 4 keeps a culprit above it: the answer is 5, not 4', () => {
    const c = new Constraints({ acrossRates: true, ceilings: true });
    c.observe(1000, { src: 1, map: 4, sink: 1 }, ['map'], false);
    const r = recommendOperators(viewAt({ src: 1, map: 2, sink: 1 }, { map: 0.5 }), head({ src: 0.5, map: 3.5, sink: 0.5 }), ['map'], c, o);
    assert.deepEqual(rescaled(r.decision), { src: 1, map: 5, sink: 1 });
  });

  it('no culprit: an over-provisioned operator goes down to the smallest p with Pr < 0.2 (c = 0.6: p > 2.4, so 3), 8 > 1.25 x 3', () => {
    const r = recommendOperators(viewAt({ src: 1, map: 8, sink: 1 }, { map: 0.1 }), head({ src: 0.5, map: 0.6, sink: 0.5 }), [], new Constraints({ acrossRates: true, ceilings: true }), o);
    assert.deepEqual(rescaled(r.decision), { src: 1, map: 3, sink: 1 });
    assert.equal(r.decision.reason, 'streamtune: over-provisioned map; smallest confidently safe parallelism (downTheta 0.2)');
  });

  it('no culprit, map already at its smallest confidently safe p (c = 0.6: 3): keep, converged', () => {
    const r = recommendOperators(viewAt({ src: 1, map: 3, sink: 1 }, { map: 0.1 }), head({ src: 0.5, map: 0.6, sink: 0.5 }), [], new Constraints({ acrossRates: true, ceilings: true }), o);
    assert.deepEqual([r.decision.kind, r.converged], ['keep', true]);
  });

  it('shared workers: the theta crossings are c_i un-rounded (0.5 + 3.5 + 0.5 = 4.5 workers)', () => {
    const xs = crossings(head({ src: 0.5, map: 3.5, sink: 0.5 }), 0.5, 128);
    assert.deepEqual(
      xs.map((x) => Math.round(x * 1000) / 1000),
      [0.5, 3.5, 0.5],
    );
  });
});

describe('StreamTune reuse, guards and cluster choice, alone', () => {
  it('reuse: back to the configuration settled at this rate (or up to 5 % above it); keep it when it runs and the window is not short', () => {
    const settled = new SettledConfigurations(0.05);
    settled.settle(1000, { a: 2 });
    const back = reuseSettled(settled, 1000, { a: 3 }, false);
    assert.deepEqual([back.decision?.kind, back.decision && rescaled(back.decision), back.converged], ['rescale', { a: 2 }, undefined]);
    assert.deepEqual(reuseSettled(settled, 980, { a: 2 }, false), { decision: { kind: 'keep', reason: 'streamtune: the configuration this run settled on at this rate' }, converged: true });
    assert.deepEqual(reuseSettled(settled, 980, { a: 2 }, true), { converged: false });
    assert.deepEqual(reuseSettled(settled, 900, { a: 2 }, false), {}, '1000 > 900 x 1.05: nothing settled for 900');
  });

  it('hysteresis (decisionThr 0.1) undoes 20 -> 21 (1.05) and 4 -> 3 (-1), keeps 10 -> 20 and the culprit', () => {
    assert.deepEqual(withHysteresis({ a: 20, b: 10, c: 4, d: 10 }, { a: 21, b: 20, c: 3, d: 11 }, ['d'], 0.1), { a: 20, b: 20, c: 4, d: 11 });
  });

  it('cluster: the medoid identical to the job at GED 0; the global encoder when the nearest is beyond gedFallback x operators', () => {
    const other = chain('o', 'src:source', 'map:map', 'filter:filter', 'agg:keyedAggregate', 'sink:sink');
    const medoids = [dagStructure(other).graph, dagStructure(job).graph];
    const near = chooseAssignment(job, { medoids, clusters: 2 }, { ...o, gedFallback: 0 }, new Rng(1));
    assert.deepEqual(near, { kind: 'cluster', cluster: 1, distance: 0, why: 'nearest medoid 1 at GED 0' });
    const far = chooseAssignment(job, { medoids: [medoids[0] as (typeof medoids)[0]], clusters: 1 }, { ...o, gedFallback: 0 }, new Rng(1));
    assert.equal(far.kind, 'global');
    assert.ok((far.distance as number) > 0);
    assert.deepEqual(chooseAssignment(job, { medoids, clusters: 2 }, { ...o, clusterAssignment: 'global' }, new Rng(1)).kind, 'global');
  });

  it('fine-tune set: the last fineTuneWindows windows, their work positives, and a replay slice rotating with the decisions', () => {
    const g = (id: string, labelled: boolean): LabelledGraph => ({ nodeIds: [id], mask: Float32Array.from([labelled ? 1 : 0]) }) as unknown as LabelledGraph;
    const data = [g('w0', true), g('w1', false), g('w2', true)];
    const replay = [g('r0', true), g('r1', true), g('r2', true)];
    const opts = { ...o, fineTuneWindows: 2, pairing: 0, fineTuneReplay: 2, fineTuneBudget: 1000, fineTuneEpochs: 10 };
    const plan = fineTuneSet({ data, rates: [1, 1, 1], belowWork: [g('b0', true), undefined, g('b2', true)], replay, decisions: 1 }, opts);
    // windows w1, w2; work positive b2; replay (1 x 2 + 0) % 3, (1 x 2 + 1) % 3 = r2, r0; 5 nodes: 10 epochs fit.
    assert.deepEqual(plan?.set.map((x) => x.nodeIds[0]), ['w1', 'w2', 'b2', 'r2', 'r0']);
    assert.equal(plan?.epochs, 10);
    assert.equal(fineTuneSet({ data: [g('w', false)], rates: [1], belowWork: [undefined], replay, decisions: 0 }, opts), undefined, 'no label: nothing to learn');
    // A budget of 4 node-epochs for 5 nodes: thinned to floor(4 x 5 / 5) = 4 graphs, one epoch.
    const thin = fineTuneSet({ data, rates: [1, 1, 1], belowWork: [undefined, undefined, g('b2', true)], replay, decisions: 1 }, { ...opts, fineTuneBudget: 4 });
    assert.deepEqual([thin?.set.length, thin?.epochs], [4, 1]);
  });
});
