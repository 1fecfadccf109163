/**
 * Slurm: the array job script (one task per shard) and the merge job script of a submission, and their
 * submission with sbatch (argument arrays, never a shell string).
 *
 * The merge script is submitted twice behind the array: once `afterok` (every shard succeeded: it merges) and once
 * `afternotok` (a shard failed or was cancelled: the same command names the shards that did not finish and their
 * logs, and exits 1). Exactly one of the two can ever run; Slurm cancels the other (--kill-on-invalid-dep), so a
 * failed sweep never leaves a merge pending forever.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { clip } from '../experiment/config.js';
import type { Submission } from './submission.js';

export const SHARDS_SCRIPT = 'shards.sbatch';
export const MERGE_SCRIPT = 'merge.sbatch';

/** A Slurm command failed or is missing (exit 1: nothing about the input was wrong). */
export class SchedulerError extends Error {}

/** The array as Slurm writes it: 1-3, or 2,5 for a resubmission. */
export function arraySpec(shards: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < shards.length; ) {
    let j = i;
    while (j + 1 < shards.length && (shards[j + 1] as number) === (shards[j] as number) + 1) j++;
    parts.push(i === j ? `${shards[i]}` : `${shards[i]}-${shards[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** A word for a shell script, single-quoted when it needs quoting. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9._/+@:=,%-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * `run <command>`: the command in a process group of its own, with scancel's and the time limit's SIGTERM passed on
 * to all of it. Slurm signals the batch script; measured on Slurm 22.05 (proctrack/linuxproc), the processes below
 * `npm run` (sh, tsx, node) did not receive it and ran on to the end, so a cancelled shard was not stopped.
 */
const RUN = [
  'run() {',
  '  setsid "$@" &',
  '  local child=$! status=0',
  `  trap 'kill -TERM -- "-$child" 2>/dev/null || true' TERM INT`,
  '  wait "$child" || status=$?',
  '  while kill -0 "$child" 2>/dev/null; do wait "$child" || status=$?; done',
  '  return "$status"',
  '}',
];

function directives(s: Submission, jobName: string, output: string, cpus: number): string[] {
  const o = s.slurm;
  return [
    `#SBATCH --job-name=${jobName}`,
    `#SBATCH --chdir=${s.project}`,
    `#SBATCH --output=${output}`,
    '#SBATCH --open-mode=append',
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${cpus}`,
    ...(o?.partition !== undefined ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o?.time !== undefined ? [`#SBATCH --time=${o.time}`] : []),
    ...(o?.account !== undefined ? [`#SBATCH --account=${o.account}`] : []),
  ];
}

/** The array job of the given shards: task i runs shard i/n, or resumes it when its folder exists. */
export function shardsScript(s: Submission, shards: readonly number[]): string {
  const cpus = s.slurm?.cpus ?? 1;
  const folder = `${join(s.dir, s.name)}/shard-`;
  const large = s.allowLarge ? ' --allow-large' : '';
  return [
    '#!/bin/bash',
    ...directives(s, `${s.name}-shards`, join(s.dir, 'logs', 'shard-%a.out'), cpus),
    `#SBATCH --array=${arraySpec(shards)}`,
    `# Shard i of ${s.shards} of ${s.config} (${s.runs} runs) per array task i, into ${join(s.dir, s.name)}/shard-i;`,
    '# a shard whose folder exists (a resubmission) resumes: its finished runs are kept.',
    '# Written by `npm run submit`; `npm run submit -- --resume <this folder>` resubmits the unfinished shards.',
    'set -euo pipefail',
    ...RUN,
    'shard=$SLURM_ARRAY_TASK_ID',
    `dir=${shellWord(folder)}$shard`,
    `echo "shard $shard/${s.shards} on $(hostname) (job \${SLURM_ARRAY_JOB_ID}_$shard), $(date -u +%FT%TZ)"`,
    'if [ -f "$dir/shard.json" ]; then',
    `  run npm run experiment -- --resume "$dir" --jobs "$SLURM_CPUS_PER_TASK"${large}`,
    'else',
    `  run npm run experiment -- ${shellWord(s.config)} --shard "$shard/${s.shards}" --out ${shellWord(s.dir)} --run-id "shard-$shard" --jobs "$SLURM_CPUS_PER_TASK"${large}`,
    'fi',
    '',
  ].join('\n');
}

/** The merge job: merges the submission folder's shards, or names those that did not finish. */
export function mergeScript(s: Submission): string {
  return [
    '#!/bin/bash',
    ...directives(s, `${s.name}-merge`, join(s.dir, 'logs', 'merge.out'), 1),
    `# Merges the ${s.shards} shards of ${s.dir} into ${join(s.dir, s.name, 'merged')} once the array job is done;`,
    '# run after a failed shard, it names the shards that did not finish and their logs, and exits 1.',
    'set -euo pipefail',
    ...RUN,
    'echo "merge on $(hostname) (job $SLURM_JOB_ID), $(date -u +%FT%TZ)"',
    `run npm run merge -- ${shellWord(s.dir)}`,
    '',
  ].join('\n');
}

/** The sbatch argument arrays of one attempt, in order; `<shards>` stands for the array job's id. */
export function sbatchCommands(s: Submission, shardsFile: string): { shards: string[]; merge: string[]; report: string[]; mergeAlone: string[] } {
  const merge = join(s.dir, MERGE_SCRIPT);
  return {
    mergeAlone: ['--parsable', merge],
    shards: ['--parsable', join(s.dir, shardsFile)],
    merge: ['--parsable', '--dependency=afterok:<shards>', '--kill-on-invalid-dep=yes', merge],
    report: ['--parsable', '--dependency=afternotok:<shards>', '--kill-on-invalid-dep=yes', `--job-name=${s.name}-report`, merge],
  };
}

function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new SchedulerError(code === 'ENOENT' ? `${cmd} not found: is this a Slurm login node? (--dry-run writes the scripts without submitting)` : `${cmd}: ${r.error.message}`);
  }
  if (r.status !== 0) throw new SchedulerError(`${cmd} ${clip(args.join(' '), 200)} exited ${r.status}: ${clip(r.stderr.trim() || r.stdout.trim(), 300)}`);
  return r.stdout.trim();
}

/** Slurm's version as sbatch reports it ('slurm 22.05.8'); a SchedulerError where sbatch cannot run. */
export function sbatchVersion(): string {
  return run('sbatch', ['--version']);
}

/** `sbatch --parsable` prints "id" or "id;cluster". */
function sbatch(args: readonly string[]): string {
  const out = run('sbatch', args);
  const id = out.split('\n').pop()?.split(';')[0]?.trim() ?? '';
  if (!/^\d+$/.test(id)) throw new SchedulerError(`sbatch printed '${clip(out, 120)}', not a job id`);
  return id;
}

/** Submits the array job, then the merge (afterok) and the report (afternotok); returns the three job ids. */
export function submitSlurm(s: Submission, shardsFile: string): { shards: string; merge: string; report: string } {
  const c = sbatchCommands(s, shardsFile);
  const shards = sbatch(c.shards);
  const dep = (args: string[]) => args.map((a) => a.replace('<shards>', shards));
  try {
    return { shards, merge: sbatch(dep(c.merge)), report: sbatch(dep(c.report)) };
  } catch (e) {
    // No array without its merge: cancel what was submitted, then report.
    spawnSync('scancel', [shards], { encoding: 'utf8' });
    throw e;
  }
}

/** The merge alone, with nothing to wait for (every shard finished already). */
export function submitMerge(s: Submission): string {
  return sbatch(sbatchCommands(s, SHARDS_SCRIPT).mergeAlone);
}

/** The jobs among `ids` (array jobs and plain jobs) that Slurm still has pending or running, as "id state". */
export function activeJobs(ids: readonly string[]): string[] {
  if (ids.length === 0) return [];
  const out = run('squeue', ['--noheader', '--array', '--format=%F|%i|%T']);
  const wanted = new Set(ids);
  return out
    .split('\n')
    .map((l) => l.trim().split('|'))
    .filter((f) => f.length === 3 && (wanted.has(f[0] as string) || wanted.has(f[1] as string)))
    .map((f) => `${f[1]} ${f[2]}`);
}
