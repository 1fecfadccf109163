/** Atomic result files: write to a temporary file beside the target, then rename. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'csv-stringify/sync';

export function writeAtomic(file: string, content: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return stringify(rows as Record<string, unknown>[], { header: true, columns: columns as string[] });
}

export function writeCsv(file: string, columns: readonly string[], rows: readonly Record<string, unknown>[]): void {
  writeAtomic(file, toCsv(columns, rows));
}
