/** A rate schedule: phases of constant total source rate. Each phase is one tuning episode. */
export interface RatePhase {
  /** Total source rate, records per second. */
  readonly rate: number;
  /** How long the phase may last at most (seconds of engine time). */
  readonly durationSec: number;
}
export type RateSchedule = readonly RatePhase[];

/** A rate as a lookup key (records/s, rounded to 1e-6): schedules recompute rates in floating point. */
export function rateKey(rate: number): string {
  return String(Math.round(rate * 1e6) / 1e6);
}
