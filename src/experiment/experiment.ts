/**
 * Running an experiment: expand the sweep into runs, execute them (in parallel worker threads on the simulator),
 * persist each finished run atomically under runs/<key>/ (so --resume skips it), then merge the rows in run
 * order into episodes.csv, timeline.csv and history.csv and write summary.md, charts and index.html.
 * Results never depend on the number of workers: runs are independent and seeded, and merged in a fixed order.
 */
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { clip, ConfigError } from './config.js';
import { DONE, finished, RUN_CSVS, verifyRun, writeRun } from './done.js';
import { readInputCsv, readInputJson, readInputText } from '../io/read.js';
import { executeRun, episodeCount, type RunSpec } from './runs.js';
import { claimFolder, toCsv, unwritableFolder, writeAtomic, writeCsv } from '../io/files.js';
import { assetSeconds, planExperiment, RESOLVED, type Plan, type Pretraining } from './plan.js';
import { duration, formatEstimate, overLimits } from './estimate.js';
import { BOUNDS } from '../core/bounds.js';
import { makeNamedCorpus } from '../corpus/generate.js';
import { chooseBackendInfo } from '../learning/backend.js';
import { EPISODE_COLUMNS, TIMELINE_COLUMNS } from '../loop/rows.js';
import { HISTORY_COLUMNS } from '../history/record.js';
import type { LoopResult } from '../loop/index.js';
import type { Experiment } from './schema.js';
import { createEngine, engineCapabilities } from '../engines/registry.js';
import type { Leftovers } from '../engines/engine.js';
import { WHAT } from '../oracle/measure.js';
import { measuredOracles, measureOracle, type MeasureOptions } from './oracle.js';
import { copyShards, planMerge, shardOf, shardRuns, type Shard } from './shard.js';

export interface ExperimentOptions {
  /** The experiment file; optional with `resume` (the folder's own config is used). */
  config?: string;
  out?: string;
  resume?: string;
  jobs?: number;
  seed?: number;
  /** Progress callbacks (the CLI draws a bar). */
  progress?: Progress;
  cwd?: string;
  /** Identifies the run folder; defaults to the UTC time (with a suffix when a folder of that time exists). */
  runId?: string;
  /** The start time of the default run id (default: now). */
  now?: Date;
  /** Run even when the work estimate is over LIMITS (--allow-large). */
  allowLarge?: boolean;
  /** false: refuse a StreamTune recipe that would need pre-training (--no-train). */
  train?: boolean;
  /** Called once the config is validated and the run folder chosen, before anything is written. */
  onPlan?: (plan: Plan) => void;
  /** Called with the run folder once it exists (a new folder of a default run id may carry a suffix: -2, -3, ...). */
  onFolder?: (dir: string) => void;
  /** Called with each finished run that did not verify (its files against its marker) and is run again, before the runs. */
  onUnverified?: (line: string) => void;
  /** Run only this slice of the runs (--shard i/n): the folder is a shard for `npm run merge`, with no merged CSVs. */
  shard?: Shard;
  /** Run the measured oracle's search first where an engine without ground truth has no cached record (--measure-oracle). */
  measureOracle?: boolean;
  /** Where the measured oracle's records are (default: oracle/cache.ts cacheDir of the config). */
  oracleCacheDir?: string;
  /** Progress of --measure-oracle. */
  onOracle?: Pick<MeasureOptions, 'onPlan' | 'onProbe' | 'onRate'>;
  /** Called with each thing found and cleaned up after an interrupted harness (on resume), before the runs. */
  onReclaim?: (line: string) => void;
  /** Writes the finished folder's report (summary, charts, index.html): the report room's writeReport, passed by the
   *  caller so this room does not import the one above it. Without it only the CSVs are written. */
  report?: ReportWriter;
  /** Pre-training of a StreamTune recipe before the runs. */
  onTrain?: { start(p: Pretraining, count: number): void; step(what: string): void; stop(): void };
}

/** The report writer; `failed` lists the runs that stopped with an error (their kept rows are in the CSVs); it may return the profile-range notices. */
export type ReportWriter = (dir: string, x: Experiment, o: { charts: boolean; png: boolean; failed?: readonly { key: string; error: string }[] }) => Promise<string[] | void>;

export interface Progress {
  start(totalRuns: number, totalEpisodes: number, skippedRuns: number): void;
  episode(): void;
  run(key: string, ok: boolean): void;
  stop(): void;
}

export interface ExperimentOutcome {
  dir: string;
  runs: number;
  skipped: number;
  failed: { key: string; error: string }[];
  /** What was found and cleaned up after an interrupted harness (on resume). */
  reclaimed: string[];
  /** Set when the folder is one shard of the experiment ('2/3'). */
  shard?: string;
  /** Terms the simulator extrapolated past its profile's measurements ("exchange: 128 channels, measured up to 32"). */
  extrapolations?: string[];
}


export async function runExperiment(o: ExperimentOptions): Promise<ExperimentOutcome> {
  if (o.jobs !== undefined && !(Number.isInteger(o.jobs) && o.jobs >= 1 && o.jobs <= BOUNDS.jobs))
    throw new ConfigError(`--jobs: expected an integer in [1, ${BOUNDS.jobs}], got ${o.jobs}`);
  const plan = planExperiment(o);
  const { file, raw, points, runs } = plan;
  let dir = plan.dir;
  // Every finished run is verified before anything is written: its files against its marker, its run against the config.
  const again: { key: string; line: string }[] = [];
  for (const r of runs) {
    const v = verifyRun(dir, r.key, r);
    if (v.state === 'other-run')
      throw new ConfigError(`${o.resume !== undefined ? '--resume' : plan.rootFrom}: ${clip(join(dir, v.file), 200)}: ${v.why}: the folder mixes configs; start a new run folder`);
    if (v.state === 'unverified') again.push({ key: r.key, line: `${v.file}: ${v.why}: running ${r.key} again` });
  }
  o.onPlan?.(plan);
  const over = overLimits(plan.estimate);
  if (over && !o.allowLarge) throw new ConfigError(`${file}: ${formatEstimate(plan.estimate)}: too large (${over}); pass --allow-large to run it`);
  if (plan.pretraining.length > 0 && o.train === false) {
    const p = plan.pretraining[0] as Pretraining;
    throw new ConfigError(
      `${p.where}: ${p.asset.describe} is not cached; making it takes ~${duration(assetSeconds(p))}: run without --no-train`,
    );
  }
  if (plan.claim) {
    const parent = unwritableFolder(dirname(dir));
    // Named as the run folder, as for an existing parent below.
    if (parent) throw new ConfigError(`${plan.rootFrom}: ${parent.replace(dirname(dir), dir)}`);
    try {
      dir = claimFolder(dir);
    } catch (e) {
      throw new ConfigError(`${plan.rootFrom}: ${clip(dir, 200)}: cannot be created (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  const unwritable = unwritableFolder(dir);
  if (unwritable) {
    if (plan.claim) rmdirSync(dir);
    throw new ConfigError(`${plan.rootFrom}: ${unwritable}`);
  }
  o.onFolder?.(dir);
  for (const a of again) {
    o.onUnverified?.(a.line);
    for (const f of [DONE, ...RUN_CSVS]) rmSync(join(dir, 'runs', a.key, f), { force: true });
  }
  for (const p of plan.pretraining) {
    o.onTrain?.start(p, plan.pretraining.length);
    try {
      await makeAssets(p, (what) => o.onTrain?.step(what));
    } finally {
      o.onTrain?.stop();
    }
  }
  const cwd = o.cwd ?? process.cwd();
  if (o.measureOracle)
    await measureOracle({ config: file, loaded: { file, raw }, cwd, realOnly: true, ...(o.oracleCacheDir !== undefined ? { cacheDir: o.oracleCacheDir } : {}), ...o.onOracle });
  const measured = measuredOracles(plan, cwd, o.oracleCacheDir);
  writeAtomic(join(dir, RESOLVED), `${JSON.stringify({ file, raw, points: points.map((p) => ({ label: p.label, experiment: p.experiment })) }, null, 2)}\n`);

  if (measured.length > 0) writeAtomic(join(dir, MEASURED_ORACLE), `${JSON.stringify({ what: WHAT, points: measured }, null, 2)}\n`);
  const bySweep = new Map(measured.map((m) => [m.sweep, m.sizes]));
  const withOracle = runs.map((r) => (bySweep.has(r.sweep) ? { ...r, measuredOracle: bySweep.get(r.sweep) as Record<string, number> } : r));
  const shard = shardOf(dir, o.shard, withOracle);
  const mine = shard ? shardRuns(withOracle, shard) : withOracle;
  const pending = mine.filter((r) => !finished(dir, r.key, r));
  const parallel = points.every((p) => engineCapabilities(p.experiment.engine).parallelDeployments);
  const jobs = parallel ? Math.max(1, Math.min(o.jobs ?? points[0]?.experiment.jobs ?? availableParallelism(), pending.length)) : 1;
  const reclaimed = o.resume ? await reclaimLeftovers(dir, pending) : [];
  for (const line of reclaimed) o.onReclaim?.(line);
  o.progress?.start(mine.length, pending.reduce((s, r) => s + episodeCount(r), 0), mine.length - pending.length);
  const failed: { key: string; error: string }[] = [];
  const rows = (d: string, result: LoopResult): void => {
    // A failed run's partial rows (no marker: never taken for a finished run).
    writeCsv(join(d, 'episodes.csv'), EPISODE_COLUMNS, result.episodes);
    writeCsv(join(d, 'timeline.csv'), TIMELINE_COLUMNS, result.timeline);
    writeCsv(join(d, 'history.csv'), HISTORY_COLUMNS, result.history);
  };
  const persist = (spec: RunSpec, result: LoopResult): void => {
    const d = join(dir, 'runs', spec.key);
    rmSync(join(d, ERROR), { force: true }); // a resumed run that failed before
    writeRun(d, spec, {
      'episodes.csv': { text: toCsv(EPISODE_COLUMNS, result.episodes), rows: result.episodes.length },
      'timeline.csv': { text: toCsv(TIMELINE_COLUMNS, result.timeline), rows: result.timeline.length },
      'history.csv': { text: toCsv(HISTORY_COLUMNS, result.history), rows: result.history.length },
    });
    o.progress?.run(spec.key, true);
  };
  /** A failed run keeps what it recorded before the failure (finished episodes, observed windows) beside its error. */
  const fail = (spec: RunSpec, error: string, partial?: LoopResult): void => {
    failed.push({ key: spec.key, error });
    const d = join(dir, 'runs', spec.key);
    for (const f of [DONE, ...RUN_CSVS]) rmSync(join(d, f), { force: true });
    if (partial) rows(d, partial);
    writeAtomic(join(d, ERROR), `${error}\n`);
    o.progress?.run(spec.key, false);
  };
  try {
    if (jobs <= 1) {
      for (const spec of pending) {
        try {
          persist(spec, await executeRun(spec, () => o.progress?.episode(), { leftoversFile: join(dir, 'runs', spec.key, LEFTOVERS) }));
        } catch (e) {
          fail(spec, (e as Error).message, partialResult(e));
        }
        // A run on the simulator yields only to microtasks: let signals (Ctrl-C) and timers in between runs.
        await new Promise((r) => setImmediate(r));
      }
    } else {
      await runInWorkers(pending, jobs, persist, fail, () => o.progress?.episode());
    }
  } finally {
    o.progress?.stop();
  }
  if (shard) return { dir, runs: mine.length, skipped: mine.length - pending.length, failed, reclaimed, shard: `${shard.index}/${shard.count}` };
  const extrapolations = await finishRunFolder(dir, runs, points[0]?.experiment as Experiment, o.report);
  return { dir, runs: runs.length, skipped: runs.length - pending.length, failed, reclaimed, extrapolations };
}

/** The run folder's record of the measured oracle it used (sweep points on engines without ground truth). */
export const MEASURED_ORACLE = 'measured-oracle.json';

/** A run's leftovers file (runs/<key>/): present from deploy until stop, so a killed harness leaves it behind. */
export const LEFTOVERS = 'leftovers.json';

/**
 * On resume, before the runs: each engine of the pending runs cleans up what an interrupted harness left (the
 * leftovers files of its runs, and its own kind of debris, e.g. temporary folders). One line per thing found.
 */
async function reclaimLeftovers(dir: string, pending: readonly RunSpec[]): Promise<string[]> {
  const byEngine = new Map<string, { spec: RunSpec; files: string[] }>();
  for (const spec of pending) {
    const key = JSON.stringify(spec.experiment.engine);
    const entry = byEngine.get(key) ?? { spec, files: [] };
    byEngine.set(key, entry);
    const f = join(dir, 'runs', spec.key, LEFTOVERS);
    if (existsSync(f)) entry.files.push(f);
  }
  const lines: string[] = [];
  for (const { spec, files } of byEngine.values()) {
    const engine = await createEngine(spec.experiment.engine, spec.seed);
    try {
      if (!engine.reclaim) continue;
      const leftovers = files.flatMap((f) => {
        try {
          return [readInputJson(f) as Leftovers];
        } catch {
          return [];
        }
      });
      lines.push(...(await engine.reclaim(leftovers)));
      for (const f of files) rmSync(f, { force: true });
    } finally {
      await engine.close();
    }
  }
  return lines;
}

/** A failed run's error (runs/<key>/), beside the rows it recorded before it failed. */
const ERROR = 'error.txt';

/** What a run recorded before it failed, when the error carries it (the loop's failure does). */
function partialResult(e: unknown): LoopResult | undefined {
  const p = (e as { partial?: LoopResult } | undefined)?.partial;
  return p && Array.isArray(p.timeline) ? p : undefined;
}

/**
 * The merged CSVs (in run order: finished runs, and what failed runs recorded before they failed), summary (with
 * the failed runs and their errors), charts and index.html of a run folder.
 */
async function finishRunFolder(dir: string, runs: readonly RunSpec[], first: Experiment, report: ReportWriter | undefined): Promise<string[]> {
  const done = (r: RunSpec): boolean => finished(dir, r.key, r);
  const failedRun = (r: RunSpec): boolean => !done(r) && existsSync(join(dir, 'runs', r.key, ERROR));
  mergeResults(dir, runs.filter((r) => done(r) || failedRun(r)));
  const failed = runs.filter(failedRun).map((r) => ({ key: r.key, error: readInputText(join(dir, 'runs', r.key, ERROR)).trim() }));
  const notices = await report?.(dir, first, { charts: first.outputs.charts, png: first.outputs.png, failed });
  return notices ?? [];
}

/**
 * `npm run merge`: the shards of one experiment (planMerge refuses other configs, code versions, a missing shard
 * or an unfinished run) into one run folder, byte-identical to a single-machine run of the config.
 */
export async function mergeExperimentShards(dirs: readonly string[], o: { out?: string; runId?: string; cwd?: string; report?: ReportWriter } = {}): Promise<ExperimentOutcome> {
  const plan = planMerge(dirs, o);
  copyShards(plan);
  const extrapolations = await finishRunFolder(plan.dir, plan.runs, plan.experiment, o.report);
  return { dir: plan.dir, runs: plan.runs.length, skipped: 0, failed: [], reclaimed: [], extrapolations };
}

function mergeResults(dir: string, done: readonly RunSpec[]): void {
  const read = (key: string, name: string): Record<string, string>[] => {
    const f = join(dir, 'runs', key, name);
    return existsSync(f) ? readInputCsv(f) : [];
  };
  writeCsv(join(dir, 'episodes.csv'), EPISODE_COLUMNS, done.flatMap((r) => read(r.key, 'episodes.csv')));
  writeCsv(join(dir, 'timeline.csv'), TIMELINE_COLUMNS, done.flatMap((r) => read(r.key, 'timeline.csv')));
  writeCsv(join(dir, 'history.csv'), HISTORY_COLUMNS, done.flatMap((r) => read(r.key, 'history.csv')));
}

function runInWorkers(
  specs: RunSpec[],
  jobs: number,
  persist: (s: RunSpec, r: LoopResult) => void,
  fail: (s: RunSpec, e: string, partial?: LoopResult) => void,
  onEpisode: () => void,
): Promise<void> {
  const queue = [...specs];
  const byKey = new Map(specs.map((s) => [s.key, s]));
  const workers: Worker[] = [];
  return new Promise<void>((resolvePool, rejectPool) => {
    let active = 0;
    const next = (w: Worker): void => {
      const spec = queue.shift();
      if (!spec) {
        void w.terminate();
        if (--active === 0) resolvePool();
        return;
      }
      w.postMessage(spec);
    };
    for (let i = 0; i < jobs; i++) {
      const w = new Worker(new URL('./worker-entry.mjs', import.meta.url));
      workers.push(w);
      active++;
      w.on('message', (m: { kind: string; key: string; result?: LoopResult; error?: string; partial?: LoopResult }) => {
        const spec = byKey.get(m.key) as RunSpec;
        if (m.kind === 'episode') return onEpisode();
        try {
          if (m.kind === 'done') persist(spec, m.result as LoopResult);
          else fail(spec, m.error ?? 'unknown error', m.partial);
        } catch (e) {
          rejectPool(e);
        }
        next(w);
      });
      w.on('error', (e) => rejectPool(e));
      next(w);
    }
  }).finally(() => Promise.all(workers.map((w) => w.terminate())));
}

/** Makes what one asset needs: the missing corpora it reads (generated on the simulator), then the asset itself. */
export async function makeAssets(p: Pretraining, step: (what: string) => void): Promise<void> {
  for (const f of p.corpora) {
    step(`generating ${f}`);
    await makeNamedCorpus(f);
  }
  await p.asset.make((await chooseBackendInfo()).name, step);
}

