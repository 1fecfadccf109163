/**
 * The typed table of tuners: name -> options schema (zod, every field defaulted and documented), factory and a
 * one-line doc, its chart colour and its hooks (config checks, decide() cost, assets made before the runs). A new
 * tuner is one folder whose index.ts exports those, and one line here.
 */
import { z } from 'zod';
import { TunerSetupError, type DecideCostContext, type Tuner, type TunerAsset, type TunerCheckContext, type TunerProblem } from './tuner.js';
import * as autoscaler from './autoscaler/index.js';
import * as conttune from './conttune/index.js';
import * as dhalion from './dhalion/index.js';
import * as ds2 from './ds2/index.js';
import * as oracle from './oracle/index.js';
import * as staticTuner from './static/index.js';
import * as streamtune from './streamtune/entry.js';

/** One registry entry: the options schema, the factory taking parsed options, a one-line description, and hooks. */
export interface TunerEntry<S extends z.ZodType = z.ZodType> {
  readonly options: S;
  readonly create: (opts: z.output<S>) => Tuner;
  readonly doc: string;
  /** The tuner's colour in every chart and notebook. */
  readonly color: string;
  /** Checks of the options against the experiment the schema cannot make (files, the engine's capabilities). */
  readonly check?: (opts: z.output<S>, ctx: TunerCheckContext) => TunerProblem[];
  /** Seconds of one decide(); without it the estimate's default per-operator constant is used. */
  readonly decideSec?: (opts: z.output<S>, ctx: DecideCostContext) => number;
  /** What must be made before the runs for these options (nothing: undefined). */
  readonly asset?: (opts: z.output<S>) => TunerAsset | undefined;
}

type TunerModule<S extends z.ZodType> = {
  options: S;
  create: (opts: z.output<S>) => Tuner;
  doc: string;
  color: string;
  check?: (opts: z.output<S>, ctx: TunerCheckContext) => TunerProblem[];
  decideSec?: (opts: z.output<S>, ctx: DecideCostContext) => number;
  asset?: (opts: z.output<S>) => TunerAsset | undefined;
};

/** Builds an entry from a tuner module (its exports options, create, doc, color and any hooks), keeping its types. */
export function defineTuner<S extends z.ZodType>(mod: TunerModule<S>): TunerEntry<S> {
  return {
    options: mod.options,
    create: mod.create,
    doc: mod.doc,
    color: mod.color,
    ...(mod.check ? { check: mod.check } : {}),
    ...(mod.decideSec ? { decideSec: mod.decideSec } : {}),
    ...(mod.asset ? { asset: mod.asset } : {}),
  };
}

export const TUNERS = {
  ds2: defineTuner(ds2),
  static: defineTuner(staticTuner),
  oracle: defineTuner(oracle),
  conttune: defineTuner(conttune),
  autoscaler: defineTuner(autoscaler),
  dhalion: defineTuner(dhalion),
  streamtune: defineTuner(streamtune),
} as const satisfies Record<string, TunerEntry>;

export type TunerName = keyof typeof TUNERS;
export const TUNER_NAMES = Object.keys(TUNERS) as TunerName[];

/** The parsed options type of one tuner. */
export type TunerOptions<N extends TunerName> = z.output<(typeof TUNERS)[N]['options']>;

export function isTunerName(name: string): name is TunerName {
  return Object.prototype.hasOwnProperty.call(TUNERS, name);
}

/**
 * Parses rawOptions with the tuner's schema (defaults filled in, unknown keys rejected) and creates the tuner.
 * Throws TunerSetupError naming the tuner and the offending option.
 */
export function createTuner(name: string, rawOptions: unknown = {}): Tuner {
  if (!isTunerName(name)) throw new TunerSetupError(`unknown tuner '${name}'; known tuners: ${TUNER_NAMES.join(', ')}`);
  return tunerEntry(name).create(tunerOptions(name, rawOptions));
}

/** Parses a tuner's options (defaults filled in); throws TunerSetupError as createTuner does. */
export function tunerOptions(name: TunerName, rawOptions: unknown = {}): unknown {
  const parsed = (TUNERS[name] as TunerEntry).options.safeParse(rawOptions ?? {});
  if (!parsed.success) throw new TunerSetupError(`tuner '${name}': invalid options:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The registry's hooks for one tuner, typed loosely for callers that hold parsed options of any tuner. */
export function tunerEntry(name: TunerName): TunerEntry {
  return TUNERS[name] as TunerEntry;
}
