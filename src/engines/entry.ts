/**
 * One row of the engine table (registry.ts): everything the harness above engines/ asks of an engine kind, so that
 * no code there switches on `kind`. Each engine folder exports its row (simulator/entry.ts, flink/entry.ts,
 * timely/entry.ts); the registry lists them.
 */
import type { z } from 'zod';
import type { JobGraph } from '../core/job.js';
import type { Parallelism } from '../core/parallelism.js';
import type { Engine, EngineCapabilities } from './engine.js';

/** Whether an engine can run on this machine. */
export interface Availability {
  /** Its toolchain (java and mvn, cargo) is there, or its job code is prebuilt. */
  readonly runs: boolean;
  /** Its job code is built and current: a deploy starts without a build. */
  readonly built: boolean;
  /** Why it cannot run, or what a first deploy will build. */
  readonly reason?: string;
}

/** What a run on the engine costs on the wall clock, for estimates (the experiment's, the oracle search's). */
export interface EngineCosts {
  /** Wall seconds of a deploy and a stop. */
  readonly deploySec: number;
  /** Engine seconds per wall second (the simulator's virtual clock runs far ahead; a real engine's is 1). */
  readonly speedup: number;
  /** Engine seconds of a rescale's downtime, as planned for. */
  readonly rescaleSec: number;
  /** A simulated engine's step (its CPU cost is per step and operator); absent: engine time is wall time. */
  readonly stepSec?: number;
}

/** A configuration an episode ended in, at its target rate (for extrapolation notices). */
export interface DrivenConfiguration {
  readonly parallelism: Parallelism;
  readonly rate: number;
}

export interface EngineEntry<C extends { readonly kind: string }> {
  /** The engine config: a zod object whose `kind` is a literal (the experiment schema is the union of these). */
  readonly schema: z.ZodType<C> & { readonly shape: { readonly kind: z.ZodLiteral<C['kind']> } };
  /** Builds the engine of a run; `seed` seeds a simulated engine's noise. */
  create(config: C, seed: number): Engine;
  /** Its capabilities from the config alone (nothing is started). */
  capabilities(config: C): EngineCapabilities;
  /** For figures: 'real Flink', 'simulator (Timely mode)'; with `profile`, the calibration it runs on too. */
  label(config: C, o?: { readonly profile?: boolean }): string;
  /** For comparisons of run folders: 'flink', 'simulator (timely mode, flink-2core)'. */
  name(config: C): string;
  /** Whether it can run here (no build is started). */
  available(config: C): Availability;
  /** The engine release and a hash of the job code it runs (keys of measured results). */
  version(): string;
  /** The largest parallelism one operator can get (task slots, workers); undefined: no limit of the engine's. */
  operatorLimit(config: C): number | undefined;
  costs(config: C): EngineCosts;
  /** A modelled engine: the machine profile it runs on ('linear', 'flink-2core'). */
  profile?(config: C): string;
  /** A modelled engine: its physics in force, as a fingerprint (profile name and a hash of the terms). */
  physicsFingerprint?(config: C): string;
  /** A modelled engine: where configurations drove it beyond the range its profile was measured on. */
  extrapolations?(config: C, job: JobGraph, driven: readonly DrivenConfiguration[]): string[];
  /** A real engine: operator ids of the Nexmark queries its job implements. */
  readonly nexmark?: Readonly<Record<string, readonly string[]>>;
}
