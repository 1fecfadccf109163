/**
 * The simulator's Timely terms: what the shared-W mode costs on real Timely (jobs/timely), measured by
 * `npm run calibrate -- --engine timely` (src/calibration/timely.ts) into a Timely profile
 * (datasets/calibration/profiles/<name>.json with "engine": "timely") and selected with
 * `"engine": {"kind": "simulator", "mode": "timely", "timelyProfile": "<name>"}`.
 *
 * With W workers (every operator on every worker) at total source rate r, per operator v:
 *   us_v(W, r) = cost_v + growth_v r / (1000 W) + [v has a hash input] (exchange.baseUs + exchange.perWorkerUs (W - 1))
 *   f(W)       = progress.baseMs + progress.perWorkerMs (W - 1)        busy ms/s of every operator on every worker at zero load
 * (cost_v: us per input record at zero rate; growth_v: us more per 1,000 events/s per worker, window and join state;
 * f: scheduling and progress tracking, which every worker does for every operator.) A worker's busy time for v is
 * f(W) + (records of v it processed per second) us_v / (1000 speed); the W workers share cores - backgroundCores
 * (cores null: unbounded): beyond them each worker runs at speed = (cores - backgroundCores) / W, so W beyond the
 * cores only adds overhead. The costs were measured with timely's
 * logging on (the harness's metrics need it); `loggingOverhead` is the share of the sustainable rate logging
 * costs (1 - with / without), kept with the profile, not applied.
 *
 * A Timely profile with a missing or unknown term, or a term of the wrong type, is refused with an error naming it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { JobGraph, type JobSpec } from '../../core/job.js';
import { ProfileError, PROFILE_NAME, profilePath } from './profile.js';

export interface TimelyTerms {
  /** Busy ms/s of every operator on every worker at zero load: baseMs + perWorkerMs (W - 1). */
  progress: { baseMs: number; perWorkerMs: number };
  /** Receiver's us per record on a routed (hash) input: baseUs + perWorkerUs (W - 1). */
  exchange: { baseUs: number; perWorkerUs: number };
  /** Cores the workers share; null = unbounded. */
  cores: number | null;
  /** Cores taken by everything else (the harness, other processes). */
  backgroundCores: number;
  /** Share of the sustainable rate that timely's logging costs (measured; the costs include it). */
  loggingOverhead: number;
  /** Per "<job name>": per operator id, us per input record at zero rate. */
  costs: Record<string, Record<string, number>>;
  /** Per "<job name>": per operator id, us more per record per 1,000 events/s per worker. */
  growth: Record<string, Record<string, number>>;
}

/** The names of the terms, in the order profiles list them. */
export const TIMELY_TERMS = ['progress', 'exchange', 'cores', 'backgroundCores', 'loggingOverhead', 'costs', 'growth'] as const;

export const TIMELY_DOCS: Record<(typeof TIMELY_TERMS)[number], string> = {
  progress: '{baseMs, perWorkerMs}: busy ms/s of every operator on every worker at zero load, baseMs + perWorkerMs (W - 1)',
  exchange: "{baseUs, perWorkerUs}: receiver's us per record on a hash input, baseUs + perWorkerUs (W - 1)",
  cores: 'cores the W workers share; null = unbounded',
  backgroundCores: 'cores used by everything but the workers',
  loggingOverhead: "share of the sustainable rate timely's logging costs (measured, not applied)",
  costs: '"<job>": {"<operator>": us per input record at zero rate}',
  growth: '"<job>": {"<operator>": us more per record per 1,000 events/s per worker}',
};

/** Busy ms/s of one operator on one worker at zero load with W workers. */
export function progressMs(t: TimelyTerms, w: number): number {
  return t.progress.baseMs + t.progress.perWorkerMs * Math.max(0, w - 1);
}

/**
 * Whether an operator reads a routed exchange: a hash input. With every operator on every worker, jobs/timely keeps
 * forward and rebalance inputs on the worker (the local pipeline).
 */
export function routed(job: JobGraph, id: string): boolean {
  return job.inEdges(id).some((e) => e.ship === 'hash');
}

/** Microseconds per input record of `id` with W workers at total source rate r. */
export function timelyUs(job: JobGraph, id: string, cost: number, w: number, rate: number, t: TimelyTerms): number {
  const g = t.growth[job.name]?.[id] ?? 0;
  const x = routed(job, id) ? t.exchange.baseUs + t.exchange.perWorkerUs * Math.max(0, w - 1) : 0;
  return cost + (g * rate) / (1000 * Math.max(1, w)) + x;
}

/** Speed of one worker thread: 1, or the cores' share when W workers are more than the cores left to them. */
export function workerSpeed(t: TimelyTerms, w: number): number {
  return t.cores === null ? 1 : Math.min(1, Math.max(0.05, t.cores - t.backgroundCores) / Math.max(1, w));
}

/** Worker-seconds per second the W workers have for records (after every operator's overhead on every worker). */
export function timelyBudget(t: TimelyTerms, w: number, operators: number): number {
  return Math.max(0.01 * w, w * (1 - (operators * progressMs(t, w)) / 1000));
}

/**
 * The rate the costs grow with: the total source rate r the job actually processes, r* = min(r, the rate the W
 * workers sustain when every cost is taken at r*) (a fixed point; state grows with what is processed, not asked).
 */
export function processedRate(job: JobGraph, w: number, rate: number, t: TimelyTerms): number {
  const load = job.loadFactors();
  const ops = job.operators();
  const speed = workerSpeed(t, w);
  const budget = timelyBudget(t, w, ops.length) * speed * 1e6;
  let r = rate;
  for (let k = 0; k < 50; k++) {
    let us = 0;
    for (const op of ops) us += (load[op.id] ?? 0) * timelyUs(job, op.id, op.cost, w, r, t);
    const next = Math.min(rate, us > 0 ? budget / us : rate);
    if (Math.abs(next - r) <= 1e-6 * Math.max(1, r)) return next;
    r = 0.5 * (r + next);
  }
  return r;
}

/** The job with the profile's measured costs for its operators (when the profile has this job). */
export function withTimelyCosts(job: JobGraph, t: TimelyTerms): JobGraph {
  const c = t.costs[job.name];
  if (!c) return job;
  const spec: JobSpec = job.toSpec();
  return JobGraph.create({ ...spec, operators: spec.operators.map((o) => (c[o.id] !== undefined ? { ...o, cost: c[o.id] as number } : o)) });
}

/** Checks an object holds exactly the Timely terms, each of its type; returns them. */
export function checkTimelyTerms(terms: unknown, where: string): TimelyTerms {
  if (typeof terms !== 'object' || terms === null || Array.isArray(terms)) throw new ProfileError(`${where}: no "terms" object`);
  const t = terms as Record<string, unknown>;
  const known = TIMELY_TERMS as readonly string[];
  for (const k of Object.keys(t)) if (!known.includes(k)) throw new ProfileError(`${where}: unknown term '${k}' (expected ${known.join(', ')})`);
  for (const k of known) if (!(k in t)) throw new ProfileError(`${where}: missing term '${k}' (${TIMELY_DOCS[k as (typeof TIMELY_TERMS)[number]]})`);
  const num = (k: string, v: unknown, min: number, max: number): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ProfileError(`${where}: term '${k}' must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
    return v;
  };
  const pair = (k: string, keys: readonly string[], max: number): void => {
    const o = t[k] as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new ProfileError(`${where}: term '${k}' must be an object {${keys.join(', ')}}`);
    for (const x of Object.keys(o)) if (!keys.includes(x)) throw new ProfileError(`${where}: unknown term '${k}.${x}' (expected ${keys.join(', ')})`);
    for (const x of keys) {
      if (!(x in o)) throw new ProfileError(`${where}: missing term '${k}.${x}'`);
      num(`${k}.${x}`, o[x], 0, max);
    }
  };
  pair('progress', ['baseMs', 'perWorkerMs'], 1000);
  pair('exchange', ['baseUs', 'perWorkerUs'], 1e6);
  if (t.cores !== null) num('cores', t.cores, 0.1, 100_000);
  num('backgroundCores', t.backgroundCores, 0, 1024);
  num('loggingOverhead', t.loggingOverhead, 0, 0.99);
  for (const k of ['costs', 'growth'] as const) {
    const o = t[k] as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new ProfileError(`${where}: term '${k}' must be an object of "<job>": {"<operator>": number}`);
    for (const [job, ops] of Object.entries(o)) {
      if (typeof ops !== 'object' || ops === null || Array.isArray(ops)) throw new ProfileError(`${where}: term '${k}.${job}' must be an object of "<operator>": number`);
      for (const [op, v] of Object.entries(ops)) num(`${k}.${job}.${op}`, v, 0, 1e6);
    }
  }
  return structuredClone(t) as unknown as TimelyTerms;
}

/** The Timely terms of a named Timely profile (datasets/calibration/profiles/<name>.json, "engine": "timely"). */
export function loadTimelyProfile(name: string, dir?: string): TimelyTerms {
  if (!PROFILE_NAME.test(name)) throw new ProfileError(`Timely profile '${name.length > 60 ? `${name.slice(0, 60)}...` : name}': not a profile name (expected letters, digits, . _ -)`);
  const file = profilePath(name, dir);
  if (!existsSync(file)) throw new ProfileError(`Timely profile '${name}': no file ${file} (npm run calibrate -- --engine timely writes one)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ProfileError(`Timely profile '${name}' (${file}): not JSON: ${(e as Error).message}`);
  }
  const engine = (raw as { engine?: unknown } | null)?.engine;
  if (engine !== 'timely') throw new ProfileError(`Timely profile '${name}' (${file}): "engine" is ${JSON.stringify(engine)}, expected "timely" (a Flink profile goes in "profile")`);
  return checkTimelyTerms((raw as { terms?: unknown }).terms, `Timely profile '${name}' (${file})`);
}
