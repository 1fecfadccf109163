/**
 * One probe of the measured oracle: deploy one configuration at one rate on the configured engine and judge it by
 * the experiment's SLO, through the one control loop (runLoop) with a scripted tuner that always keeps. The episode
 * ends sustained as soon as the SLO holds, else when the probe's time runs out (violated). What the probe saw:
 * the outcome, the lag trend, busy per operator and DS2's estimate on the last valid window (for the search).
 */
import type { JobGraph } from '../core/job.js';
import type { Snapshot } from '../core/metrics.js';
import type { Parallelism } from '../core/parallelism.js';
import { createEngine } from '../engines/registry.js';
import { runLoop, type LoopSink } from '../loop/index.js';
import type { OracleSetting } from './config.js';
import { create as createStatic } from '../tuners/static/index.js';
import { ds2Plan } from '../tuners/ds2/index.js';
import { busyFraction } from '../tuners/shared/metrics.js';
import { typedEpisode } from '../loop/rows.js';

export interface ProbeSettings {
  readonly experiment: OracleSetting;
  readonly job: JobGraph;
  /** Seconds of observation after the warm-up (the SLO's hold must fit). */
  readonly probeSec: number;
  /** Seed of the first repetition; repetition k runs with seed + k (the simulator's noise). */
  readonly seed: number;
}

export interface ProbeRecord {
  readonly parallelism: Parallelism;
  readonly rate: number;
  readonly repetition: number;
  readonly outcome: 'sustained' | 'violated' | 'capped';
  readonly violation: string;
  /** The lag slope over the hold, as a fraction of the target rate (NaN: fewer than two windows). */
  readonly lagTrend: number;
  /** Busy fraction per operator on the last valid window (subtask average). */
  readonly busy: Readonly<Record<string, number>>;
  /** DS2's per-operator instance-equivalents on the last valid window (sources sized too). */
  readonly ds2: Readonly<Record<string, number>>;
  readonly achievedRate: number;
  readonly windows: number;
  readonly invalidWindows: number;
  /** Engine seconds the probe ran (warm-up included) and wall seconds it took (deploy and stop included). */
  readonly engineSec: number;
  readonly wallSec: number;
}

/** The control loop's phase for one probe: the warm-up, then probeSec of windows. */
export function probePhaseSec(x: OracleSetting, probeSec: number): number {
  return x.loop.warmupSec + probeSec;
}

/** The default probe length: the SLO's hold plus two decision intervals (room for the hold to be covered). */
export function defaultProbeSec(x: OracleSetting): number {
  return x.slo.holdSec + 2 * (x.loop.policyIntervalSec ?? x.loop.windowSec);
}

export async function runProbe(s: ProbeSettings, parallelism: Parallelism, rate: number, repetition: number): Promise<ProbeRecord> {
  const x = s.experiment;
  const t0 = Date.now();
  let lastValid: Snapshot | undefined;
  let windows = 0;
  const capture: LoopSink = {
    window(w) {
      windows++;
      if (w.snapshot.valid) lastValid = w.snapshot;
    },
  };
  const engine = await createEngine(x.engine, s.seed + repetition);
  let result;
  try {
    result = await runLoop({
      run: 'oracle-probe',
      sweep: '',
      seed: s.seed + repetition,
      job: s.job,
      engine,
      tuner: createStatic({}),
      schedule: [{ rate, durationSec: probePhaseSec(x, s.probeSec) }],
      loop: { ...x.loop, initialParallelism: { ...parallelism }, carryOver: true },
      slo: x.slo,
      keepHistory: false,
      sinks: [capture],
    });
  } finally {
    await engine.close();
  }
  const row = result.episodes[0];
  if (!row) throw new Error('oracle probe: the control loop returned no episode');
  const busy: Record<string, number> = {};
  let ds2: Record<string, number> = {};
  if (lastValid) {
    for (const id of s.job.operatorIds) {
      const m = lastValid.operators[id];
      busy[id] = m ? Math.min(1, Math.max(0, busyFraction(m))) : 0;
    }
    try {
      ds2 = { ...ds2Plan(s.job, lastValid, parallelism, { scaleSources: true }).raw };
    } catch {
      ds2 = {};
    }
  }
  const ep = typedEpisode(row);
  return {
    parallelism,
    rate,
    repetition,
    outcome: ep.outcome as ProbeRecord['outcome'],
    violation: ep.violation,
    lagTrend: ep.lagTrend ?? Number.NaN,
    busy,
    ds2,
    achievedRate: lastValid?.achievedRate ?? 0,
    windows,
    invalidWindows: ep.invalidWindows,
    engineSec: ep.durationSec,
    wallSec: (Date.now() - t0) / 1000,
  };
}
