/**
 * The merge of a submission folder: every shard finished -> <name>/merged/ (written as merged.partial/ and renamed,
 * so it appears whole); otherwise an error naming each shard that did not finish, its folder, its log and what the
 * log said last, and the command that resubmits them.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { clip, ConfigError } from '../experiment/config.js';
import { mergeExperimentShards, type ExperimentOutcome, type ReportWriter } from '../experiment/experiment.js';
import { allShards, describeUnfinished, MERGED, readSubmission, shardStatus, SUBMISSION, type Submission } from './submission.js';

/** Shards that did not finish: the sweep failed (exit 1), the input was fine. */
export class UnfinishedShardsError extends Error {}

export const isSubmissionFolder = (dir: string): boolean => existsSync(join(dir, SUBMISSION));

/** The submission as found in `dir` (which may be mounted elsewhere than where it was submitted). */
function atFolder(dir: string): Submission {
  return { ...readSubmission(dir), dir };
}

/** `report` writes summary, charts and index.html (the command passes report/'s writer in; without it, the CSVs only). */
export async function mergeSubmission(dir: string, report?: ReportWriter): Promise<ExperimentOutcome> {
  const s = atFolder(dir);
  const target = join(dir, s.name, MERGED);
  if (existsSync(target)) throw new ConfigError(`merge: ${clip(target, 200)} exists: this submission is merged already`);
  const status = allShards(s).map((i) => shardStatus(s, i));
  const open = status.filter((st) => st.state !== 'finished');
  if (open.length > 0)
    throw new UnfinishedShardsError(
      [
        `merge: ${open.length} of ${s.shards} shards did not finish:`,
        ...open.map((st) => `  ${describeUnfinished(s, st)}`),
        `resubmit them and the merge: npm run submit -- --resume ${dir}`,
      ].join('\n'),
    );
  const partial = `${MERGED}.partial`;
  rmSync(join(dir, s.name, partial), { recursive: true, force: true });
  const outcome = await mergeExperimentShards(
    status.map((st) => st.folder),
    { out: dir, runId: partial, ...(report ? { report } : {}) },
  );
  renameSync(outcome.dir, target);
  return { ...outcome, dir: target };
}
