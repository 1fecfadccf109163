/** Numeric bounds on every configurable quantity: shared by the config schemas of every room. */
/**
 * Bounds on work: every numeric key has a range a real experiment can need (the work estimate in estimate.ts
 * bounds their product). Widen a bound here when an experiment needs more; `--allow-large` lifts the estimate's.
 */
export const BOUNDS = {
  /** Flink's largest max parallelism (key groups). */
  parallelism: 32_768,
  /** Seconds of engine time: one episode, a window, a warm-up. */
  episodeSec: 7 * 86_400,
  windowSec: 3_600,
  /** Rate as a multiple of W_u. */
  rateUnits: 10_000,
  /** Phases a schedule shape may list or generate. */
  phases: 10_000,
  levels: 1_000,
  repeat: 100,
  seeds: 1_000,
  sweepValues: 1_000,
  reconfigurations: 1_000,
  jobs: 256,
  /** Longest name: one path segment, well under the 255 bytes of common filesystems. */
  nameLength: 100,
  pathLength: 4_096,
  textLength: 10_000,
} as const;

export const MAX_PARALLELISM = BOUNDS.parallelism;
