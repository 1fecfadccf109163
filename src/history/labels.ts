/**
 * Operator-level bottleneck labels (reference/streamtune.md §5).
 *  - metric: what a real engine can tell from its own metrics: v is not itself backpressured (bp < tauBp),
 *    saturated (busiest subtask busy >= tauBusy, or idle < 1 ms/s), and an upstream operator is backpressured
 *    or a source lags; a lagging source whose downstream holds no culprit is itself the bottleneck.
 *  - groundTruth: the simulator's demand above capacity.
 */
import type { JobGraph } from '../core/job.js';
import type { Snapshot } from '../core/metrics.js';

export const LABEL_RULES = ['metric', 'groundTruth'] as const;
export type LabelRule = (typeof LABEL_RULES)[number];

export interface MetricLabelOptions {
  /** Backpressure ratio below which an operator is "not backpressured" (0.1). */
  tauBp: number;
  /** Busy ratio of the busiest subtask at or above which an operator is saturated (0.8). */
  tauBusy: number;
  /** Achieved/target source rate below which a source counts as lagging. */
  lagRatio: number;
}
export const METRIC_LABEL_DEFAULTS: MetricLabelOptions = { tauBp: 0.1, tauBusy: 0.8, lagRatio: 0.98 };

export function metricLabels(job: JobGraph, s: Snapshot, o: MetricLabelOptions = METRIC_LABEL_DEFAULTS): Record<string, boolean> {
  const m = s.operators;
  const bp = (id: string) => (m[id]?.backPressuredMsPerSecondMax ?? 0) / 1000;
  const lagging = job.sources().some((src) => {
    const x = s.sources[src];
    return x !== undefined && x.targetRate > 0 && x.achievedRate < o.lagRatio * x.targetRate;
  });
  const saturated = (id: string) => (m[id]?.busyMsPerSecondMax ?? 0) / 1000 >= o.tauBusy || (m[id]?.idleMsPerSecond ?? 1000) < 1;
  const labels: Record<string, boolean> = {};
  for (const id of job.operatorIds) {
    const pressured = job.upstream(id).some((u) => bp(u) >= o.tauBp);
    labels[id] = bp(id) < o.tauBp && saturated(id) && (pressured || lagging);
  }
  if (lagging && !job.operatorIds.some((id) => labels[id])) {
    // No downstream culprit: the lagging sources themselves cannot keep up.
    for (const src of job.sources()) if (bp(src) < o.tauBp) labels[src] = true;
  }
  return labels;
}
