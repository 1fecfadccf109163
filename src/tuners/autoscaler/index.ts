/**
 * The Flink Kubernetes Operator autoscaler (apache/flink-kubernetes-operator, module flink-autoscaler; FLIP-271;
 * docs custom-resource/autoscaler.md); baselines.md section 3. The docs say it is based on DS2.
 *
 *   collect (window of samples since stabilisation)  ->  evaluate (ScalingMetricEvaluator: TARGET, TPR, bounds)
 *     ->  scale each vertex (JobVertexScaler: factor = capacity(0.7, restart) / TPR, clamps, alignment, delays)
 *     ->  execute (ScalingExecutor: nothing unless some changed vertex is outside its bounds; else all together)
 *
 * Options keep Flink's key names (job.autoscaler.*) and defaults. profile 'time-scaled' is the harness's
 * time-normalised cadence (30 s stabilisation, 60 s window, 2 min scale-down delay). Time is the loop's clock.
 * While collecting, stabilising or holding a delayed scale-down it returns wait(...) (core/decision.ts).
 */
import { z } from 'zod';
import { keep, rescale, wait, type Decision } from '../../core/decision.js';
import { parallelismKey, workerCount, type Parallelism } from '../../core/parallelism.js';
import type { Tuner, TunerView } from '../tuner.js';
import { deployedWorkers, maxWorkers, workersParallelism } from '../shared/workers.js';
import { duration, seconds } from './duration.js';
import { evaluate, observedTprAtCollection, outsideUtilizationBound, type AutoscalerConfig, type EvaluatedMetrics, type MetricSample } from './evaluator.js';
import { computeScaleTargetParallelism, DelayedScaleDown, type ScalingSummary } from './scaler.js';

export type { AutoscalerConfig } from './evaluator.js';

/** Its colour in every chart (Tableau-10). */
export const color = '#b279a2';
export const doc = 'Flink Kubernetes Operator autoscaler: per-vertex busy-time TPR at 0.7 target utilisation, scale-down delay.';

const fraction = (d: number, text: string) => z.number().min(0).max(1).default(d).describe(text);
const unsetFraction = (text: string) => z.number().min(0).max(1).nullable().default(null).describe(text);

export const options = z.strictObject({
  profile: z
    .enum(['default', 'time-scaled'])
    .default('default')
    .describe("Cadence: 'default' uses the three interval keys below; 'time-scaled' (harness) replaces stabilization.interval, metrics.window and scale-down.interval by 30 s, 60 s and 2 min."),
  'job.autoscaler.scaling.enabled': z.boolean().default(true).describe('Apply scaling decisions; false only evaluates (always keep).'),
  'job.autoscaler.stabilization.interval': duration('5 min', 'Stabilization period after a (re)start in which samples are ignored and no scaling happens.'),
  'job.autoscaler.metrics.window': duration('15 min', 'Scaling metrics aggregation window size.'),
  'job.autoscaler.utilization.target': fraction(0.7, 'Target vertex utilization.'),
  'job.autoscaler.target.utilization': unsetFraction("Deprecated Flink key of utilization.target; when set it replaces 'job.autoscaler.utilization.target'."),
  'job.autoscaler.target.utilization.boundary': fraction(0.3, 'Utilization boundary: the bounds are target +/- boundary unless utilization.max/min are set.'),
  'job.autoscaler.utilization.max': unsetFraction('Max vertex utilization (unset: target + boundary).'),
  'job.autoscaler.utilization.min': unsetFraction('Min vertex utilization (unset: target - boundary).'),
  'job.autoscaler.scale-down.interval': duration('1 h', 'Scale-down delay: a vertex scales down only after this long, to the max parallelism proposed within it; 0 disables.'),
  'job.autoscaler.scale-down.max-factor': fraction(0.6, 'Max scale-down factor (0.6: down to 40 % of the current parallelism at most).'),
  'job.autoscaler.scale-up.max-factor': z.number().min(0).default(100000).describe('Max scale-up factor.'),
  'job.autoscaler.vertex.min-parallelism': z.number().int().min(1).default(1).describe('Minimum parallelism the autoscaler uses (the current one stays allowed).'),
  'job.autoscaler.vertex.max-parallelism': z.number().int().min(1).default(200).describe("Maximum parallelism the autoscaler uses (capped by the operator's max parallelism; the current one stays allowed)."),
  'job.autoscaler.catch-up.duration': duration('30 min', 'Target time to process the backlog after a scaling; 0 disables backlog-based scaling.'),
  'job.autoscaler.restart.time': duration('5 min', 'Expected restart time (restart.time-tracking is off by default, so this fixed value is used).'),
  'job.autoscaler.backlog-processing.lag-threshold': duration('5 min', 'Lag (in seconds of input) above which the job is processing backlog: bounds become [0, 1].'),
  'job.autoscaler.observed-true-processing-rate.lag-threshold': duration('30 s', 'Lag (seconds of input) above which a source measures its observed TPR.'),
  'job.autoscaler.observed-true-processing-rate.switch-threshold': z.number().min(0).default(0.15).describe('Switch a source to the observed TPR when the busy-time TPR is higher by this fraction.'),
  'job.autoscaler.observed-true-processing-rate.min-observations': z.number().int().min(1).default(2).describe('Observations needed before the observed TPR is used.'),
  'job.autoscaler.scaling.effectiveness.detection.enabled': z.boolean().default(false).describe('Block a scale-up after an ineffective one.'),
  'job.autoscaler.scaling.effectiveness.threshold': z.number().min(0).default(0.1).describe('A scale-up is ineffective below this share of its expected TPR gain.'),
  'job.autoscaler.metrics.busy-time.aggregator': z.enum(['MAX', 'AVG']).default('MAX').describe('Busy time of a vertex: its busiest subtask (MAX) or the subtask average (AVG). MIN is not offered: snapshots carry no minimum.'),
  'job.autoscaler.observed-scalability.enabled': z.boolean().default(false).describe('Divide the scale factor by a least-squares scaling coefficient from the scaling history.'),
  'job.autoscaler.observed-scalability.min-observations': z.number().int().min(1).default(3).describe('Scaling history entries needed for the coefficient.'),
  'job.autoscaler.observed-scalability.coefficient-min': fraction(0.5, 'Lower bound of the scaling coefficient.'),
  'job.autoscaler.history.max.count': z.number().int().min(0).default(3).describe('Past scaling decisions kept per vertex.'),
  'job.autoscaler.history.max.age': duration('24 h', 'Maximum age of past scaling decisions.'),
  'job.autoscaler.scaling.key-group.partitions.adjust.mode': z
    .enum(['EVENLY_SPREAD', 'MAXIMIZE_UTILISATION'])
    .default('EVENLY_SPREAD')
    .describe('Alignment of keyed vertices to key groups: a divisor of the max parallelism, or fewer key groups per subtask.'),
});
export type AutoscalerOptions = z.infer<typeof options>;

/** Resolves option values (durations to seconds, the profile, the deprecated key). */
export function resolveConfig(o: AutoscalerOptions): AutoscalerConfig {
  const timeScaled = o.profile === 'time-scaled';
  return {
    scalingEnabled: o['job.autoscaler.scaling.enabled'],
    stabilizationSec: timeScaled ? 30 : seconds(o['job.autoscaler.stabilization.interval']),
    metricsWindowSec: timeScaled ? 60 : seconds(o['job.autoscaler.metrics.window']),
    targetUtilization: o['job.autoscaler.target.utilization'] ?? o['job.autoscaler.utilization.target'],
    utilizationBoundary: o['job.autoscaler.target.utilization.boundary'],
    utilizationMax: o['job.autoscaler.utilization.max'],
    utilizationMin: o['job.autoscaler.utilization.min'],
    scaleDownIntervalSec: timeScaled ? 120 : seconds(o['job.autoscaler.scale-down.interval']),
    maxScaleDownFactor: o['job.autoscaler.scale-down.max-factor'],
    maxScaleUpFactor: o['job.autoscaler.scale-up.max-factor'],
    vertexMinParallelism: o['job.autoscaler.vertex.min-parallelism'],
    vertexMaxParallelism: o['job.autoscaler.vertex.max-parallelism'],
    catchUpSec: seconds(o['job.autoscaler.catch-up.duration']),
    restartSec: seconds(o['job.autoscaler.restart.time']),
    backlogLagThresholdSec: seconds(o['job.autoscaler.backlog-processing.lag-threshold']),
    observedTprLagThresholdSec: seconds(o['job.autoscaler.observed-true-processing-rate.lag-threshold']),
    observedTprSwitchThreshold: o['job.autoscaler.observed-true-processing-rate.switch-threshold'],
    observedTprMinObservations: o['job.autoscaler.observed-true-processing-rate.min-observations'],
    effectivenessDetection: o['job.autoscaler.scaling.effectiveness.detection.enabled'],
    effectivenessThreshold: o['job.autoscaler.scaling.effectiveness.threshold'],
    busyTimeAggregator: o['job.autoscaler.metrics.busy-time.aggregator'],
    observedScalability: o['job.autoscaler.observed-scalability.enabled'],
    observedScalabilityMinObservations: o['job.autoscaler.observed-scalability.min-observations'],
    observedScalabilityCoefficientMin: o['job.autoscaler.observed-scalability.coefficient-min'],
    historyMaxCount: o['job.autoscaler.history.max.count'],
    historyMaxAgeSec: seconds(o['job.autoscaler.history.max.age']),
    adjustMode: o['job.autoscaler.scaling.key-group.partitions.adjust.mode'],
  };
}

const WORKERS = '__workers__';

export function create(opts: AutoscalerOptions): Tuner {
  const cfg = resolveConfig(opts);
  let samples: MetricSample[] = [];
  let deployedKey: string | undefined;
  /** Clock at which the running deployment started (the last restart). */
  let runningSince = 0;
  /** Clock of the last rescale this tuner asked for (the restart it causes starts there). */
  let rescaledAt: number | undefined;
  const delayed = new DelayedScaleDown();
  const history = new Map<string, ScalingSummary[]>();

  /** ScalingMetricCollector: restart detection, stabilisation, window trimming. */
  function collect(view: TunerView): { full: boolean; reason: string } {
    const now = view.clock;
    const key = parallelismKey(view.parallelism);
    if (deployedKey !== undefined && key !== deployedKey) {
      samples = [];
      runningSince = rescaledAt ?? now - view.snapshot.windowSeconds;
    }
    deployedKey = key;
    rescaledAt = undefined;
    const stableTime = runningSince + cfg.stabilizationSec;
    if (now < stableTime) return { full: false, reason: `stabilizing until t=${stableTime}s` };
    samples = samples.filter((s) => s.time >= now - cfg.metricsWindowSec && s.time < now);
    const observedTpr: Record<string, number> = {};
    for (const id of view.job.sources()) {
      const m = view.snapshot.operators[id];
      if (m) observedTpr[id] = observedTprAtCollection(m, view.snapshot.sources[id]?.lagRecords ?? 0, samples, id, cfg);
    }
    samples.push({ time: now, windowSeconds: view.snapshot.windowSeconds, parallelism: view.parallelism, snapshot: view.snapshot, observedTpr });
    const fullAt = stableTime + cfg.metricsWindowSec;
    if (now < fullAt || samples.length < 2) return { full: false, reason: `collecting metrics until t=${Math.max(fullAt, now)}s (${samples.length} samples)` };
    return { full: true, reason: '' };
  }

  function vertexHistory(id: string, now: number): ScalingSummary[] {
    const h = (history.get(id) ?? []).filter((s) => s.time >= now - cfg.historyMaxAgeSec);
    const kept = h.slice(Math.max(0, h.length - cfg.historyMaxCount));
    history.set(id, kept);
    return kept;
  }

  function record(id: string, s: ScalingSummary): void {
    const h = history.get(id) ?? [];
    h.push(s);
    history.set(id, h.slice(Math.max(0, h.length - cfg.historyMaxCount)));
  }

  function applied(view: TunerView, next: Parallelism, reason: string, why: (id: string) => string): Decision {
    const d = rescale(view.parallelism, next, reason, why);
    if (d.kind === 'rescale') {
      delayed.clearAll();
      rescaledAt = view.clock;
    }
    return d;
  }

  return {
    name: 'autoscaler',
    decide(view: TunerView): Decision {
      const collected = collect(view);
      if (!collected.full) return wait(`autoscaler: ${collected.reason}`);
      const evaluated = evaluate(view.job, samples, cfg);
      return view.sharedWorkers ? decideWorkers(view, evaluated) : decideVertices(view, evaluated);
    },
  };

  /** ScalingExecutor.scaleResource over the per-vertex results. */
  function decideVertices(view: TunerView, evaluated: EvaluatedMetrics): Decision {
    const { job, clock: now } = view;
    const changes = new Map<string, { p: number; expected: number }>();
    const notes: string[] = [];
    for (const id of job.operatorIds) {
      const ev = evaluated.vertices[id];
      if (!ev) continue;
      const res = computeScaleTargetParallelism(
        { vertex: id, evaluated: ev, inputShipStrategies: job.inEdges(id).map((e) => e.ship), history: vertexHistory(id, now), now },
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
    const idle = (why: string): Decision =>
      pendingOutside ? wait(`autoscaler: ${why}; delayed scale-down pending (${notes.join('; ')})`) : keep(`autoscaler: ${why}`);
    if (changes.size === 0) return idle('all vertices at their target parallelism');
    if ([...changes.keys()].every((id) => !outsideUtilizationBound(evaluated.vertices[id] as EvaluatedMetrics['vertices'][string])))
      return idle('all vertex processing rates are within their utilisation bounds');
    if (!cfg.scalingEnabled) return keep('autoscaler: scaling.enabled is false (recommendation only)');
    const next: Record<string, number> = { ...view.parallelism };
    for (const [id, c] of changes) next[id] = c.p;
    const d = applied(view, next, `autoscaler: ${changes.size} vertex(es) rescaled`, (id) => {
      const ev = evaluated.vertices[id];
      if (!ev) return 'autoscaler';
      return `TPR=${ev.trueProcessingRate.toPrecision(4)}/s (${ev.tprSource}), target=${ev.targetDataRate.toPrecision(4)}/s, bounds=[${ev.scaleUpRateThreshold}, ${ev.scaleDownRateThreshold}]`;
    });
    if (d.kind === 'rescale')
      for (const [id, c] of changes) {
        const ev = evaluated.vertices[id];
        if (ev) record(id, { time: now, currentParallelism: ev.parallelism, newParallelism: c.p, trueProcessingRate: ev.trueProcessingRate, expectedProcessingRate: c.expected });
      }
    return d;
  }

  /**
   * Shared workers (baselines.md section 3, harness): W = ceil(sum_v p_v * TARGET_v / (target * TPR_v)), with the
   * scale-factor clamps, the vertex min/max parallelism, the job gate and the scale-down delay applied to W.
   */
  function decideWorkers(view: TunerView, evaluated: EvaluatedMetrics): Decision {
    const { job, clock: now } = view;
    const w = deployedWorkers(view.parallelism);
    const raw: Record<string, number> = {};
    for (const id of job.operatorIds) {
      const ev = evaluated.vertices[id];
      if (!ev || Number.isNaN(ev.trueProcessingRate) || Number.isNaN(ev.targetDataRate)) raw[id] = ev?.parallelism ?? w;
      else raw[id] = Number.isFinite(ev.trueProcessingRate) ? (ev.parallelism * ev.targetDataRate) / (cfg.targetUtilization * ev.trueProcessingRate) : 0;
    }
    let next = workerCount(raw);
    next = Math.max(next, Math.ceil(w * (1 - cfg.maxScaleDownFactor) - 1e-9), Math.min(w, cfg.vertexMinParallelism));
    next = Math.min(next, Math.floor(w * (1 + cfg.maxScaleUpFactor)), Math.max(w, cfg.vertexMaxParallelism), maxWorkers(job));
    const outside = job.operatorIds.some((id) => {
      const ev = evaluated.vertices[id];
      return ev !== undefined && outsideUtilizationBound(ev);
    });
    if (next === w) {
      delayed.clearVertex(WORKERS);
      return keep(`autoscaler: ${w} workers at target`);
    }
    if (next < w && cfg.scaleDownIntervalSec > 0) {
      const windowStart = now - cfg.scaleDownIntervalSec;
      const info = delayed.trigger(WORKERS, now, next, outside);
      if (windowStart < info.firstTriggerTime)
        return outside ? wait(`autoscaler: scale-down to ${next} workers delayed until t=${info.firstTriggerTime + cfg.scaleDownIntervalSec}s`) : keep('autoscaler: within bounds');
      next = delayed.maxRecommended(WORKERS, windowStart).parallelism;
    } else if (next > w) delayed.clearVertex(WORKERS);
    if (!outside) return keep('autoscaler: all vertex processing rates are within their utilisation bounds');
    if (!cfg.scalingEnabled) return keep('autoscaler: scaling.enabled is false (recommendation only)');
    if (deployedWorkers(workersParallelism(job, next)) === w) return keep(`autoscaler: ${w} workers at target`);
    return applied(view, workersParallelism(job, next), `autoscaler: ${w} -> ${next} workers`, () => 'sum of p * TARGET / (target utilisation * TPR)');
  }
}

/** The option keys' effective cadence, for reports. */
export function cadence(opts: AutoscalerOptions): { stabilizationSec: number; metricsWindowSec: number; scaleDownIntervalSec: number } {
  const c = resolveConfig(opts);
  return { stabilizationSec: c.stabilizationSec, metricsWindowSec: c.metricsWindowSec, scaleDownIntervalSec: c.scaleDownIntervalSec };
}
