/**
 * Sweeps beyond one machine. `--shard i/n` runs a deterministic slice of an experiment's runs (every n-th run in
 * run order, starting at the i-th, so each shard gets a mix of sweep points, tuners and seeds); the slice's
 * folder holds runs/<key>/ as any run folder does, plus shard.json. mergeShards() puts the n folders together into
 * one folder byte-identical to a single-machine run of the same config: runs are independent and seeded, and the
 * merge orders them as the single run does. Shards of different configs, code versions or shard counts are
 * refused, and so is a set with a shard missing or a run not finished.
 */
import { copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clip, ConfigError, readJson } from './config.js';
import { expandRuns, type RunSpec } from './runs.js';
import { canonical } from '../core/canonical.js';
import { RESOLVED } from './plan.js';
import { claimFolder, makeDirs, writeAtomic } from '../io/files.js';
import { codeVersion } from './version.js';
import { verifyRun } from './done.js';
import { readInputText } from '../io/read.js';
import type { Experiment } from './schema.js';

export const SHARD_MARKER = 'shard.json';
/** Most shards an experiment may be split into. */
export const MAX_SHARDS = 10_000;

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export interface ShardMarker {
  shard: string;
  index: number;
  count: number;
  codeVersion: string;
  runs: string[];
}

export const shardLabel = (s: Shard): string => `${s.index}/${s.count}`;

/** '2/3' -> { index: 2, count: 3 }; anything else is a ConfigError naming the flag. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || !(count >= 1 && count <= MAX_SHARDS && index >= 1 && index <= count))
    throw new ConfigError(`--shard: expected i/n with 1 <= i <= n <= ${MAX_SHARDS}, e.g. 2/3, got ${text === '' ? 'nothing' : `'${clip(text, 40)}'`}`);
  return { index, count };
}

/** The runs of one shard: every count-th run in run order, from the index-th. */
export function shardRuns<T extends Pick<RunSpec, 'index'>>(runs: readonly T[], s: Shard): T[] {
  return runs.filter((r) => r.index % s.count === s.index - 1);
}

/**
 * The shard a run folder runs: the one asked for, or (on --resume) the one its marker names. Writes the marker
 * of a new shard; refuses a resume with another shard or another code version.
 */
export function shardOf(dir: string, asked: Shard | undefined, runs: readonly RunSpec[]): Shard | undefined {
  const file = join(dir, SHARD_MARKER);
  const stored = existsSync(file) ? (readJson(file) as ShardMarker) : undefined;
  if (stored) {
    if (asked && (asked.index !== stored.index || asked.count !== stored.count))
      throw new ConfigError(`--shard: ${clip(dir, 200)} runs shard ${stored.shard}, not ${shardLabel(asked)}`);
    if (stored.codeVersion !== codeVersion())
      throw new ConfigError(`--resume: ${clip(dir, 200)} is shard ${stored.shard} of code version ${stored.codeVersion}; this checkout is ${codeVersion()}: its shards could not be merged`);
    return { index: stored.index, count: stored.count };
  }
  if (!asked) return undefined;
  const marker: ShardMarker = { shard: shardLabel(asked), index: asked.index, count: asked.count, codeVersion: codeVersion(), runs: shardRuns(runs, asked).map((r) => r.key) };
  writeAtomic(file, `${JSON.stringify(marker, null, 2)}\n`);
  return asked;
}

interface ShardFolder {
  dir: string;
  marker: ShardMarker;
  resolvedText: string;
  resolved: { file: string; raw: Record<string, unknown>; points: { label: string; experiment: Experiment }[] };
}

function readShardFolder(dir: string): ShardFolder {
  const where = `merge: ${clip(dir, 200)}`;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError(`${where}: not a folder`);
  if (!existsSync(join(dir, RESOLVED))) throw new ConfigError(`${where}: not a run folder (no ${RESOLVED})`);
  if (!existsSync(join(dir, SHARD_MARKER))) throw new ConfigError(`${where}: not a shard (no ${SHARD_MARKER}: it was run without --shard)`);
  const resolved = readJson(join(dir, RESOLVED)) as ShardFolder['resolved'];
  const resolvedText = readInputText(join(dir, RESOLVED));
  const marker = readJson(join(dir, SHARD_MARKER)) as ShardMarker;
  if (!Array.isArray(resolved.points) || typeof resolved.raw !== 'object' || !Number.isInteger(marker.index) || !Number.isInteger(marker.count))
    throw new ConfigError(`${where}: ${RESOLVED} or ${SHARD_MARKER} is not what a shard writes`);
  return { dir, marker, resolvedText, resolved };
}

export interface MergePlan {
  /** The merged run folder (not created yet). */
  dir: string;
  experiment: Experiment;
  runs: RunSpec[];
  shards: ShardFolder[];
  /** A default run id: the folder is created exclusively in copyShards (with a suffix when taken). */
  claim: boolean;
}

/** Checks a set of shard folders and names the merged folder; refuses anything that would not merge exactly. */
export function planMerge(dirs: readonly string[], o: { out?: string; runId?: string; cwd?: string } = {}): MergePlan {
  if (dirs.length === 0) throw new ConfigError('merge: give the shard folders to merge');
  const cwd = o.cwd ?? process.cwd();
  const shards = dirs.map((d) => readShardFolder(resolve(cwd, d))).sort((a, b) => a.marker.index - b.marker.index);
  const first = shards[0] as ShardFolder;
  // The config is compared as resolved (every default filled in), not by the file's path: checkouts differ.
  const configOf = (s: ShardFolder) => canonical({ raw: s.resolved.raw, points: s.resolved.points });
  for (const s of shards) {
    if (configOf(s) !== configOf(first))
      throw new ConfigError(`merge: ${clip(s.dir, 200)} holds another config than ${clip(first.dir, 200)} (${clip(s.resolved.file, 120)} vs ${clip(first.resolved.file, 120)})`);
    if (s.marker.codeVersion !== first.marker.codeVersion)
      throw new ConfigError(`merge: ${clip(s.dir, 200)} ran code version ${s.marker.codeVersion}, ${clip(first.dir, 200)} ran ${first.marker.codeVersion}: rerun the shards on one version`);
    if (s.marker.count !== first.marker.count)
      throw new ConfigError(`merge: ${clip(s.dir, 200)} is shard ${s.marker.shard}, ${clip(first.dir, 200)} is shard ${first.marker.shard}: different shard counts`);
  }
  const count = first.marker.count;
  const seen = new Map<number, string>();
  for (const s of shards) {
    const other = seen.get(s.marker.index);
    if (other) throw new ConfigError(`merge: shard ${s.marker.shard} given twice (${clip(other, 200)} and ${clip(s.dir, 200)})`);
    seen.set(s.marker.index, s.dir);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) throw new ConfigError(`merge: missing shard${missing.length > 1 ? 's' : ''} ${clip(missing.map((i) => `${i}/${count}`).join(', '), 200)}`);

  const points = first.resolved.points.map((p, index) => ({ label: p.label, index, assignments: {}, experiment: p.experiment }));
  const runs = expandRuns(points);
  for (const s of shards) {
    const expected = shardRuns(runs, s.marker).map((r) => r.key);
    if (canonical(expected) !== canonical(s.marker.runs)) throw new ConfigError(`merge: ${clip(s.dir, 200)}: its runs are not shard ${s.marker.shard}'s of this config`);
    const byKey = new Map(runs.map((r) => [r.key, r]));
    for (const k of expected) {
      const v = verifyRun(s.dir, k, byKey.get(k));
      if (v.state === 'unverified' || v.state === 'other-run')
        throw new ConfigError(`merge: shard ${s.marker.shard}: ${clip(join(s.dir, v.file), 200)}: ${v.why}: nothing is merged from a run that does not verify; run it again with --resume ${clip(s.dir, 200)}`);
    }
    const unfinished = expected.filter((k) => verifyRun(s.dir, k).state === 'absent');
    if (unfinished.length > 0)
      throw new ConfigError(
        `merge: shard ${s.marker.shard} (${clip(s.dir, 200)}) has ${unfinished.length} unfinished run${unfinished.length > 1 ? 's' : ''} (${clip(unfinished.join(', '), 120)}): finish it with --resume ${clip(s.dir, 200)}`,
      );
  }
  const experiment = first.resolved.points[0]?.experiment as Experiment;
  const root = resolve(cwd, o.out ?? experiment.outputs.dir);
  const runId = o.runId ?? new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const dir = join(root, experiment.name, runId);
  if (o.runId !== undefined && existsSync(dir) && readdirSync(dir).length > 0) throw new ConfigError(`merge: ${clip(dir, 200)} exists and is not empty`);
  return { dir, experiment, runs, shards, claim: o.runId === undefined };
}

/** Copies the shards' config and finished runs into the merged folder (the caller merges the rows and reports). */
export function copyShards(plan: MergePlan): void {
  const first = plan.shards[0] as ShardFolder;
  if (plan.claim) plan.dir = claimFolder(plan.dir);
  else makeDirs(plan.dir);
  writeAtomic(join(plan.dir, RESOLVED), first.resolvedText);
  for (const s of plan.shards)
    for (const key of s.marker.runs) {
      const from = join(s.dir, 'runs', key);
      const to = join(plan.dir, 'runs', key);
      makeDirs(to);
      for (const f of readdirSync(from).sort()) if (f !== 'error.txt' && !f.endsWith('.tmp')) copyFileSync(join(from, f), join(to, f));
    }
}
