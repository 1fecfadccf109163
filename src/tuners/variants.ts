/**
 * Named tuner variants: an experiment's `tuners` maps a name to an entry. The key alone names the tuner kind
 * ("ds2": {"overProvisioning": 0}); an entry with `kind` is a variant under its own name ("ds2-op10": {"kind":
 * "ds2", "overProvisioning": 0.1}), so two configurations of one tuner (or several external tuners) sit side by
 * side in one experiment, each a tuner of its own in every CSV, summary, chart and figure.
 */
import { isTunerName, TUNER_NAMES, type TunerName } from './registry.js';

/** A tuner name: one folder-name segment without dots (run keys and sweep paths are built from it). */
export const TUNER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export interface TunerEntryConfig {
  /** The name in the experiment (the `tuner` column of every CSV). */
  readonly name: string;
  readonly kind: TunerName;
  /** The kind's options as written (without `kind`). */
  readonly options: Record<string, unknown>;
}

/** The kind and options of one entry: `kind` when given, else the name itself. */
export function entryOf(name: string, raw: unknown): TunerEntryConfig {
  const o = (raw ?? {}) as Record<string, unknown>;
  const { kind, ...options } = o;
  const k = typeof kind === 'string' ? kind : name;
  if (!isTunerName(k)) throw new Error(`tuners.${name}: unknown tuner kind '${k}'`);
  return { name, kind: k, options };
}

/**
 * Every entry of an experiment's `tuners`, in a fixed order: by kind in the registry's order, the entry named by its
 * kind first, then that kind's variants in the order written (so adding a variant leaves every other run's key and
 * place as it was).
 */
export function tunerEntries(tuners: Readonly<Record<string, unknown>>): TunerEntryConfig[] {
  const entries = Object.entries(tuners)
    .filter(([, v]) => v !== undefined)
    .map(([name, v]) => entryOf(name, v));
  return TUNER_NAMES.flatMap((kind) => {
    const ofKind = entries.filter((e) => e.kind === kind);
    return [...ofKind.filter((e) => e.name === kind), ...ofKind.filter((e) => e.name !== kind)];
  });
}
