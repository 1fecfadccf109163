/**
 * Small helpers over labelled graphs for GED tests and benchmarks. These make *structures* only (labels and
 * edges); runnable synthetic jobs with costs and selectivities come from src/workloads/synthetic.
 */
import type { Rng } from '../core/random.js';
import type { LabelledGraph } from './ged.js';

export interface RandomDagOptions {
  /** Number of nodes (>= 2). */
  nodes: number;
  /** Number of sources; default 1 to 3 (fewer on small graphs). */
  sources?: number;
  /** Chance that a non-source node gets a second input (and is labelled 'join'). Default 0.2. */
  joinProb?: number;
  /** Chance that a node continues from a dangling node (keeps the DAG chain-like). Default 0.75. */
  chainProb?: number;
}

const UNARY = ['map', 'filter', 'flatMap', 'keyedAggregate', 'window'] as const;

/**
 * A random stream-job-shaped DAG: sources, then operators each reading one earlier node (two for a join),
 * mostly continuing a dangling branch; nodes left without outputs become sinks.
 */
export function randomLabelledDag(rng: Rng, opts: RandomDagOptions): LabelledGraph {
  const n = opts.nodes;
  if (!(Number.isInteger(n) && n >= 2)) throw new RangeError(`randomLabelledDag: nodes must be an integer >= 2, got ${n}`);
  const s = Math.max(1, Math.min(n - 1, opts.sources ?? rng.int(1, Math.max(1, Math.min(3, Math.floor(n / 4))))));
  const joinProb = opts.joinProb ?? 0.2;
  const chainProb = opts.chainProb ?? 0.75;
  const labels: string[] = [];
  const edges: [number, number][] = [];
  const outDeg = new Array<number>(n).fill(0);
  const inDeg = new Array<number>(n).fill(0);
  for (let i = 0; i < s; i++) labels.push('source');
  const link = (u: number, v: number): void => {
    edges.push([u, v]);
    outDeg[u] = (outDeg[u] as number) + 1;
    inDeg[v] = (inDeg[v] as number) + 1;
  };
  const pickPred = (v: number, exclude: number): number => {
    const dangling: number[] = [];
    for (let u = 0; u < v; u++) if (outDeg[u] === 0 && u !== exclude) dangling.push(u);
    if (dangling.length > 0 && rng.next() < chainProb) return rng.pick(dangling);
    const any: number[] = [];
    for (let u = 0; u < v; u++) if (u !== exclude) any.push(u);
    return rng.pick(any);
  };
  for (let v = s; v < n; v++) {
    const first = pickPred(v, -1);
    link(first, v);
    if (v >= 2 && rng.next() < joinProb) link(pickPred(v, first), v);
    labels.push(inDeg[v] === 2 ? 'join' : rng.pick(UNARY));
  }
  // Every source must feed something.
  for (let u = 0; u < s; u++) {
    if (outDeg[u] !== 0) continue;
    const v = rng.int(s, n - 1);
    link(u, v);
    if (inDeg[v] === 2) labels[v] = 'join';
  }
  for (let v = s; v < n; v++) if (outDeg[v] === 0) labels[v] = 'sink';
  return { labels, edges };
}

/** The same graph with node i renamed perm[i] (perm is a permutation of 0..n-1). */
export function permuteNodes(g: LabelledGraph, perm: readonly number[]): LabelledGraph {
  const n = g.labels.length;
  if (perm.length !== n || new Set(perm).size !== n || perm.some((p) => !(p >= 0 && p < n)))
    throw new RangeError('permuteNodes: perm must be a permutation of the node indices');
  const labels = new Array<string>(n);
  g.labels.forEach((l, i) => (labels[perm[i] as number] = l));
  return { labels, edges: g.edges.map(([u, v]) => [perm[u] as number, perm[v] as number] as const) };
}

/** A directed chain of the given labels. */
export function chain(labels: readonly string[]): LabelledGraph {
  return { labels: [...labels], edges: labels.slice(1).map((_, i) => [i, i + 1] as const) };
}
