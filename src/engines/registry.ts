/**
 * The engine table: one row per engine folder (entry.ts says what a row holds). The experiment schema is built
 * from it, and everything above engines/ asks it instead of switching on the kind, so a new engine is its folder
 * (with its entry.ts) plus one line in ENGINES.
 *
 *   engineOf(config).label()        'real Flink', 'simulator (Timely mode)'
 *   engineOf(config).capabilities()  declared, never guessed from the kind
 *   await createEngine(config, seed) the engine, timed (timed.ts)
 */
import { z } from 'zod';
import type { JobGraph } from '../core/job.js';
import type { Engine, EngineCapabilities } from './engine.js';
import type { Availability, DrivenConfiguration, EngineCosts, EngineEntry } from './entry.js';
import { FLINK } from './flink/entry.js';
import { SIMULATOR } from './simulator/entry.js';
import { TIMELY } from './timely/entry.js';
import { timed, type TimedEngine } from './timed.js';

/** Every engine, in the order the schema lists them. */
const ENGINES = [SIMULATOR, FLINK, TIMELY] as const;

/** The entries' schemas as a tuple, each with its own type (the union needs them so). */
type Schemas<T extends readonly unknown[]> = { -readonly [K in keyof T]: T[K] extends { readonly schema: infer S } ? S : never };
export const ENGINE_CONFIGS = ENGINES.map((e) => e.schema) as Schemas<typeof ENGINES>;
export const engineConfig = z.discriminatedUnion('kind', ENGINE_CONFIGS);
export type EngineConfig = z.infer<typeof engineConfig>;
export type EngineKind = EngineConfig['kind'];
export const ENGINE_KINDS: readonly EngineKind[] = ENGINES.map((e) => e.schema.shape.kind.value);

export { simulatorConfig, simulatorTerms, type SimulatorConfig } from './simulator/config.js';

/** An engine row with its config bound: what callers above engines/ ask of a configured engine. */
export interface ConfiguredEngine {
  readonly kind: EngineKind;
  create(seed: number): Engine;
  capabilities(): EngineCapabilities;
  label(o?: { readonly profile?: boolean }): string;
  name(): string;
  available(): Availability;
  version(): string;
  operatorLimit(): number | undefined;
  costs(): EngineCosts;
  /** A modelled engine's machine profile; undefined on a real engine. */
  profile(): string | undefined;
  physicsFingerprint(): string | undefined;
  /** Extrapolation notices; [] on an engine without a measured profile. */
  extrapolations(job: JobGraph, driven: readonly DrivenConfiguration[]): string[];
  readonly nexmark: Readonly<Record<string, readonly string[]>> | undefined;
}

/** The row of an engine kind. */
export function engineEntry(kind: string): EngineEntry<EngineConfig> {
  const e = ENGINES.find((x) => x.schema.shape.kind.value === kind);
  if (!e) throw new Error(`unknown engine '${kind}' (have ${ENGINE_KINDS.join(', ')})`);
  // the row of config.kind takes that config: the table's one cast
  return e as unknown as EngineEntry<EngineConfig>;
}

/** The row of a config's engine, bound to the config. */
export function engineOf(config: EngineConfig): ConfiguredEngine {
  const e = engineEntry(config.kind);
  return {
    kind: config.kind,
    create: (seed) => e.create(config, seed),
    capabilities: () => e.capabilities(config),
    label: (o) => e.label(config, o),
    name: () => e.name(config),
    available: () => e.available(config),
    version: () => e.version(),
    operatorLimit: () => e.operatorLimit(config),
    costs: () => e.costs(config),
    profile: () => e.profile?.(config),
    physicsFingerprint: () => e.physicsFingerprint?.(config),
    extrapolations: (job, driven) => e.extrapolations?.(config, job, driven) ?? [],
    nexmark: e.nexmark,
  };
}

/** A kind's engine from a partial config (defaults filled in): the calibrations build theirs so. */
export function engineFromOptions(kind: EngineKind, options: Record<string, unknown> = {}, seed = 1): TimedEngine {
  return timed(engineEntry(kind).create(engineEntry(kind).schema.parse({ ...options, kind }), seed));
}

/** Builds the engine of a run, timed (timed.ts). `seed` seeds the simulator's noise. */
export async function createEngine(config: EngineConfig, seed: number): Promise<TimedEngine> {
  return timed(engineOf(config).create(seed));
}

/** An engine's capabilities from its config alone (no engine is started). */
export function engineCapabilities(config: EngineConfig): EngineCapabilities {
  return engineOf(config).capabilities();
}

/** The kinds of the real engines whose jobs implement Nexmark queries, with the queries. */
export function nexmarkEngines(): { kind: EngineKind; queries: Readonly<Record<string, readonly string[]>> }[] {
  return ENGINES.flatMap((e) => ('nexmark' in e && e.nexmark ? [{ kind: e.schema.shape.kind.value, queries: e.nexmark }] : []));
}

/** The kinds of the engines without a model of themselves (the real ones): they run on this machine's clock. */
export const REAL_ENGINE_KINDS = ENGINE_KINDS.filter((k) => {
  const e = engineEntry(k);
  return !e.capabilities(e.schema.parse({ kind: k })).groundTruth;
}) as [EngineKind, ...EngineKind[]];
