/**
 * Everything decided before the first run, so that a bad config is refused (ConfigError, exit 2) before anything
 * is written: the config (or the resumed folder's own), every sweep point validated and checked as a whole
 * (checks.ts), the runs, the work estimate (estimate.ts), the StreamTune recipes to pre-train, and the run folder,
 * which always lies inside the results folder.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { clip, ConfigError, loadExperiment, readJson } from './config.js';
import { checkExperiment } from './checks.js';
import { estimateWork, type WorkEstimate } from './estimate.js';
import { expandSweep, type SweepPoint } from './sweep.js';
import { expandRuns, type RunSpec } from './runs.js';
import { canonical } from '../core/canonical.js';
import { TUNERS } from '../tuners/registry.js';
import { recipeOf } from '../tuners/streamtune/index.js';
import { recipeStatus, type PretrainRecipe, type RecipeStatus } from '../tuners/streamtune/pretrain.js';

export const RESOLVED = 'config.resolved.json';

/** StreamTune option names of the recipe keys whose names differ (streamtune/index.ts recipeOf). */
const RECIPE_OPTION: Record<string, string> = { epochs: 'pretrainEpochs', lr: 'pretrainLr', batchSize: 'pretrainBatch', labelRule: 'labelRule' };

export interface PlanOptions {
  config?: string;
  out?: string;
  resume?: string;
  seed?: number;
  cwd?: string;
  runId?: string;
}

/** A StreamTune recipe that differs from its pretrained set's and is not cached yet: trained before the runs. */
export interface Pretraining {
  /** Where it is asked for, e.g. 'tuners.streamtune' of sweep point 2. */
  where: string;
  setPath: string;
  recipe: PretrainRecipe;
  status: RecipeStatus;
}

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
}

export function planExperiment(o: PlanOptions): Plan {
  const cwd = o.cwd ?? process.cwd();
  let raw: Record<string, unknown>;
  let file: string;
  let dir: string;
  let root: string;
  let rootFrom: string;
  if (o.resume !== undefined) {
    if (o.resume.trim() === '') throw new ConfigError('--resume: expected a run folder, e.g. --resume results/<name>/<run-id>');
    if (o.out !== undefined) throw new ConfigError(`--out: not with --resume (the run folder is ${clip(o.resume, 200)})`);
    dir = resolve(cwd, o.resume);
    root = resolve(dir, '..', '..');
    rootFrom = '--resume';
    const stored = join(dir, RESOLVED);
    if (!existsSync(stored) || !statSync(stored).isFile()) throw new ConfigError(`--resume: ${clip(o.resume, 200)} is not a run folder (no ${RESOLVED})`);
    const saved = readJson(stored) as { file?: unknown; raw?: unknown };
    if (typeof saved.file !== 'string' || typeof saved.raw !== 'object' || saved.raw === null)
      throw new ConfigError(`--resume: ${clip(stored, 200)}: not a resolved config (no 'file' and 'raw')`);
    raw = saved.raw as Record<string, unknown>;
    file = saved.file;
    if (o.config !== undefined) {
      const given = loadExperiment(o.config, cwd);
      const mine = o.seed !== undefined ? { ...given.raw, seeds: [o.seed] } : given.raw;
      if (canonical(mine) !== canonical(raw))
        throw new ConfigError(
          `--resume: ${clip(o.resume, 200)} holds another config (${clip(file, 120)}${o.seed !== undefined ? ` and its own seeds` : ''}); resume it alone with --resume <dir>, or start a new run`,
        );
    } else if (o.seed !== undefined && canonical(raw.seeds) !== canonical([o.seed])) {
      throw new ConfigError(`--seed: ${o.seed} differs from the resumed folder's seeds ${clip(JSON.stringify(raw.seeds ?? [1]), 80)}; resume without --seed`);
    }
  } else {
    if (o.config === undefined) throw new ConfigError('no config: give an experiment file, or --resume <run-dir>');
    const loaded = loadExperiment(o.config, cwd);
    raw = loaded.raw;
    file = loaded.file;
    if (o.seed !== undefined) raw = { ...raw, seeds: [o.seed] };
    rootFrom = o.out !== undefined ? '--out' : 'outputs.dir';
    root = resolve(cwd, o.out ?? loaded.experiment.outputs.dir);
    const runId = o.runId ?? new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    dir = join(root, loaded.experiment.name, runId);
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
  const pretraining: Pretraining[] = [];
  const seen = new Set<string>();
  for (const { point, where } of points) {
    const options = point.experiment.tuners.streamtune;
    if (options === undefined) continue;
    const parsed = TUNERS.streamtune.options.parse(options);
    if (parsed.pretrained === '') continue;
    const recipe = recipeOf(parsed);
    const status = recipeStatus(parsed.pretrained, recipe);
    if (status.state !== 'train' || seen.has(status.cacheDir)) continue;
    seen.add(status.cacheDir);
    const keys = status.differs.map((k) => RECIPE_OPTION[k] ?? k);
    pretraining.push({ where: `${where}: tuners.streamtune.${keys[0] ?? 'pretrained'}`, setPath: parsed.pretrained, recipe, status: { ...status, differs: keys } });
  }
  const pts = points.map((p) => p.point);
  return { dir, root, file, raw, points: pts, runs: expandRuns(pts), estimate, pretraining, rootFrom };
}

