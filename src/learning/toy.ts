/**
 * Toy labelled data for the learning room's own tests and benchmarks: random operator DAGs, random parallelism
 * and rates, and a closed-form ground truth (operator v is a bottleneck iff its demanded work in instance
 * equivalents exceeds its concave capacity p^0.9). Not the history generator (history/ builds real samples from
 * the simulator); this only has to be cheap, deterministic and learnable.
 */
import { JobGraph, type OperatorSpecInput } from '../core/job.js';
import type { OperatorMetrics } from '../core/metrics.js';
import type { OperatorType } from '../core/operators.js';
import type { Parallelism } from '../core/parallelism.js';
import type { Rng } from '../core/random.js';
import { graphFeatures, withLabels, type FeatureName, type LabelledGraph } from './features.js';

/** CPU microseconds per record by operator type (toy values). */
export const TOY_COST: Readonly<Record<OperatorType, number>> = {
  source: 2,
  map: 8,
  filter: 4,
  flatMap: 12,
  keyedAggregate: 20,
  window: 30,
  join: 40,
  sink: 6,
};

const TOY_SELECTIVITY: Readonly<Record<OperatorType, number>> = {
  source: 1,
  map: 1,
  filter: 0.5,
  flatMap: 2,
  keyedAggregate: 1,
  window: 0.2,
  join: 1,
  sink: 0,
};

const MIDDLE: OperatorType[] = ['map', 'filter', 'flatMap', 'keyedAggregate', 'window', 'join'];

/** A random DAG: 1-2 sources, `ops - sources - 1` middle operators (each fed by 1-2 earlier ones), one sink. */
export function toyJob(rng: Rng, ops: number, name = `toy-${ops}`): JobGraph {
  const n = Math.max(3, ops);
  const sources = n >= 6 && rng.next() < 0.3 ? 2 : 1;
  const operators: OperatorSpecInput[] = [];
  const edges: { from: string; to: string }[] = [];
  for (let i = 0; i < sources; i++) operators.push({ id: `src${i}`, type: 'source', cost: TOY_COST.source });
  const hasOut = new Set<string>();
  for (let i = 0; i < n - sources - 1; i++) {
    const type = rng.pick(MIDDLE);
    const id = `op${i}`;
    operators.push({ id, type, cost: TOY_COST[type], selectivity: TOY_SELECTIVITY[type], keySkew: type === 'keyedAggregate' ? rng.uniform(0, 0.2) : 0, ...(type === 'window' ? { window: { sizeSec: 10, slideSec: 10 } } : {}) });
    const earlier = operators.slice(0, -1).map((o) => o.id);
    const ins = type === 'join' && earlier.length >= 2 ? 2 : 1;
    const picked = new Set<string>();
    // Prefer the most recent operators so the DAG is deep rather than a star.
    while (picked.size < ins) picked.add(earlier[Math.max(0, earlier.length - 1 - Math.floor(rng.next() * Math.min(3, earlier.length)))] as string);
    for (const from of picked) {
      edges.push({ from, to: id });
      hasOut.add(from);
    }
  }
  operators.push({ id: 'sink', type: 'sink', cost: TOY_COST.sink });
  for (const o of operators.slice(0, -1)) if (!hasOut.has(o.id)) edges.push({ from: o.id, to: 'sink' });
  return JobGraph.create({ name, operators, edges });
}

/** Work of each operator in instance-equivalents at a total source rate (demand x cost / 1e6). */
export function toyWork(job: JobGraph, rate: number): Record<string, number> {
  const load = job.loadFactors();
  return Object.fromEntries(job.operatorIds.map((id) => [id, ((load[id] ?? 0) * rate * job.operator(id).cost) / 1e6]));
}

/** Ground truth: bottleneck iff work > p^0.9. */
export function toyLabels(job: JobGraph, p: Parallelism, rate: number): Record<string, 0 | 1> {
  const work = toyWork(job, rate);
  return Object.fromEntries(job.operatorIds.map((id) => [id, (work[id] ?? 0) > (p[id] ?? 1) ** 0.9 ? 1 : 0]));
}

/** Toy metrics consistent with the labels (no backpressure propagation). */
export function toyMetrics(job: JobGraph, p: Parallelism, rate: number): Record<string, Partial<OperatorMetrics>> {
  const work = toyWork(job, rate);
  const load = job.loadFactors();
  return Object.fromEntries(
    job.operatorIds.map((id) => {
      const cap = (p[id] ?? 1) ** 0.9;
      const u = Math.min(1, (work[id] ?? 0) / cap);
      const inRate = (load[id] ?? 0) * rate * Math.min(1, cap / Math.max(1e-9, work[id] ?? 0));
      return [id, { busyMsPerSecond: 1000 * u, busyMsPerSecondMax: 1000 * u, backPressuredMsPerSecond: 0, recordsInPerSecond: inRate, recordsOutPerSecond: inRate * job.operator(id).selectivity }];
    }),
  );
}

export interface ToyDatasetOptions {
  graphs: number;
  minOps?: number;
  maxOps?: number;
  /** Largest parallelism drawn; default 16. */
  pMax?: number;
  /** Include toy observed metrics; default false (features from the spec and the rate only). */
  metrics?: boolean;
  featureNames?: readonly FeatureName[];
  /** Reuse this many distinct jobs (each with several configurations); default graphs / 4. */
  jobs?: number;
}

/** A labelled dataset of random jobs x random parallelism x random rates (log-uniform 2e4 .. 4e5 records/s). */
export function toyDataset(rng: Rng, opts: ToyDatasetOptions): LabelledGraph[] {
  const minOps = opts.minOps ?? 4;
  const maxOps = opts.maxOps ?? 12;
  const pMax = opts.pMax ?? 16;
  const nJobs = Math.max(1, opts.jobs ?? Math.ceil(opts.graphs / 4));
  const jobs = Array.from({ length: nJobs }, (_, i) => toyJob(rng, rng.int(minOps, maxOps), `toy-${i}`));
  const out: LabelledGraph[] = [];
  for (let k = 0; k < opts.graphs; k++) {
    const job = jobs[k % nJobs] as JobGraph;
    const rate = Math.exp(rng.uniform(Math.log(2e4), Math.log(4e5)));
    const p: Parallelism = Object.fromEntries(job.operatorIds.map((id) => [id, Math.round(Math.exp(rng.uniform(0, Math.log(pMax))))]));
    const g = graphFeatures({ job, parallelism: p, sourceRate: rate, metrics: opts.metrics ? toyMetrics(job, p, rate) : undefined, featureNames: opts.featureNames });
    out.push(withLabels(g, toyLabels(job, p, rate)));
  }
  return out;
}
