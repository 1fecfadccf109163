/**
 * Per-vertex scaling, ported from flink-autoscaler JobVertexScaler (computeScaleTargetParallelism, scale with
 * key-group / partition alignment, detectBlockScaling, applyScaleDownInterval, calculateObservedScalingCoefficient),
 * DelayedScaleDown and AutoScalerUtils' linear scaling coefficient. The clock is the loop's (seconds).
 */
import type { Partitioning } from '../../core/operators.js';
import { outsideUtilizationBound, targetProcessingCapacity, type AutoscalerConfig, type EvaluatedVertex } from './evaluator.js';

/** A vertex's new parallelism, or none (Flink's ParallelismChange / NO_CHANGE). */
export type ParallelismChange = { readonly newParallelism: number; readonly outsideUtilizationBound: boolean } | undefined;

/** One applied scaling of a vertex (ScalingSummary), kept for effectiveness detection and observed scalability. */
export interface ScalingSummary {
  readonly time: number;
  readonly currentParallelism: number;
  readonly newParallelism: number;
  /** TRUE_PROCESSING_RATE when the scaling was decided. */
  readonly trueProcessingRate: number;
  /** EXPECTED_PROCESSING_RATE: the capped target capacity. */
  readonly expectedProcessingRate: number;
}

interface RecommendedParallelism {
  readonly time: number;
  readonly parallelism: number;
  readonly outsideUtilizationBound: boolean;
}

/** DelayedScaleDown: per vertex, the first trigger time and a monotone-decreasing window of recommendations. */
export class DelayedScaleDown {
  private readonly vertices = new Map<string, { firstTriggerTime: number; recommended: RecommendedParallelism[] }>();

  trigger(vertex: string, time: number, parallelism: number, outside: boolean): { firstTriggerTime: number; recommended: RecommendedParallelism[] } {
    let info = this.vertices.get(vertex);
    if (!info) this.vertices.set(vertex, (info = { firstTriggerTime: time, recommended: [] }));
    const recs = info.recommended;
    while (recs.length > 0 && (recs[recs.length - 1] as RecommendedParallelism).parallelism <= parallelism) recs.pop();
    recs.push({ time, parallelism, outsideUtilizationBound: outside });
    return info;
  }

  /** The largest recommendation at or after windowStart (older ones are evicted). */
  maxRecommended(vertex: string, windowStart: number): RecommendedParallelism {
    const info = this.vertices.get(vertex);
    if (!info) throw new Error(`autoscaler: no delayed scale-down for '${vertex}'`);
    while (info.recommended.length > 0 && (info.recommended[0] as RecommendedParallelism).time < windowStart) info.recommended.shift();
    const first = info.recommended[0];
    if (!first) throw new Error(`autoscaler: empty delayed scale-down window for '${vertex}'`);
    return first;
  }

  firstTriggerTime(vertex: string): number | undefined {
    return this.vertices.get(vertex)?.firstTriggerTime;
  }

  clearVertex(vertex: string): void {
    this.vertices.delete(vertex);
  }

  clearAll(): void {
    this.vertices.clear();
  }

  pending(): string[] {
    return [...this.vertices.keys()].sort();
  }
}

/**
 * JobVertexScaler.scale: newP = ceil(factor * p) within [lower, min(maxParallelism, upper)], then, for a vertex
 * with a hash (keyBy) input or known source partitions, aligned to the key groups / partitions (two phases:
 * upward search for a divisor, or MAXIMIZE_UTILISATION's fewer-groups-per-subtask match; downward fallback), never
 * inverting the scaling direction (the current parallelism is kept instead).
 */
export function scale(
  currentParallelism: number,
  inputShipStrategies: readonly Partitioning[],
  numSourcePartitions: number,
  maxParallelism: number,
  scaleFactor: number,
  parallelismLowerLimit: number,
  parallelismUpperLimit: number,
  mode: AutoscalerConfig['adjustMode'],
): number {
  let newParallelism = Math.min(Math.ceil(scaleFactor * currentParallelism), 2147483647);
  const upperBound = Math.min(maxParallelism, parallelismUpperLimit);
  newParallelism = Math.min(Math.max(parallelismLowerLimit, newParallelism), upperBound);
  const adjust = numSourcePartitions > 0 || inputShipStrategies.includes('hash');
  if (!adjust) return newParallelism;
  const n = numSourcePartitions <= 0 ? maxParallelism : numSourcePartitions;
  const upperBoundForAlignment = Math.min(n, upperBound);
  if (newParallelism === currentParallelism) return newParallelism;
  const isScaleUp = newParallelism > currentParallelism;
  const phase1UpperBound = isScaleUp ? upperBoundForAlignment : Math.min(currentParallelism, upperBoundForAlignment);
  const div = (a: number, b: number): number => Math.trunc(a / b);
  for (let p = newParallelism; p <= phase1UpperBound; p++) {
    if (n % p === 0 || (mode === 'MAXIMIZE_UTILISATION' && div(n, p) < div(n, newParallelism))) return p;
  }
  let p = newParallelism;
  for (; p > 0; p--) {
    if (div(n, p) > div(n, newParallelism)) {
      if (n % p !== 0) p++;
      break;
    }
  }
  p = Math.max(p, parallelismLowerLimit);
  if ((isScaleUp && p <= currentParallelism) || (!isScaleUp && p >= currentParallelism)) return currentParallelism;
  return p;
}

/** AutoScalerUtils.optimizeLinearScalingCoefficient + JobVertexScaler.calculateObservedScalingCoefficient. */
export function observedScalingCoefficient(history: readonly ScalingSummary[], cfg: AutoscalerConfig): number {
  if (history.length === 0 || history.length < cfg.observedScalabilityMinObservations) return 1;
  let baseline: number | undefined;
  let smallest: ScalingSummary | undefined;
  for (const s of [...history].reverse()) {
    if (s.currentParallelism === 1) {
      baseline = s.trueProcessingRate;
      break;
    }
    if (!smallest || s.currentParallelism < smallest.currentParallelism) smallest = s;
  }
  if (baseline === undefined) baseline = smallest ? smallest.trueProcessingRate / smallest.currentParallelism : NaN;
  if (Number.isNaN(baseline)) return 1;
  let sum = 0;
  let squared = 0;
  for (const s of history) {
    if (Number.isNaN(s.trueProcessingRate)) return 1;
    sum += s.currentParallelism * s.trueProcessingRate;
    squared += s.currentParallelism ** 2;
  }
  if (squared === 0) return 1;
  const alpha = Math.max(cfg.observedScalabilityCoefficientMin, Math.min(1, sum / (squared * baseline)));
  return Math.ceil(alpha * 100 - 1e-9) / 100;
}

export interface VertexScalingInput {
  readonly vertex: string;
  readonly evaluated: EvaluatedVertex;
  readonly inputShipStrategies: readonly Partitioning[];
  readonly history: readonly ScalingSummary[];
  readonly now: number;
}

export interface VertexScalingResult {
  readonly change: ParallelismChange;
  /** EXPECTED_PROCESSING_RATE when a new parallelism was computed. */
  readonly expectedProcessingRate?: number;
  /** Why there is no change, for the decision's reason. */
  readonly note?: string;
}

/** JobVertexScaler.computeScaleTargetParallelism for one vertex; updates the delayed scale-downs. */
export function computeScaleTargetParallelism(input: VertexScalingInput, delayed: DelayedScaleDown, cfg: AutoscalerConfig): VertexScalingResult {
  const { vertex, evaluated: ev, now } = input;
  const current = ev.parallelism;
  const tpr = ev.trueProcessingRate;
  if (Number.isNaN(tpr)) return { change: undefined, note: 'no true processing rate' };
  const targetCapacity = targetProcessingCapacity(ev, cfg, cfg.targetUtilization, true);
  if (Number.isNaN(targetCapacity)) return { change: undefined, note: 'no target data rate' };
  let factor = targetCapacity / tpr;
  if (cfg.observedScalability) factor /= observedScalingCoefficient(input.history, cfg);
  const minFactor = 1 - cfg.maxScaleDownFactor;
  const maxFactor = 1 + cfg.maxScaleUpFactor;
  if (factor < minFactor) factor = minFactor;
  else if (factor > maxFactor) factor = maxFactor;
  const cappedTargetCapacity = tpr * factor;
  const newParallelism = scale(
    current,
    input.inputShipStrategies,
    0,
    ev.maxParallelism,
    factor,
    Math.min(current, cfg.vertexMinParallelism),
    Math.max(current, cfg.vertexMaxParallelism),
    cfg.adjustMode,
  );
  if (newParallelism === current) {
    delayed.clearVertex(vertex);
    return { change: undefined, note: 'at its target parallelism' };
  }
  const outside = outsideUtilizationBound(ev);
  if (newParallelism > current) {
    delayed.clearVertex(vertex);
    const last = input.history[input.history.length - 1];
    if (last && current === last.newParallelism && last.newParallelism > last.currentParallelism && cfg.effectivenessDetection) {
      const expectedIncrease = last.expectedProcessingRate - last.trueProcessingRate;
      const actualIncrease = tpr - last.trueProcessingRate;
      if (!(actualIncrease / expectedIncrease >= cfg.effectivenessThreshold))
        return { change: undefined, expectedProcessingRate: cappedTargetCapacity, note: 'ineffective last scale-up' };
    }
    return { change: { newParallelism, outsideUtilizationBound: outside }, expectedProcessingRate: cappedTargetCapacity };
  }
  // Scale down: never within scale-down.interval of the first proposal; then the window's maximum.
  if (cfg.scaleDownIntervalSec <= 0) return { change: { newParallelism, outsideUtilizationBound: outside }, expectedProcessingRate: cappedTargetCapacity };
  const windowStart = now - cfg.scaleDownIntervalSec;
  const info = delayed.trigger(vertex, now, newParallelism, outside);
  if (windowStart < info.firstTriggerTime)
    return { change: undefined, expectedProcessingRate: cappedTargetCapacity, note: `scale-down to ${newParallelism} delayed until t=${info.firstTriggerTime + cfg.scaleDownIntervalSec}s` };
  const max = delayed.maxRecommended(vertex, windowStart);
  return { change: { newParallelism: max.parallelism, outsideUtilizationBound: max.outsideUtilizationBound }, expectedProcessingRate: cappedTargetCapacity };
}
