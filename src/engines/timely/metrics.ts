/**
 * From two samples of a running Timely job (every process's cumulative counters) to the harness's Snapshot.
 *
 * Per operator and worker it runs on (its placement), over the worker's logging clock between the samples:
 *  - busy = the operator's Schedule spans (timely has no notion of "useful" work: a no-op activation is busy);
 *  - backpressured: timely has no backpressure. A source's flow control (it waits while the job's output
 *    frontier is more than maxInFlightMs behind it) is its backpressured time; every other operator reports 0;
 *  - idle = the rest (1000 - busy - backpressured ms/s), so that busy + idle + backpressured = 1000 as on Flink.
 *    On shared workers an operator's "idle" time includes the time its worker spent on other operators; the
 *    worker's own idle time (Park events) is in `workerIdle` of the deployment's raw samples.
 * Records in are the records the operator processed, logged by the operator itself on the same clock (an
 * operator yields after a time slice, so records pulled from its channels, the receive-side Messages events,
 * may wait in its stash); for a source, the events it emitted. Records out are send-side Messages events
 * divided by the number of channels each output port feeds. The true processing rate is
 * records in per second of busy time, as on Flink (records in per second / average busy ratio).
 *
 * With the metric-rule labels (src/history/labels.ts) this means: no operator other than a source is ever
 * backpressured, so `pressured` never holds and an operator is labelled a bottleneck when it is saturated
 * (busiest worker busy >= tauBusy) while a source lags; when none is, the lagging sources are labelled.
 */
import type { JobGraph } from '../../core/job.js';
import type { OperatorMetrics, Snapshot, SourceMetrics } from '../../core/metrics.js';
import { aggregateSubtasks, type SubtaskWindow } from '../shared/metrics.js';
import type { ProcessSample, WorkerSample } from './process.js';

export interface SnapshotContext {
  job: JobGraph;
  /** Engine time (s since deploy) at the end of the window. */
  time: number;
  /** Nominal window length in seconds. */
  windowSeconds: number;
  /** Total target rate the harness asked for (records/s). */
  targetRate: number;
  /** Operator -> the worker indices it runs on. */
  workersOf: Readonly<Record<string, readonly number[]>>;
  /** Operator -> the parallelism to report (W clipped to the operator's max in worker-count mode, k in placement mode). */
  parallelism: Readonly<Record<string, number>>;
}

function byWorker(samples: readonly ProcessSample[]): Map<number, WorkerSample> {
  const m = new Map<number, WorkerSample>();
  for (const s of samples) for (const w of s.workers) m.set(w.index, w);
  return m;
}

function blockedByWorker(samples: readonly ProcessSample[], source: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const s of samples) for (const x of s.sources[source] ?? []) m.set(x.worker, x.blockedNs);
  return m;
}

/** Why two samples cannot be differenced, or undefined. */
export function invalidReason(s0: readonly ProcessSample[], s1: readonly ProcessSample[]): string | undefined {
  if (s0.length === 0 || s1.length !== s0.length) return 'a process is missing from a sample';
  if (!s1.every((s) => s.logging)) return 'timely logging is off: no operator metrics';
  const a = byWorker(s0);
  const b = byWorker(s1);
  for (const [i, w1] of b) {
    const w0 = a.get(i);
    if (!w0) return `worker ${i} is new`;
    if (w0.epochUnixMs !== w1.epochUnixMs && w0.epochUnixMs !== 0) return `worker ${i} restarted during the window`;
    if (!(w1.asOfNs > w0.asOfNs)) return `worker ${i}'s metrics did not advance during the window`;
  }
  return undefined;
}

/** Events a source emitted per second, summed over its workers, on the processes' wall clock. */
function emittedRate(s0: readonly ProcessSample[], s1: readonly ProcessSample[], id: string): number {
  let rate = 0;
  for (const p1 of s1) {
    const p0 = s0.find((q) => q.process === p1.process);
    const sec = p0 ? (p1.unixMs - p0.unixMs) / 1000 : 0;
    if (!p0 || !(sec > 0)) continue;
    for (const x1 of p1.sources[id] ?? []) {
      const x0 = (p0.sources[id] ?? []).find((y) => y.worker === x1.worker);
      if (x0) rate += Math.max(0, x1.emitted - x0.emitted) / sec;
    }
  }
  return rate;
}

export function computeSnapshot(s0: readonly ProcessSample[], s1: readonly ProcessSample[], ctx: SnapshotContext): Snapshot {
  const { job } = ctx;
  const reason = invalidReason(s0, s1);
  const a = byWorker(s0);
  const b = byWorker(s1);
  const operators: Record<string, OperatorMetrics> = {};
  const sources: Record<string, SourceMetrics> = {};
  const shares = job.sourceShares();
  let achieved = 0;
  for (const id of job.operatorIds) {
    const p = ctx.parallelism[id] ?? 0;
    const isSource = job.operator(id).type === 'source';
    const blocked0 = isSource ? blockedByWorker(s0, id) : undefined;
    const blocked1 = isSource ? blockedByWorker(s1, id) : undefined;
    const windows: SubtaskWindow[] = [];
    if (!reason) {
      for (const wi of ctx.workersOf[id] ?? []) {
        const w0 = a.get(wi);
        const w1 = b.get(wi);
        const x0 = w0?.ops[id];
        const x1 = w1?.ops[id];
        if (!w0 || !w1 || !x0 || !x1) continue;
        const elapsed = w1.asOfNs - w0.asOfNs;
        if (!(elapsed > 0)) continue;
        const busy = Math.min(elapsed, Math.max(0, x1[0] - x0[0]));
        const backPressured = isSource ? Math.min(elapsed - busy, Math.max(0, (blocked1?.get(wi) ?? 0) - (blocked0?.get(wi) ?? 0))) : 0;
        windows.push({ elapsed, busy, backPressured, recordsIn: isSource ? 0 : Math.max(0, x1[1] - x0[1]), recordsOut: Math.max(0, x1[2] - x0[2]) });
      }
    }
    // a source's records "in" are the events it emitted: its own counter, read in real time, so over the
    // processes' wall clock between the samples
    const emitted = isSource && !reason ? emittedRate(s0, s1, id) : undefined;
    operators[id] = aggregateSubtasks(p, windows, { unitsPerSecond: 1e9, rates: 'perSubtask', ...(emitted !== undefined ? { recordsInPerSecond: emitted } : {}) }).metrics;
    if (isSource) {
      const m = operators[id] as OperatorMetrics;
      const lag = s1.reduce((acc, s) => acc + (s.sources[id] ?? []).reduce((x, y) => x + y.lag, 0), 0);
      achieved += m.recordsInPerSecond;
      sources[id] = { targetRate: ctx.targetRate * (shares[id] ?? 0), achievedRate: m.recordsInPerSecond, lagRecords: lag };
    }
  }
  return {
    time: ctx.time,
    windowSeconds: ctx.windowSeconds,
    operators,
    sources,
    targetRate: ctx.targetRate,
    achievedRate: achieved,
    valid: reason === undefined,
    ...(reason ? { note: reason } : {}),
  };
}

/** Per worker: the share of the window it was parked (idle for every operator), ms/s. */
export function workerIdle(s0: readonly ProcessSample[], s1: readonly ProcessSample[]): Record<number, number> {
  const a = byWorker(s0);
  const out: Record<number, number> = {};
  for (const [i, w1] of byWorker(s1)) {
    const w0 = a.get(i);
    if (!w0 || !(w1.asOfNs > w0.asOfNs)) continue;
    out[i] = (1000 * Math.max(0, w1.parkNs - w0.parkNs)) / (w1.asOfNs - w0.asOfNs);
  }
  return out;
}
