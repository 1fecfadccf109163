import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/random.js';
import type { GroundTruth } from '../../../src/engines/engine.js';
import { createTuner, TUNER_NAMES, type TunerName } from '../../../src/tuners/registry.js';
import { deployedWorkers, workersParallelism } from '../../../src/tuners/shared/workers.js';
import type { Tuner } from '../../../src/tuners/tuner.js';
import { chain, replay, runLoop } from '../../fixtures/snapshots.js';

const job = chain('d', 'src:source', 'parse:map', 'agg:keyedAggregate', { id: 'top', type: 'map', maxParallelism: 1 }, 'sink:sink');
const truth: GroundTruth = {
  demandedRates: () => ({}),
  capacities: () => ({}),
  oracle: (rate) => ({ parallelism: { src: 1, parse: Math.ceil(rate / 2500), agg: Math.ceil(rate / 1200), top: 1, sink: Math.ceil(rate / 7000) }, feasible: true }),
  bottlenecks: () => ({}),
};
const OPTIONS: Partial<Record<TunerName, Record<string, unknown>>> = { autoscaler: { profile: 'time-scaled' } };

async function fresh(name: TunerName): Promise<Tuner> {
  const t = createTuner(name, OPTIONS[name] ?? {});
  await t.prepare?.(job, { rng: new Rng(7), engineKind: 'simulator', groundTruth: truth });
  return t;
}

describe('every tuner is deterministic on a recorded snapshot stream', () => {
  // The external tuner is a process, not a policy of its own: the tuner contract runs it with the Python examples.
  for (const name of TUNER_NAMES.filter((n) => n !== 'external'))
    for (const sharedWorkers of [false, true])
      it(`${name}${sharedWorkers ? ' (shared workers)' : ''}: two runs on the same stream decide identically`, async () => {
        const rates = [9000, 17000, 4000, 12000];
        const steps = await runLoop(
          await fresh(name),
          job,
          { capacity: { src: 60000, parse: 3000, agg: 1500, top: 1e9, sink: 8000 }, exponent: 0.9, noise: 0.05, rng: new Rng(11), skew: { agg: 0.2 } },
          rates,
          sharedWorkers ? { src: 2, parse: 2, agg: 2, top: 1, sink: 2 } : { src: 1, parse: 1, agg: 1, top: 1, sink: 1 },
          { maxSteps: 40, sharedWorkers },
        );
        const views = steps.map((s) => s.view);
        const first = await replay(await fresh(name), views);
        const second = await replay(await fresh(name), views);
        assert.deepEqual(first, second);
        assert.deepEqual(first, steps.map((s) => s.decision));
        assert.equal(first.some((d) => d.kind === 'rescale'), name !== 'static', `${name}: the stream should exercise rescaling`);
        if (sharedWorkers)
          for (const d of first)
            if (d.kind === 'rescale') assert.deepEqual(d.parallelism, workersParallelism(job, deployedWorkers(d.parallelism)), `${name}: not one worker count`);
      });
});
