/**
 * The code version results depend on: a content hash of every file that can change a run's rows (the harness
 * below src/ except the report and the command line, the engines' jobs, the committed datasets, the lock file).
 * Shards of one experiment must share it to be merged, and the paper figures reuse a finished experiment only
 * under it. A hash of the files, not the git commit: uncommitted changes count, and a change to a chart does not.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { PROJECT_ROOT } from '../core/project.js';

/** What the hash covers, relative to the project root; folders are walked. */
export const VERSIONED = [
  'src',
  'jobs/timely/src',
  'jobs/timely/Cargo.toml',
  'jobs/timely/Cargo.lock',
  'jobs/flink/src',
  'jobs/flink/pom.xml',
  'datasets/pretrained',
  'datasets/calibration',
  'datasets/history/sample.csv',
  'package-lock.json',
] as const;

/** Left out: rendering, command-line and batch-submission code (no effect on rows), caches and generated files. */
const IGNORED = ['src/report', 'src/cli', 'src/batch', 'datasets/pretrained/cache'];

function files(root: string, path: string): string[] {
  const abs = join(root, path);
  if (!existsSync(abs) || IGNORED.includes(path)) return [];
  if (!statSync(abs).isDirectory()) return [path];
  return readdirSync(abs)
    .sort()
    .flatMap((e) => files(root, `${path}/${e}`));
}

const memo = new Map<string, string>();

/** 'sha256:<hex, 16 chars>' over the paths and contents of VERSIONED (computed once per process and root). */
export function codeVersion(root = PROJECT_ROOT): string {
  const known = memo.get(root);
  if (known) return known;
  const h = createHash('sha256');
  for (const f of VERSIONED.flatMap((p) => files(root, p))) {
    h.update(relative(root, join(root, f)).split(sep).join('/'));
    h.update('\u0000');
    h.update(readFileSync(join(root, f)));
    h.update('\u0000');
  }
  const v = `sha256:${h.digest('hex').slice(0, 16)}`;
  memo.set(root, v);
  return v;
}

/** The git commit of the checkout and whether it has uncommitted changes (for manifests; undefined without git). */
export function gitCommit(root = PROJECT_ROOT): { commit: string; dirty: boolean } | undefined {
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (head.status !== 0) return undefined;
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
  return { commit: head.stdout.trim(), dirty: status.status === 0 ? status.stdout.trim() !== '' : true };
}
