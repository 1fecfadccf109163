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
import * as external from './external/index.js';
import * as oracle from './oracle/index.js';
import * as staticTuner from './static/index.js';
import * as streamtune from './streamtune/entry.js';

/** One registry entry: the options schema, the factory taking parsed options, a one-line description, and hooks. */
export interface TunerEntry<S extends z.ZodType = z.ZodType> {
  readonly options: S;
  /** name: the tuner's name in the experiment (for its messages). */
  readonly create: (opts: z.output<S>, name: string) => Tuner;
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
  create: (opts: z.output<S>, name: string) => Tuner;
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
  external: defineTuner(external),
} as const satisfies Record<string, TunerEntry>;

export type TunerName = keyof typeof TUNERS;
export const TUNER_NAMES = Object.keys(TUNERS) as TunerName[];

/** The parsed options type of one tuner. */
export type TunerOptions<N extends TunerName> = z.output<(typeof TUNERS)[N]['options']>;

export function isTunerName(name: string): name is TunerName {
  return Object.prototype.hasOwnProperty.call(TUNERS, name);
}

/**
 * Parses rawOptions with the tuner's schema (defaults filled in, unknown keys rejected) and creates the tuner of
 * kind `kind`, named `name` (a named variant's name; by default the kind). Throws TunerSetupError naming the tuner
 * and the offending option.
 */
export function createTuner(kind: string, rawOptions: unknown = {}, name: string = kind): Tuner {
  if (!isTunerName(kind)) throw new TunerSetupError(`unknown tuner '${kind}'; known tuners: ${TUNER_NAMES.join(', ')}`);
  const tuner = tunerEntry(kind).create(tunerOptions(kind, rawOptions, name), name);
  return tuner.name === name ? tuner : renamed(tuner, name);
}

/** Parses a tuner's options (defaults filled in); throws TunerSetupError as createTuner does. */
export function tunerOptions(kind: TunerName, rawOptions: unknown = {}, name: string = kind): unknown {
  const parsed = (TUNERS[kind] as TunerEntry).options.safeParse(rawOptions ?? {});
  const who = name === kind ? `tuner '${kind}'` : `tuner '${name}' (kind ${kind})`;
  if (!parsed.success) throw new TunerSetupError(`${who}: invalid options:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The same tuner under another name (every method delegates; the name is what the result rows carry). */
function renamed(t: Tuner, name: string): Tuner {
  return {
    name,
    ...(t.prepare ? { prepare: (job, context) => (t.prepare as NonNullable<Tuner['prepare']>).call(t, job, context) } : {}),
    ...(t.startEpisode ? { startEpisode: (rate) => (t.startEpisode as NonNullable<Tuner['startEpisode']>).call(t, rate) } : {}),
    decide: (view) => t.decide(view),
    ...(t.close ? { close: () => (t.close as NonNullable<Tuner['close']>).call(t) } : {}),
  };
}

/** The registry's hooks for one tuner, typed loosely for callers that hold parsed options of any tuner. */
export function tunerEntry(name: TunerName): TunerEntry {
  return TUNERS[name] as TunerEntry;
}
