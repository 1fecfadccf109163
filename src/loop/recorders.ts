/**
 * The loop's recorders (LoopSink): each turns the loop's window and episode records into one kind of result row.
 * timeline.csv (one row per window and per engine event), history.csv (one row per operator per window, with the
 * metric rule's labels and the ground truth's where the engine has it), episodes.csv (one row per episode).
 */
import type { JobGraph } from '../core/job.js';
import { totalLag, type EngineEvent, type Snapshot } from '../core/metrics.js';
import type { GroundTruth } from '../engines/engine.js';
import { metricLabels } from '../history/labels.js';
import { historyRows, type HistoryRow } from '../history/record.js';
import type { EpisodeRecord, LoopSink, WindowRecord } from './records.js';
import { writeEpisode, writeTimeline, type EpisodeRow, type TimelineRow } from './rows.js';

/** Numbers in result rows: 8 significant digits, so CSVs are byte-identical across platforms and runs. */
export const round = (x: number): number => (Number.isFinite(x) ? Number(x.toPrecision(8)) : x);
/** A figure that may be missing (or not finite): rounded, else absent (an empty cell). */
const opt = (x: number | undefined): number | undefined => (x === undefined || !Number.isFinite(x) ? undefined : round(x));

interface RunIds {
  run: string;
  sweep: string;
  tuner: string;
  seed: number;
}

/** A parallelism as `op=p;op=p` in the job's operator order (the CSVs' per-operator cell). */
export function parallelismCell(job: JobGraph, p: Readonly<Record<string, number>>): string {
  return job.operatorIds.map((id) => `${id}=${p[id]}`).join(';');
}

export class TimelineRecorder implements LoopSink {
  readonly rows: TimelineRow[] = [];
  constructor(
    private readonly ids: RunIds,
    private readonly job: JobGraph,
  ) {}

  window(w: WindowRecord): void {
    const s = w.snapshot;
    this.rows.push(writeTimeline({
      ...this.ids,
      episode: w.episode,
      window: w.window,
      time: round(s.time),
      targetRate: round(s.targetRate),
      achievedRate: round(s.achievedRate),
      totalParallelism: w.size,
      lagRecords: round(totalLag(s)),
      lagTrend: opt(w.verdict.lagTrend),
      sloHolds: w.verdict.holds ? 1 : 0,
      event: w.event,
      reason: w.reason,
      requestedParallelism: w.rescale ? parallelismCell(this.job, w.rescale.requested) : '',
      grantedParallelism: w.rescale ? parallelismCell(this.job, w.rescale.granted) : '',
    }));
  }

  failure(episode: number, time: number, rate: number, error: string): void {
    this.rows.push(writeTimeline({ ...this.ids, episode, window: undefined, time: round(time), targetRate: round(rate), achievedRate: undefined, totalParallelism: undefined, lagRecords: undefined, lagTrend: undefined, sloHolds: undefined, event: 'failed', reason: error, requestedParallelism: '', grantedParallelism: '' }));
  }

  engineEvent(episode: number, e: EngineEvent, at: Snapshot): void {
    const after = Object.values(e.parallelismAfter).reduce((a, b) => a + b, 0);
    this.rows.push(writeTimeline({
      ...this.ids,
      episode,
      window: undefined,
      time: round(e.at),
      targetRate: round(at.targetRate),
      achievedRate: undefined,
      totalParallelism: after,
      lagRecords: undefined,
      lagTrend: undefined,
      sloHolds: undefined,
      event: e.kind,
      requestedParallelism: '',
      grantedParallelism: parallelismCell(this.job, e.parallelismAfter),
      reason: `recovered in ${round(e.recoverySeconds)} s, down ${round(e.downtimeSeconds)} s${e.cause ? `: ${e.cause}` : ''}`,
    }));
  }
}

export class HistoryRecorder implements LoopSink {
  readonly rows: HistoryRow[] = [];
  constructor(private readonly o: { job: JobGraph; run: string; seed: number; truth?: GroundTruth }) {}

  window(w: WindowRecord): void {
    const { job, truth } = this.o;
    const p = w.parallelism;
    this.rows.push(
      ...historyRows({
        job,
        run: this.o.run,
        seed: this.o.seed,
        episode: w.episode,
        window: w.window,
        snapshot: w.snapshot,
        parallelism: p,
        labelMetric: metricLabels(job, w.snapshot),
        ...(truth ? { truth: { labels: truth.bottlenecks(p, w.rate), demand: truth.demandedRates(w.rate), capacity: truth.capacities(p) } } : {}),
      }),
    );
  }
}

export class EpisodeRecorder implements LoopSink {
  readonly rows: EpisodeRow[] = [];
  constructor(
    private readonly ids: RunIds,
    private readonly job: JobGraph,
  ) {}

  episode(e: EpisodeRecord): void {
    const sustained = e.outcome === 'sustained';
    this.rows.push(writeEpisode({
      ...this.ids,
      episode: e.episode,
      targetRate: round(e.rate),
      outcome: e.outcome,
      violation: e.violation,
      reconfigurations: e.reconfigurations,
      failedRescales: e.failedRescales,
      timeToSloSec: opt(e.timeToSloSec),
      durationSec: round(e.durationSec),
      finalTotalParallelism: e.finalSize,
      oracleTotalParallelism: e.oracleSize,
      // Over sustained episodes only: an under-provisioned end is a violation, never "below the minimum".
      parallelismOverOracle: sustained && e.oracleSize ? round(e.finalSize / e.oracleSize) : undefined,
      oracleSource: e.oracleSize ? (e.oracleSource ?? '') : '',
      lagTrend: opt(e.verdict.lagTrend),
      lagStartRecords: round(e.lagStart),
      lagEndRecords: round(e.lagEnd),
      lagEndSec: e.rate > 0 ? round(e.lagEnd / e.rate) : 0,
      lagPeakRecords: round(e.lagPeak),
      lagIntegralRecordSec: round(e.lagIntegral),
      downtimeSec: round(e.downtimeSec),
      failovers: e.failovers,
      invalidWindows: e.invalidWindows,
      finalParallelism: parallelismCell(this.job, e.final),
    }));
  }
}
