/**
 * `npm run oracle`: the measured oracle of an experiment. For each sweep point and each distinct rate of its
 * schedule (over its seeds), a profiling probe at the loop's initial parallelism gives DS2's estimate, the search
 * (search.ts) probes from there, and the record (every probe and the result) goes to the cache (cache.ts). An
 * experiment on an engine without ground truth reads these records (lookupMeasuredOracle) and reports P / measured
 * oracle over sustained episodes.
 *
 * What a record says: the smallest configuration found that passed the SLO with its largest failing neighbours,
 * under the probes made. Not a proof of minimality.
 */
import { deployedSize, initialParallelism } from '../loop/index.js';
import { engineCapabilities, engineOf } from '../engines/registry.js';
import type { JobGraph } from '../core/job.js';
import type { Parallelism } from '../core/parallelism.js';
import { rateSchedule } from '../workloads/rates.js';
import type { Workload } from '../workloads/index.js';
import { rateKey } from '../core/rates.js';
import { reduceToWorkers, workersParallelism, deployedWorkers } from '../tuners/shared/workers.js';
import { cacheDir, cacheFile, fingerprint, keyHash, oracleKey, readOracle, writeOracle, type OracleKey, type OracleRecord } from './cache.js';
import type { OracleSetting } from './config.js';
import { defaultProbeSec, probePhaseSec, runProbe, type ProbeRecord } from './probe.js';
import { searchMinimum, type ProbeObservation, type SearchSpace, type Vector } from './search.js';

export const WHAT =
  'measured oracle: the smallest configuration found that passed the SLO at this rate on this engine and machine, with its largest failing neighbours (one below in one operator); a search of SLO checks, not a proof of minimality';

/** One sweep point of a config, ready to be searched. */
export interface OracleTarget {
  readonly where: string;
  readonly experiment: OracleSetting;
  readonly workload: Workload;
  /** Distinct rates of the schedule over the config's seeds, ascending (records/s). */
  readonly rates: readonly number[];
}

export function distinctRates(x: OracleSetting, w: Workload): number[] {
  const all = x.seeds.flatMap((s) => rateSchedule(x.rates, w.workloadUnit, s).map((p) => p.rate));
  return [...new Set(all)].sort((a, b) => a - b);
}

/** The largest parallelism one operator can get on the configured engine (slots, workers), if it limits. */
function engineLimit(x: OracleSetting): number | undefined {
  return engineOf(x.engine).operatorLimit();
}

/** The search's coordinates: one worker count on shared workers, else one dimension per operator. */
export function searchSpace(x: OracleSetting, job: JobGraph): SearchSpace & { toParallelism(v: Vector): Parallelism; fromParallelism(p: Parallelism): Vector; shared: boolean } {
  const shared = engineCapabilities(x.engine).sharedWorkers;
  const limit = engineLimit(x) ?? Number.POSITIVE_INFINITY;
  if (shared) {
    const max = Math.min(limit, Math.max(...job.operators().map((o) => o.maxParallelism)));
    const toParallelism = (v: Vector): Parallelism => workersParallelism(job, v.workers ?? 1);
    return { dims: ['workers'], max: { workers: max }, shared, toParallelism, fromParallelism: (p) => ({ workers: deployedWorkers(p) }), size: (v) => deployedSize(toParallelism(v), true) };
  }
  const max = Object.fromEntries(job.operators().map((o) => [o.id, Math.min(limit, o.maxParallelism)]));
  const toParallelism = (v: Vector): Parallelism => Object.fromEntries(job.operatorIds.map((id) => [id, v[id] ?? 1]));
  return { dims: job.operatorIds, max, shared, toParallelism, fromParallelism: (p) => ({ ...p }), size: (v) => deployedSize(toParallelism(v), false) };
}

interface Observation extends ProbeObservation {
  readonly record: ProbeRecord;
}

/** Seconds one probe takes at most on this engine: deploy and stop, warm-up, the probe's windows. */
export function probeWallEstimate(x: OracleSetting, probeSec: number): number {
  const phase = probePhaseSec(x, probeSec);
  const c = engineOf(x.engine).costs();
  return c.deploySec + phase / c.speedup;
}

export interface RateOutcome {
  readonly where: string;
  readonly rate: number;
  readonly file: string;
  readonly record: OracleRecord;
  /** True when the record was read from the cache, not measured now. */
  readonly cached: boolean;
}

export interface MeasureTargetsOptions {
  /** The config file the targets come from (named in the records; decides the default cache folder). */
  file: string;
  cwd: string;
  /** The code version the records are measured under (experiment/version.ts codeVersion). */
  codeVersion: string;
  /** Where the records go (default: cacheDir of the config). */
  cacheDir?: string;
  /** Measure again even when a record is cached. */
  force?: boolean;
  /** Machine fingerprint overrides (tests). */
  machine?: { cores?: number; memoryBytes?: number };
  /** Only these rates (records/s). */
  rates?: readonly number[];
  onPlan?: (p: { targets: readonly OracleTarget[]; pending: number; estimateSec: number }) => void;
  onProbe?: (rate: number, r: ProbeRecord, used: number, budget: number) => void;
  onRate?: (o: RateOutcome) => void;
}

export interface PendingRate {
  readonly target: OracleTarget;
  readonly rate: number;
  readonly key: OracleKey;
  readonly dir: string;
}

export function pendingRates(targets: readonly OracleTarget[], file: string, cwd: string, o: Pick<MeasureTargetsOptions, 'cacheDir' | 'machine' | 'rates'>): PendingRate[] {
  const pending: PendingRate[] = [];
  const seen = new Set<string>();
  for (const t of targets) {
    const x = t.experiment;
    const fp = fingerprint(x, o.machine);
    const probeSec = x.measuredOracle.probeSec ?? defaultProbeSec(x);
    const dir = cacheDir(x, file, cwd, o.cacheDir);
    for (const rate of t.rates) {
      if (o.rates && !o.rates.some((r) => Math.abs(r - rate) <= Math.max(0.5, 1e-6 * rate))) continue;
      const key = oracleKey(x, t.workload.job, rate, probeSec, fp);
      const h = keyHash(key);
      if (seen.has(h)) continue;
      seen.add(h);
      pending.push({ target: t, rate, key, dir });
    }
  }
  return pending;
}

/** Upper bound of the wall time of measuring these rates: budget x one probe's wall time. */
export function estimateSec(pending: readonly PendingRate[]): number {
  return pending.reduce((s, p) => s + p.target.experiment.measuredOracle.budget * probeWallEstimate(p.target.experiment, p.key.check.probeSec), 0);
}

/** Measures every pending rate of the targets (reading the cached ones), each record written as it is finished. */
export async function measureTargets(targets: readonly OracleTarget[], o: MeasureTargetsOptions): Promise<RateOutcome[]> {
  const pending = pendingRates(targets, o.file, o.cwd, o);
  const todo = pending.filter((p) => o.force || !readOracle(p.dir, p.key));
  o.onPlan?.({ targets, pending: todo.length, estimateSec: estimateSec(todo) });
  const out: RateOutcome[] = [];
  for (const p of pending) {
    const cached = o.force ? undefined : readOracle(p.dir, p.key);
    if (cached) {
      const r = { where: p.target.where, rate: p.rate, file: cacheFile(p.dir, p.key), record: cached, cached: true };
      out.push(r);
      o.onRate?.(r);
      continue;
    }
    const record = await searchRate(p, o.file, o.codeVersion, (r, used, budget) => o.onProbe?.(p.rate, r, used, budget));
    const file = writeOracle(p.dir, record);
    const r = { where: p.target.where, rate: p.rate, file, record, cached: false };
    out.push(r);
    o.onRate?.(r);
  }
  return out;
}

/** Measures one rate of one sweep point: the profiling probe, the search, the record. */
export async function searchRate(p: PendingRate, configFile: string, version: string, onProbe?: (r: ProbeRecord, used: number, budget: number) => void): Promise<OracleRecord> {
  const x = p.target.experiment;
  const job = p.target.workload.job;
  const space = searchSpace(x, job);
  const opts = x.measuredOracle;
  const settings = { experiment: x, job, probeSec: p.key.check.probeSec, seed: x.seeds[0] ?? 1 };
  const t0 = Date.now();
  let used = 0;
  const observe = (r: ProbeRecord): Observation => {
    used++;
    onProbe?.(r, used, opts.budget);
    const busy: Record<string, number> = space.shared ? { workers: Math.max(0, ...Object.values(r.busy)) } : { ...r.busy };
    const estimate: Record<string, number> = {};
    if (Object.keys(r.ds2).length > 0) {
      if (space.shared) estimate.workers = deployedWorkers(reduceToWorkers(job, r.ds2));
      else for (const id of job.operatorIds) estimate[id] = Math.ceil((r.ds2[id] ?? 0) - 1e-9);
    }
    return { passed: r.outcome === 'sustained', busy, estimate, record: r };
  };
  const probe = async (v: Vector, repetition: number): Promise<Observation> => observe(await runProbe(settings, space.toParallelism(v), p.rate, repetition));
  // The profiling window: one probe at the loop's initial configuration; DS2's estimate on it starts the search.
  const initial = space.fromParallelism(initialParallelism(job, x.loop));
  const profiled = await probe(initial, 0);
  const start: Vector = Object.keys(profiled.estimate ?? {}).length > 0 ? { ...initial, ...Object.fromEntries(Object.entries(profiled.estimate ?? {}).map(([d, e]) => [d, Math.max(1, e)])) } : initial;
  const result = await searchMinimum(space, start, probe, opts, [{ vector: initial, observation: profiled }]);
  const neighbour = (d: string, q: { vector: Vector; size: number; runs: readonly Observation[]; passes: number }) => ({
    dim: d,
    parallelism: space.toParallelism(q.vector),
    totalParallelism: q.size,
    runs: q.runs.length,
    passes: q.passes,
  });
  return {
    format: 1,
    what: WHAT,
    keyHash: keyHash(p.key),
    key: p.key,
    config: configFile,
    codeVersion: version,
    search: { budget: opts.budget, repetitions: opts.repetitions, aggregation: opts.aggregation, start: space.toParallelism(start) },
    status: result.status,
    ...(result.best ? { result: { parallelism: space.toParallelism(result.best.vector), totalParallelism: result.best.size, runs: result.best.runs.length, passes: result.best.passes } } : {}),
    failingNeighbours: result.failingNeighbours.map((n) => neighbour(n.dim, n.probed)),
    atFloor: result.atFloor,
    probes: result.probes.map((q) => q.observation.record),
    probesUsed: result.probes.length,
    wallSec: Math.round((Date.now() - t0) / 100) / 10,
    measuredAt: new Date().toISOString(),
  };
}

/** What an experiment run knows of the measured oracle at each rate of its schedule. */
export interface MeasuredOracle {
  /** Total parallelism per rate (records/s, as in the schedule) where a cached record has a result. */
  readonly sizes: Readonly<Record<string, number>>;
  /** Why a rate has none ('' when every rate has one). */
  readonly missing: string;
}


/** The cached measured oracle of one sweep point (no engine is started). */
export function lookupMeasuredOracle(t: OracleTarget, file: string, cwd: string, o: { cacheDir?: string; machine?: { cores?: number; memoryBytes?: number } } = {}): MeasuredOracle {
  const x = t.experiment;
  const fp = fingerprint(x, o.machine);
  const probeSec = x.measuredOracle.probeSec ?? defaultProbeSec(x);
  const dir = cacheDir(x, file, cwd, o.cacheDir);
  const sizes: Record<string, number> = {};
  const absent: number[] = [];
  const failed: number[] = [];
  for (const rate of t.rates) {
    const r = readOracle(dir, oracleKey(x, t.workload.job, rate, probeSec, fp));
    if (!r) absent.push(rate);
    else if (!r.result) failed.push(rate);
    else sizes[rateKey(rate)] = r.result.totalParallelism;
  }
  const parts: string[] = [];
  if (absent.length > 0) parts.push(`no measured oracle for this engine and machine at ${absent.length} of ${t.rates.length} rates (npm run oracle -- <config>, or --measure-oracle)`);
  if (failed.length > 0) parts.push(`the search found no passing configuration at ${failed.length} rates`);
  return { sizes, missing: parts.join('; ') };
}
