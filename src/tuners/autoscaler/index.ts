/**
 * The Flink Kubernetes Operator autoscaler (apache/flink-kubernetes-operator, module flink-autoscaler; FLIP-271;
 * docs custom-resource/autoscaler.md); baselines.md section 3. The docs say it is based on DS2.
 *
 *   collect (collector.ts: window of samples since stabilisation)
 *     ->  evaluate (evaluator.ts, ScalingMetricEvaluator: TARGET, TPR, bounds)
 *     ->  scale each vertex (scaler.ts, JobVertexScaler: factor = capacity(0.7, restart) / TPR, clamps, alignment,
 *         delayed scale-downs)
 *     ->  execute (executor.ts, ScalingExecutor: nothing unless some changed vertex is outside its bounds; else all
 *         together)
 *   state.ts holds what carries over between decisions; step.ts runs one decision over it.
 *
 * Options keep Flink's key names (job.autoscaler.*) and defaults. profile 'time-scaled' is the harness's
 * time-normalised cadence (30 s stabilisation, 60 s window, 2 min scale-down delay). Time is the loop's clock.
 * While collecting, stabilising or holding a delayed scale-down it returns wait(...) (core/decision.ts).
 */
import { z } from 'zod';
import type { Decision } from '../../core/decision.js';
import type { Tuner, TunerView } from '../tuner.js';
import { duration, seconds } from './duration.js';
import type { AutoscalerConfig } from './evaluator.js';
import { initState } from './state.js';
import { step } from './step.js';

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

/** The autoscaler as a tuner: its state (state.ts) and one step (step.ts) per decision. */
export function create(opts: AutoscalerOptions): Tuner {
  const cfg = resolveConfig(opts);
  const state = initState();
  return { name: 'autoscaler', decide: (view: TunerView): Decision => step(state, view, cfg) };
}

/** The option keys' effective cadence, for reports. */
export function cadence(opts: AutoscalerOptions): { stabilizationSec: number; metricsWindowSec: number; scaleDownIntervalSec: number } {
  const c = resolveConfig(opts);
  return { stabilizationSec: c.stabilizationSec, metricsWindowSec: c.metricsWindowSec, scaleDownIntervalSec: c.scaleDownIntervalSec };
}
