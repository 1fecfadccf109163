/**
 * ScalingMetricCollector: restart detection, the stabilisation window after a (re)start, and the metric window of
 * samples the evaluator reads. A pure function of the previous collector state and one view.
 */
import { parallelismKey } from '../../core/parallelism.js';
import type { TunerView } from '../tuner.js';
import { observedTprAtCollection, type AutoscalerConfig, type MetricSample } from './evaluator.js';

/** What the collector keeps between decisions. */
export interface CollectorState {
  /** Samples of the running deployment inside the metric window, oldest first. */
  readonly samples: readonly MetricSample[];
  /** parallelismKey of the deployment seen last (undefined before the first view). */
  readonly deployedKey: string | undefined;
  /** Clock at which the running deployment started (the last restart). */
  readonly runningSince: number;
  /** Clock of the last rescale this tuner asked for (the restart it causes starts there). */
  readonly rescaledAt: number | undefined;
}

export const EMPTY_COLLECTOR: CollectorState = { samples: [], deployedKey: undefined, runningSince: 0, rescaledAt: undefined };

/** The collector after one view; `full` when the metric window holds enough samples to evaluate. */
export interface Collected {
  readonly state: CollectorState;
  readonly full: boolean;
  /** Why not full (empty when full). */
  readonly reason: string;
}

/**
 * A deployment change restarts the job: its samples are dropped and it runs from the rescale's clock (or the start
 * of this window when the change was not asked for). No sample is kept until stabilizationSec after the start; the
 * window is full metricsWindowSec later with at least two samples.
 */
export function collect(prev: CollectorState, view: TunerView, cfg: AutoscalerConfig): Collected {
  const now = view.clock;
  const key = parallelismKey(view.parallelism);
  const restarted = prev.deployedKey !== undefined && key !== prev.deployedKey;
  const runningSince = restarted ? (prev.rescaledAt ?? now - view.snapshot.windowSeconds) : prev.runningSince;
  const kept = restarted ? [] : prev.samples;
  const stableTime = runningSince + cfg.stabilizationSec;
  if (now < stableTime) return { state: { samples: kept, deployedKey: key, runningSince, rescaledAt: undefined }, full: false, reason: `stabilizing until t=${stableTime}s` };
  const window = kept.filter((s) => s.time >= now - cfg.metricsWindowSec && s.time < now);
  const observedTpr: Record<string, number> = {};
  for (const id of view.job.sources()) {
    const m = view.snapshot.operators[id];
    if (m) observedTpr[id] = observedTprAtCollection(m, view.snapshot.sources[id]?.lagRecords ?? 0, window, id, cfg);
  }
  const samples = [...window, { time: now, windowSeconds: view.snapshot.windowSeconds, parallelism: view.parallelism, snapshot: view.snapshot, observedTpr }];
  const state: CollectorState = { samples, deployedKey: key, runningSince, rescaledAt: undefined };
  const fullAt = stableTime + cfg.metricsWindowSec;
  if (now < fullAt || samples.length < 2) return { state, full: false, reason: `collecting metrics until t=${Math.max(fullAt, now)}s (${samples.length} samples)` };
  return { state, full: true, reason: '' };
}
