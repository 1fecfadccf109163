import { SLO_DEFAULTS } from '../../../src/loop/config.js';
import assert from 'node:assert/strict';
import { SimulatorEngine } from '../../../src/engines/simulator/simulator.js';
import { runLoop } from '../../../src/loop/index.js';
import { createTuner } from '../../../src/tuners/registry.js';
import { syntheticJob } from '../../../src/workloads/synthetic/generator.js';

describe('DS2 on the simulator', () => {
  it('converges within 3 steps when capacity is linear in parallelism (its paper\'s claim)', async () => {
    // Linear capacity: no coordination overhead, no key skew, exact metrics.
    const engine = new SimulatorEngine({ coordinationOverhead: 0, noise: 0 });
    for (const seed of [1, 2, 3]) {
      const w = syntheticJob({ seed, minOperators: 6, maxOperators: 14, maxKeySkew: 0 });
      const { episodes } = await runLoop({
        run: 'ds2',
        sweep: 'base',
        seed,
        job: w.job,
        engine,
        tuner: createTuner('ds2', {}),
        schedule: [2, 9, 4, 10, 1].map((u) => ({ rate: u * w.workloadUnit, durationSec: 900 })),
        loop: { warmupSec: 30, windowSec: 10, activation: 1, maxReconfigurations: 10, initialParallelism: 1, carryOver: true },
        slo: SLO_DEFAULTS,
        keepHistory: false,
      });
      for (const e of episodes) {
        assert.equal(e.outcome, 'sustained', `seed ${seed} episode ${e.episode}`);
        assert.ok(Number(e.reconfigurations) <= 3, `seed ${seed} episode ${e.episode}: ${e.reconfigurations} steps`);
        assert.ok(Number(e.lagTrend) <= SLO_DEFAULTS.maxLagTrend, `seed ${seed} episode ${e.episode}: lag trend ${e.lagTrend}`);
        // DS2 never ends below the minimum, and at most one instance per operator above it (rounding up).
        assert.ok(Number(e.parallelismOverOracle) >= 1, `seed ${seed} episode ${e.episode}: ${e.parallelismOverOracle}`);
      }
    }
  });
});
