/**
 * Families of jobs ("a history that looks like a production history"). A production history holds many
 * versions of a few pipelines: the same query with an operator added, removed or retyped, its costs and
 * selectivities drifting. A family is a base job (a Nexmark query, or a synthetic template drawn from the
 * generator) and its variants, each a few seeded edits of the base:
 *
 *   insert    a unary operator (map, filter, flatMap, keyed aggregate, window) on an edge u -> v
 *   remove    a unary operator with one input and one output (u -> x -> v becomes u -> v)
 *   retype    a unary operator to another unary type (partitioning, skew, state and window follow the type)
 *   vary      every operator's cost x 2^N(0, costSpread) and a selectivity redrawn near its own (always applied)
 *
 * Sources, sinks and joins are never inserted, removed or retyped, so a variant is a valid streaming job with the
 * base's sources, sinks and join structure, and its W_u stays the base's (the rate unit of the family).
 *
 * `editDag` applies the same structural edits to a GED view (labels and edges), for tests and the GED bench.
 */
import { JobGraph, type EdgeSpec, type JobSpec, type OperatorSpec, type OperatorSpecInput } from '../core/job.js';
import type { OperatorType } from '../core/operators.js';
import type { Rng } from '../core/random.js';
import type { LabelledGraph } from '../graph/ged.js';
import type { Workload } from '../workloads/workload.js';

/** Types an edit may insert, remove or retype (one input, one output). */
export const UNARY_TYPES: readonly OperatorType[] = ['map', 'filter', 'flatMap', 'keyedAggregate', 'window'];

const SELECTIVITY: Partial<Record<OperatorType, readonly [number, number]>> = {
  map: [1, 1],
  filter: [0.2, 0.9],
  flatMap: [1.2, 3],
  keyedAggregate: [0.3, 1],
  window: [0.02, 0.3],
};

const isUnary = (t: string): boolean => (UNARY_TYPES as readonly string[]).includes(t);

export type EditKind = 'insert' | 'remove' | 'retype';

export interface VariantOptions {
  /** Structural edits per variant (each insert, remove or retype, uniformly). */
  edits: number;
  /** Standard deviation of the log2 cost factor per operator. */
  costSpread: number;
}

function specOf(op: OperatorSpec): OperatorSpecInput {
  const { id, type, cost, selectivity, keySkew, stateSizeMb, maxParallelism, window, rateShare, label } = op;
  return {
    id,
    type,
    cost,
    selectivity,
    keySkew,
    stateSizeMb,
    maxParallelism,
    ...(window ? { window } : {}),
    ...(rateShare !== undefined ? { rateShare } : {}),
    ...(label !== undefined ? { label } : {}),
  };
}

const round3 = (x: number): number => Number(x.toPrecision(3));

/** A fresh unary operator of `type`, its cost near `cost`. */
function unaryOp(id: string, type: OperatorType, cost: number, maxParallelism: number, rng: Rng): OperatorSpecInput {
  const [lo, hi] = SELECTIVITY[type] ?? [1, 1];
  const keyed = type === 'keyedAggregate' || type === 'window';
  return {
    id,
    type,
    cost: round3(Math.max(0.05, cost * 2 ** (0.5 * rng.normal()))),
    selectivity: round3(rng.uniform(lo, hi)),
    keySkew: keyed ? round3(rng.uniform(0, 0.02)) : 0,
    stateSizeMb: keyed ? Math.round(rng.uniform(10, 300)) : 0,
    maxParallelism,
    ...(type === 'window' ? { window: { sizeSec: 10, slideSec: rng.pick([2, 5, 10]) } } : {}),
  };
}

/** Edges keep their ship strategy only when it is not the default of the (possibly new) target type. */
function edgeSpec(e: EdgeSpec): EdgeSpec {
  return { from: e.from, to: e.to, ...(e.share !== undefined && e.share !== 1 ? { share: e.share } : {}) };
}

/**
 * One variant of a job: `edits` structural edits (skipped when no operator qualifies), then costs and
 * selectivities varied. Deterministic for the Rng. The variant is named `name`.
 */
export function jobVariant(base: JobGraph, name: string, o: VariantOptions, rng: Rng): JobGraph {
  let ops: OperatorSpecInput[] = base.operators().map(specOf);
  let edges: EdgeSpec[] = base.edges().map((e) => edgeSpec({ from: e.from, to: e.to, share: e.share }));
  let fresh = 0;
  const costOf = (id: string): number => ops.find((x) => x.id === id)?.cost ?? 10;
  for (let k = 0; k < o.edits; k++) {
    const kind = rng.pick(['insert', 'remove', 'retype'] as const);
    const inOut = (id: string) => [edges.filter((e) => e.to === id), edges.filter((e) => e.from === id)] as const;
    if (kind === 'insert') {
      // On an edge whose target is not a source (every edge qualifies).
      if (edges.length === 0) continue;
      const e = rng.pick(edges);
      const type = rng.pick(UNARY_TYPES);
      const id = `v${++fresh}${type}`;
      const near = ops.find((x) => x.id === e.to)?.type !== 'sink' ? costOf(e.to) : costOf(e.from);
      ops.push(unaryOp(id, type, near, ops.find((x) => x.id === e.from)?.maxParallelism ?? 128, rng));
      edges = edges.flatMap((x) => (x === e ? [{ from: e.from, to: id }, { from: id, to: e.to }] : [x]));
    } else {
      const candidates = ops.filter((x) => isUnary(x.type) && inOut(x.id)[0].length === 1 && inOut(x.id)[1].length === 1);
      if (candidates.length === 0) continue;
      const victim = rng.pick(candidates);
      if (kind === 'remove' && ops.length > 4) {
        const [[inE], [outE]] = inOut(victim.id);
        const from = (inE as EdgeSpec).from;
        const to = (outE as EdgeSpec).to;
        // Removing would duplicate an existing edge (a diamond): retype instead.
        if (!edges.some((x) => x.from === from && x.to === to)) {
          ops = ops.filter((x) => x !== victim);
          edges = edges.filter((x) => x !== inE && x !== outE).concat([{ from, to }]);
          continue;
        }
      }
      const type = rng.pick(UNARY_TYPES.filter((t) => t !== victim.type));
      const replaced = unaryOp(victim.id, type, victim.cost ?? 10, victim.maxParallelism ?? 128, rng);
      ops = ops.map((x) => (x === victim ? replaced : x));
    }
  }
  // Costs and selectivities drift.
  ops = ops.map((x) => {
    if (x.type === 'source' || x.type === 'sink') return x;
    const range = SELECTIVITY[x.type];
    const sel = range && range[1] > range[0] ? round3(Math.min(range[1], Math.max(range[0], (x.selectivity ?? 1) * 2 ** (0.3 * rng.normal())))) : x.selectivity;
    return { ...x, cost: round3(Math.max(0.05, (x.cost ?? 10) * 2 ** (o.costSpread * rng.normal()))), ...(sel !== undefined ? { selectivity: sel } : {}) };
  });
  const spec: JobSpec = { name, operators: ops, edges };
  return JobGraph.create(spec);
}

/** A variant as a workload of the base's family (same W_u). */
export function workloadVariant(base: Workload, name: string, o: VariantOptions, rng: Rng): Workload {
  const job = jobVariant(base.job, name, o, rng);
  return { job, workloadUnit: base.workloadUnit, description: `${base.description} variant ${name}` };
}

/**
 * The same structural edits on a GED view (labels are operator types): insert a unary node on an edge, remove a
 * unary node with one input and one output, or relabel one. `edits` edits; deterministic for the Rng.
 */
export function editDag(g: LabelledGraph, edits: number, rng: Rng): LabelledGraph {
  let labels = [...g.labels];
  let edges = g.edges.map(([a, b]) => [a, b] as [number, number]);
  for (let k = 0; k < edits; k++) {
    const kind = rng.pick(['insert', 'remove', 'retype'] as const);
    const deg = (u: number) => [edges.filter(([, b]) => b === u).length, edges.filter(([a]) => a === u).length];
    if (kind === 'insert' && edges.length > 0) {
      const e = rng.pick(edges);
      const id = labels.length;
      labels.push(rng.pick(UNARY_TYPES));
      edges = edges.flatMap((x) => (x === e ? [[e[0], id] as [number, number], [id, e[1]] as [number, number]] : [x]));
      continue;
    }
    const candidates = labels.flatMap((l, u) => (isUnary(l) && deg(u)[0] === 1 && deg(u)[1] === 1 ? [u] : []));
    if (candidates.length === 0) continue;
    const u = rng.pick(candidates);
    if (kind === 'remove') {
      const from = (edges.find(([, b]) => b === u) as [number, number])[0];
      const to = (edges.find(([a]) => a === u) as [number, number])[1];
      if (!edges.some(([a, b]) => a === from && b === to)) {
        edges = edges.filter(([a, b]) => a !== u && b !== u).concat([[from, to]]);
        // Renumber: drop node u.
        labels = labels.filter((_, i) => i !== u);
        edges = edges.map(([a, b]) => [a > u ? a - 1 : a, b > u ? b - 1 : b]);
        continue;
      }
    }
    labels[u] = rng.pick(UNARY_TYPES.filter((t) => t !== labels[u]));
  }
  return { labels, edges };
}
