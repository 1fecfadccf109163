/**
 * From two REST samples of a running job to the harness's Snapshot, by differencing Flink's accumulated
 * per-subtask counters (records in/out, accumulated busy/idle/backpressured time) rather than reading its 60 s
 * smoothed per-second gauges. Per subtask, busy + idle + backpressured is the wall time the subtask ran between
 * the two samples (Flink computes busy as the remainder), so ratios and rates are measured on the same clock
 * as the counters, whatever the metric fetcher's staleness. The samples are taken over REST in sampling.ts.
 */
import type { JobGraph } from '../../core/job.js';
import { ZERO_OPERATOR_METRICS, type OperatorMetrics, type Snapshot, type SourceMetrics } from '../../core/metrics.js';
import { aggregateSubtasks, type SubtaskWindow } from '../shared/metrics.js';

export interface SubtaskSample {
  readonly index: number;
  readonly attempt: number;
  readonly startTime: number;
  readonly status: string;
  /** False when Flink's metric store has no value yet for this subtask. */
  readonly complete: boolean;
  readonly busyMs: number;
  readonly idleMs: number;
  readonly backPressuredMs: number;
  readonly recordsIn: number;
  readonly recordsOut: number;
}

export interface VertexSample {
  readonly vertexId: string;
  readonly parallelism: number;
  readonly status: string;
  readonly subtasks: readonly SubtaskSample[];
}

export interface SourceGauges {
  readonly lagRecords?: number;
  readonly targetRate?: number;
}

export interface JobSample {
  /** Wall clock (ms) when the sample was taken. */
  readonly at: number;
  readonly jobId: string;
  readonly state: string;
  readonly vertices: Readonly<Record<string, VertexSample>>;
  readonly sources: Readonly<Record<string, SourceGauges>>;
}

/** Why a pair of samples cannot be differenced (a restart, a rescale, missing metrics), or undefined. */
export function invalidReason(s0: JobSample, s1: JobSample): string | undefined {
  if (s0.jobId !== s1.jobId) return 'the job was resubmitted during the window';
  for (const s of [s0, s1]) if (s.state !== 'RUNNING') return `job state ${s.state}`;
  for (const op of Object.keys(s1.vertices)) {
    const a = s0.vertices[op];
    const b = s1.vertices[op] as VertexSample;
    if (!a) return `operator ${op} missing from the first sample`;
    if (a.parallelism !== b.parallelism || a.subtasks.length !== b.subtasks.length) return `operator ${op} was rescaled during the window`;
    for (const x of b.subtasks) {
      const y = a.subtasks.find((s) => s.index === x.index);
      if (!y) return `operator ${op} subtask ${x.index} is new`;
      if (y.attempt !== x.attempt || y.startTime !== x.startTime) return `operator ${op} subtask ${x.index} restarted during the window`;
      if (x.status !== 'RUNNING' || y.status !== 'RUNNING') return `operator ${op} subtask ${x.index} is ${x.status}`;
      if (!x.complete || !y.complete) return `operator ${op} subtask ${x.index} has no metrics yet`;
    }
  }
  return undefined;
}

export interface SnapshotContext {
  job: JobGraph;
  /** Engine time (s since deploy) at the end of the window. */
  time: number;
  /** Nominal window length in seconds. */
  windowSeconds: number;
  /** Total target rate the harness asked for (records/s). */
  targetRate: number;
}

const ZERO: OperatorMetrics = ZERO_OPERATOR_METRICS;

/**
 * One operator's metrics over the window (engines/shared/metrics.ts aggregates the subtasks). Sources count
 * emitted records as their input. A subtask's window is its busy + idle + backpressured time (Flink's clock of
 * the counters); records are pooled over the subtasks' mean window.
 */
export function operatorMetrics(a: VertexSample, b: VertexSample, isSource: boolean): { metrics: OperatorMetrics; elapsedSec: number } {
  const windows: SubtaskWindow[] = [];
  for (const x of b.subtasks) {
    const y = a.subtasks.find((s) => s.index === x.index);
    if (!y) continue;
    // A subtask without all its time counters yet (just started) says nothing about the window.
    if (![x.busyMs, y.busyMs, x.idleMs, y.idleMs, x.backPressuredMs, y.backPressuredMs].every(Number.isFinite)) continue;
    const busy = Math.max(0, x.busyMs - y.busyMs);
    const idle = Math.max(0, x.idleMs - y.idleMs);
    const backPressured = Math.max(0, x.backPressuredMs - y.backPressuredMs);
    windows.push({
      elapsed: busy + idle + backPressured,
      busy,
      idle,
      backPressured,
      recordsIn: Math.max(0, (isSource ? x.recordsOut - y.recordsOut : x.recordsIn - y.recordsIn) || 0),
      recordsOut: Math.max(0, x.recordsOut - y.recordsOut || 0),
    });
  }
  const { metrics, elapsedSeconds } = aggregateSubtasks(b.parallelism, windows, { unitsPerSecond: 1000, rates: 'pooled' });
  return { metrics, elapsedSec: elapsedSeconds };
}

/** The Snapshot of the window between two samples; valid=false (with a note) when they cannot be differenced. */
export function computeSnapshot(s0: JobSample, s1: JobSample, ctx: SnapshotContext): Snapshot {
  const { job } = ctx;
  const reason = invalidReason(s0, s1);
  const operators: Record<string, OperatorMetrics> = {};
  const sources: Record<string, SourceMetrics> = {};
  const shares = job.sourceShares();
  let achieved = 0;
  const stale: string[] = [];
  for (const id of job.operatorIds) {
    const a = s0.vertices[id];
    const b = s1.vertices[id];
    const isSource = job.operator(id).type === 'source';
    if (!a || !b || reason) {
      operators[id] = { ...ZERO, parallelism: b?.parallelism ?? a?.parallelism ?? 0 };
    } else {
      const { metrics, elapsedSec } = operatorMetrics(a, b, isSource);
      operators[id] = metrics;
      if (!(elapsedSec > 0)) stale.push(id);
    }
    if (isSource) {
      const m = operators[id] as OperatorMetrics;
      const g = s1.sources[id] ?? {};
      achieved += m.recordsInPerSecond;
      sources[id] = {
        targetRate: ctx.targetRate * (shares[id] ?? 0),
        achievedRate: m.recordsInPerSecond,
        lagRecords: g.lagRecords ?? 0,
      };
    }
  }
  const note = reason ?? (stale.length > 0 ? `Flink metrics of ${stale.join(', ')} did not advance during the window` : undefined);
  const snapshot: Snapshot = {
    time: ctx.time,
    windowSeconds: ctx.windowSeconds,
    operators,
    sources,
    targetRate: ctx.targetRate,
    achievedRate: achieved,
    valid: note === undefined,
    ...(note ? { note } : {}),
  };
  return snapshot;
}
