/**
 * Machine profiles: a named set of every physics term (physics.ts), selected by an experiment with
 * `"engine": {"kind": "simulator", "profile": "<name>"}`. `linear` is built in (the uncalibrated model);
 * every other profile is a file datasets/calibration/profiles/<name>.json written by `npm run calibrate`:
 *
 *   { "profile": "<name>", "description": "...", "measuredAt": "...", "host": {...},
 *     "terms": { <every term of PHYSICS_TERMS, no other key> }, ... (fit diagnostics, measured workloads) }
 *
 * A profile with a missing or unknown term, or a term of the wrong type, is refused with an error naming it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { profilesDir } from '../../core/project.js';
import { PARTITIONINGS } from '../../core/operators.js';
import { EXCHANGE_KEYS, LINEAR, PHYSICS_TERMS, TIMELY_EXCHANGE_KEYS, type PhysicsTerms } from './physics.js';

/**
 * The range a profile's real measurements covered (written by npm run calibrate; src/calibration/range.ts):
 * beyond it the simulator extrapolates its terms (range.ts says which and how far).
 */
export interface MeasuredRange {
  /** Largest parallelism of any operator measured. */
  parallelism: number;
  /** Most channels one sender instance wrote to on any edge. */
  channels: number;
  /** Largest total source rate the real jobs achieved, records/s. */
  totalRate: number;
  /** Records/s on one channel: the lowest and highest measured. */
  channelRate: { min: number; max: number };
  /** Cores of the machine measured on. */
  cores: number;
}

/** What a profile file says about where it was measured (null for built-in profiles: nothing was measured). */
export interface ProfileProvenance {
  range: MeasuredRange | null;
  /** The profile's real runs were measured on a loaded machine. */
  loaded: boolean;
  /** Load average at the start of its real runs, when recorded. */
  loadAverage: number | null;
  /** The profile is derived (not measured as is): what it changed. */
  derivedFrom: string | null;
}

/** Where a named profile was measured: its file's measuredRange and load (built in: nothing). */
export function profileProvenance(name: string, dir?: string): ProfileProvenance {
  const none: ProfileProvenance = { range: null, loaded: false, loadAverage: null, derivedFrom: null };
  if (BUILTIN_PROFILES[name] || !PROFILE_NAME.test(name)) return none;
  const file = profilePath(name, dir);
  if (!existsSync(file)) return none;
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { measuredRange?: MeasuredRange; measuredOnLoadedMachine?: boolean; load?: { loadAverageAtStart?: number[] }; host?: { loadAverageAtStart?: number[] }; derivedFrom?: { profile?: string } };
  const from = raw.derivedFrom?.profile;
  // A derived profile was measured where the profile it derives from was.
  if (from && from !== name && !raw.measuredRange) return { ...profileProvenance(from, dir), derivedFrom: from };
  return {
    range: raw.measuredRange ?? null,
    loaded: raw.measuredOnLoadedMachine === true,
    loadAverage: raw.load?.loadAverageAtStart?.[0] ?? raw.host?.loadAverageAtStart?.[0] ?? null,
    derivedFrom: from ?? null,
  };
}

/** Profiles that need no file. */
export const BUILTIN_PROFILES: Readonly<Record<string, Readonly<PhysicsTerms>>> = { linear: LINEAR };

/** The profile an experiment gets when it names none. */
export const DEFAULT_PROFILE = 'linear';

export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class ProfileError extends Error {}

export function profilePath(name: string, dir = profilesDir()): string {
  return join(dir, `${name}.json`);
}

/** The physics terms of a named profile (built in, or read and checked from its file). */
export function loadProfile(name: string, dir?: string): PhysicsTerms {
  const builtin = BUILTIN_PROFILES[name];
  if (builtin) return structuredClone(builtin) as PhysicsTerms;
  if (!PROFILE_NAME.test(name)) throw new ProfileError(`simulator profile '${name.length > 60 ? `${name.slice(0, 60)}...` : name}': not a profile name (expected letters, digits, . _ -)`);
  const file = profilePath(name, dir);
  if (!existsSync(file)) throw new ProfileError(`simulator profile '${name}': no such profile (built in: ${Object.keys(BUILTIN_PROFILES).join(', ')}; no file ${file}; npm run calibrate writes one)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ProfileError(`simulator profile '${name}' (${file}): not JSON: ${(e as Error).message}`);
  }
  return checkTerms((raw as { terms?: unknown } | null)?.terms, `simulator profile '${name}' (${file})`);
}

/** Checks an object holds exactly the physics terms, each of its type; returns them. */
export function checkTerms(terms: unknown, where: string): PhysicsTerms {
  if (typeof terms !== 'object' || terms === null || Array.isArray(terms)) throw new ProfileError(`${where}: no "terms" object`);
  const t = terms as Record<string, unknown>;
  const known = PHYSICS_TERMS as readonly string[];
  for (const k of Object.keys(t)) if (!known.includes(k)) throw new ProfileError(`${where}: unknown term '${k}' (expected ${known.join(', ')})`);
  for (const k of known) if (!(k in t)) throw new ProfileError(`${where}: missing term '${k}'`);
  const num = (k: string, min: number, max: number, v: unknown = t[k]): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ProfileError(`${where}: term '${k}' must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
    return v;
  };
  num('coordinationOverhead', 0, 0.5);
  num('subtaskOverheadMs', 0, 500);
  num('backgroundCores', 0, 1024);
  num('waitFraction', 0, 1);
  num('bufferBytes', 1, 2 ** 30);
  num('bufferTimeoutMs', 0, 3_600_000);
  num('recordBytes', 1, 2 ** 30);
  const tx = t.timelyExchange as Record<string, unknown> | null;
  if (typeof tx !== 'object' || tx === null || Array.isArray(tx)) throw new ProfileError(`${where}: term 'timelyExchange' must be an object of ${TIMELY_EXCHANGE_KEYS.join(', ')}`);
  for (const k of Object.keys(tx)) if (!(TIMELY_EXCHANGE_KEYS as readonly string[]).includes(k)) throw new ProfileError(`${where}: unknown term 'timelyExchange.${k}' (expected ${TIMELY_EXCHANGE_KEYS.join(', ')})`);
  for (const k of TIMELY_EXCHANGE_KEYS) {
    if (!(k in tx)) throw new ProfileError(`${where}: missing term 'timelyExchange.${k}'`);
    num(`timelyExchange.${k}`, k === 'batchBytes' ? 1 : 0, k === 'batchBytes' ? 2 ** 30 : 1e6, tx[k]);
  }
  if (t.cores !== null) num('cores', 0.1, 100_000);
  if (typeof t.cpuQueueing !== 'boolean') throw new ProfileError(`${where}: term 'cpuQueueing' must be true or false, got ${JSON.stringify(t.cpuQueueing)}`);
  if (typeof t.keySkew !== 'boolean') throw new ProfileError(`${where}: term 'keySkew' must be true or false, got ${JSON.stringify(t.keySkew)}`);
  const ex = t.exchange as Record<string, unknown> | null;
  if (typeof ex !== 'object' || ex === null) throw new ProfileError(`${where}: term 'exchange' must be an object of ${PARTITIONINGS.join(', ')}`);
  for (const k of Object.keys(ex)) if (!(PARTITIONINGS as readonly string[]).includes(k)) throw new ProfileError(`${where}: unknown term 'exchange.${k}' (expected ${PARTITIONINGS.join(', ')})`);
  for (const s of PARTITIONINGS) {
    const e = ex[s] as Record<string, unknown> | undefined;
    if (typeof e !== 'object' || e === null) throw new ProfileError(`${where}: missing term 'exchange.${s}'`);
    for (const k of Object.keys(e)) if (!(EXCHANGE_KEYS as readonly string[]).includes(k)) throw new ProfileError(`${where}: unknown term 'exchange.${s}.${k}' (expected ${EXCHANGE_KEYS.join(', ')})`);
    for (const k of EXCHANGE_KEYS) {
      if (!(k in e)) throw new ProfileError(`${where}: missing term 'exchange.${s}.${k}'`);
      num(`exchange.${s}.${k}`, 0, 1e6, e[k]);
    }
  }
  const ms = t.measuredSkew as Record<string, unknown> | null;
  if (typeof ms !== 'object' || ms === null || Array.isArray(ms)) throw new ProfileError(`${where}: term 'measuredSkew' must be an object of "<job>/<operator>": share`);
  for (const [k, v] of Object.entries(ms)) num(`measuredSkew.${k}`, 0, 1, v);
  return structuredClone(t) as unknown as PhysicsTerms;
}
