/**
 * `npm run submit`: plan (everything validated before a file is written), write the scripts or manifests and
 * submission.json into the submission folder, then submit (Slurm only, unless dry-run). A resubmission
 * (`--resume <folder>`) submits only the shards without a finished marker for each of their runs, then the merge.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clip, ConfigError } from '../experiment/config.js';
import { makeAssets } from '../experiment/experiment.js';
import type { Pretraining } from '../experiment/plan.js';
import { makeDirs, writeAtomic } from '../io/files.js';
import { mergeManifest, MERGE_MANIFEST, SHARDS_MANIFEST, shardsManifest } from './k8s.js';
import { activeJobs, MERGE_SCRIPT, mergeScript, sbatchCommands, sbatchVersion, SHARDS_SCRIPT, shardsScript, submitMerge, submitSlurm } from './slurm.js';
import { allShards, describeUnfinished, mergedFolder, planSubmission, readSubmission, shardStatus, SUBMISSION, type Attempt, type Submission, type SubmitRequest } from './submission.js';

export interface SubmitOutcome {
  submission: Submission;
  attempt: Attempt;
  /** What was (or, on a dry run, would be) run, one command per line. */
  commands: string[];
  /** On a resubmission: one line per shard that did not finish. */
  unfinished: string[];
}

function save(s: Submission): void {
  writeAtomic(join(s.dir, SUBMISSION), `${JSON.stringify(s, null, 2)}\n`);
}

function slurmCommands(s: Submission, shardsFile: string, withShards: boolean): string[] {
  const c = sbatchCommands(s, shardsFile);
  return (withShards ? [c.shards, c.merge, c.report] : [c.mergeAlone]).map((a) => `sbatch ${a.join(' ')}`);
}

/** Pre-training progress, as `npm run experiment` reports it. */
export interface TrainProgress {
  start(p: Pretraining, count: number): void;
  step(what: string): void;
  stop(): void;
}

/**
 * Makes what the shards' tuners need (once, here, into the cache they read: a StreamTune recipe), writes the submission
 * folder and, for Slurm unless dryRun, submits the array job and the merge.
 */
export async function submitSweep(r: SubmitRequest, o: { dryRun?: boolean; onTrain?: TrainProgress } = {}): Promise<SubmitOutcome> {
  const { submission: s, pretraining } = planSubmission(r);
  if (s.scheduler === 'slurm' && !o.dryRun) sbatchVersion(); // no folder is left behind where sbatch cannot run
  for (const p of pretraining) {
    o.onTrain?.start(p, pretraining.length);
    try {
      await makeAssets(p, (what) => o.onTrain?.step(what));
    } finally {
      o.onTrain?.stop();
    }
  }
  makeDirs(join(s.dir, 'logs'));
  if (s.scheduler === 'k8s') {
    const o8 = s.k8s as NonNullable<Submission['k8s']>;
    writeAtomic(join(s.dir, SHARDS_MANIFEST), shardsManifest(s, o8));
    writeAtomic(join(s.dir, MERGE_MANIFEST), mergeManifest(s, o8));
    const attempt: Attempt = { shards: allShards(s), files: [SHARDS_MANIFEST, MERGE_MANIFEST] };
    s.attempts.push(attempt);
    save(s);
    return { submission: s, attempt, commands: [`kubectl apply -f ${join(s.dir, SHARDS_MANIFEST)}`, `kubectl wait --for=condition=complete --timeout=-1s -f ${join(s.dir, SHARDS_MANIFEST)}`, `kubectl apply -f ${join(s.dir, MERGE_MANIFEST)}`], unfinished: [] };
  }
  writeAtomic(join(s.dir, SHARDS_SCRIPT), shardsScript(s, allShards(s)));
  writeAtomic(join(s.dir, MERGE_SCRIPT), mergeScript(s));
  const attempt: Attempt = { shards: allShards(s), files: [SHARDS_SCRIPT, MERGE_SCRIPT] };
  s.attempts.push(attempt);
  save(s);
  if (!o.dryRun) {
    attempt.jobs = submitSlurm(s, SHARDS_SCRIPT);
    save(s);
  }
  return { submission: s, attempt, commands: slurmCommands(s, SHARDS_SCRIPT, true), unfinished: [] };
}

/**
 * Resubmits the unfinished shards of a Slurm submission (a shard whose folder exists resumes in it), then the
 * merge; with every shard finished, only the merge. Refused while a job of the submission is queued or running.
 */
export function resumeSweep(dir: string, o: { dryRun?: boolean; cwd?: string } = {}): SubmitOutcome {
  const folder = resolve(o.cwd ?? process.cwd(), dir);
  const s = readSubmission(folder);
  if (s.scheduler === 'k8s')
    throw new ConfigError(
      `--resume: ${clip(folder, 200)} was written for Kubernetes: delete the shards Job and apply ${SHARDS_MANIFEST} again (a finished shard resumes with nothing to run), then ${MERGE_MANIFEST}`,
    );
  if (existsSync(mergedFolder(s))) throw new ConfigError(`--resume: ${clip(mergedFolder(s), 200)} exists: this submission is merged already`);
  const ids = s.attempts.flatMap((a) => (a.jobs ? [a.jobs.shards, a.jobs.merge, a.jobs.report] : []));
  if (!o.dryRun) {
    const active = activeJobs(ids);
    if (active.length > 0) throw new ConfigError(`--resume: jobs of ${clip(folder, 200)} are still queued or running (${clip(active.join(', '), 200)}): wait for them, or scancel them first`);
  }
  const status = allShards(s).map((i) => shardStatus(s, i));
  const open = status.filter((st) => st.state !== 'finished');
  const unfinished = open.map((st) => describeUnfinished(s, st));
  const n = s.attempts.length + 1;
  if (open.length === 0) {
    // Every shard finished (a merge that failed or was cancelled): the merge alone.
    const attempt: Attempt = { shards: [], files: [MERGE_SCRIPT] };
    s.attempts.push(attempt);
    save(s);
    const commands = slurmCommands(s, SHARDS_SCRIPT, false);
    if (!o.dryRun) {
      attempt.jobs = { shards: '', merge: submitMerge(s), report: '' };
      save(s);
    }
    return { submission: s, attempt, commands, unfinished };
  }
  const file = `shards-${n}.sbatch`;
  const shards = open.map((st) => st.index);
  writeAtomic(join(s.dir, file), shardsScript(s, shards));
  const attempt: Attempt = { shards, files: [file, MERGE_SCRIPT] };
  s.attempts.push(attempt);
  save(s);
  if (!o.dryRun) {
    attempt.jobs = submitSlurm(s, file);
    save(s);
  }
  return { submission: s, attempt, commands: slurmCommands(s, file, true), unfinished };
}
