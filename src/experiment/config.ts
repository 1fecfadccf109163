/**
 * Loading an experiment file: path resolution (the current folder, then experiments/), JSON parsing and
 * validation, with one clear line per problem naming the file and the JSON path.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { duplicateKey } from '../core/json-keys.js';
import { InputFileError, parseJsonText, readInputText } from '../io/read.js';
import { experimentConfig, type Experiment } from './schema.js';
import { TUNER_NAMES } from '../tuners/registry.js';

/** A bad config: printed as is (one line per problem, each bounded), exit 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(boundLines(message));
    this.name = 'ConfigError';
  }
}

/** Longest error line, and most lines, a message keeps (a 1 MB value must not print a 1 MB line). */
export const MAX_LINE = 400;
export const MAX_LINES = 10;

/** Cuts a text to n characters, marking the cut. */
export function clip(text: string, n = 60): string {
  if (text.length <= n) return text;
  const tail = `... (${text.length} chars)`;
  return `${text.slice(0, Math.max(0, n - tail.length))}${tail}`;
}

/** Bounds a message: at most MAX_LINES lines of at most MAX_LINE characters. */
export function boundLines(message: string): string {
  const lines = message.split('\n');
  const kept = lines.slice(0, MAX_LINES).map((l) => clip(l, MAX_LINE));
  if (lines.length > MAX_LINES) kept.push(`... and ${lines.length - MAX_LINES} more problems`);
  return kept.join('\n');
}

import { PROJECT_ROOT } from '../core/project.js';

export { PROJECT_ROOT };

/** Resolves a config path against the current folder first, then experiments/. */
export function resolveConfigPath(path: string, cwd = process.cwd()): string {
  const candidates = isAbsolute(path) ? [path] : [resolve(cwd, path), resolve(PROJECT_ROOT, 'experiments', path)];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new ConfigError(`${path}: no such file (looked in ${candidates.join(' and ')})`);
  return found;
}

/**
 * A JSON file a user named (or a run folder's): a regular file of bounded size (io/read.ts), a byte order mark
 * stripped, nesting bounded, and no key given twice in one object. Every problem is a ConfigError naming the file.
 */
export function readJson(file: string): unknown {
  let value: unknown;
  let text: string;
  try {
    text = readInputText(file);
    value = parseJsonText(text, file);
  } catch (e) {
    if (e instanceof InputFileError) throw new ConfigError(e.message);
    throw e;
  }
  const twice = duplicateKey(text);
  if (twice !== undefined) throw new ConfigError(`${file}: ${clip(twice, 120)}: the key is given twice in one object (JSON keeps only the last): give it once`);
  return value;
}

/** Runs a read of user files, turning an InputFileError (io/read.ts) into a ConfigError (exit 2). */
export function asConfigError<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof InputFileError) throw new ConfigError(e.message);
    throw e;
  }
}

/** Formats zod issues as `<where>: <json.path>: <what was expected>` lines. */
export function describeIssues(where: string, issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${where}: ${formatPath(i.path)}: ${describeIssue(i)}`).join('\n');
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${clip(String(p), 60)}`)).join('');
}

function describeIssue(i: z.core.$ZodIssue): string {
  switch (i.code) {
    case 'unrecognized_keys':
      return `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys
        .slice(0, 5)
        .map((k) => `'${clip(k, 40)}'`)
        .join(', ')}${i.keys.length > 5 ? ` and ${i.keys.length - 5} more` : ''}${knownKeysHint(i)}`;
    case 'invalid_union': {
      const disc = (i as { note?: string; discriminator?: string }).discriminator;
      const opts = (i as { options?: unknown[] }).options;
      if (opts) return `expected one of ${opts.map((o) => clip(JSON.stringify(o) ?? '', 40)).join(', ')}${disc ? ` for '${disc}'` : ''}`;
      // A plain union: each accepted form, as what each branch expected.
      const branches = (i as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
      const forms = [...new Set(branches.map((b) => (b[0] ? describeBranch(b[0]) : '')).filter((f) => f !== ''))];
      return forms.length > 0 ? `expected ${forms.join(', or ')}` : i.message;
    }
    case 'invalid_type':
      return `expected ${i.expected}${'received' in i ? '' : ''}, ${i.message.replace(/^Invalid input: expected [^,]+, /, '')}`;
    case 'too_big':
    case 'too_small':
      return `${i.message}${receivedHint(i)}`;
    default:
      return clip(i.message, 200);
  }
}

function receivedHint(i: z.core.$ZodIssue): string {
  const input = (i as { input?: unknown }).input;
  if (typeof input === 'number') return ` (got ${input})`;
  if (typeof input === 'string') return ` (got ${input.length} characters)`;
  if (Array.isArray(input)) return ` (got ${input.length} items)`;
  return '';
}

function knownKeysHint(i: z.core.$ZodIssue): string {
  const known = (i as { known?: string[] }).known;
  if (!known) return '';
  return known.length === 0 ? ' (this entry takes no options: give it as {})' : ` (expected one of ${known.join(', ')})`;
}

const FORMS: Record<string, string> = { int: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', array: 'a list', object: 'an object', record: 'an object of per-key values' };

/** One union branch's first issue as the form it accepts ('an integer', 'an object of per-key values', '"auto"'). */
function describeBranch(b: z.core.$ZodIssue): string {
  // An issue inside the value: the branch accepted its container (an object or a list) but not a member.
  if (b.path.length > 0) return `${typeof b.path[0] === 'number' ? 'a list' : 'an object'} (${formatPath(b.path)}: ${describeIssue(b)})`;
  if (b.code === 'invalid_type') return FORMS[b.expected] ?? b.expected;
  if (b.code === 'invalid_value') return b.values.map((v) => JSON.stringify(v)).join(' or ');
  return describeIssue(b);
}

/** Validates a parsed config; throws ConfigError listing every problem. */
export function validateExperiment(raw: unknown, where: string): Experiment {
  const r = experimentConfig.safeParse(raw, { reportInput: true });
  if (!r.success) throw new ConfigError(describeIssues(where, annotate(r.error.issues, raw)));
  return r.data;
}

/** Adds the known keys to unknown-key issues, so "unknown tuner" says which tuners exist. */
function annotate(issues: readonly z.core.$ZodIssue[], raw: unknown): z.core.$ZodIssue[] {
  return issues.map((i) => {
    if (i.code === 'invalid_union' && i.path.length === 3 && i.path[0] === 'tuners' && i.path[2] === 'kind') {
      // A name that is no tuner kind and an entry without a valid "kind": an unknown tuner.
      const name = String(i.path[1]);
      const input = (i as { input?: unknown }).input;
      const given = input && typeof input === 'object' ? (input as { kind?: unknown }).kind : undefined;
      const what = given === undefined ? `unknown tuner '${clip(name, 40)}'` : `unknown tuner kind ${clip(JSON.stringify(given) ?? '', 40)}`;
      return { code: 'custom', path: ['tuners', name], message: `${what} (tuner kinds: ${TUNER_NAMES.join(', ')}; an entry under a name of its own needs "kind")`, input } as z.core.$ZodIssue;
    }
    if (i.code !== 'unrecognized_keys') return i;
    const known = keysAt(i.path, raw);
    return known ? ({ ...i, known } as z.core.$ZodIssue) : i;
  });
}

function keysAt(path: readonly PropertyKey[], raw: unknown): string[] | undefined {
  let s: unknown = experimentConfig;
  let value = raw;
  for (const p of path) {
    const shape = shapeOf(s, value);
    if (!shape || typeof p !== 'string') return undefined;
    s = shape[p];
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[p] : undefined;
  }
  const shape = shapeOf(s, value);
  return shape ? Object.keys(shape) : undefined;
}

/** The object shape of a schema node; for a union keyed by `kind` (engine, workload, rates), the member the value names. */
function shapeOf(s: unknown, value: unknown): Record<string, unknown> | undefined {
  type Node = { shape?: Record<string, unknown>; unwrap?: () => unknown; def?: { innerType?: unknown; options?: Node[] } } | undefined;
  let cur = s as Node;
  for (let k = 0; k < 5 && cur && !cur.shape; k++) {
    const options = cur.def?.options;
    if (options) {
      const kind = value && typeof value === 'object' ? (value as { kind?: unknown }).kind : undefined;
      cur = options.find((o) => (o?.shape?.kind as { value?: unknown } | undefined)?.value === kind);
      continue;
    }
    cur = (cur.def?.innerType ?? cur.unwrap?.()) as Node;
  }
  return cur?.shape;
}

export interface LoadedExperiment {
  file: string;
  raw: Record<string, unknown>;
  experiment: Experiment;
}

export function loadExperiment(path: string, cwd = process.cwd()): LoadedExperiment {
  const file = resolveConfigPath(path, cwd);
  const raw = readJson(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${file}: (top level): expected an object`);
  return { file, raw: raw as Record<string, unknown>, experiment: validateExperiment(raw, file) };
}
