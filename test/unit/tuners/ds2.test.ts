import assert from 'node:assert/strict';
import { considerChange, create, ds2Plan, options } from '../../../src/tuners/ds2/index.js';
import { chain, jobOf, snapshot, viewOf } from '../../fixtures/snapshots.js';

const ds2 = (o: Record<string, unknown> = {}) => create(options.parse(o));

describe('DS2 policy (scaling.rs), hand-computed', () => {
  // src (target 1000/s) -> map (p=2, true rate 400/s in total = 200/s per instance, true output 800/s) -> sink
  // (p=1, true rate 300/s). map: pi_raw = 1000 / (400/2) = 5; its output at 5 instances = 800 * 5/2 = 2000/s.
  // sink: pi_raw = 2000 / 300 = 6.67 -> 7. The source keeps its parallelism.
  const job = chain('c', 'src:source', 'map:map', 'sink:sink');
  const snap = snapshot({
    operators: {
      src: { parallelism: 1, recordsIn: 800, busy: 0.4 },
      map: { parallelism: 2, recordsIn: 800, recordsOut: 1600, busy: 1, trueProcessingRate: 400, trueOutputRate: 800 },
      sink: { parallelism: 1, recordsIn: 1600, busy: 1, trueProcessingRate: 300, trueOutputRate: 0 },
    },
    sources: { src: { targetRate: 1000, achievedRate: 800 } },
  });

  it('chain: exact parallelisms, rates propagated un-rounded', () => {
    const plan = ds2Plan(job, snap, { src: 1, map: 2, sink: 1 });
    assert.deepEqual(plan.parallelism, { src: 1, map: 5, sink: 7 });
    assert.equal(plan.raw.map, 5);
    assert.ok(Math.abs((plan.raw.sink ?? 0) - 2000 / 300) < 1e-12);
    assert.equal(plan.input.sink, 2000);
    assert.equal(plan.input.map, 1000);
  });

  it('decide() deploys the plan with per-operator reasons', async () => {
    const d = await ds2().decide(viewOf({ job, snapshot: snap }));
    assert.equal(d.kind, 'rescale');
    if (d.kind !== 'rescale') return;
    assert.deepEqual(d.parallelism, { src: 1, map: 5, sink: 7 });
    assert.deepEqual(
      d.changes.map((c) => [c.operator, c.current, c.next]),
      [
        ['map', 2, 5],
        ['sink', 1, 7],
      ],
    );
    assert.match(d.changes[0]?.reason ?? '', /pi_raw=5\.000/);
  });

  it('overProvisioning inflates the rounded answer but not the propagated rate', () => {
    const plan = ds2Plan(job, snap, { src: 1, map: 2, sink: 1 }, { factor: 0.2 });
    // map: ceil(5 * 1.2) = 6; sink: ceil(6.667 * 1.2) = ceil(8.0000000000000002) = 8 (no float artefact);
    // the sink's input is still 800 * 5/2 = 2000 (un-inflated pi_raw).
    assert.deepEqual(plan.parallelism, { src: 1, map: 6, sink: 8 });
    assert.equal(plan.input.sink, 2000);
  });

  it('two-input join: inputs sum over upstream operators', () => {
    // src1 600/s and src2 400/s -> join (p=4, true rate 2000/s = 500/s per instance, true output 1000/s) -> sink
    // (p=1, true rate 1000/s). join: pi_raw = 1000 / 500 = 2; output at 2 = 1000 * 2/4 = 500; sink: 0.5 -> 1.
    const j = jobOf('join', ['src1:source', 'src2:source', 'join:join', 'sink:sink'], [
      ['src1', 'join'],
      ['src2', 'join'],
      ['join', 'sink'],
    ]);
    const s = snapshot({
      operators: {
        src1: { parallelism: 2, recordsIn: 600, busy: 0.2 },
        src2: { parallelism: 1, recordsIn: 400, busy: 0.2 },
        join: { parallelism: 4, recordsIn: 1000, recordsOut: 500, busy: 0.5, trueProcessingRate: 2000, trueOutputRate: 1000 },
        sink: { parallelism: 1, recordsIn: 500, busy: 0.5, trueProcessingRate: 1000, trueOutputRate: 0 },
      },
      sources: { src1: { targetRate: 600 }, src2: { targetRate: 400 } },
    });
    const plan = ds2Plan(j, s, { src1: 2, src2: 1, join: 4, sink: 1 });
    assert.equal(plan.input.join, 1000);
    assert.equal(plan.input.sink, 500);
    assert.deepEqual(plan.parallelism, { src1: 2, src2: 1, join: 2, sink: 1 });
  });

  it('selectivity change: the same rates with a larger true output rescale the downstream', async () => {
    // src 1000/s -> flatMap (p=2, true rate 1000/s) -> sink (p=2, true rate 2000/s).
    const j = chain('sel', 'src:source', 'fm:flatMap', 'sink:sink');
    const at = (tout: number) =>
      snapshot({
        operators: {
          src: { parallelism: 1, recordsIn: 1000, busy: 0.1 },
          fm: { parallelism: 2, recordsIn: 1000, busy: 1, trueProcessingRate: 1000, trueOutputRate: tout },
          sink: { parallelism: 2, recordsIn: tout / 2, busy: 1, trueProcessingRate: 2000, trueOutputRate: 0 },
        },
        sources: { src: { targetRate: 1000 } },
      });
    // Selectivity 2: fm pi_raw = 2, output 2000 -> sink pi_raw = 2000 / 1000 = 2: nothing changes.
    assert.equal((await ds2().decide(viewOf({ job: j, snapshot: at(2000) }))).kind, 'keep');
    // Selectivity 5: output 5000 -> sink pi_raw = 5.
    const d = await ds2().decide(viewOf({ job: j, snapshot: at(5000) }));
    assert.equal(d.kind, 'rescale');
    if (d.kind === 'rescale') assert.deepEqual(d.parallelism, { src: 1, fm: 2, sink: 5 });
  });

  it('clamps to [1, maxParallelism] and falls back to the observed output for a source without a target', () => {
    const j = chain('clamp', 'src:source', { id: 'map', type: 'map', maxParallelism: 3 }, 'sink:sink');
    const s = snapshot({
      operators: {
        src: { parallelism: 1, recordsIn: 500, busy: 0.5, trueOutputRate: 1000 },
        map: { parallelism: 1, recordsIn: 500, busy: 1, trueProcessingRate: 100, trueOutputRate: 100 },
        sink: { parallelism: 4, recordsIn: 500, busy: 0.01, trueProcessingRate: 1e9, trueOutputRate: 0 },
      },
    });
    const plan = ds2Plan(j, s, { src: 1, map: 1, sink: 4 });
    assert.equal(plan.input.map, 1000); // the source's true output rate
    assert.deepEqual(plan.parallelism, { src: 1, map: 3, sink: 1 });
  });
});

describe("DS2's consider_change", () => {
  it('ignores a -1 change, acts on any increase or a decrease by more than 1', () => {
    assert.equal(considerChange({ a: 3, b: 2 }, { a: 2, b: 2 }), false);
    assert.equal(considerChange({ a: 3, b: 2 }, { a: 2, b: 1 }), false);
    assert.equal(considerChange({ a: 3 }, { a: 3 }), false);
    assert.equal(considerChange({ a: 3 }, { a: 1 }), true);
    assert.equal(considerChange({ a: 3 }, { a: 4 }), true);
    assert.equal(considerChange({ a: 3, b: 3 }, { a: 2, b: 4 }), true);
  });

  it('decide() keeps when the plan only lowers operators by one', async () => {
    const job = chain('c', 'src:source', 'map:map');
    const s = snapshot({
      operators: {
        src: { parallelism: 1, recordsIn: 1000, busy: 0.1 },
        map: { parallelism: 3, recordsIn: 1000, busy: 0.6, trueProcessingRate: 1500 },
      },
      sources: { src: { targetRate: 1000 } },
    });
    // map: 1000 / (1500/3) = 2 -> 3 to 2 is a -1 change.
    const d = await ds2().decide(viewOf({ job, snapshot: s }));
    assert.equal(d.kind, 'keep');
  });
});

describe('DS2 on shared workers (Timely)', () => {
  it('reduces to W = ceil(sum of pi_raw), sources included, every operator at W', async () => {
    // W = 2 everywhere. src: 1000 / (5000/2) = 0.4; map: 1000 / (1000/2) = 2; output 2000*2/2 = 2000;
    // sink: 2000 / (4000/2) = 1. Sum 3.4 -> 4 workers.
    const job = chain('t', 'src:source', 'map:map', 'sink:sink');
    const s = snapshot({
      operators: {
        src: { parallelism: 2, recordsIn: 800, busy: 0.16, trueProcessingRate: 5000, trueOutputRate: 5000 },
        map: { parallelism: 2, recordsIn: 800, busy: 0.8, trueProcessingRate: 1000, trueOutputRate: 2000 },
        sink: { parallelism: 2, recordsIn: 1600, busy: 0.4, trueProcessingRate: 4000, trueOutputRate: 0 },
      },
      sources: { src: { targetRate: 1000, achievedRate: 800 } },
    });
    const d = await ds2().decide(viewOf({ job, snapshot: s, sharedWorkers: true }));
    assert.equal(d.kind, 'rescale');
    if (d.kind === 'rescale') assert.deepEqual(d.parallelism, { src: 4, map: 4, sink: 4 });
  });
});
