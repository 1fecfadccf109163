import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/random.js';
import type { GroundTruth } from '../../../src/engines/engine.js';
import * as oracle from '../../../src/tuners/oracle/index.js';
import * as staticTuner from '../../../src/tuners/static/index.js';
import { TunerSetupError } from '../../../src/tuners/tuner.js';
import { chain, snapshot, viewOf } from '../../fixtures/snapshots.js';

const job = chain('c', 'src:source', 'map:map', 'sink:sink');
const snap = snapshot({
  operators: {
    src: { parallelism: 1, recordsIn: 500, busy: 0.1, backpressure: 0.9 },
    map: { parallelism: 1, recordsIn: 500, busy: 1 },
    sink: { parallelism: 1, recordsIn: 500, busy: 0.2 },
  },
  sources: { src: { targetRate: 1000, achievedRate: 500, lagRecords: 5000 } },
});

function fakeTruth(answer: (rate: number) => Record<string, number>): GroundTruth {
  return {
    demandedRates: () => ({}),
    capacities: () => ({}),
    oracle: (rate) => ({ parallelism: answer(rate), feasible: true }),
    bottlenecks: () => ({}),
  };
}

describe('static tuner', () => {
  it('always keeps, even under backpressure', async () => {
    const t = staticTuner.create(staticTuner.options.parse({}));
    for (let i = 0; i < 3; i++) assert.equal((await t.decide(viewOf({ job, snapshot: snap }))).kind, 'keep');
  });
});

describe('oracle tuner', () => {
  it('refuses to prepare without ground truth, naming the engine', async () => {
    const t = oracle.create(oracle.options.parse({}));
    await assert.rejects(
      async () => t.prepare?.(job, { rng: new Rng(1), engineKind: 'flink' }),
      (e: unknown) => e instanceof TunerSetupError && e.message === "the oracle tuner needs the simulator's ground truth; engine flink has none",
    );
    assert.throws(() => t.decide(viewOf({ job, snapshot: snap })), TunerSetupError);
  });

  it('one step to the ground truth for the target rate, then keep; again at the next episode', async () => {
    const t = oracle.create(oracle.options.parse({}));
    await t.prepare?.(job, { rng: new Rng(1), engineKind: 'simulator', groundTruth: fakeTruth((r) => ({ src: 1, map: r / 500, sink: 1 })) });
    t.startEpisode?.(1000);
    const d1 = await t.decide(viewOf({ job, snapshot: snap }));
    assert.equal(d1.kind, 'rescale');
    if (d1.kind === 'rescale') assert.deepEqual(d1.parallelism, { src: 1, map: 2, sink: 1 });
    const d2 = await t.decide(viewOf({ job, snapshot: snap, parallelism: { src: 1, map: 2, sink: 1 } }));
    assert.equal(d2.kind, 'keep');
    t.startEpisode?.(2000);
    const d3 = await t.decide(viewOf({ job, snapshot: snap, parallelism: { src: 1, map: 2, sink: 1 }, targetRate: 2000 }));
    assert.equal(d3.kind, 'rescale');
    if (d3.kind === 'rescale') assert.deepEqual(d3.parallelism, { src: 1, map: 4, sink: 1 });
  });

  it('on shared workers: the ground truth is a worker configuration, deployed at its W (never summed over operators)', async () => {
    // A global aggregate capped at 1 makes the vector non-uniform; W is still its largest entry.
    const t = oracle.create(oracle.options.parse({}));
    await t.prepare?.(job, { rng: new Rng(1), engineKind: 'simulator', groundTruth: fakeTruth(() => ({ src: 3, map: 3, sink: 1 })) });
    const d = await t.decide(viewOf({ job, snapshot: snap, sharedWorkers: true }));
    assert.ok(d.kind === 'rescale', d.reason);
    assert.deepEqual(d.parallelism, { src: 3, map: 3, sink: 3 });
  });
});
