/**
 * A sweep submitted to a batch system: one folder (the submission folder, results/<name>/<run-id>/, where a
 * single-machine run of the config would write) holds everything of it:
 *
 *   submission.json            what was submitted: the config, the shard count, the options, each attempt's jobs
 *   shards.sbatch, merge.sbatch the Slurm array job (one task per shard) and the merge job; or k8s/*.yaml
 *   logs/shard-<i>.out         each shard's output (appended to by a resubmission), logs/merge.out the merge's
 *   <name>/shard-<i>/          shard i's run folder (`npm run experiment -- <config> --shard i/n`)
 *   <name>/merged/             the merged run folder, byte-identical to a single-machine run; it appears whole
 *
 * Planning validates the config and the flags before anything is written or submitted (ConfigError, exit 2).
 * The scheduler-specific text is in slurm.ts and k8s.ts; the merge of a submission folder in merge.ts.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { clip, ConfigError, readJson } from '../experiment/config.js';
import { duration, formatEstimate, overLimits } from '../experiment/estimate.js';
import { assetSeconds, planExperiment, type Pretraining } from '../experiment/plan.js';
import { MAX_SHARDS, SHARD_MARKER, type ShardMarker } from '../experiment/shard.js';
import { finished } from '../experiment/done.js';
import { readInputText } from '../io/read.js';
import { PROJECT_ROOT } from '../core/project.js';

export const SUBMISSION = 'submission.json';
export const MERGED = 'merged';

export type Scheduler = 'slurm' | 'k8s';

/** Slurm's options (each optional one is left to the cluster's default when absent). */
export interface SlurmOptions {
  partition?: string;
  time?: string;
  account?: string;
  /** CPUs per shard (--cpus-per-task), also the shard's --jobs. */
  cpus: number;
}

/** Kubernetes' options: the image holds this checkout with `npm ci` done; a ReadWriteMany claim holds results. */
export interface K8sOptions {
  image: string;
  namespace?: string;
  /** The PersistentVolumeClaim mounted at `mount` in every pod. */
  claim: string;
  mount: string;
  /** The checkout's folder inside the image. */
  workdir: string;
  cpus: number;
}

/** One submission of shards to the scheduler: the first, or a resubmission of the unfinished ones. */
export interface Attempt {
  shards: number[];
  /** The array job's script or the manifests, relative to the submission folder. */
  files: string[];
  /** Absent on --dry-run; shards and report are empty when the merge was submitted alone. */
  jobs?: { shards: string; merge: string; report: string };
}

export interface Submission {
  scheduler: Scheduler;
  /** The experiment file (absolute), as every shard reads it. */
  config: string;
  name: string;
  shards: number;
  runs: number;
  /** The checkout the jobs run in (npm run ...). */
  project: string;
  /** The submission folder (absolute). */
  dir: string;
  /** Passed on to every shard. */
  allowLarge: boolean;
  slurm?: SlurmOptions;
  k8s?: K8sOptions;
  attempts: Attempt[];
}

export interface SubmitRequest {
  config: string;
  shards: number;
  scheduler: Scheduler;
  out?: string;
  runId?: string;
  cwd?: string;
  allowLarge?: boolean;
  /** false: refuse a StreamTune recipe that would need pre-training (--no-train). */
  train?: boolean;
  slurm?: SlurmOptions;
  k8s?: K8sOptions;
}

/** Where shard i's run folder and log lie. */
export const shardFolder = (s: Pick<Submission, 'dir' | 'name'>, i: number): string => join(s.dir, s.name, `shard-${i}`);
export const shardLog = (s: Pick<Submission, 'dir'>, i: number): string => join(s.dir, 'logs', `shard-${i}.out`);
export const mergedFolder = (s: Pick<Submission, 'dir' | 'name'>): string => join(s.dir, s.name, MERGED);

/**
 * Paths a job script carries on an #SBATCH line or in a manifest: anything a shell or YAML would read another way
 * (spaces, quotes, $, `, \) is refused, so that the written text means exactly the folder.
 */
function plainPath(what: string, path: string): string {
  if (!/^[A-Za-z0-9._/+@:=,~-]+$/.test(path)) throw new ConfigError(`${what}: ${clip(path, 200)} holds a character a job script would have to quote (only letters, digits and ._/+@:=,~- are kept as written)`);
  return path;
}

/**
 * Validates the config and the flags and names the submission folder; writes nothing. `pretraining`: what the
 * tuners need made before the runs (a StreamTune recipe not cached yet), made once on the submitting machine, into
 * the cache the shards read, before they are submitted.
 */
export function planSubmission(r: SubmitRequest): { submission: Submission; pretraining: Pretraining[] } {
  if (!Number.isInteger(r.shards) || r.shards < 1 || r.shards > MAX_SHARDS) throw new ConfigError(`--shards: expected an integer in [1, ${MAX_SHARDS}], got ${r.shards}`);
  const plan = planExperiment({ config: r.config, ...(r.out !== undefined ? { out: r.out } : {}), ...(r.runId !== undefined ? { runId: r.runId } : {}), ...(r.cwd !== undefined ? { cwd: r.cwd } : {}) });
  if (r.shards > plan.runs.length)
    throw new ConfigError(`--shards: ${r.shards} shards for ${plan.runs.length} run${plan.runs.length > 1 ? 's' : ''} of ${clip(plan.file, 200)}: at most one shard per run (give --shards ${plan.runs.length} or fewer)`);
  const over = overLimits(plan.estimate);
  if (over && !r.allowLarge) throw new ConfigError(`${plan.file}: ${formatEstimate(plan.estimate)}: too large (${over}); pass --allow-large to submit it`);
  if (plan.pretraining.length > 0 && r.train === false) {
    const p = plan.pretraining[0] as Pretraining;
    throw new ConfigError(
      `${p.where}: ${p.asset.describe} is not cached; making it takes ~${duration(assetSeconds(p))}: submit without --no-train (it is made here once, before the shards, into the cache they read)`,
    );
  }
  if (existsSync(plan.dir)) throw new ConfigError(`submit: ${clip(plan.dir, 200)} exists: give another --run-id`);
  const name = plan.points[0]?.experiment.name as string;
  plainPath('--out', plan.dir);
  plainPath('the checkout', PROJECT_ROOT);
  plainPath('the config', plan.file);
  if (r.scheduler === 'slurm' && !r.slurm) throw new ConfigError('--slurm: no Slurm options');
  if (r.scheduler === 'k8s') {
    if (!r.k8s) throw new ConfigError('--k8s: no Kubernetes options');
    const rel = relative(PROJECT_ROOT, plan.file);
    if (rel.startsWith('..') || rel.startsWith('/'))
      throw new ConfigError(`--k8s: the config ${clip(plan.file, 200)} lies outside the checkout ${clip(PROJECT_ROOT, 200)}: the image holds only the checkout, so the pods could not read it`);
  }
  const submission: Submission = {
    scheduler: r.scheduler,
    config: plan.file,
    name,
    shards: r.shards,
    runs: plan.runs.length,
    project: PROJECT_ROOT,
    dir: plan.dir,
    allowLarge: r.allowLarge ?? false,
    ...(r.slurm ? { slurm: r.slurm } : {}),
    ...(r.k8s ? { k8s: r.k8s } : {}),
    attempts: [],
  };
  return { submission, pretraining: plan.pretraining };
}

export function readSubmission(dir: string): Submission {
  const file = join(dir, SUBMISSION);
  if (!existsSync(file)) throw new ConfigError(`--resume: ${clip(dir, 200)} is not a submission folder (no ${SUBMISSION}; a folder of npm run experiment resumes with npm run experiment -- --resume)`);
  const s = readJson(file) as Submission;
  if ((s.scheduler !== 'slurm' && s.scheduler !== 'k8s') || !Number.isInteger(s.shards) || typeof s.dir !== 'string' || !Array.isArray(s.attempts))
    throw new ConfigError(`${clip(file, 200)}: not what npm run submit writes`);
  return s;
}

/** Where one shard stands: finished, or why not (with its log, and the errors of its failed runs). */
export interface ShardStatus {
  index: number;
  folder: string;
  log: string;
  state: 'finished' | 'unfinished' | 'not started';
  /** Runs without a done.json (unfinished), of `runs`. */
  unfinished: string[];
  runs: number;
  /** The error.txt of each failed run. */
  errors: string[];
}

export function shardStatus(s: Submission, i: number): ShardStatus {
  const folder = shardFolder(s, i);
  const base = { index: i, folder, log: shardLog(s, i) };
  const marker = join(folder, SHARD_MARKER);
  if (!existsSync(marker)) return { ...base, state: 'not started', unfinished: [], runs: 0, errors: [] };
  const runs = (readJson(marker) as ShardMarker).runs;
  const unfinished = runs.filter((k) => !finished(folder, k));
  const errors = unfinished.flatMap((k) => {
    const f = join(folder, 'runs', k, 'error.txt');
    return existsSync(f) ? [`${k}: ${readInputText(f).trim()}`] : [];
  });
  return { ...base, state: unfinished.length === 0 ? 'finished' : 'unfinished', unfinished, runs: runs.length, errors };
}

export const allShards = (s: Submission): number[] => Array.from({ length: s.shards }, (_, i) => i + 1);

/** The last non-empty line of a log (what a killed or failed shard said last), or undefined. */
export function lastLine(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readInputText(file).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines[lines.length - 1];
}

/** Two lines per shard that did not finish: which shard, why and its log; its folder and what its log said last. */
export function describeUnfinished(s: Submission, st: ShardStatus): string {
  const why = st.state === 'not started' ? 'wrote no shard folder (it did not start, or stopped before planning its runs)' : `${st.unfinished.length} of ${st.runs} runs unfinished`;
  const last = lastLine(st.log);
  const errors = st.errors.length > 0 ? ` (failed: ${clip(st.errors.join('; '), 200)})` : '';
  return `shard ${st.index}/${s.shards}: ${why}${errors}; its log: ${st.log}\n    folder ${st.folder}; ${last ? `last line of the log: ${clip(last, 200)}` : 'the log is empty or missing'}`;
}
