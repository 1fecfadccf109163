/**
 * The measured oracle's cache: one JSON file per (engine, job, rate, SLO, machine), holding every probe and the
 * result. The key is a hash of what the measurement depends on: the engine's config, the job (its workload config
 * and its DAG), the rate, the SLO and the probe's timing (warm-up, window, probe length), and the machine
 * fingerprint (cores, memory, the engine's version, the physics profile or calibration in force). A change to any
 * of them is a different measurement. Files are written atomically; the committed real-engine configs keep theirs
 * under datasets/oracle/, everything else under the results folder.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { writeAtomic } from '../io/files.js';
import { PROJECT_ROOT, queryCostsDir } from '../core/project.js';
import type { JobGraph } from '../core/job.js';
import type { Parallelism } from '../core/parallelism.js';
import { simulatorTerms, type EngineConfig } from '../engines/registry.js';
import { canonical } from '../core/canonical.js';
import type { SloConfig } from '../loop/config.js';
import type { OracleSetting } from './config.js';
import type { ProbeRecord } from './probe.js';

export const CACHE_FORMAT = 1;
/** Where the committed real-engine configs keep their measured oracles. */
export const COMMITTED_CACHE = join(PROJECT_ROOT, 'datasets/oracle');

export interface Fingerprint {
  readonly cores: number;
  /** Total memory, GiB (rounded to one decimal). */
  readonly memoryGiB: number;
  /** e.g. 'flink 2.3.0, jobs sha256:...': the engine and the job code that runs on it. */
  readonly engineVersion: string;
  /** The simulator's physics terms in force (profile and overrides), or the workload's calibration on a real engine. */
  readonly profile: string;
}

export interface OracleKey {
  readonly engine: EngineConfig;
  readonly job: { readonly name: string; readonly workload: unknown; readonly dag: string };
  readonly rate: number;
  readonly slo: SloConfig;
  /** The SLO check's timing: what one probe is. */
  readonly check: { readonly warmupSec: number; readonly windowSec: number; readonly policyIntervalSec: number | null; readonly probeSec: number };
  readonly fingerprint: Fingerprint;
}

export interface NeighbourRecord {
  /** The operator (or 'workers') one below the result's. */
  readonly dim: string;
  readonly parallelism: Parallelism;
  readonly totalParallelism: number;
  readonly runs: number;
  readonly passes: number;
}

/** What the cache file holds. */
export interface OracleRecord {
  readonly format: number;
  readonly what: string;
  readonly keyHash: string;
  readonly key: OracleKey;
  readonly config: string;
  readonly codeVersion: string;
  readonly search: { readonly budget: number; readonly repetitions: number; readonly aggregation: string; readonly start: Parallelism };
  readonly status: 'found' | 'budget' | 'infeasible';
  /** The smallest configuration found that passed, with how often it passed. */
  readonly result?: { readonly parallelism: Parallelism; readonly totalParallelism: number; readonly runs: number; readonly passes: number };
  readonly failingNeighbours: readonly NeighbourRecord[];
  readonly atFloor: readonly string[];
  readonly probes: readonly ProbeRecord[];
  readonly probesUsed: number;
  readonly wallSec: number;
  readonly measuredAt: string;
}

const sha = (x: string | Buffer): string => createHash('sha256').update(x).digest('hex');

function hashFiles(paths: readonly string[]): string {
  const h = createHash('sha256');
  const walk = (abs: string): void => {
    if (!existsSync(abs)) return;
    if (statSync(abs).isDirectory()) {
      for (const e of readdirSync(abs).sort()) if (e !== 'target') walk(join(abs, e));
      return;
    }
    h.update(relative(PROJECT_ROOT, abs).split(sep).join('/'));
    h.update('\u0000');
    h.update(readFileSync(abs));
  };
  for (const p of paths) walk(join(PROJECT_ROOT, p));
  return `sha256:${h.digest('hex').slice(0, 12)}`;
}

function matchFile(path: string, re: RegExp): string {
  const f = join(PROJECT_ROOT, path);
  return existsSync(f) ? (re.exec(readFileSync(f, 'utf8'))?.[1] ?? '?') : '?';
}

/** The engine's version: the engine release and a hash of the job code it runs. */
export function engineVersion(kind: EngineConfig['kind']): string {
  switch (kind) {
    case 'simulator':
      return `simulator ${hashFiles(['src/engines/simulator'])}`;
    case 'flink':
      return `flink ${matchFile('jobs/flink/pom.xml', /<flink\.version>([^<]+)</)}, jobs ${hashFiles(['jobs/flink/src', 'jobs/flink/pom.xml'])}`;
    case 'timely':
      return `timely ${matchFile('jobs/timely/Cargo.lock', /name = "timely"\nversion = "([^"]+)"/)}, jobs ${hashFiles(['jobs/timely/src', 'jobs/timely/Cargo.toml', 'jobs/timely/Cargo.lock'])}`;
  }
}

/** The machine and engine a measurement holds for. */
export function fingerprint(x: OracleSetting, machine: { cores?: number; memoryBytes?: number } = {}): Fingerprint {
  const e = x.engine;
  let profile: string;
  if (e.kind === 'simulator') profile = `${e.profile ?? 'linear'} sha256:${sha(canonical(simulatorTerms(e))).slice(0, 12)}`;
  else {
    const w = x.workload;
    const name = w.kind === 'nexmark' ? w.query : w.kind;
    const costs = join(queryCostsDir('flink'), `${name}.json`);
    // The costs' content, not their path: moving the file changes nothing the engine runs.
    profile = w.kind !== 'synthetic' && w.calibrated ? `calibration ${name} ${existsSync(costs) ? `sha256:${sha(readFileSync(costs)).slice(0, 12)}` : 'absent'}` : 'no calibration';
  }
  return {
    cores: machine.cores ?? availableParallelism(),
    memoryGiB: Math.round(((machine.memoryBytes ?? totalmem()) / 2 ** 30) * 10) / 10,
    engineVersion: engineVersion(e.kind),
    profile,
  };
}

/** The DAG as the engines see it: operators (type, cost, selectivity, partitioning, max) and edges, hashed. */
export function dagHash(job: JobGraph): string {
  return `sha256:${sha(canonical({ operators: job.operators(), edges: job.edges() })).slice(0, 16)}`;
}

export function oracleKey(x: OracleSetting, job: JobGraph, rate: number, probeSec: number, fp: Fingerprint): OracleKey {
  return {
    engine: x.engine,
    job: { name: job.name, workload: x.workload, dag: dagHash(job) },
    rate,
    slo: x.slo,
    check: { warmupSec: x.loop.warmupSec, windowSec: x.loop.windowSec, policyIntervalSec: x.loop.policyIntervalSec ?? null, probeSec },
    fingerprint: fp,
  };
}

export function keyHash(k: OracleKey): string {
  return sha(canonical(k)).slice(0, 16);
}

/**
 * The cache folder of a config: datasets/oracle/ for a real-engine config committed under experiments/, else
 * <outputs.dir>/oracle/ (relative to cwd). `override` (the CLI's --cache-dir, tests) wins.
 */
export function cacheDir(x: OracleSetting, file: string, cwd: string, override?: string): string {
  if (override !== undefined) return resolve(cwd, override);
  const rel = relative(join(PROJECT_ROOT, 'experiments'), resolve(file));
  const committed = !rel.startsWith('..') && !isAbsolute(rel);
  if (committed && x.engine.kind !== 'simulator') return COMMITTED_CACHE;
  return resolve(cwd, x.outputs.dir, 'oracle');
}

export function cacheFile(dir: string, k: OracleKey): string {
  const safe = k.job.name.replace(/[^A-Za-z0-9._-]/g, '_');
  return join(dir, `${k.engine.kind}-${safe}-r${Math.round(k.rate)}-${keyHash(k)}.json`);
}

export function readOracle(dir: string, k: OracleKey): OracleRecord | undefined {
  const f = cacheFile(dir, k);
  if (!existsSync(f)) return undefined;
  const r = JSON.parse(readFileSync(f, 'utf8')) as OracleRecord;
  if (r.format !== CACHE_FORMAT || r.keyHash !== keyHash(k)) return undefined;
  return r;
}

/** Writes the record atomically (a temporary file beside it, then renamed): a reader never sees half of one. */
export function writeOracle(dir: string, r: OracleRecord): string {
  const f = cacheFile(dir, r.key);
  writeAtomic(f, `${JSON.stringify(r, null, 1)}\n`);
  return f;
}
