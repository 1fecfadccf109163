import assert from 'node:assert/strict';
import { create, diagnose, options, scaleUpParallelism } from '../../../src/tuners/dhalion/index.js';
import { chain, jobOf, snapshot, viewOf, type OpInput } from '../../fixtures/snapshots.js';

const dhalion = (o: Record<string, unknown> = {}) => create(options.parse(o));
const defaults = options.parse({});
const job = chain('c', 'src:source', 'map:map', 'agg:keyedAggregate', 'sink:sink');
const snap = (ops: Record<string, OpInput>, time = 60) => snapshot({ time, operators: ops, sources: { src: { targetRate: 1000 } } });
// map is the bottleneck: the source is blocked 600 ms/s, map is busy and not blocked.
const mapBottleneck = (time = 60) =>
  snap(
    {
      src: { parallelism: 1, recordsIn: 400, busy: 0.4, backpressure: 0.6 },
      map: { parallelism: 2, recordsIn: 400, busy: 0.95 },
      agg: { parallelism: 2, recordsIn: 400, busy: 0.3 },
      sink: { parallelism: 1, recordsIn: 400, busy: 0.1 },
    },
    time,
  );

describe('Dhalion ScaleUpResolver.computeScaleUpFactor', () => {
  it('newP = ceil(p * (1 + min(4, bp / (1000 - bp)))), bp capped at 999', () => {
    assert.equal(scaleUpParallelism(2, 500), 4);
    assert.equal(scaleUpParallelism(2, 200), 3); // 2 * 1.25 = 2.5
    assert.equal(scaleUpParallelism(2, 600), 5); // 2 * 2.5
    assert.equal(scaleUpParallelism(2, 900), 10); // min(4, 9) -> 5x
    assert.equal(scaleUpParallelism(3, 1000), 15); // 999 -> 5x
    assert.equal(scaleUpParallelism(3, 0), 3);
  });
});

describe('Dhalion detectors and diagnosers (Flink mapping)', () => {
  it('charges the first non-backpressured busy operator below a backpressured one, with its upstream bp', () => {
    assert.deepEqual(diagnose(job, mapBottleneck(), defaults), [{ type: 'under-provisioning', component: 'map', backPressureMs: 600 }]);
  });

  it('busiest subtask > 1.5 x mean: data skew on a keyed input, slow instance otherwise', () => {
    const skewedAgg = snap({
      src: { parallelism: 1, recordsIn: 400, busy: 0.2, backpressure: 0.8 },
      map: { parallelism: 2, recordsIn: 400, busy: 0.3, backpressure: 0.7 },
      agg: { parallelism: 4, recordsIn: 400, busy: 0.4, busyMax: 1 },
      sink: { parallelism: 1, recordsIn: 400, busy: 0.1 },
    });
    assert.equal(diagnose(job, skewedAgg, defaults)[0]?.type, 'data-skew');
    const slowMap = snap({
      src: { parallelism: 1, recordsIn: 400, busy: 0.2, backpressure: 0.8 },
      map: { parallelism: 4, recordsIn: 400, busy: 0.5, busyMax: 1 },
      agg: { parallelism: 2, recordsIn: 400, busy: 0.3 },
      sink: { parallelism: 1, recordsIn: 400, busy: 0.1 },
    });
    assert.equal(diagnose(job, slowMap, defaults)[0]?.type, 'slow-instance');
  });

  it('ignores back pressure under the noise filter (20 ms/s)', () => {
    const quiet = snap({
      src: { parallelism: 1, recordsIn: 400, busy: 0.4, backpressure: 0.015 },
      map: { parallelism: 2, recordsIn: 400, busy: 0.95 },
      agg: { parallelism: 2, recordsIn: 400, busy: 0.3 },
      sink: { parallelism: 1, recordsIn: 400, busy: 0.1 },
    });
    assert.deepEqual(diagnose(job, quiet, defaults), []);
  });
});

describe('Dhalion policy', () => {
  it('scales one component per round, then waits 180 s after the action', async () => {
    const t = dhalion();
    const d = await t.decide(viewOf({ job, snapshot: mapBottleneck(60), clock: 60 }));
    assert.equal(d.kind, 'rescale');
    if (d.kind === 'rescale') assert.deepEqual(d.parallelism, { src: 1, map: 5, agg: 2, sink: 1 });
    const p = { src: 1, map: 5, agg: 2, sink: 1 };
    for (const clock of [120, 180, 239])
      assert.equal((await t.decide(viewOf({ job, snapshot: mapBottleneck(clock), parallelism: p, clock }))).kind, 'wait');
    const again = await t.decide(viewOf({ job, snapshot: mapBottleneck(240), parallelism: p, clock: 240 }));
    assert.ok(again.kind === 'rescale' && again.parallelism.map === 13); // ceil(5 * 2.5)
  });

  it('two bottlenecks: only the first in topological order is scaled', async () => {
    const j = jobOf('fork', ['src:source', 'a:map', 'b:map'], [
      ['src', 'a'],
      ['src', 'b'],
    ]);
    const s = snapshot({
      operators: {
        src: { parallelism: 1, recordsIn: 100, busy: 0.5, backpressure: 0.5 },
        a: { parallelism: 1, recordsIn: 100, busy: 1 },
        b: { parallelism: 1, recordsIn: 100, busy: 1 },
      },
      sources: { src: { targetRate: 200 } },
    });
    const d = await dhalion().decide(viewOf({ job: j, snapshot: s }));
    assert.ok(d.kind === 'rescale');
    if (d.kind === 'rescale') assert.deepEqual(d.changes.map((c) => [c.operator, c.next]), [['a', 2]]); // bp 500 -> 1 * (1 + 1)
  });

  it('data skew and slow instances get no action; a healthy job is kept', async () => {
    const skewed = snap({
      src: { parallelism: 1, recordsIn: 400, busy: 0.2, backpressure: 0.8 },
      map: { parallelism: 2, recordsIn: 400, busy: 0.3, backpressure: 0.7 },
      agg: { parallelism: 4, recordsIn: 400, busy: 0.4, busyMax: 1 },
      sink: { parallelism: 1, recordsIn: 400, busy: 0.1 },
    });
    const d = await dhalion().decide(viewOf({ job, snapshot: skewed }));
    assert.ok(d.kind === 'keep' && /data skew/.test(d.reason));
    const healthy = snap({
      src: { parallelism: 1, recordsIn: 1000, busy: 0.2 },
      map: { parallelism: 4, recordsIn: 1000, busy: 0.1 },
      agg: { parallelism: 2, recordsIn: 1000, busy: 0.5 },
      sink: { parallelism: 1, recordsIn: 1000, busy: 0.1 },
    });
    assert.equal((await dhalion().decide(viewOf({ job, snapshot: healthy }))).kind, 'keep');
    // optional scale-down (harness): map busy 0.1 < 0.3 -> ceil(4 * 0.1 / 0.7) = 1
    const down = await dhalion({ scaleDown: true }).decide(viewOf({ job, snapshot: healthy }));
    assert.ok(down.kind === 'rescale' && down.parallelism.map === 1);
  });

  it('shared workers: the sources\' unmet share of the target is the back pressure on W', async () => {
    const s = snapshot({
      operators: {
        src: { parallelism: 2, recordsIn: 500, busy: 0.3 },
        map: { parallelism: 2, recordsIn: 500, busy: 0.6 },
        agg: { parallelism: 2, recordsIn: 500, busy: 0.1 },
        sink: { parallelism: 2, recordsIn: 500, busy: 0 },
      },
      sources: { src: { targetRate: 1000, achievedRate: 500 } },
    });
    // bp = 500 ms/s -> W = ceil(2 * 2) = 4
    const d = await dhalion().decide(viewOf({ job, snapshot: s, sharedWorkers: true }));
    assert.ok(d.kind === 'rescale' && Object.values(d.parallelism).every((w) => w === 4));
  });
});
