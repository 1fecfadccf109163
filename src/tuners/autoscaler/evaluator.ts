/**
 * The autoscaler's metric stages, ported from flink-autoscaler: ScalingMetrics (per-sample observed TPR),
 * ScalingMetricEvaluator (window aggregates in topological order: TARGET/CATCH_UP data rates, true processing rate,
 * utilisation thresholds) and AutoScalerUtils.getTargetProcessingCapacity.
 *
 * Flink differences the counters it collects; here each sample is one observed window, so
 *   rate(m)    = time-weighted mean of m over the samples after the first (what (last - first)/dt of a counter
 *                measures over (t_first, t_last]),
 *   rate(lag)  = (lag_last - lag_first) / (t_last - t_first) (lag is a gauge),
 *   average(m) = plain mean over the samples (gauges).
 */
import type { JobGraph } from '../../core/job.js';
import type { OperatorMetrics, Snapshot } from '../../core/metrics.js';
import type { Parallelism } from '../../core/parallelism.js';

export type BusyTimeAggregator = 'MAX' | 'AVG';

/** The resolved options every stage reads (seconds for durations). */
export interface AutoscalerConfig {
  readonly scalingEnabled: boolean;
  readonly stabilizationSec: number;
  readonly metricsWindowSec: number;
  readonly targetUtilization: number;
  readonly utilizationBoundary: number;
  readonly utilizationMax: number | null;
  readonly utilizationMin: number | null;
  readonly scaleDownIntervalSec: number;
  readonly maxScaleDownFactor: number;
  readonly maxScaleUpFactor: number;
  readonly vertexMinParallelism: number;
  readonly vertexMaxParallelism: number;
  readonly catchUpSec: number;
  readonly restartSec: number;
  readonly backlogLagThresholdSec: number;
  readonly observedTprLagThresholdSec: number;
  readonly observedTprSwitchThreshold: number;
  readonly observedTprMinObservations: number;
  readonly effectivenessDetection: boolean;
  readonly effectivenessThreshold: number;
  readonly busyTimeAggregator: BusyTimeAggregator;
  readonly observedScalability: boolean;
  readonly observedScalabilityMinObservations: number;
  readonly observedScalabilityCoefficientMin: number;
  readonly historyMaxCount: number;
  readonly historyMaxAgeSec: number;
  readonly adjustMode: 'EVENLY_SPREAD' | 'MAXIMIZE_UTILISATION';
}

/** One collected sample: an observed window and, for sources, the observed TPR computed at collection. */
export interface MetricSample {
  /** Loop clock at the end of the window (seconds). */
  readonly time: number;
  readonly windowSeconds: number;
  readonly parallelism: Parallelism;
  readonly snapshot: Snapshot;
  /** OBSERVED_TPR per source (records/s; +Infinity without input; NaN when unknown). */
  readonly observedTpr: Readonly<Record<string, number>>;
}

/** ScalingMetric values of one vertex after evaluation. */
export interface EvaluatedVertex {
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly isSource: boolean;
  /** TARGET_DATA_RATE (records/s). */
  readonly targetDataRate: number;
  /** CATCH_UP_DATA_RATE (records/s). */
  readonly catchUpDataRate: number;
  /** TRUE_PROCESSING_RATE (records/s), the busy-time or observed estimate. */
  readonly trueProcessingRate: number;
  readonly tprSource: 'busy-time' | 'observed';
  /** LOAD: busy fraction used for the TPR. */
  readonly load: number;
  readonly lag?: number;
  readonly scaleUpRateThreshold: number;
  readonly scaleDownRateThreshold: number;
}

export interface EvaluatedMetrics {
  readonly vertices: Readonly<Record<string, EvaluatedVertex>>;
  readonly processingBacklog: boolean;
}

type Getter = (m: OperatorMetrics, s: MetricSample) => number;

function metricsOf(s: MetricSample, id: string): OperatorMetrics | undefined {
  return s.snapshot.operators[id];
}

function sourceLag(s: MetricSample, id: string): number {
  return s.snapshot.sources[id]?.lagRecords ?? 0;
}

/** Counter rate over (t_first, t_last]: time-weighted mean of the later samples; NaN with fewer than 2. */
export function rate(samples: readonly MetricSample[], id: string, get: Getter): number {
  const usable = samples.filter((s) => metricsOf(s, id) !== undefined);
  if (usable.length < 2) return NaN;
  let sum = 0;
  let time = 0;
  for (const s of usable.slice(1)) {
    const m = metricsOf(s, id) as OperatorMetrics;
    sum += get(m, s) * s.windowSeconds;
    time += s.windowSeconds;
  }
  return time > 0 ? sum / time : NaN;
}

/** Rate of change of a source's lag gauge between the first and last samples; NaN with fewer than 2. */
export function lagRate(samples: readonly MetricSample[], id: string): number {
  if (samples.length < 2) return NaN;
  const first = samples[0] as MetricSample;
  const last = samples[samples.length - 1] as MetricSample;
  return (sourceLag(last, id) - sourceLag(first, id)) / Math.max(last.time - first.time, 0.001);
}

/** ScalingMetricEvaluator.getAverage: NaN skipped, infinities skipped (all infinite gives +Infinity). */
export function average(values: readonly number[], minElements = 1): number {
  let sum = 0;
  let n = 0;
  let anyInfinite = false;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (!Number.isFinite(v)) {
      anyInfinite = true;
      continue;
    }
    sum += v;
    n++;
  }
  if (n === 0) return anyInfinite ? Infinity : NaN;
  return n < minElements ? NaN : sum / n;
}

/**
 * ScalingMetrics.getObservedTpr for one source at collection: measured only while catching up
 * (lag >= lag-threshold * input rate) as input / (1 - backpressured/1000); otherwise the average over the history.
 */
export function observedTprAtCollection(m: OperatorMetrics, lag: number, history: readonly MetricSample[], id: string, cfg: AutoscalerConfig): number {
  const input = m.recordsInPerSecond;
  if (input === 0) return Infinity;
  const fallback = (): number => average(history.map((s) => s.observedTpr[id] ?? NaN));
  if (!(lag >= cfg.observedTprLagThresholdSec * input)) return fallback();
  if (m.backPressuredMsPerSecond >= 1000) return fallback();
  return input / (1 - m.backPressuredMsPerSecond / 1000);
}

/** AutoScalerUtils.getTargetProcessingCapacity. */
export function targetProcessingCapacity(v: Pick<EvaluatedVertex, 'targetDataRate' | 'catchUpDataRate'>, cfg: AutoscalerConfig, utilization: number, withRestart: boolean): number {
  const catchUp = v.catchUpDataRate;
  if (Number.isNaN(catchUp)) return NaN;
  const u = Math.min(1, Math.max(0, utilization));
  const target = v.targetDataRate;
  if (Number.isNaN(target)) return NaN;
  if (u === 0) return Infinity;
  const restartCatchUp = !withRestart || cfg.catchUpSec === 0 ? 0 : (target * cfg.restartSec) / cfg.catchUpSec;
  return Math.round(catchUp + restartCatchUp + target / u);
}

/** ScalingMetricEvaluator.evaluate over the samples of the current metric window. */
export function evaluate(job: JobGraph, samples: readonly MetricSample[], cfg: AutoscalerConfig): EvaluatedMetrics {
  const last = samples[samples.length - 1];
  if (!last) throw new Error('autoscaler: evaluate needs at least one sample');
  const recordsIn: Getter = (m) => m.recordsInPerSecond;
  const recordsOut: Getter = (m) => m.recordsOutPerSecond;
  const inRate = (id: string): number => rate(samples, id, recordsIn);

  const processingBacklog = job.sources().some((id) => sourceLag(last, id) / inRate(id) > cfg.backlogLagThresholdSec);

  const edgeDataRate = (from: string, to: string): number => {
    const inputs = job.upstream(to);
    if (inputs.length === 1) return inRate(to);
    let others = 0;
    for (const u of inputs) {
      if (u === from) continue;
      if (job.downstream(u).length === 1) others += rate(samples, u, recordsOut);
      else {
        others = NaN;
        break;
      }
    }
    if (!Number.isNaN(others)) return inRate(to) - others;
    return rate(samples, from, recordsOut);
  };
  const outputRatio = (from: string, to: string): number => {
    const input = inRate(from);
    if (Number.isNaN(input)) return NaN;
    if (input === 0) return 0;
    const out = edgeDataRate(from, to);
    return Number.isNaN(out) ? NaN : out / input;
  };

  const vertices: Record<string, EvaluatedVertex> = {};
  for (const id of job.operatorIds) {
    const op = job.operator(id);
    const isSource = op.type === 'source';
    const p = last.parallelism[id] ?? metricsOf(last, id)?.parallelism ?? 1;
    const inputRate = inRate(id);
    let targetDataRate: number;
    let catchUpDataRate: number;
    let lag: number | undefined;
    if (isSource) {
      // Math.max(0, NaN) is NaN, as in Java: no ingestion rate, no evaluation.
      targetDataRate = Math.max(0, inputRate + lagRate(samples, id));
      lag = sourceLag(last, id);
      catchUpDataRate = cfg.catchUpSec === 0 ? 0 : lag / cfg.catchUpSec;
    } else {
      targetDataRate = 0;
      catchUpDataRate = 0;
      for (const u of job.upstream(id)) {
        const ratio = outputRatio(u, id);
        targetDataRate += (vertices[u]?.targetDataRate ?? NaN) * ratio;
        catchUpDataRate += (vertices[u]?.catchUpDataRate ?? NaN) * ratio;
      }
    }

    const busyAvg =
      cfg.busyTimeAggregator === 'AVG'
        ? rate(samples, id, (m) => m.busyMsPerSecond)
        : average(samples.map((s) => Math.max(0, metricsOf(s, id)?.busyMsPerSecondMax ?? NaN) / 1000)) * 1000;
    let tprInput: number;
    if (cfg.busyTimeAggregator === 'AVG') tprInput = inputRate;
    else {
      const avg = average(samples.map((s) => metricsOf(s, id)?.recordsInPerSecond ?? NaN));
      tprInput = Number.isFinite(avg) ? avg : inputRate;
    }
    const busyTimeTpr = tprInput === 0 ? Infinity : tprInput / (busyAvg / 1000);
    const observedAvg = isSource ? average(samples.map((s) => s.observedTpr[id] ?? NaN), cfg.observedTprMinObservations) : NaN;
    let useObserved = false;
    if (!Number.isNaN(observedAvg)) {
      if (!Number.isFinite(busyTimeTpr) || Number.isNaN(busyTimeTpr)) useObserved = true;
      else useObserved = busyTimeTpr > observedAvg * (1 + cfg.observedTprSwitchThreshold);
    }
    const partial = { targetDataRate, catchUpDataRate };
    const [upper, lower] = processingBacklog
      ? [1, 0]
      : [cfg.utilizationMax ?? cfg.targetUtilization + cfg.utilizationBoundary, cfg.utilizationMin ?? cfg.targetUtilization - cfg.utilizationBoundary];
    vertices[id] = {
      parallelism: p,
      maxParallelism: op.maxParallelism,
      isSource,
      targetDataRate,
      catchUpDataRate,
      trueProcessingRate: useObserved ? observedAvg : busyTimeTpr,
      tprSource: useObserved ? 'observed' : 'busy-time',
      load: busyAvg / 1000,
      ...(lag === undefined ? {} : { lag }),
      scaleUpRateThreshold: targetProcessingCapacity(partial, cfg, upper, false),
      scaleDownRateThreshold: targetProcessingCapacity(partial, cfg, lower, true),
    };
  }
  return { vertices, processingBacklog };
}

/** Vertex outside its utilisation bounds: TPR below the scale-up threshold or above the scale-down threshold. */
export function outsideUtilizationBound(v: EvaluatedVertex): boolean {
  return v.trueProcessingRate < v.scaleUpRateThreshold || v.trueProcessingRate > v.scaleDownRateThreshold;
}
