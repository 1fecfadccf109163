/**
 * Node features of one deployed configuration (reference §4): a JobGraph, its parallelism, the total source rate
 * and, optionally, per-operator observed metrics become a row-major feature matrix, the adjacency (as index
 * pairs) and a separate parallelism vector. Parallelism never enters the feature matrix: the monotone head takes
 * it on its own input (the encoder must not see it, or the prediction would not be monotone in it by
 * construction), and the unconstrained head gets it as a plain feature next to the embedding.
 *
 * Plain data, no tensors: building tensors (and block-diagonal batches) is gnn.ts's job.
 */
import type { JobGraph } from '../core/job.js';
import type { OperatorMetrics } from '../core/metrics.js';
import { KEYED_TYPES, OPERATOR_TYPES } from '../core/operators.js';
import type { Parallelism } from '../core/parallelism.js';

/** Every feature column this module can compute, in the canonical order. */
export const ALL_FEATURES = [
  ...OPERATOR_TYPES.map((t) => `type:${t}` as const),
  /** 1 when observed metrics were given for the operator. */
  'observed',
  /** log1p of the demanded input rate: load factor x total source rate (records emitted, for a source). */
  'logDemandRate',
  /** log1p of the observed input rate (recordsInPerSecond), the demand when not observed. */
  'logInputRate',
  /** log1p of the job's total source rate. */
  'logSourceRate',
  /** log1p of the selectivity: observed out/in when both were observed, else the spec's. */
  'logSelectivity',
  /** Busy ratio averaged over subtasks, in [0, 1] (0 when not observed). */
  'busy',
  /** Busy ratio of the busiest subtask. */
  'busyMax',
  /** Backpressured ratio averaged over subtasks. */
  'backpressured',
  /** log1p(busy x p): the work in instance-equivalents, roughly independent of p while unsaturated. */
  'logBusyInstances',
  /**
   * log of the instances the operator's demand needs at its observed per-instance speed, busyMax x p x demand /
   * input (DS2's estimate, taken at the busiest subtask so that a hot key counts; at least 1/16; 0 when not
   * observed). Independent of p while per-instance speed is (linear scaling); where it is not, the model learns the
   * correction against its own p.
   */
  'logWork',
  'keySkew',
  /** 1 for keyed operators or operators that declare state. */
  'stateful',
  /** log1p of the window size in seconds (0 for non-window operators). */
  'logWindowSize',
  /** log1p of the window slide in seconds. */
  'logWindowSlide',
] as const;
export type FeatureName = (typeof ALL_FEATURES)[number];

/** Default columns: everything. */
export const DEFAULT_FEATURES: readonly FeatureName[] = ALL_FEATURES;

/**
 * Columns whose value does not move with the deployed parallelism itself (busy ratios and backpressure do): use
 * these when the model should answer "what if p were different" from a single observed configuration.
 */
export const P_INVARIANT_FEATURES: readonly FeatureName[] = ALL_FEATURES.filter(
  (f) => f !== 'busy' && f !== 'busyMax' && f !== 'backpressured',
);

/** Binary columns are left unscaled by the scaler. */
export function isBinaryFeature(name: string): boolean {
  return name.startsWith('type:') || name === 'observed' || name === 'stateful';
}

export function isFeatureName(x: string): x is FeatureName {
  return (ALL_FEATURES as readonly string[]).includes(x);
}

/** One graph's features (unscaled). Node order is the job's topological order. */
export interface GraphFeatures {
  readonly job: string;
  readonly nodeIds: readonly string[];
  readonly featureNames: readonly FeatureName[];
  /** Row-major [nodes x features], unscaled. */
  readonly x: Float32Array;
  /** Deployed parallelism per node (the head's input; kept out of x). */
  readonly p: Float32Array;
  /** Upper bound of each node's parallelism (the spec's maxParallelism). */
  readonly maxParallelism: Int32Array;
  /** Directed edges as [from, to] node indices. */
  readonly edges: readonly (readonly [number, number])[];
}

/** Features plus per-node bottleneck labels (1 = bottleneck) and a mask (0 = unlabelled, ignored by the loss). */
export interface LabelledGraph extends GraphFeatures {
  readonly labels: Float32Array;
  readonly mask: Float32Array;
}

export interface FeatureInput {
  job: JobGraph;
  parallelism: Parallelism;
  /** Total source rate, records per second. */
  sourceRate: number;
  /** Per-operator observed metrics (any subset of operators and of metric names). */
  metrics?: Readonly<Record<string, Partial<OperatorMetrics> | undefined>>;
  /** Columns to compute; default DEFAULT_FEATURES. */
  featureNames?: readonly FeatureName[];
}

function finite(x: number | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function ratio(ms: number | undefined): number {
  return finite(ms) ? Math.min(1, Math.max(0, ms / 1000)) : 0;
}

function log1pPos(x: number): number {
  return Math.log1p(Math.max(0, x));
}

/** Builds the features of one deployed configuration. Throws naming the operator when its parallelism is missing. */
export function graphFeatures(input: FeatureInput): GraphFeatures {
  const { job, parallelism, sourceRate } = input;
  const names = input.featureNames ?? DEFAULT_FEATURES;
  for (const n of names) if (!isFeatureName(n)) throw new Error(`unknown feature '${String(n)}'`);
  if (!(sourceRate >= 0)) throw new Error(`sourceRate must be >= 0, got ${sourceRate}`);
  const ids = job.operatorIds;
  const index = new Map(ids.map((id, i) => [id, i]));
  const load = job.loadFactors();
  const n = ids.length;
  const f = names.length;
  const x = new Float32Array(n * f);
  const p = new Float32Array(n);
  const maxP = new Int32Array(n);
  ids.forEach((id, i) => {
    const op = job.operator(id);
    const pv = parallelism[id];
    if (pv === undefined || !(pv >= 1)) throw new Error(`features: operator '${id}' has no valid parallelism (got ${pv})`);
    p[i] = pv;
    maxP[i] = op.maxParallelism;
    const m = input.metrics?.[id];
    const demand = (load[id] ?? 0) * sourceRate;
    const inRate = finite(m?.recordsInPerSecond) ? m.recordsInPerSecond : demand;
    const outRate = m?.recordsOutPerSecond;
    const selectivity =
      finite(m?.recordsInPerSecond) && m.recordsInPerSecond > 0 && finite(outRate) && op.type !== 'source'
        ? outRate / m.recordsInPerSecond
        : op.selectivity;
    const busy = ratio(m?.busyMsPerSecond);
    const values: Record<FeatureName, number> = Object.fromEntries(OPERATOR_TYPES.map((t) => [`type:${t}`, op.type === t ? 1 : 0])) as Record<
      FeatureName,
      number
    >;
    values.observed = m ? 1 : 0;
    values.logDemandRate = log1pPos(demand);
    values.logInputRate = log1pPos(inRate);
    values.logSourceRate = log1pPos(sourceRate);
    values.logSelectivity = log1pPos(selectivity);
    values.busy = busy;
    values.busyMax = finite(m?.busyMsPerSecondMax) ? ratio(m.busyMsPerSecondMax) : busy;
    values.backpressured = ratio(m?.backPressuredMsPerSecond);
    values.logBusyInstances = log1pPos(busy * pv);
    const hot = Math.max(busy, finite(m?.busyMsPerSecondMax) ? ratio(m.busyMsPerSecondMax) : 0);
    values.logWork = m && finite(m.recordsInPerSecond) && m.recordsInPerSecond > 0 && hot > 0 ? Math.log(Math.max(1 / 16, (hot * pv * demand) / m.recordsInPerSecond)) : 0;
    values.keySkew = op.keySkew;
    values.stateful = KEYED_TYPES.has(op.type) || op.stateSizeMb > 0 ? 1 : 0;
    values.logWindowSize = op.window ? log1pPos(op.window.sizeSec) : 0;
    values.logWindowSlide = op.window ? log1pPos(op.window.slideSec) : 0;
    names.forEach((name, j) => {
      x[i * f + j] = values[name];
    });
  });
  const edges = job.edges().map((e) => [index.get(e.from) as number, index.get(e.to) as number] as const);
  return { job: job.name, nodeIds: ids, featureNames: names, x, p, maxParallelism: maxP, edges };
}

/** Attaches labels; operators missing from `labels` are masked out of the loss. */
export function withLabels(g: GraphFeatures, labels: Readonly<Record<string, number | boolean | undefined>>): LabelledGraph {
  const y = new Float32Array(g.nodeIds.length);
  const mask = new Float32Array(g.nodeIds.length);
  g.nodeIds.forEach((id, i) => {
    const l = labels[id];
    if (l === undefined) return;
    y[i] = l === true || (typeof l === 'number' && l >= 0.5) ? 1 : 0;
    mask[i] = 1;
  });
  return { ...g, labels: y, mask };
}

/** The same graph with another parallelism vector (features unchanged). */
export function withParallelism(g: GraphFeatures, p: Readonly<Record<string, number>>): GraphFeatures {
  const next = new Float32Array(g.p);
  g.nodeIds.forEach((id, i) => {
    const v = p[id];
    if (v !== undefined) next[i] = v;
  });
  return { ...g, p: next };
}

/** Mean/std standardisation fitted on a dataset; serialisable as plain JSON. */
export interface FeatureScalerJson {
  featureNames: FeatureName[];
  mean: number[];
  std: number[];
  /** Standardisation of p and log p, for the unconstrained head's parallelism features. */
  p: { mean: number; std: number };
  logP: { mean: number; std: number };
}

export class FeatureScaler {
  private constructor(readonly json: Readonly<FeatureScalerJson>) {}

  get featureNames(): readonly FeatureName[] {
    return this.json.featureNames;
  }

  /** Fits on the given graphs (all nodes count equally). Binary columns keep mean 0, std 1. */
  static fit(graphs: readonly GraphFeatures[], featureNames?: readonly FeatureName[]): FeatureScaler {
    const names = featureNames ?? graphs[0]?.featureNames ?? DEFAULT_FEATURES;
    const f = names.length;
    const sum = new Float64Array(f);
    const sq = new Float64Array(f);
    let n = 0;
    let ps = 0;
    let pq = 0;
    let ls = 0;
    let lq = 0;
    for (const g of graphs) {
      checkColumns(g, names);
      const rows = g.nodeIds.length;
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < f; j++) {
          const v = g.x[i * f + j] as number;
          sum[j] = (sum[j] as number) + v;
          sq[j] = (sq[j] as number) + v * v;
        }
        const pv = g.p[i] as number;
        ps += pv;
        pq += pv * pv;
        ls += Math.log(pv);
        lq += Math.log(pv) ** 2;
      }
      n += rows;
    }
    const stat = (s: number, q: number) => {
      if (n === 0) return { mean: 0, std: 1 };
      const mean = s / n;
      const v = Math.max(0, q / n - mean * mean);
      const std = Math.sqrt(v);
      return { mean, std: std > 1e-6 ? std : 1 };
    };
    const mean: number[] = [];
    const std: number[] = [];
    names.forEach((name, j) => {
      const s = isBinaryFeature(name) ? { mean: 0, std: 1 } : stat(sum[j] as number, sq[j] as number);
      mean.push(s.mean);
      std.push(s.std);
    });
    return new FeatureScaler({ featureNames: [...names], mean, std, p: stat(ps, pq), logP: stat(ls, lq) });
  }

  /** The identity scaler (mean 0, std 1) over the given columns. */
  static identity(featureNames: readonly FeatureName[] = DEFAULT_FEATURES): FeatureScaler {
    return new FeatureScaler({
      featureNames: [...featureNames],
      mean: featureNames.map(() => 0),
      std: featureNames.map(() => 1),
      p: { mean: 0, std: 1 },
      logP: { mean: 0, std: 1 },
    });
  }

  static fromJSON(json: FeatureScalerJson): FeatureScaler {
    const f = json.featureNames.length;
    if (json.mean.length !== f || json.std.length !== f) throw new Error('feature scaler: mean/std length differs from the feature count');
    for (const n of json.featureNames) if (!isFeatureName(n)) throw new Error(`feature scaler: unknown feature '${n}'`);
    return new FeatureScaler({
      featureNames: [...json.featureNames],
      mean: [...json.mean],
      std: [...json.std],
      p: { ...json.p },
      logP: { ...json.logP },
    });
  }

  toJSON(): FeatureScalerJson {
    return {
      featureNames: [...this.json.featureNames],
      mean: [...this.json.mean],
      std: [...this.json.std],
      p: { ...this.json.p },
      logP: { ...this.json.logP },
    };
  }

  /** Scaled copy of a graph's feature matrix. */
  transform(g: GraphFeatures): Float32Array {
    checkColumns(g, this.json.featureNames);
    const f = this.json.featureNames.length;
    const out = new Float32Array(g.x.length);
    for (let k = 0; k < g.x.length; k++) {
      const j = k % f;
      out[k] = ((g.x[k] as number) - (this.json.mean[j] as number)) / (this.json.std[j] as number);
    }
    return out;
  }

  /** Scaled [p, log p] for one parallelism value. */
  scaleP(p: number): [number, number] {
    return [(p - this.json.p.mean) / this.json.p.std, (Math.log(p) - this.json.logP.mean) / this.json.logP.std];
  }
}

function checkColumns(g: GraphFeatures, names: readonly string[]): void {
  if (g.featureNames.length !== names.length || g.featureNames.some((n, j) => n !== names[j]))
    throw new Error(`graph '${g.job}' has feature columns [${g.featureNames.join(', ')}], expected [${names.join(', ')}]`);
}
