/** Atomic result files: write to a temporary file beside the target, then rename. */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'csv-stringify/sync';

export function writeAtomic(file: string, content: string | Uint8Array): void {
  makeDirs(dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return stringify(rows as Record<string, unknown>[], { header: true, columns: columns as string[] });
}

export function writeCsv(file: string, columns: readonly string[], rows: readonly Record<string, unknown>[]): void {
  writeAtomic(file, toCsv(columns, rows));
}

/**
 * mkdir -p that fails instead of spinning: `mkdirSync(dir, { recursive: true })` loops forever under a
 * filesystem that answers ENOENT to every mkdir (e.g. /proc). Creates the missing folders one by one from the
 * nearest existing ancestor; throws the first error.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let cur = dir;
  while (!existsSync(cur)) {
    missing.unshift(cur);
    const up = dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  if (existsSync(cur) && !statSync(cur).isDirectory()) throw Object.assign(new Error(`${cur} is not a folder`), { code: 'ENOTDIR' });
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Why `dir` cannot hold results (it is created when missing), or undefined when a file can be written in it. */
export function unwritableFolder(dir: string): string | undefined {
  try {
    makeDirs(dir);
    if (!statSync(dir).isDirectory()) return `${dir} is not a folder`;
    const probe = join(dir, `.write-test-${process.pid}-${Date.now()}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
    return undefined;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return `${dir} is not a writable folder (${err.code ?? err.message})`;
  }
}

/**
 * Creates a new folder exclusively: `dir`, else `dir-2`, `dir-3`, ... (mkdir of the leaf without `recursive`, so
 * two processes naming the same folder in the same second get one each). Returns the folder created.
 */
export function claimFolder(dir: string, most = 1_000): string {
  makeDirs(dirname(dir));
  for (let i = 1; i <= most; i++) {
    const d = i === 1 ? dir : `${dir}-${i}`;
    try {
      mkdirSync(d);
      return d;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw Object.assign(new Error(`${dir}: ${most} folders of that name exist already`), { code: 'EEXIST' });
}
