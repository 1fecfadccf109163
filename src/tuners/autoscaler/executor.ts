/**
 * ScalingExecutor.scaleResource: the job-level scaling decision over the per-vertex results of JobVertexScaler
 * (scaler.ts). Nothing is deployed unless some changed vertex is outside its utilisation bounds; then every changed
 * vertex together. On shared workers (Timely) the same gates apply to one worker count.
 *
 * These stages read the evaluated metrics and update the delayed scale-downs passed in (as JobVertexScaler does);
 * what a rescale changes in the tuner's state (the scaling history, the collector's restart clock) is left to the
 * caller (step.ts), from the returned `scaled`.
 */
import { keep, rescale, wait, type Decision } from '../../core/decision.js';
import { workerCount } from '../../core/parallelism.js';
import type { TunerView } from '../tuner.js';
import { deployedWorkers, maxWorkers, workersParallelism } from '../shared/workers.js';
import { outsideUtilizationBound, type AutoscalerConfig, type EvaluatedMetrics } from './evaluator.js';
import { computeScaleTargetParallelism, type DelayedScaleDown, type ScalingSummary } from './scaler.js';

/** The delayed scale-down key of the worker pool on shared workers. */
export const WORKERS = '__workers__';

/** A scaling decision and, when it rescales, the vertex scalings to remember. */
export interface Executed {
  readonly decision: Decision;
  readonly scaled: readonly (readonly [string, ScalingSummary])[];
}

/** Applied scalings per vertex, oldest first (at most historyMaxCount each). */
export type ScalingHistory = Map<string, ScalingSummary[]>;

/** A vertex's scalings within historyMaxAgeSec of now, at most historyMaxCount; the history is trimmed to them. */
export function vertexHistory(history: ScalingHistory, id: string, now: number, cfg: AutoscalerConfig): ScalingSummary[] {
  const h = (history.get(id) ?? []).filter((s) => s.time >= now - cfg.historyMaxAgeSec);
  const kept = h.slice(Math.max(0, h.length - cfg.historyMaxCount));
  history.set(id, kept);
  return kept;
}

/** Appends one applied scaling of a vertex, keeping the newest historyMaxCount. */
export function recordScaling(history: ScalingHistory, id: string, s: ScalingSummary, cfg: AutoscalerConfig): void {
  const h = history.get(id) ?? [];
  h.push(s);
  history.set(id, h.slice(Math.max(0, h.length - cfg.historyMaxCount)));
}

/** Per-vertex targets (computeScaleTargetParallelism), gated as ScalingExecutor does. */
export function scaleVertices(view: TunerView, evaluated: EvaluatedMetrics, delayed: DelayedScaleDown, history: ScalingHistory, cfg: AutoscalerConfig): Executed {
  const { job, clock: now } = view;
  const changes = new Map<string, { p: number; expected: number }>();
  const notes: string[] = [];
  for (const id of job.operatorIds) {
    const ev = evaluated.vertices[id];
    if (!ev) continue;
    const res = computeScaleTargetParallelism(
      { vertex: id, evaluated: ev, inputShipStrategies: job.inEdges(id).map((e) => e.ship), history: vertexHistory(history, id, now, cfg), now },
      delayed,
      cfg,
    );
    if (res.change && res.change.newParallelism !== ev.parallelism) changes.set(id, { p: res.change.newParallelism, expected: res.expectedProcessingRate ?? NaN });
    else if (res.note) notes.push(`${id}: ${res.note}`);
  }
  const pendingOutside = delayed.pending().some((id) => {
    const ev = evaluated.vertices[id];
    return ev !== undefined && outsideUtilizationBound(ev);
  });
  const idle = (why: string): Executed => ({
    decision: pendingOutside ? wait(`autoscaler: ${why}; delayed scale-down pending (${notes.join('; ')})`) : keep(`autoscaler: ${why}`),
    scaled: [],
  });
  if (changes.size === 0) return idle('all vertices at their target parallelism');
  if ([...changes.keys()].every((id) => !outsideUtilizationBound(evaluated.vertices[id] as EvaluatedMetrics['vertices'][string])))
    return idle('all vertex processing rates are within their utilisation bounds');
  if (!cfg.scalingEnabled) return { decision: keep('autoscaler: scaling.enabled is false (recommendation only)'), scaled: [] };
  const next: Record<string, number> = { ...view.parallelism };
  for (const [id, c] of changes) next[id] = c.p;
  const decision = rescale(view.parallelism, next, `autoscaler: ${changes.size} vertex(es) rescaled`, (id) => {
    const ev = evaluated.vertices[id];
    if (!ev) return 'autoscaler';
    return `TPR=${ev.trueProcessingRate.toPrecision(4)}/s (${ev.tprSource}), target=${ev.targetDataRate.toPrecision(4)}/s, bounds=[${ev.scaleUpRateThreshold}, ${ev.scaleDownRateThreshold}]`;
  });
  const scaled: [string, ScalingSummary][] = [];
  for (const [id, c] of changes) {
    const ev = evaluated.vertices[id];
    if (ev) scaled.push([id, { time: now, currentParallelism: ev.parallelism, newParallelism: c.p, trueProcessingRate: ev.trueProcessingRate, expectedProcessingRate: c.expected }]);
  }
  return { decision, scaled: decision.kind === 'rescale' ? scaled : [] };
}

/**
 * Shared workers (baselines.md section 3, harness): W = ceil(sum_v p_v * TARGET_v / (target * TPR_v)), with the
 * scale-factor clamps, the vertex min/max parallelism, the job gate and the scale-down delay applied to W.
 */
export function scaleWorkers(view: TunerView, evaluated: EvaluatedMetrics, delayed: DelayedScaleDown, cfg: AutoscalerConfig): Executed {
  const decision = (d: Decision): Executed => ({ decision: d, scaled: [] });
  const { job, clock: now } = view;
  const w = deployedWorkers(view.parallelism);
  let next = workerCount(instanceEquivalents(view, evaluated, cfg));
  next = Math.max(next, Math.ceil(w * (1 - cfg.maxScaleDownFactor) - 1e-9), Math.min(w, cfg.vertexMinParallelism));
  next = Math.min(next, Math.floor(w * (1 + cfg.maxScaleUpFactor)), Math.max(w, cfg.vertexMaxParallelism), maxWorkers(job));
  const outside = job.operatorIds.some((id) => {
    const ev = evaluated.vertices[id];
    return ev !== undefined && outsideUtilizationBound(ev);
  });
  if (next === w) {
    delayed.clearVertex(WORKERS);
    return decision(keep(`autoscaler: ${w} workers at target`));
  }
  if (next < w && cfg.scaleDownIntervalSec > 0) {
    const windowStart = now - cfg.scaleDownIntervalSec;
    const info = delayed.trigger(WORKERS, now, next, outside);
    if (windowStart < info.firstTriggerTime)
      return decision(outside ? wait(`autoscaler: scale-down to ${next} workers delayed until t=${info.firstTriggerTime + cfg.scaleDownIntervalSec}s`) : keep('autoscaler: within bounds'));
    next = delayed.maxRecommended(WORKERS, windowStart).parallelism;
  } else if (next > w) delayed.clearVertex(WORKERS);
  if (!outside) return decision(keep('autoscaler: all vertex processing rates are within their utilisation bounds'));
  if (!cfg.scalingEnabled) return decision(keep('autoscaler: scaling.enabled is false (recommendation only)'));
  if (deployedWorkers(workersParallelism(job, next)) === w) return decision(keep(`autoscaler: ${w} workers at target`));
  return decision(rescale(view.parallelism, workersParallelism(job, next), `autoscaler: ${w} -> ${next} workers`, () => 'sum of p * TARGET / (target utilisation * TPR)'));
}

/** Per vertex p * TARGET / (target utilisation * TPR), un-rounded (the current p, or W, when a rate is unknown). */
export function instanceEquivalents(view: TunerView, evaluated: EvaluatedMetrics, cfg: AutoscalerConfig): Record<string, number> {
  const w = deployedWorkers(view.parallelism);
  const raw: Record<string, number> = {};
  for (const id of view.job.operatorIds) {
    const ev = evaluated.vertices[id];
    if (!ev || Number.isNaN(ev.trueProcessingRate) || Number.isNaN(ev.targetDataRate)) raw[id] = ev?.parallelism ?? w;
    else raw[id] = Number.isFinite(ev.trueProcessingRate) ? (ev.parallelism * ev.targetDataRate) / (cfg.targetUtilization * ev.trueProcessingRate) : 0;
  }
  return raw;
}
