/**
 * Random job DAGs of the kind production jobs have: sources, map / filter / flatMap chains, keyed aggregations,
 * windows, two-input joins and sinks. Seeded: the same options give the same job.
 */
import { JobGraph, type EdgeSpec, type OperatorSpecInput } from '../../core/job.js';
import type { OperatorType } from '../../core/operators.js';
import { Rng } from '../../core/random.js';
import type { Workload } from '../workload.js';

export interface SyntheticOptions {
  seed: number;
  /** Operator count range, sources and sinks included (3..40). */
  minOperators: number;
  maxOperators: number;
  /** Per-record CPU cost range, microseconds per instance. */
  costRange: [number, number];
  /** Largest hot-key share drawn for keyed operators. */
  maxKeySkew: number;
  /** Probability that a stream splits into two consumers when it grows. */
  branchProbability: number;
  /** Probability that two open streams are joined. */
  joinProbability: number;
  /** Instances the most loaded operator needs at 10 x W_u under linear scaling (sets W_u). */
  peakParallelism: number;
  maxParallelism: number;
}

export const SYNTHETIC_DEFAULTS: SyntheticOptions = {
  seed: 1,
  minOperators: 5,
  maxOperators: 12,
  costRange: [2, 40],
  maxKeySkew: 0.02,
  branchProbability: 0.15,
  joinProbability: 0.25,
  peakParallelism: 16,
  maxParallelism: 128,
};

const SELECTIVITY: Record<OperatorType, [number, number]> = {
  source: [1, 1],
  map: [1, 1],
  filter: [0.2, 0.9],
  flatMap: [1.2, 3],
  keyedAggregate: [0.3, 1],
  window: [0.02, 0.3],
  join: [0.3, 1.2],
  sink: [0, 0],
};
const UNARY: OperatorType[] = ['map', 'map', 'filter', 'filter', 'flatMap', 'keyedAggregate', 'window'];

export function syntheticJob(partial: Partial<SyntheticOptions> = {}): Workload {
  const o = { ...SYNTHETIC_DEFAULTS, ...partial };
  if (o.minOperators < 3 || o.maxOperators > 40 || o.minOperators > o.maxOperators)
    throw new RangeError(`synthetic job: operator count range [${o.minOperators}, ${o.maxOperators}] must lie within [3, 40]`);
  const rng = new Rng(o.seed);
  const target = rng.int(o.minOperators, o.maxOperators);
  const ops: OperatorSpecInput[] = [];
  const edges: EdgeSpec[] = [];
  const add = (type: OperatorType, inputs: string[]): string => {
    const id = `${type}${ops.filter((x) => x.type === type).length + 1}`;
    const keyed = type === 'keyedAggregate' || type === 'window' || type === 'join';
    const [slo, shi] = SELECTIVITY[type];
    ops.push({
      id,
      type,
      cost: round(rng.uniform(o.costRange[0], o.costRange[1]) * (type === 'window' || type === 'join' ? 1.5 : 1)),
      selectivity: round(rng.uniform(slo, shi)),
      keySkew: keyed ? round(rng.uniform(0, o.maxKeySkew)) : 0,
      stateSizeMb: keyed ? Math.round(rng.uniform(10, 500)) : 0,
      maxParallelism: o.maxParallelism,
      ...(type === 'window' ? { window: { sizeSec: 10, slideSec: rng.pick([2, 5, 10]) } } : {}),
    });
    for (const from of inputs) edges.push({ from, to: id });
    return id;
  };
  const sourceCount = target >= 6 && rng.next() < 0.4 ? 2 : 1;
  let tails = Array.from({ length: sourceCount }, () => add('source', []));
  // Reserve room for one sink per open stream at the end.
  while (ops.length + tails.length < target) {
    const room = target - ops.length - tails.length;
    if (tails.length >= 2 && rng.next() < o.joinProbability) {
      const [a, b] = rng.shuffle(tails).slice(0, 2) as [string, string];
      const j = add('join', [a, b]);
      tails = [...tails.filter((t) => t !== a && t !== b), j];
    } else if (room >= 3 && rng.next() < o.branchProbability) {
      const t = rng.pick(tails);
      const x = add(rng.pick(UNARY), [t]);
      const y = add(rng.pick(UNARY), [t]);
      tails = [...tails.filter((z) => z !== t), x, y];
    } else {
      const t = rng.pick(tails);
      tails = tails.map((z) => (z === t ? add(rng.pick(UNARY), [t]) : z));
    }
  }
  for (const t of tails) add('sink', [t]);
  const draft = JobGraph.create({ name: `synthetic-${o.seed}`, operators: ops, edges });
  // W_u: at 10 x W_u the most loaded operator needs peakParallelism instances (linear estimate).
  const load = draft.loadFactors();
  const heaviest = Math.max(...draft.operators().filter((op) => op.type !== 'source').map((op) => ((load[op.id] ?? 0) * op.cost) / 1e6));
  const workloadUnit = Math.round(o.peakParallelism / heaviest / 10);
  // Sources stand for an external log (Kafka): one instance emits 10 x W_u, so tuners compete on the operators.
  const sourceCost = (id: string) => round((0.9 * 1e6) / (10 * workloadUnit * (load[id] ?? 1)));
  const job = JobGraph.create({
    name: draft.name,
    operators: ops.map((op) => (op.type === 'source' ? { ...op, cost: sourceCost(op.id) } : op)),
    edges,
  });
  return { job, workloadUnit, description: `synthetic:seed=${o.seed},operators=${job.size}` };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
