/** Versions of job code: a short hash of files of this repository, and a value read from one of them. */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { PROJECT_ROOT } from '../../core/project.js';

/** 'sha256:<12 hex>' over the files under `paths` (relative to the project root; target/ folders left out). */
export function hashFiles(paths: readonly string[]): string {
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

/** The first group of `re` in a project file, or '?' when the file or the match is missing. */
export function matchFile(path: string, re: RegExp): string {
  const f = join(PROJECT_ROOT, path);
  return existsSync(f) ? (re.exec(readFileSync(f, 'utf8'))?.[1] ?? '?') : '?';
}
