/**
 * StreamTune's node features: src/learning/features.ts columns, with two reconstructed choices (recipe keys):
 *
 *  - features 'pInvariant' leaves out the busy / backpressure ratios, which move with the deployed parallelism, so
 *    the model answers "what if p were different" from one observed configuration; 'all' keeps them.
 *  - rateUnit 'relative' expresses every rate per RELATIVE_SCALE records of the job's total target rate (the source
 *    rate becomes a constant), so the model sees demand / input ratios and work in instance-equivalents, not how
 *    large a job's rates happen to be; 'absolute' keeps records per second.
 */
import type { JobGraph } from '../../core/job.js';
import type { OperatorMetrics } from '../../core/metrics.js';
import type { Parallelism } from '../../core/parallelism.js';
import { ALL_FEATURES, graphFeatures, P_INVARIANT_FEATURES, type FeatureName, type GraphFeatures } from '../../learning/features.js';

export type FeatureSet = 'pInvariant' | 'all';
export type RateUnit = 'absolute' | 'relative';

/** Records of a 'relative' rate per record/s of total target rate. */
export const RELATIVE_SCALE = 1000;

export interface FeatureSpec {
  features: FeatureSet;
  rateUnit: RateUnit;
}

export function featureNames(f: FeatureSet): FeatureName[] {
  return [...(f === 'all' ? ALL_FEATURES : P_INVARIANT_FEATURES)];
}

const RATE_METRICS = ['recordsInPerSecond', 'recordsOutPerSecond', 'trueProcessingRate', 'trueOutputRate'] as const;

/** Features of one deployed configuration at a total target rate, with optional observed metrics. */
export function jobFeatures(
  job: JobGraph,
  parallelism: Parallelism,
  rate: number,
  metrics: Readonly<Record<string, OperatorMetrics>> | undefined,
  spec: FeatureSpec,
): GraphFeatures {
  const featureNamesList = featureNames(spec.features);
  if (spec.rateUnit === 'absolute' || !(rate > 0)) return graphFeatures({ job, parallelism, sourceRate: rate, ...(metrics ? { metrics } : {}), featureNames: featureNamesList });
  const k = RELATIVE_SCALE / rate;
  const scaled = metrics
    ? Object.fromEntries(Object.entries(metrics).map(([id, m]) => [id, { ...m, ...Object.fromEntries(RATE_METRICS.map((n) => [n, m[n] * k])) }]))
    : undefined;
  return graphFeatures({ job, parallelism, sourceRate: RELATIVE_SCALE, ...(scaled ? { metrics: scaled } : {}), featureNames: featureNamesList });
}
