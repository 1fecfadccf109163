/** Everything the autoscaler carries from one decision to the next, in one object (step.ts reads and updates it). */
import { EMPTY_COLLECTOR, type CollectorState } from './collector.js';
import type { ScalingHistory } from './executor.js';
import { DelayedScaleDown } from './scaler.js';

export interface AutoscalerState {
  /** The metric window and restart clock (collector.ts); replaced, never changed in place. */
  collector: CollectorState;
  /** Pending delayed scale-downs per vertex (or the worker pool), updated in place by the scaling stages. */
  readonly delayed: DelayedScaleDown;
  /** Applied scalings per vertex (effectiveness detection, observed scalability), updated in place. */
  readonly history: ScalingHistory;
}

export function initState(): AutoscalerState {
  return { collector: EMPTY_COLLECTOR, delayed: new DelayedScaleDown(), history: new Map() };
}
