/**
 * The work estimate of a validated experiment: runs x episodes x windows x operators, engine seconds, and a rough
 * CPU time on the simulator (wall time on a real engine). Printed before the first run; above LIMITS the run is
 * refused (exit 2) unless `--allow-large`. Upper bounds: an episode ends when its phase's time runs out, a run's
 * loop may end earlier (convergence), never later.
 */
import type { Experiment } from './schema.js';
import type { Workload } from '../workloads/index.js';
import { rateSchedule } from '../workloads/rates.js';
import { engineOf } from '../engines/registry.js';
import { tunerEntry, tunerOptions } from '../tuners/registry.js';
import { tunerEntries, type TunerEntryConfig } from '../tuners/variants.js';

/**
 * Above any of these the experiment needs `--allow-large`. Set above every committed config (the largest, the
 * StreamTune ablation sweeps, estimate ~2.3 h of CPU and 1.2M operator-windows; the Flink configs ~25 min), below
 * what keeps a 2-core machine busy for a day.
 */
export const LIMITS = {
  /** Rough CPU seconds of the simulated runs (summed over runs, before dividing by --jobs). */
  cpuSec: 6 * 3600,
  /** Rows of history.csv (operator-windows): every row is held in memory when results are merged. */
  operatorWindows: 5_000_000,
  /** Engine seconds on a real engine: wall time, runs one after another. */
  realEngineSec: 48 * 3600,
} as const;

/** Cost model of the simulator and the tuners, rough (bench/ measures them): seconds per unit. */
const COST = {
  /** One fluid-model step of one operator (npm run bench simulator: ~4e7 per second; halved for margin). */
  operatorStep: 1 / 2e7,
  /** Metrics, history and timeline rows of one operator in one window. */
  operatorWindow: 2e-5,
  /** One decide() of a tuner without its own cost hook (registry decideSec), per operator; at least decideMin. */
  decidePerOperator: 1.25e-5,
  decideMin: 5e-4,
} as const;

export interface WorkEstimate {
  runs: number;
  episodes: number;
  /** Upper bound on observed windows, summed over runs. */
  windows: number;
  /** Upper bound on operator-windows (history rows). */
  operatorWindows: number;
  /** Upper bound on engine seconds, summed over runs. */
  engineSec: number;
  /** Rough CPU seconds of the simulated runs. */
  cpuSec: number;
  /** Engine seconds on real engines (wall time). */
  realEngineSec: number;
}

export interface PointWork {
  experiment: Experiment;
  workload: Workload;
}

/** The estimate of an experiment's runs (one run per point x tuner x seed). */
export function estimateWork(points: readonly PointWork[]): WorkEstimate {
  const e: WorkEstimate = { runs: 0, episodes: 0, windows: 0, operatorWindows: 0, engineSec: 0, cpuSec: 0, realEngineSec: 0 };
  for (const { experiment: x, workload } of points) {
    const tuners = tunerEntries(x.tuners);
    const runs = tuners.length * x.seeds.length;
    const schedule = rateSchedule(x.rates, workload.workloadUnit, x.seeds[0] ?? 1);
    const l = x.loop;
    const interval = Math.max(l.windowSec, l.policyIntervalSec ?? l.windowSec);
    const costs = engineOf(x.engine).costs();
    const rescaleSec = costs.rescaleSec;
    let windows = 0;
    let engineSec = 0;
    for (const phase of schedule) {
      windows += Math.ceil(phase.durationSec / interval) + 1;
      engineSec += phase.durationSec + 2 * l.warmupSec + interval + rescaleSec;
    }
    const ops = workload.job.size;
    e.runs += runs;
    e.episodes += runs * schedule.length;
    e.windows += runs * windows;
    e.operatorWindows += runs * windows * ops;
    e.engineSec += runs * engineSec;
    if (costs.stepSec !== undefined) {
      const steps = engineSec / costs.stepSec;
      const perRun = steps * ops * COST.operatorStep + windows * ops * COST.operatorWindow;
      for (const t of tuners) e.cpuSec += x.seeds.length * (perRun + decideSeconds(t, ops, windows));
    } else {
      e.realEngineSec += runs * engineSec;
    }
  }
  return e;
}

/**
 * Seconds of a run's decide() calls: the tuner's own cost hook (registry decideSec) summed over the windows, the
 * i-th decide seeing i observed windows (a tuner whose cost grows with what it has observed, such as ContTune's
 * history or StreamTune's fine-tuning set, grows here too); without a hook a constant per operator.
 */
const SAMPLES = 512;

function decideSeconds(t: TunerEntryConfig, operators: number, windows: number): number {
  const cost = tunerEntry(t.kind).decideSec;
  if (!cost) return windows * Math.max(COST.decideMin, COST.decidePerOperator * operators);
  const opts = tunerOptions(t.kind, t.options, t.name);
  // Exact up to SAMPLES windows; beyond, the mean of SAMPLES evenly spaced decisions (the costs are monotone and
  // piecewise linear in what was observed, so this is within a few percent and bounded in work).
  const n = Math.min(windows, SAMPLES);
  let sec = 0;
  for (let k = 1; k <= n; k++) sec += cost(opts, { operators, observed: Math.round((k * windows) / n) });
  return (sec * windows) / n;
}

/** The limits an estimate exceeds, as phrases ('' when none). */
export function overLimits(e: WorkEstimate): string {
  const over: string[] = [];
  if (e.cpuSec > LIMITS.cpuSec) over.push(`~${duration(e.cpuSec)} of CPU > ${duration(LIMITS.cpuSec)}`);
  if (e.operatorWindows > LIMITS.operatorWindows) over.push(`${count(e.operatorWindows)} operator-windows > ${count(LIMITS.operatorWindows)}`);
  if (e.realEngineSec > LIMITS.realEngineSec) over.push(`${duration(e.realEngineSec)} on a real engine > ${duration(LIMITS.realEngineSec)}`);
  return over.join(', ');
}

/** One line: `work: 6 runs x 20 episodes, <= 540 windows, ...`. */
export function formatEstimate(e: WorkEstimate): string {
  const parts = [
    `${count(e.runs)} runs, ${count(e.episodes)} episodes`,
    `<= ${count(e.windows)} windows`,
    `<= ${count(e.operatorWindows)} operator-windows`,
    `<= ${duration(e.engineSec)} of engine time`,
  ];
  if (e.cpuSec > 0) parts.push(`~${duration(e.cpuSec)} of CPU on the simulator`);
  if (e.realEngineSec > 0) parts.push(`${duration(e.realEngineSec)} of wall time on a real engine`);
  return `work: ${parts.join(', ')}`;
}

function count(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toPrecision(3)}M` : n >= 1e4 ? `${(n / 1e3).toPrecision(3)}k` : String(Math.round(n));
}

export function duration(sec: number): string {
  if (sec < 60) return `${sec < 10 ? sec.toFixed(1) : Math.round(sec)} s`;
  if (sec < 3600) return `${(sec / 60).toFixed(1)} min`;
  if (sec < 86400 * 2) return `${(sec / 3600).toFixed(1)} h`;
  return `${(sec / 86400).toFixed(1)} d`;
}
