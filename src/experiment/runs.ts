/** Expanding an experiment into runs (sweep point x tuner x seed) and executing one run. */
import { createEngine } from '../engines/registry.js';
import { Rng } from '../core/random.js';
import { rateSchedule } from '../workloads/rates.js';
import { buildWorkload } from '../workloads/index.js';
import { createTuner, TUNER_NAMES } from '../tuners/registry.js';
import { runLoop, type LoopResult } from '../loop/index.js';
import type { Experiment } from './schema.js';
import type { TunerName } from '../tuners/registry.js';
import type { SweepPoint } from './sweep.js';

export interface RunSpec {
  /** Folder-safe unique key, e.g. 'p0-ds2-s1'. */
  key: string;
  index: number;
  sweep: string;
  tuner: TunerName;
  seed: number;
  experiment: Experiment;
  /** The measured oracle's total parallelism per rate (rateKey), read from its cache for an engine without ground truth. */
  measuredOracle?: Readonly<Record<string, number>>;
}

export function expandRuns(points: readonly SweepPoint[]): RunSpec[] {
  const runs: RunSpec[] = [];
  for (const point of points) {
    const tuners = TUNER_NAMES.filter((t) => point.experiment.tuners[t] !== undefined);
    for (const tuner of tuners)
      for (const seed of point.experiment.seeds)
        runs.push({ key: `p${point.index}-${tuner}-s${seed}`, index: runs.length, sweep: point.label, tuner, seed, experiment: point.experiment });
  }
  return runs;
}

export async function executeRun(spec: RunSpec, onEpisode?: () => void): Promise<LoopResult> {
  const x = spec.experiment;
  const workload = buildWorkload(x.workload);
  const schedule = rateSchedule(x.rates, workload.workloadUnit, spec.seed);
  const engine = await createEngine(x.engine, spec.seed);
  try {
    const tuner = createTuner(spec.tuner, x.tuners[spec.tuner] ?? {});
    const rng = new Rng(spec.seed).fork(`tuner:${spec.tuner}`);
    const truth = engine.groundTruth?.(workload.job);
    await tuner.prepare?.(workload.job, { rng, engineKind: engine.kind, ...(truth ? { groundTruth: truth } : {}) });
    return await runLoop({
      run: spec.key,
      sweep: spec.sweep,
      seed: spec.seed,
      job: workload.job,
      engine,
      tuner,
      schedule,
      loop: x.loop,
      slo: x.slo,
      keepHistory: x.outputs.history,
      ...(spec.measuredOracle ? { measuredOracle: spec.measuredOracle } : {}),
      ...(onEpisode ? { onEpisode } : {}),
    });
  } finally {
    await engine.close();
  }
}

/** Episodes a run will have (for the progress bar). */
export function episodeCount(spec: RunSpec): number {
  const workload = buildWorkload(spec.experiment.workload);
  return rateSchedule(spec.experiment.rates, workload.workloadUnit, spec.seed).length;
}
