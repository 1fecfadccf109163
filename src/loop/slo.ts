/**
 * The service-level objective an episode is judged by, after Theodolite's lag-trend SLO (shared/reference/slo.md):
 * over the last `holdSec` of observed windows of one configuration, the total source lag does not grow — its
 * least-squares slope is at most `maxLagTrend` times the target rate. That is exactly "the configuration keeps up":
 * an under-provisioned configuration fails it however long it runs, one draining an inherited backlog passes it.
 * `maxLagSec` (off by default) adds an absolute bound for users who want a drained job: the lag at the end of the
 * hold, in seconds of input at the target rate. Pure functions, no engine.
 */
import type { GroundTruth } from '../engines/engine.js';
import type { SloConfig } from './config.js';

/** One observed window, as the SLO sees it: the lag at its end. */
export interface LagPoint {
  /** Engine time at the end of the window, seconds. */
  readonly time: number;
  readonly windowSeconds: number;
  /** Total source lag at the end of the window, records. */
  readonly lag: number;
  readonly valid: boolean;
  readonly note?: string;
}

export interface SloVerdict {
  readonly holds: boolean;
  /** Fitted lag slope over the hold as a fraction of the target rate (NaN before two windows). */
  readonly lagTrend: number;
  /** Lag at the end of the hold, seconds of input at the target rate. */
  readonly lagSec: number;
  /** Which part failed, for the episode row; '' when the SLO holds. */
  readonly violation: string;
}

/** Least-squares slope of y over x (NaN with fewer than two distinct x). */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : Number.NaN;
}

const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

/**
 * Judges the windows of the configuration now deployed (oldest first, observed after its warm-up). The hold is the
 * trailing windows that end within the last holdSec, and at least two; it must cover holdSec of engine time.
 */
export function judgeSlo(windows: readonly LagPoint[], targetRate: number, slo: SloConfig): SloVerdict {
  const last = windows[windows.length - 1];
  if (!last) return { holds: false, lagTrend: Number.NaN, lagSec: Number.NaN, violation: 'no window observed' };
  const lagSec = targetRate > 0 ? last.lag / targetRate : 0;
  let from = windows.length - 1;
  while (from > 0 && (windows.length - from < 2 || (windows[from - 1] as LagPoint).time > last.time - slo.holdSec + 1e-9)) from--;
  const hold = windows.slice(from);
  const invalid = hold.find((w) => !w.valid);
  const lagTrend = targetRate > 0 ? slope(hold.filter((w) => w.valid).map((w) => ({ x: w.time, y: w.lag }))) / targetRate : 0;
  if (invalid) return { holds: false, lagTrend, lagSec, violation: `invalid window in the hold (${invalid.note ?? 'the engine invalidated it'})` };
  const first = hold[0] as LagPoint;
  const covered = last.time - (first.time - first.windowSeconds);
  if (hold.length < 2 || covered < slo.holdSec - 1e-9)
    return { holds: false, lagTrend, lagSec, violation: `observed ${fmt(covered)} s of the ${slo.holdSec} s hold` };
  if (!(lagTrend <= slo.maxLagTrend))
    return { holds: false, lagTrend, lagSec, violation: `lag grows at ${fmt(lagTrend)} of the target rate (SLO: at most ${slo.maxLagTrend})` };
  if (slo.maxLagSec !== undefined && lagSec > slo.maxLagSec)
    return { holds: false, lagTrend, lagSec, violation: `lag ${fmt(lagSec)} s of input (SLO: at most ${slo.maxLagSec} s)` };
  return { holds: true, lagTrend, lagSec, violation: '' };
}

/**
 * Ground truth whose oracle meets an SLO that tolerates lag growing at `tolerance` of the rate (its maxLagTrend):
 * what a tuner that aims at the oracle is given, so it aims where the episodes are judged.
 */
export function withTolerance(truth: GroundTruth, tolerance: number): GroundTruth {
  return {
    demandedRates: (rate) => truth.demandedRates(rate),
    capacities: (p) => truth.capacities(p),
    bottlenecks: (p, rate) => truth.bottlenecks(p, rate),
    oracle: (rate, t) => truth.oracle(rate, t ?? tolerance),
  };
}
