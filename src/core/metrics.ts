import type { Parallelism } from './parallelism.js';

/**
 * The closed table of metrics, with Flink's meaning. CSV columns and chart fields derive from it.
 * Time ratios are in ms per second, as Flink reports them: busy + idle + backpressured ~= 1000 per subtask.
 */

export const OPERATOR_METRICS = {
  parallelism: { unit: 'instances', doc: 'Parallelism deployed during the window' },
  busyMsPerSecond: { unit: 'ms/s', doc: 'Busy time per second, averaged over subtasks' },
  busyMsPerSecondMax: { unit: 'ms/s', doc: 'Busy time per second of the busiest subtask' },
  idleMsPerSecond: { unit: 'ms/s', doc: 'Idle time per second, averaged over subtasks' },
  backPressuredMsPerSecond: { unit: 'ms/s', doc: 'Time blocked on output buffers per second, averaged over subtasks' },
  backPressuredMsPerSecondMax: { unit: 'ms/s', doc: 'Backpressured time per second of the most blocked subtask' },
  recordsInPerSecond: { unit: 'records/s', doc: 'Records read per second, summed over subtasks (records emitted, for a source)' },
  recordsOutPerSecond: { unit: 'records/s', doc: 'Records emitted per second, summed over subtasks' },
  trueProcessingRate: { unit: 'records/s', doc: 'Records in per second of busy time, summed over subtasks (DS2)' },
  trueOutputRate: { unit: 'records/s', doc: 'Records out per second of busy time, summed over subtasks (DS2)' },
} as const;

export type OperatorMetricName = keyof typeof OPERATOR_METRICS;
export type OperatorMetrics = { readonly [K in OperatorMetricName]: number };
export const OPERATOR_METRIC_NAMES = Object.keys(OPERATOR_METRICS) as OperatorMetricName[];
/** Every metric at zero (a window with no data). */
export const ZERO_OPERATOR_METRICS: OperatorMetrics = Object.fromEntries(OPERATOR_METRIC_NAMES.map((k) => [k, 0])) as OperatorMetrics;

export const SOURCE_METRICS = {
  targetRate: { unit: 'records/s', doc: 'Rate the schedule asks this source to emit' },
  achievedRate: { unit: 'records/s', doc: 'Rate the source emitted' },
  lagRecords: { unit: 'records', doc: 'Records due but not yet emitted, at the end of the window' },
} as const;
export type SourceMetricName = keyof typeof SOURCE_METRICS;
export type SourceMetrics = { readonly [K in SourceMetricName]: number };

/** One observation window of one deployment. */
export interface Snapshot {
  /** Engine time at the end of the window, seconds since deploy (virtual on the simulator). */
  readonly time: number;
  readonly windowSeconds: number;
  readonly operators: Readonly<Record<string, OperatorMetrics>>;
  readonly sources: Readonly<Record<string, SourceMetrics>>;
  /** Total target source rate (records/s). */
  readonly targetRate: number;
  /** Total achieved source rate (records/s). */
  readonly achievedRate: number;
  /** False when the job failed or restarted during the window: recorded, never used for a decision. */
  readonly valid: boolean;
  readonly note?: string;
  /**
   * The parallelism each operator actually ran at (the engine's own view of the job, e.g. Flink's vertex
   * details at the end of the window); a window in which it changed is invalid. Absent: as deployed.
   */
  readonly parallelism?: Parallelism;
  /** What the engine did on its own since the previous snapshot (failovers, restarts by the cluster), oldest first. */
  readonly events?: readonly EngineEvent[];
}

/**
 * A restart the engine made on its own, not asked by the loop: a failover (a task or a machine failed and the job
 * restarted from its last checkpoint, maybe on fewer slots) or a rescale by the cluster (resources came back and
 * the adaptive scheduler scaled the job up to its requirements). Times are engine time (seconds since deploy),
 * taken from the engine's own timestamps where it has them.
 */
export interface EngineEvent {
  readonly kind: 'failover' | 'clusterRescale';
  /** When it began: the failure (failover) or the restart (clusterRescale). */
  readonly at: number;
  /** Seconds from `at` until every subtask ran again. */
  readonly recoverySeconds: number;
  /** Seconds during which the job processed nothing (for a failover: from the failure until every subtask ran). */
  readonly downtimeSeconds: number;
  readonly parallelismBefore: Parallelism;
  readonly parallelismAfter: Parallelism;
  /** The failure (exception class and message) or why the cluster rescaled. */
  readonly cause?: string;
}

export function totalLag(s: Snapshot): number {
  return Object.values(s.sources).reduce((a, m) => a + m.lagRecords, 0);
}
