/**
 * Per-subtask measurements of one window -> one operator's metrics, the same way for every engine. An engine
 * reduces its own counters to one `SubtaskWindow` per subtask (a Flink subtask, a Timely worker the operator runs
 * on); `aggregateSubtasks` averages the time ratios, keeps the busiest and most blocked subtask, sums the record
 * rates and derives the true rates; `operatorMetrics` is that last step alone, for an engine that measures an
 * operator as a whole (the simulator's fluid model).
 *
 *   subtask windows --aggregateSubtasks--> OperatorWindow --operatorMetrics--> OperatorMetrics
 */
import type { JobGraph } from '../../core/job.js';
import { ZERO_OPERATOR_METRICS, type OperatorMetrics, type Snapshot } from '../../core/metrics.js';
import type { Parallelism } from '../../core/parallelism.js';

/** One subtask over one window, in one time unit of the engine's choosing (ms on Flink, ns on Timely). */
export interface SubtaskWindow {
  /** Time the subtask's own clock advanced over the window. */
  readonly elapsed: number;
  readonly busy: number;
  readonly backPressured: number;
  /** Measured idle time; absent: the rest of the window (elapsed - busy - backPressured). */
  readonly idle?: number;
  readonly recordsIn: number;
  readonly recordsOut: number;
}

/** An operator's window before the true rates: the time ratios (ms/s) and the record rates. */
export interface OperatorWindow {
  readonly parallelism: number;
  readonly busyMsPerSecond: number;
  readonly busyMsPerSecondMax: number;
  readonly idleMsPerSecond: number;
  readonly backPressuredMsPerSecond: number;
  readonly backPressuredMsPerSecondMax: number;
  readonly recordsInPerSecond: number;
  readonly recordsOutPerSecond: number;
  /** The share of the subtasks' time spent busy (their busy time over all their time), 0..1. */
  readonly busyFraction: number;
}

/**
 * The true processing (output) rate is records in (out) per second of busy time: the record rate over the busy
 * fraction, as DS2 defines it; 0 when the operator was never busy.
 */
export function operatorMetrics(w: OperatorWindow): OperatorMetrics {
  return {
    parallelism: w.parallelism,
    busyMsPerSecond: w.busyMsPerSecond,
    busyMsPerSecondMax: w.busyMsPerSecondMax,
    idleMsPerSecond: w.idleMsPerSecond,
    backPressuredMsPerSecond: w.backPressuredMsPerSecond,
    backPressuredMsPerSecondMax: w.backPressuredMsPerSecondMax,
    recordsInPerSecond: w.recordsInPerSecond,
    recordsOutPerSecond: w.recordsOutPerSecond,
    trueProcessingRate: w.busyFraction > 0 ? w.recordsInPerSecond / w.busyFraction : 0,
    trueOutputRate: w.busyFraction > 0 ? w.recordsOutPerSecond / w.busyFraction : 0,
  };
}

export interface AggregateOptions {
  /** Time units of the subtask windows per second (1000 for ms, 1e9 for ns). */
  readonly unitsPerSecond: number;
  /**
   * How record counts become rates. 'perSubtask': each subtask's records over its own elapsed time, summed;
   * 'pooled': all records over the subtasks' mean elapsed time.
   */
  readonly rates: 'perSubtask' | 'pooled';
  /** The operator's input rate when the engine counts it elsewhere (a Timely source's emitted events). */
  readonly recordsInPerSecond?: number;
}

/**
 * One operator's metrics from its subtasks' windows. Subtasks whose clock did not advance say nothing about the
 * window and are left out; with none left the operator reads as all zero (at its parallelism), and
 * `elapsedSeconds` is 0 so that the caller can say its metrics did not advance.
 */
export function aggregateSubtasks(parallelism: number, subtasks: Iterable<SubtaskWindow>, o: AggregateOptions): { metrics: OperatorMetrics; elapsedSeconds: number } {
  let busySum = 0;
  let elapsedSum = 0;
  let busyMax = 0;
  let bpMax = 0;
  let busyRatioSum = 0;
  let bpRatioSum = 0;
  let idleRatioSum = 0;
  let inSum = 0;
  let outSum = 0;
  let inRate = 0;
  let outRate = 0;
  let n = 0;
  for (const s of subtasks) {
    if (!(s.elapsed > 0)) continue;
    const br = (1000 * s.busy) / s.elapsed;
    const pr = (1000 * s.backPressured) / s.elapsed;
    busySum += s.busy;
    elapsedSum += s.elapsed;
    busyRatioSum += br;
    bpRatioSum += pr;
    idleRatioSum += s.idle === undefined ? Math.max(0, 1000 - br - pr) : (1000 * s.idle) / s.elapsed;
    busyMax = Math.max(busyMax, br);
    bpMax = Math.max(bpMax, pr);
    inSum += s.recordsIn;
    outSum += s.recordsOut;
    const sec = s.elapsed / o.unitsPerSecond;
    inRate += s.recordsIn / sec;
    outRate += s.recordsOut / sec;
    n++;
  }
  if (n === 0) return { metrics: { ...ZERO_OPERATOR_METRICS, parallelism }, elapsedSeconds: 0 };
  const elapsedSeconds = elapsedSum / n / o.unitsPerSecond;
  if (o.rates === 'pooled') {
    inRate = inSum / elapsedSeconds;
    outRate = outSum / elapsedSeconds;
  }
  const metrics = operatorMetrics({
    parallelism,
    busyMsPerSecond: busyRatioSum / n,
    busyMsPerSecondMax: busyMax,
    idleMsPerSecond: idleRatioSum / n,
    backPressuredMsPerSecond: bpRatioSum / n,
    backPressuredMsPerSecondMax: bpMax,
    recordsInPerSecond: o.recordsInPerSecond ?? inRate,
    recordsOutPerSecond: outRate,
    busyFraction: busySum / elapsedSum,
  });
  return { metrics, elapsedSeconds };
}

/**
 * An invalid window with nothing measured (the job restarted, sampling failed): every operator at zero at its
 * parallelism, every source at its share of the target rate with nothing achieved; `note` says why.
 */
export function emptySnapshot(job: JobGraph, parallelism: Parallelism, w: { time: number; windowSeconds: number; targetRate: number; note: string }): Snapshot {
  const operators = Object.fromEntries(job.operatorIds.map((id) => [id, { ...ZERO_OPERATOR_METRICS, parallelism: parallelism[id] ?? 0 }]));
  const shares = job.sourceShares();
  const sources = Object.fromEntries(job.sources().map((id) => [id, { targetRate: w.targetRate * (shares[id] ?? 0), achievedRate: 0, lagRecords: 0 }]));
  return { time: w.time, windowSeconds: w.windowSeconds, operators, sources, targetRate: w.targetRate, achievedRate: 0, valid: false, note: w.note };
}
