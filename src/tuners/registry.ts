/**
 * The typed table of tuners: name -> options schema (zod, every field defaulted and documented), factory and a
 * one-line doc. A new tuner (streamtune) is one more entry built with defineTuner().
 */
import { z } from 'zod';
import { TunerSetupError, type Tuner } from './tuner.js';
import * as autoscaler from './autoscaler/index.js';
import * as conttune from './conttune/index.js';
import * as dhalion from './dhalion/index.js';
import * as ds2 from './ds2/index.js';
import * as external from './external/index.js';
import * as oracle from './oracle/index.js';
import * as staticTuner from './static/index.js';
import * as streamtune from './streamtune/index.js';

/** One registry entry: the options schema, the factory taking parsed options, a one-line description. */
export interface TunerEntry<S extends z.ZodType = z.ZodType> {
  readonly options: S;
  /** name: the tuner's name in the experiment (for its messages). */
  readonly create: (opts: z.output<S>, name: string) => Tuner;
  readonly doc: string;
}

/** Builds an entry from a tuner module (or any { options, create, doc }), keeping its option types. */
export function defineTuner<S extends z.ZodType>(mod: { options: S; create: (opts: z.output<S>, name: string) => Tuner; doc: string }): TunerEntry<S> {
  return { options: mod.options, create: mod.create, doc: mod.doc };
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
  const who = name === kind ? `tuner '${kind}'` : `tuner '${name}' (kind ${kind})`;
  if (!isTunerName(kind)) throw new TunerSetupError(`unknown tuner '${kind}'; known tuners: ${TUNER_NAMES.join(', ')}`);
  const entry: TunerEntry = TUNERS[kind];
  const parsed = entry.options.safeParse(rawOptions ?? {});
  if (!parsed.success) throw new TunerSetupError(`${who}: invalid options:\n${z.prettifyError(parsed.error)}`);
  const tuner = entry.create(parsed.data, name);
  return tuner.name === name ? tuner : renamed(tuner, name);
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
