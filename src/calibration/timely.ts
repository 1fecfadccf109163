/**
 * Calibration of the simulator's Timely mode against real Timely (jobs/timely, every operator on all W workers),
 * with the machinery of the Flink calibration: designed blocks of points (design.ts's grid), each block one
 * deployment measured through the project's control loop (measure.ts, run.ts), a least-squares fit, and a profile
 * written with its raw measurements. The terms are those of src/engines/simulator/timely-physics.ts.
 *
 *   measurePlan(TimelyEngine, timelyCalibrationPlan()) + measureLogging -> fitTimely -> datasets/calibration/profiles/<name>.json
 *
 * The fit:
 * 1. Non-negative least squares over every unsaturated (operator, point), busy time summed over the operator's workers:
 *      busy p - W f(W)-part = in cost_v + in growth_v r / (1000 W) + in [routed] perWorkerUs (W - 1)
 *    with f(W) = baseMs + perWorkerMs (W - 1) per worker and operator (its two unknowns are columns too), [routed]
 *    a hash input (forward and rebalance stay on the worker when every operator runs on every worker). The
 *    exchange's base cost cannot be told apart from a keyed operator's own cost (it is paid at W = 1 too), so it is
 *    0 and included in the costs; what grows with W is perWorkerUs.
 * 2. backgroundCores (cores = the machine's) by a search over the overload points, each candidate simulated through
 *    the same loop.
 * 3. loggingOverhead: the sustainable rate of q1 at W = 1 with timely's logging off and on (1 - on / off).
 */
import { loadavg } from 'node:os';
import type { JobGraph } from '../core/job.js';
import { workersParallelism, type Parallelism } from '../core/parallelism.js';
import { SimulatorEngine } from '../engines/simulator/simulator.js';
import { checkTimelyTerms, routed, TIMELY_TERMS, type TimelyTerms } from '../engines/simulator/timely-physics.js';
import type { TimelyEngine } from '../engines/timely/index.js';
import { LINEAR } from '../engines/simulator/physics.js';
import { nexmarkJob, type Block, type Plan, type Point } from './design.js';
import { compare, nnls, quantile, unsaturated } from './fit.js';
import { measurementsPath } from './index.js';
import { profilePath } from '../engines/simulator/profile.js';
import { writeAtomic } from '../io/files.js';
import { measureBlock, SIM_TIMING, type MeasureOptions, type Measurement } from './measure.js';
import { measurePlan, type MeasuredPlan } from './run.js';
import type { NexmarkQuery } from '../workloads/nexmark/templates.js';

export const TIMELY_CALIBRATION_QUERIES: readonly NexmarkQuery[] = ['q1', 'q3', 'q5'];
/** Far beyond what 2 cores sustain on any of the designed Timely jobs. */
export const TIMELY_OVERLOAD_RATE = 10_000_000;
/** Timely restarts in about a second; short windows suffice (the metrics are the workers' own counters). */
export const TIMELY_TIMING: MeasureOptions = { warmupSec: 3, windowSec: 3, rescaleSec: 4 };

const points = (job: JobGraph, workers: readonly number[], rates: readonly number[], overload: readonly number[]): Point[] => [
  ...workers.flatMap((w) => rates.map((rate) => ({ parallelism: workersParallelism(job, w), rate, overload: false }))),
  ...overload.map((w) => ({ parallelism: workersParallelism(job, w), rate: TIMELY_OVERLOAD_RATE, overload: true })),
];

/** W = 1 and 2 at three rates per query, then each W at overload (the sustainable rate). */
export function timelyCalibrationPlan(queries: readonly NexmarkQuery[] = TIMELY_CALIBRATION_QUERIES, rates: readonly number[] = [50_000, 150_000, 250_000]): Plan {
  return { name: 'timely-calibration', blocks: queries.map((q) => ({ name: `nexmark-${q}`, job: nexmarkJob(q), points: points(nexmarkJob(q), [1, 2], rates, [1, 2]) })) };
}

/**
 * Held out: W = 3 (more workers than cores) and W = 2 at rates the calibration did not use, between its highest
 * unsaturated rate and what the jobs sustain (so that operators are busy enough to be scored).
 */
export function timelyFidelityPlan(queries: readonly NexmarkQuery[] = TIMELY_CALIBRATION_QUERIES, rates: readonly number[] = [1_000_000, 2_000_000]): Plan {
  return {
    name: 'timely-fidelity',
    blocks: queries.map((q) => {
      const job = nexmarkJob(q);
      return { name: `nexmark-${q}`, job, points: [...points(job, [2], rates, []), ...points(job, [3], rates, [3])] };
    }),
  };
}

/** Busy ms/s the W workers spend on an operator, summed. */
const summed = (m: Measurement, id: string): number => (m.operators[id]?.busy ?? 0) * (m.operators[id]?.p ?? 1);

/** W of a point: the largest entry of its configuration. */
export const workersOf = (p: Parallelism): number => Math.max(1, ...Object.values(p));

export interface TimelyLinearFit {
  progress: TimelyTerms['progress'];
  exchange: TimelyTerms['exchange'];
  costs: TimelyTerms['costs'];
  growth: TimelyTerms['growth'];
  rows: number;
}

/** Step 1: the progress and exchange terms and every operator's cost and growth, by non-negative least squares. */
export function fitTimelyLinear(plan: Plan, measured: readonly Measurement[]): TimelyLinearFit {
  const names: string[] = ['fBase', 'fPerWorker', 'exPerWorker'];
  const col = new Map<string, number>(names.map((n, i) => [n, i]));
  const column = (n: string): number => {
    if (!col.has(n)) {
      col.set(n, names.length);
      names.push(n);
    }
    return col.get(n) as number;
  };
  const blocks = new Map<string, Block>(plan.blocks.map((b) => [b.name, b]));
  const entries: { cells: [number, number][]; y: number; w: number }[] = [];
  for (const m of measured) {
    const block = blocks.get(m.block);
    // Overload points count too: busy time at the rate the job then processes anchors the growth with the rate.
    if (!block || m.windows === 0 || !(unsaturated(m) || m.overload)) continue;
    const W = workersOf(m.parallelism);
    for (const op of block.job.operators()) {
      const o = m.operators[op.id];
      if (!o) continue;
      const p = o.p;
      const k = o.recordsIn / 1000;
      const job = block.job.name;
      const cells: [number, number][] = [
        [0, p],
        [1, p * (W - 1)],
        [column(`cost:${job}/${op.id}`), k],
        [column(`growth:${job}/${op.id}`), (k * m.achieved) / (1000 * W)],
      ];
      if (routed(block.job, op.id)) cells.push([2, k * (W - 1)]);
      const y = summed(m, op.id);
      entries.push({ cells, y, w: 1 / (y + 20) ** 2 });
    }
  }
  const rows = entries.map((e) => {
    const r = new Array<number>(names.length).fill(0);
    for (const [i, v] of e.cells) r[i] = (r[i] as number) + v;
    return r;
  });
  const x = nnls(
    rows,
    entries.map((e) => e.y),
    entries.map((e) => e.w),
  );
  const value = (n: string): number => round(x[col.get(n) as number] ?? 0);
  const costs: TimelyTerms['costs'] = {};
  const growth: TimelyTerms['growth'] = {};
  for (const n of names) {
    const kind = n.startsWith('cost:') ? costs : n.startsWith('growth:') ? growth : null;
    if (!kind) continue;
    const [job, op] = n.slice(n.indexOf(':') + 1).split('/') as [string, string];
    (kind[job] ??= {})[op] = value(n);
  }
  return { progress: { baseMs: value('fBase'), perWorkerMs: value('fPerWorker') }, exchange: { baseUs: 0, perWorkerUs: value('exPerWorker') }, costs, growth, rows: rows.length };
}

/** The simulator's Timely mode: with a Timely profile's terms, or (null) the uncalibrated shared-W model. */
export function timelySimulator(terms: TimelyTerms | null): SimulatorEngine {
  return new SimulatorEngine({ ...LINEAR, mode: 'timely', noise: 0, timely: terms });
}

/** Every block of a plan on the simulator's Timely mode, through the same loop. */
export async function simulateTimelyPlan(plan: Plan, terms: TimelyTerms | null, blocks?: ReadonlySet<string>): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const block of plan.blocks) {
    if (blocks && !blocks.has(block.name)) continue;
    out.push(...(await measureBlock(timelySimulator(terms), block, SIM_TIMING)));
  }
  return out;
}

export interface TimelyFit {
  terms: TimelyTerms;
  diagnostics: { rows: number; busyError: number; sustainableRateError: number; backgroundCoresTried: Record<string, number> };
}

/** The whole fit (steps 1-2 of the header); `loggingOverhead` comes from measureLogging. */
export async function fitTimely(plan: Plan, measured: readonly Measurement[], cores: number, loggingOverhead: number): Promise<TimelyFit> {
  const lin = fitTimelyLinear(plan, measured);
  const terms: TimelyTerms = { progress: lin.progress, exchange: lin.exchange, cores, backgroundCores: 0, loggingOverhead: round(loggingOverhead), costs: lin.costs, growth: lin.growth };
  const overload = new Set(measured.filter((m) => m.overload && m.windows > 0).map((m) => m.block));
  const tried: Record<string, number> = {};
  let best = { bg: 0, s: Infinity };
  for (let bg = 0; bg <= Math.min(1.5, cores - 0.25) + 1e-9; bg += 0.1) {
    const t = { ...terms, backgroundCores: round(bg) };
    const e = compare(
      measured.filter((m) => overload.has(m.block)),
      await simulateTimelyPlan(plan, t, overload),
    );
    const s = mean(e.sustainable);
    tried[bg.toFixed(1)] = round(s);
    if (s < best.s - 1e-9) best = { bg: round(bg), s };
  }
  terms.backgroundCores = best.bg;
  checkTimelyTerms(terms, 'the fitted Timely terms');
  const final = compare(measured, await simulateTimelyPlan(plan, terms));
  return { terms, diagnostics: { rows: lin.rows, busyError: round(quantile(final.busy, 0.5)), sustainableRateError: round(quantile(final.sustainable, 0.5)), backgroundCoresTried: tried } };
}

export interface LoggingMeasurement {
  job: string;
  workers: number;
  seconds: number;
  /** Events/s the sources emitted at overload, with timely's logging on and off. */
  sustainedOn: number;
  sustainedOff: number;
  loadAverage: number[];
}

/** Sustainable rate of a job at overload on one engine, from the sources' own emitted counters (no logging needed). */
async function sustained(engine: TimelyEngine, job: JobGraph, workers: number, warmupSec: number, seconds: number): Promise<number> {
  const d = await engine.deploy(job, workersParallelism(job, workers), TIMELY_OVERLOAD_RATE);
  try {
    await d.advance(warmupSec);
    const emitted = async (): Promise<[number, number]> => {
      const s = await d.sample();
      return [s.reduce((a, p) => a + Object.values(p.sources).flat().reduce((x, y) => x + y.emitted, 0), 0), Math.max(...s.map((p) => p.unixMs))];
    };
    const [e0, t0] = await emitted();
    await d.advance(seconds);
    const [e1, t1] = await emitted();
    return t1 > t0 ? ((e1 - e0) * 1000) / (t1 - t0) : 0;
  } finally {
    await d.stop();
  }
}

/** Logging overhead: q1 at overload with logging on, then off (one W), alternated twice so a load change shows. */
export async function measureLogging(makeEngine: (logging: boolean) => TimelyEngine, o: { query?: NexmarkQuery; workers?: number; warmupSec?: number; seconds?: number } = {}): Promise<LoggingMeasurement> {
  const job = nexmarkJob(o.query ?? 'q1');
  const workers = o.workers ?? 1;
  const seconds = o.seconds ?? 6;
  const runs: Record<'on' | 'off', number[]> = { on: [], off: [] };
  for (const logging of [true, false, false, true]) {
    const engine = makeEngine(logging);
    try {
      runs[logging ? 'on' : 'off'].push(await sustained(engine, job, workers, o.warmupSec ?? 3, seconds));
    } finally {
      await engine.close();
    }
  }
  return { job: job.name, workers, seconds, sustainedOn: round(mean(runs.on)), sustainedOff: round(mean(runs.off)), loadAverage: loadavg().map((x) => Math.round(x * 100) / 100) };
}

export function loggingOverheadOf(m: LoggingMeasurement): number {
  return m.sustainedOff > 0 ? Math.max(0, Math.min(0.99, 1 - m.sustainedOn / m.sustainedOff)) : 0;
}

/** What the Timely calibration keeps next to the profile: the designed runs and the logging runs. */
export interface TimelyMeasurements extends MeasuredPlan {
  logging: LoggingMeasurement;
  /** The machine's load average (1, 5, 15 min) at the start and at the end of the real runs. */
  loadAverageAtEnd: number[];
}

export interface TimelyProfileFile {
  profile: string;
  description: string;
  engine: 'timely';
  measuredAt: string;
  host: MeasuredPlan['host'] & { loadAverageAtEnd: number[] };
  calibrationWallSeconds: number;
  terms: TimelyTerms;
  logging: LoggingMeasurement;
  fit: TimelyFit['diagnostics'];
  measurements: string;
}

export interface CalibrateTimelyOptions {
  profile: string;
  queries?: readonly NexmarkQuery[];
  cores: number;
  timing?: MeasureOptions;
  from?: TimelyMeasurements;
  dir?: string;
  log?: (line: string) => void;
}

/** Runs (or reuses) the designed Timely runs and the logging runs, fits the terms, writes profile and measurements. */
export async function calibrateTimely(makeEngine: (logging: boolean) => TimelyEngine, o: CalibrateTimelyOptions): Promise<{ file: string; profile: TimelyProfileFile }> {
  const plan = timelyCalibrationPlan(o.queries ?? TIMELY_CALIBRATION_QUERIES);
  let measured = o.from;
  if (!measured) {
    const base = await measurePlan(() => makeEngine(true), plan, { ...(o.timing ?? TIMELY_TIMING), ...(o.log ? { log: o.log } : {}) });
    o.log?.(`load average at the start ${base.host.loadAverageAtStart.join(' ')}; logging runs next`);
    const logging = await measureLogging(makeEngine);
    o.log?.(`logging: q1 at W = 1 sustains ${logging.sustainedOn.toFixed(0)}/s with logging, ${logging.sustainedOff.toFixed(0)}/s without`);
    measured = { ...base, logging, loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) };
    writeAtomic(measurementsPath(o.profile, o.dir), `${JSON.stringify(measured, null, 1)}\n`);
  }
  const fit = await fitTimely(plan, measured.measurements, o.cores, loggingOverheadOf(measured.logging));
  const profile: TimelyProfileFile = {
    profile: o.profile,
    description: `Timely terms of real Timely 0.31.0 (jobs/timely, one process, W workers sharing every operator) on ${measured.host.cpus} cores (${measured.host.cpuModel}), fitted by npm run calibrate -- --engine timely (src/calibration/timely.ts) from ${measured.measurements.length} designed points`,
    engine: 'timely',
    measuredAt: measured.measuredAt,
    host: { ...measured.host, loadAverageAtEnd: measured.loadAverageAtEnd },
    calibrationWallSeconds: measured.wallSeconds,
    terms: Object.fromEntries(TIMELY_TERMS.map((k) => [k, fit.terms[k]])) as unknown as TimelyTerms,
    logging: measured.logging,
    fit: fit.diagnostics,
    measurements: `${o.profile}.measurements.json`,
  };
  const file = profilePath(o.profile, o.dir);
  writeAtomic(file, `${JSON.stringify(profile, null, 2)}\n`);
  return { file, profile };
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Infinity;
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}
