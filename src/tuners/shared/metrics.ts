/** Small readings of OperatorMetrics that several tuners share (Flink's ms-per-second time ratios). */
import type { OperatorMetrics, Snapshot } from '../../core/metrics.js';

/** Busy fraction of the average subtask, in [0, 1]. */
export function busyFraction(m: OperatorMetrics): number {
  return m.busyMsPerSecond / 1000;
}

/** Busy fraction of the busiest subtask, in [0, 1]. */
export function maxBusyFraction(m: OperatorMetrics): number {
  return Math.max(m.busyMsPerSecondMax, m.busyMsPerSecond) / 1000;
}

/** ContTune's bpPer = bp / (bp + idle + busy), from the subtask averages; 0 when nothing was measured. */
export function backpressureShare(m: OperatorMetrics): number {
  const total = m.backPressuredMsPerSecond + m.idleMsPerSecond + m.busyMsPerSecond;
  return total > 0 ? m.backPressuredMsPerSecond / total : 0;
}

/** The metrics of one operator, with an error naming it when the snapshot lacks it. */
export function operatorMetrics(s: Snapshot, id: string): OperatorMetrics {
  const m = s.operators[id];
  if (!m) throw new Error(`snapshot at t=${s.time}s has no metrics for operator '${id}'`);
  return m;
}
