/** The oracle tuner driven through the control loop on a simulator: the episodes of one schedule (exactness tests). */
import type { JobGraph } from '../../src/core/job.js';
import { Rng } from '../../src/core/random.js';
import type { GroundTruth } from '../../src/engines/engine.js';
import type { SimulatorEngine } from '../../src/engines/simulator/simulator.js';
import { runLoop } from '../../src/loop/index.js';
import { SLO_DEFAULTS, type LoopConfig } from '../../src/loop/config.js';
import { createTuner } from '../../src/tuners/registry.js';

/** One 900 s episode per rate (records/s), the oracle seeing `truth` (default: the engine's ground truth). */
export async function oracleEpisodes(engine: SimulatorEngine, job: JobGraph, rates: readonly number[], loop: LoopConfig, truth: GroundTruth = engine.groundTruth(job)) {
  const oracle = createTuner('oracle', {});
  await oracle.prepare?.(job, { rng: new Rng(1), engineKind: 'simulator', groundTruth: truth });
  const { episodes } = await runLoop({ run: 'r', sweep: 'base', seed: 1, job, engine, tuner: oracle, schedule: rates.map((rate) => ({ rate, durationSec: 900 })), loop, slo: SLO_DEFAULTS, keepHistory: false });
  return episodes;
}
