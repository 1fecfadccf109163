/** Expanding an experiment into runs (sweep point x tuner x seed) and executing one run. */
import { rmSync } from 'node:fs';
import { createEngine } from '../engines/registry.js';
import { withTolerance } from '../loop/slo.js';
import type { Deployment, Engine } from '../engines/engine.js';
import { writeAtomic } from '../io/files.js';
import { Rng } from '../core/random.js';
import { rateSchedule } from '../workloads/rates.js';
import { buildWorkload } from '../workloads/index.js';
import { createTuner } from '../tuners/registry.js';
import { tunerEntries } from '../tuners/variants.js';
import { runLoop, type LoopResult } from '../loop/index.js';
import type { Experiment } from './schema.js';
import type { TunerName } from '../tuners/registry.js';
import type { SweepPoint } from './sweep.js';
import type { Tuner } from '../tuners/tuner.js';

export interface RunSpec {
  /** Folder-safe unique key, e.g. 'p0-ds2-s1'. */
  key: string;
  index: number;
  sweep: string;
  /** The tuner's name in the experiment (its key under `tuners`). */
  tuner: string;
  /** Its kind: the key itself, or the entry's `kind` (a named variant). */
  kind: TunerName;
  seed: number;
  experiment: Experiment;
  /** The measured oracle's total parallelism per rate (rateKey), read from its cache for an engine without ground truth. */
  measuredOracle?: Readonly<Record<string, number>>;
}

export function expandRuns(points: readonly SweepPoint[]): RunSpec[] {
  const runs: RunSpec[] = [];
  for (const point of points) {
    for (const t of tunerEntries(point.experiment.tuners))
      for (const seed of point.experiment.seeds)
        runs.push({ key: `p${point.index}-${t.name}-s${seed}`, index: runs.length, sweep: point.label, tuner: t.name, kind: t.kind, seed, experiment: point.experiment });
  }
  return runs;
}

/**
 * The engine, with each deployment's leftovers (Deployment.leftovers: what a killed harness would leave, e.g. a
 * job on a remote cluster) kept in `file` from deploy until stop, so a resumed run can reclaim them.
 */
export function keepingLeftovers(engine: Engine, file: string): Engine {
  const wrap = (d: Deployment): Deployment => {
    const leftovers = d.leftovers?.();
    if (!leftovers) return d;
    writeAtomic(file, `${JSON.stringify(leftovers)}\n`);
    const stop = async (): Promise<void> => {
      await d.stop();
      rmSync(file, { force: true });
    };
    return new Proxy(d, {
      get(target, key) {
        if (key === 'stop') return stop;
        const v: unknown = Reflect.get(target, key, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  };
  return new Proxy(engine, {
    get(target, key) {
      if (key === 'deploy') return async (...a: Parameters<Engine['deploy']>) => wrap(await target.deploy(...a));
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

export async function executeRun(spec: RunSpec, onEpisode?: () => void, o: { leftoversFile?: string } = {}): Promise<LoopResult> {
  const x = spec.experiment;
  const workload = buildWorkload(x.workload);
  const schedule = rateSchedule(x.rates, workload.workloadUnit, spec.seed);
  const created = await createEngine(x.engine, spec.seed);
  const engine = o.leftoversFile ? keepingLeftovers(created, o.leftoversFile) : created;
  let tuner: Tuner | undefined;
  try {
    const entry = tunerEntries(x.tuners).find((t) => t.name === spec.tuner);
    tuner = createTuner(spec.kind, entry?.options ?? {}, spec.tuner);
    // Seeded by the kind: variants of one tuner see the same random stream (common random numbers).
    const rng = new Rng(spec.seed).fork(`tuner:${spec.kind}`);
    const model = engine.groundTruth?.(workload.job);
    // The oracle tuner aims at the smallest configuration meeting the SLO the episodes are judged by.
    const truth = model ? withTolerance(model, x.slo.maxLagTrend) : undefined;
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
    try {
      await tuner?.close?.();
    } finally {
      await engine.close();
    }
  }
}

/** Episodes a run will have (for the progress bar). */
export function episodeCount(spec: RunSpec): number {
  const workload = buildWorkload(spec.experiment.workload);
  return rateSchedule(spec.experiment.rates, workload.workloadUnit, spec.seed).length;
}

