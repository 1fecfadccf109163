/**
 * A finished run's marker, runs/<key>/done.json: what the run was (its tuner, seed, sweep point and experiment,
 * and a sha256 of them) and, per CSV it wrote, the row count and a sha256 of the bytes. A run counts as finished
 * only when its marker verifies: every file is there with the marker's hash, and the marker's run is the run the
 * folder's config asks for. --resume, merge and the batch status all ask verifyRun(); nothing is merged from a run
 * that did not verify.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { canonical } from '../core/canonical.js';
import { describeDifferences, differences } from '../core/json-diff.js';
import { readInputBytes, readInputJson } from '../io/read.js';
import { writeAtomic } from '../io/files.js';
import { parse } from 'csv-parse/sync';
import type { RunSpec } from './runs.js';

export const DONE = 'done.json';
/** The CSVs every run writes (a header even with no rows). */
export const RUN_CSVS = ['episodes.csv', 'timeline.csv', 'history.csv'] as const;
export type RunCsv = (typeof RUN_CSVS)[number];

export interface FileRecord {
  rows: number;
  bytes: number;
  sha256: string;
}

export interface DoneMarker {
  key: string;
  tuner: string;
  seed: number;
  sweep: string;
  /** sha256 of the canonical JSON of `run`. */
  spec: string;
  /** What the run was: the sweep point's experiment, tuner, kind, seed. */
  run: RunIdentity;
  files: Record<RunCsv, FileRecord>;
}

export interface RunIdentity {
  key: string;
  sweep: string;
  tuner: string;
  kind: string;
  seed: number;
  experiment: unknown;
}

const sha256 = (x: string | Uint8Array): string => createHash('sha256').update(x).digest('hex');

/** What identifies a run's result (the measured oracle is recorded for the folder, in measured-oracle.json). */
export function runIdentity(spec: RunSpec): RunIdentity {
  // Through JSON, as the marker holds it (undefined members dropped).
  return JSON.parse(JSON.stringify({ key: spec.key, sweep: spec.sweep, tuner: spec.tuner, kind: spec.kind, seed: spec.seed, experiment: spec.experiment })) as RunIdentity;
}

/** Writes the run's CSVs (each atomically), then its marker with their row counts and hashes. */
export function writeRun(d: string, spec: RunSpec, csvs: Record<RunCsv, { text: string; rows: number }>): void {
  const files = {} as Record<RunCsv, FileRecord>;
  for (const name of RUN_CSVS) {
    const { text, rows } = csvs[name];
    writeAtomic(join(d, name), text);
    files[name] = { rows, bytes: Buffer.byteLength(text), sha256: sha256(text) };
  }
  const run = runIdentity(spec);
  const marker: DoneMarker = { key: spec.key, tuner: spec.tuner, seed: spec.seed, sweep: spec.sweep, spec: sha256(canonical(run)), run, files };
  writeAtomic(join(d, DONE), `${JSON.stringify(marker)}\n`);
}

export type Verification =
  /** No marker: the run has not finished. */
  | { state: 'absent' }
  | { state: 'verified'; marker: DoneMarker }
  /** Its files do not match the marker (or the marker is unreadable or old): run it again. */
  | { state: 'unverified'; file: string; why: string }
  /** The marker's run is another run than the config's: the folder mixes configs. */
  | { state: 'other-run'; file: string; why: string };

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

/** Rows of a CSV text (header excluded), or undefined when it does not parse. */
function csvRows(bytes: Buffer): number | undefined {
  try {
    return (parse(bytes.toString('utf8'), { columns: true, skip_empty_lines: true }) as unknown[]).length;
  } catch {
    return undefined;
  }
}

/**
 * Whether runs/<key>/ of `dir` holds a finished run that verifies. With `spec`, the marker's run must also be that
 * run (same experiment, tuner and seed). Files are named relative to `dir` in the reasons.
 */
export function verifyRun(dir: string, key: string, spec?: RunSpec): Verification {
  const rel = (f: string): string => `runs/${key}/${f}`;
  const file = join(dir, 'runs', key, DONE);
  if (!existsSync(file)) return { state: 'absent' };
  let m: Partial<DoneMarker>;
  try {
    m = readInputJson(file) as Partial<DoneMarker>;
  } catch (e) {
    return { state: 'unverified', file: rel(DONE), why: `not a readable marker (${(e as Error).message.replace(file, '').replace(/^:\s*/, '').slice(0, 120)})` };
  }
  if (typeof m !== 'object' || m === null || typeof m.files !== 'object' || m.files === null || typeof m.spec !== 'string' || typeof m.run !== 'object')
    return { state: 'unverified', file: rel(DONE), why: 'a marker without row counts and hashes (written by an older harness): the run cannot be verified' };
  if (m.key !== key) return { state: 'unverified', file: rel(DONE), why: `the marker is run ${JSON.stringify(m.key).slice(0, 60)}'s, not ${key}'s` };
  if (spec) {
    const mine = runIdentity(spec);
    if (sha256(canonical(mine)) !== m.spec || canonical(m.run) !== canonical(mine)) {
      const ds = differences(m.run, mine, 3);
      return { state: 'other-run', file: rel(DONE), why: `the run was made with ${ds.length > 0 ? describeDifferences(ds, 'the marker', 'config.resolved.json') : 'another config (its hash differs)'}` };
    }
  }
  for (const name of RUN_CSVS) {
    const want = (m.files as Partial<Record<RunCsv, FileRecord>>)[name];
    if (!want || typeof want.sha256 !== 'string' || !Number.isInteger(want.rows)) return { state: 'unverified', file: rel(DONE), why: `no row count and hash for ${name}` };
    const f = join(dir, 'runs', key, name);
    if (!existsSync(f)) return { state: 'unverified', file: rel(name), why: `missing (its marker lists ${plural(want.rows, 'row')})` };
    let bytes: Buffer;
    try {
      bytes = readInputBytes(f);
    } catch (e) {
      return { state: 'unverified', file: rel(name), why: (e as Error).message.replace(f, '').replace(/^:\s*/, '') };
    }
    if (sha256(bytes) === want.sha256) continue;
    if (bytes.length === 0) return { state: 'unverified', file: rel(name), why: `empty (0 bytes; its marker lists ${plural(want.rows, 'row')})` };
    const rows = csvRows(bytes);
    if (rows === undefined) return { state: 'unverified', file: rel(name), why: `not a CSV (its marker lists ${plural(want.rows, 'row')})` };
    if (rows !== want.rows) return { state: 'unverified', file: rel(name), why: `${plural(rows, 'row')}, its marker says ${want.rows}` };
    return { state: 'unverified', file: rel(name), why: `its content differs from its marker's sha256 (same ${plural(rows, 'row')}: edited or another run's)` };
  }
  return { state: 'verified', marker: m as DoneMarker };
}

/** Whether the run finished and verifies (its files; with `spec`, also its run). */
export const finished = (dir: string, key: string, spec?: RunSpec): boolean => verifyRun(dir, key, spec).state === 'verified';
