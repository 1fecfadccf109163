/**
 * Everything decided before the first run, so that a bad config is refused (ConfigError, exit 2) before anything
 * is written: the config (or the resumed folder's own), every sweep point validated and checked as a whole
 * (checks.ts), the runs, the work estimate (estimate.ts), the StreamTune recipes to pre-train, and the run folder,
 * which always lies inside the results folder.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { clip, ConfigError, loadExperiment, readJson, validateExperiment } from './config.js';
import { checkExperiment } from './checks.js';
import { estimateWork, type WorkEstimate } from './estimate.js';
import { expandSweep, type SweepPoint } from './sweep.js';
import { expandRuns, type RunSpec } from './runs.js';
import { canonical } from '../core/canonical.js';
import { BOUNDS } from '../core/bounds.js';
import { describeDifferences, differences } from '../core/json-diff.js';
import { parseCorpusName } from '../history/corpus-name.js';
import { tunerEntry, tunerOptions } from '../tuners/registry.js';
import { tunerEntries } from '../tuners/variants.js';
import type { TunerAsset } from '../tuners/tuner.js';

export const RESOLVED = 'config.resolved.json';
/** Longest name of one folder (common filesystems: 255 bytes). */
const NAME_BYTES = 255;
/** Longest run folder path: its files (runs/<key>/<file>.tmp) need room below PATH_MAX. */
const MAX_RUN_DIR = BOUNDS.pathLength - 512;


export interface PlanOptions {
  config?: string;
  out?: string;
  resume?: string;
  seed?: number;
  cwd?: string;
  runId?: string;
  /** The start time the default run id is made of (default: now). */
  now?: Date;
  /** A config given as its parsed text (the paper figures plan their derived configs without writing them). */
  given?: { file: string; raw: Record<string, unknown> };
}

/**
 * An asset a tuner needs made before the runs (a StreamTune recipe that differs from its pretrained set's and is
 * not cached yet), with the inputs it reads that are not on disk: each a generated corpus the plan makes first.
 */
export interface Pretraining {
  /** Where it is asked for, e.g. 'tuners.streamtune.labelRule' of sweep point 2. */
  where: string;
  asset: TunerAsset;
  /** Missing corpus files the harness makes before the asset (generated on the simulator from their names). */
  corpora: string[];
}

/** Rough seconds to generate a corpus of `windows` windows in all (measured: the default corpus, 3,840 windows, in 4.3 s). */
export const CORPUS_SEC_PER_WINDOW = 1.5e-3;

export interface Plan {
  /** The run folder: <results>/<name>/<run-id>/, or the resumed one. */
  dir: string;
  /** The results folder the run folder lies in (checked writable before the runs). */
  root: string;
  file: string;
  raw: Record<string, unknown>;
  points: SweepPoint[];
  runs: RunSpec[];
  estimate: WorkEstimate;
  pretraining: Pretraining[];
  /** Which flag or key named the results folder (for error lines). */
  rootFrom: string;
  /** A new folder of a default run id: created exclusively, with a suffix when taken (io/files.ts claimFolder). */
  claim: boolean;
}

export function planExperiment(o: PlanOptions): Plan {
  const cwd = o.cwd ?? process.cwd();
  let raw: Record<string, unknown>;
  let file: string;
  let dir: string;
  let root: string;
  let rootFrom: string;
  let claim = false;
  let savedPoints: unknown;
  let stored = '';
  if (o.out !== undefined && o.out.trim() === '') throw new ConfigError("--out: expected a folder path, got an empty one (leave --out out for the config's outputs.dir)");
  if (o.resume !== undefined) {
    if (o.resume.trim() === '') throw new ConfigError('--resume: expected a run folder, e.g. --resume results/<name>/<run-id>');
    if (o.out !== undefined) throw new ConfigError(`--out: not with --resume (the run folder is ${clip(o.resume, 200)})`);
    dir = resolve(cwd, o.resume);
    root = resolve(dir, '..', '..');
    rootFrom = '--resume';
    stored = join(dir, RESOLVED);
    if (!existsSync(stored) || !statSync(stored).isFile()) throw new ConfigError(`--resume: ${clip(o.resume, 200)} is not a run folder (no ${RESOLVED})`);
    const saved = readJson(stored) as { file?: unknown; raw?: unknown; points?: unknown };
    if (typeof saved !== 'object' || saved === null || typeof saved.file !== 'string' || typeof saved.raw !== 'object' || saved.raw === null || !Array.isArray(saved.points))
      throw new ConfigError(`--resume: ${clip(stored, 200)}: not a resolved config (expected 'file', 'raw' and 'points')`);
    savedPoints = saved.points;
    raw = saved.raw as Record<string, unknown>;
    file = saved.file;
    if (o.config !== undefined) {
      const given = loadExperiment(o.config, cwd);
      const mine = o.seed !== undefined ? { ...given.raw, seeds: [o.seed] } : given.raw;
      if (canonical(mine) !== canonical(raw))
        throw new ConfigError(
          `--resume: ${clip(o.resume, 200)} holds another config than ${clip(given.file, 120)}: ${describeDifferences(differences(raw, mine, 3), RESOLVED, o.seed !== undefined ? `${clip(given.file, 80)} with --seed` : clip(given.file, 80))}; resume it alone with --resume <dir>, or start a new run`,
        );
    } else if (o.seed !== undefined && canonical(raw.seeds) !== canonical([o.seed])) {
      throw new ConfigError(`--seed: ${o.seed} differs from the resumed folder's seeds ${clip(JSON.stringify(raw.seeds ?? [1]), 80)}; resume without --seed`);
    }
  } else {
    if (o.config === undefined && o.given === undefined) throw new ConfigError('no config: give an experiment file, or --resume <run-dir>');
    const loaded = o.given ? { ...o.given, experiment: validateExperiment(o.given.raw, o.given.file) } : loadExperiment(o.config as string, cwd);
    raw = loaded.raw;
    file = loaded.file;
    if (o.seed !== undefined) raw = { ...raw, seeds: [o.seed] };
    rootFrom = o.out !== undefined ? '--out' : 'outputs.dir';
    root = resolve(cwd, o.out ?? loaded.experiment.outputs.dir);
    claim = o.runId === undefined;
    const runId = o.runId ?? (o.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    dir = join(root, loaded.experiment.name, runId);
    const long = dir.split(sep).find((s) => Buffer.byteLength(s) > NAME_BYTES);
    if (long !== undefined) throw new ConfigError(`${rootFrom}: a folder name of ${long.length} characters in the run folder ${clip(dir, 120)}; expected at most ${NAME_BYTES} bytes per name`);
    if (Buffer.byteLength(dir) > MAX_RUN_DIR) throw new ConfigError(`${rootFrom}: the run folder ${clip(dir, 120)} would be ${dir.length} characters long; expected at most ${MAX_RUN_DIR} (its files need room below ${BOUNDS.pathLength})`);
    const rel = relative(root, dir);
    if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).length !== 2)
      throw new ConfigError(`${file}: name: the run folder ${clip(dir, 200)} would lie outside the results folder ${clip(root, 200)}`);
  }

  const points = expandSweep(raw, file).map((p) => {
    const where = p.label === 'base' ? file : `${file} (sweep point ${p.index}: ${clip(p.label, 80)})`;
    const checked = checkExperiment(p.experiment, { where, file, cwd });
    return { point: { ...p, experiment: checked.experiment }, workload: checked.workload, where };
  });
  const estimate = estimateWork(points.map((p) => ({ experiment: p.point.experiment, workload: p.workload })));
  const pretraining = plannedAssets(points);
  const pts = points.map((p) => p.point);
  if (savedPoints !== undefined) {
    // The stored sweep points are what the finished runs were made with; they must be what the stored raw config gives.
    const now = JSON.parse(JSON.stringify(pts.map((p) => ({ label: p.label, experiment: p.experiment })))) as unknown;
    const stale = differences(savedPoints, now, 3, 'points');
    if (stale.length > 0)
      throw new ConfigError(`--resume: ${clip(stored, 200)}: ${describeDifferences(stale, 'its points', "what its 'raw' config gives")}: the file was edited; start a new run folder`);
  }
  return { dir, root, file, raw, points: pts, runs: expandRuns(pts), estimate, pretraining, rootFrom, claim };
}

/**
 * The assets the sweep points' tuners need made before the runs (each once), with the corpora they read that are
 * not on disk. A missing input the harness cannot make is refused here, naming the command that makes it.
 */
function plannedAssets(points: readonly { point: SweepPoint; where: string }[]): Pretraining[] {
  const out: Pretraining[] = [];
  const seen = new Set<string>();
  for (const { point, where } of points)
    for (const t of tunerEntries(point.experiment.tuners)) {
      const hook = tunerEntry(t.kind).asset;
      if (!hook) continue;
      const asset = hook(tunerOptions(t.kind, t.options, t.name));
      if (!asset || seen.has(asset.id)) continue;
      seen.add(asset.id);
      const at = `${where}: tuners.${t.name}.${asset.key}`;
      for (const i of asset.inputs)
        if (!parseCorpusName(i.file)) throw new ConfigError(`${at}: ${asset.describe} needs ${clip(i.file, 200)}, which is missing; make it with ${i.command}`);
      out.push({ where: at, asset, corpora: asset.inputs.map((i) => i.file) });
    }
  return out;
}

/** Seconds to make what a plan needs before its runs: corpora first, then the assets. */
export function assetSeconds(p: Pretraining): number {
  const windows = p.corpora.reduce((s, f) => {
    const c = parseCorpusName(f);
    return s + (c ? c.jobs * c.windows : 0);
  }, 0);
  return windows * CORPUS_SEC_PER_WINDOW + p.asset.estimateSec;
}

