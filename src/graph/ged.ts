/**
 * Graph edit distance between job DAGs labelled by operator type (streamtune.md §6). Parallelism is not
 * structure: a graph here is only node labels and directed, unlabelled edges.
 *
 * Edit operations and their costs (all configurable): node substitution (0 for the same label, `nodeSub`
 * otherwise), node insertion / deletion, edge insertion / deletion. Edges carry no label, so an edge whose two
 * endpoints map onto the two endpoints of an edge in the same direction costs nothing.
 *
 * - exact: A* over partial node mappings with an admissible lower bound (label multisets of the unmapped nodes,
 *   plus per-mapped-node edge counts towards the unmapped part), seeded with the approximation as an upper
 *   bound, under a node-expansion budget; if the budget runs out, the best mapping found so far is returned with
 *   `exact: false` and the proven lower bound.
 * - approx: Riesen & Bunke's bipartite GED — one assignment problem over node substitution / insertion /
 *   deletion costs that include each node's local edge costs (and a neighbour-label term), solved by the
 *   Hungarian method — plus a second start that aligns the two graphs' chain orders like sequences (job DAGs are
 *   mostly chains); each start gets a greedy move/swap refinement, then `approxIterations` re-assignments on edge
 *   costs linearised around the best mapping (as in IPFP). The returned distance is the exact cost of the edit
 *   path that the final node mapping induces, so it is an upper bound on the GED, never below it. With
 *   `approxRefinePasses: 0, approxIterations: 0` it is the plain bipartite GED.
 * - auto: exact when both graphs have at most `gedExactMaxNodes` nodes, approx otherwise.
 */
import type { JobGraph } from '../core/job.js';
import { linearSumAssignment } from './assignment.js';

/** A node-labelled directed graph: nodes are 0..labels.length-1; edges are [from, to] pairs. */
export interface LabelledGraph {
  labels: readonly string[];
  edges: readonly (readonly [number, number])[];
}

export interface GedCosts {
  /** Substituting a node by one with a different label (same label costs 0). */
  nodeSub: number;
  nodeIns: number;
  nodeDel: number;
  edgeIns: number;
  edgeDel: number;
}

export const DEFAULT_GED_COSTS: Readonly<GedCosts> = Object.freeze({ nodeSub: 1, nodeIns: 1, nodeDel: 1, edgeIns: 1, edgeDel: 1 });

export type GedMethod = 'auto' | 'exact' | 'approx';

export interface GedOptions {
  method?: GedMethod;
  costs?: Partial<GedCosts>;
  /** `auto` uses the exact search when both graphs have at most this many nodes. Default 12. */
  gedExactMaxNodes?: number;
  /** Node-expansion budget of the exact search. Default 200 000. */
  maxExpansions?: number;
  /** Passes of the greedy move/swap refinement in the approximation. Default 3. */
  approxRefinePasses?: number;
  /** Rounds of re-assignment on costs linearised around the current mapping (0 = none). Default 1. */
  approxIterations?: number;
  /**
   * Width of the beam search that refines the approximation when it does not meet the lower bound (0 = none).
   * Default 64: on 15-25 operator pairs it brings the approximation from 16.9 % to 2.0 % above the exact GED
   * (unrelated pairs; 1.7 % to 0 % for a job and its edits), at about 5-10 ms a pair (bench/streamtune-ged.ts).
   */
  approxBeam?: number;
}

export interface GedResult {
  /** The edit cost: the GED when `exact`, otherwise the cost of the best edit path found (an upper bound). */
  distance: number;
  /** True when `distance` is proven optimal. */
  exact: boolean;
  /** Which algorithm produced the answer ('exact' also when its budget ran out). */
  method: 'exact' | 'approx';
  /** A proven lower bound on the GED (equal to `distance` when exact). */
  lowerBound: number;
  /** mapping[i] = the node of b that node i of a is substituted by, or -1 if it is deleted. */
  mapping: Int32Array;
  /** A* nodes expanded (0 for approx). */
  expanded: number;
}

export class GedInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GedInputError';
  }
}

const EPS = 1e-9;
const DEFAULTS = { gedExactMaxNodes: 12, maxExpansions: 200_000, approxRefinePasses: 3, approxIterations: 1, approxBeam: 64 } as const;

/** The GED view of a job: operator types in the job's topological order, edges by index. */
export function fromJobGraph(job: JobGraph): LabelledGraph {
  const ids = job.operatorIds;
  const index = new Map(ids.map((id, i) => [id, i]));
  return {
    labels: ids.map((id) => job.operator(id).type),
    edges: job.edges().map((e) => [index.get(e.from) as number, index.get(e.to) as number] as const),
  };
}

export function resolveCosts(costs?: Partial<GedCosts>): GedCosts {
  const c = { ...DEFAULT_GED_COSTS, ...(costs ?? {}) };
  for (const [k, v] of Object.entries(c))
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new GedInputError(`GED cost ${k} must be a finite number >= 0, got ${v}`);
  return c;
}

// ---------------------------------------------------------------------------------------------------------------
// Prepared graphs: label ids from a dictionary shared by the graphs being compared, adjacency matrix and lists.

/** A graph compiled for repeated GED computations; build with `prepareGraphs` so label ids are shared. */
export interface PreparedGraph {
  readonly n: number;
  readonly labels: Int32Array;
  /** adj[u * n + v] = 1 iff edge u -> v. */
  readonly adj: Uint8Array;
  readonly out: readonly Int32Array[];
  readonly inn: readonly Int32Array[];
  readonly edgeFrom: Int32Array;
  readonly edgeTo: Int32Array;
  /** A string that is equal for equal (not merely isomorphic) graphs; orients pairs so results are symmetric. */
  readonly key: string;
}

export function prepareGraphs(graphs: readonly LabelledGraph[], dict: Map<string, number> = new Map()): PreparedGraph[] {
  return graphs.map((g, gi) => prepareOne(g, dict, gi));
}

function prepareOne(g: LabelledGraph, dict: Map<string, number>, gi: number): PreparedGraph {
  const n = g.labels.length;
  const labels = new Int32Array(n);
  g.labels.forEach((l, i) => {
    if (typeof l !== 'string') throw new GedInputError(`graph ${gi}: node ${i} has no string label`);
    let id = dict.get(l);
    if (id === undefined) {
      id = dict.size;
      dict.set(l, id);
    }
    labels[i] = id;
  });
  const adj = new Uint8Array(n * n);
  const outL: number[][] = Array.from({ length: n }, () => []);
  const inL: number[][] = Array.from({ length: n }, () => []);
  const m = g.edges.length;
  const edgeFrom = new Int32Array(m);
  const edgeTo = new Int32Array(m);
  g.edges.forEach(([u, v], k) => {
    if (!(Number.isInteger(u) && Number.isInteger(v) && u >= 0 && v >= 0 && u < n && v < n))
      throw new GedInputError(`graph ${gi}: edge ${k} [${u}, ${v}] has an endpoint outside 0..${n - 1}`);
    if (u === v) throw new GedInputError(`graph ${gi}: edge ${k} is a self-loop on node ${u}`);
    if (adj[u * n + v]) throw new GedInputError(`graph ${gi}: duplicate edge ${u} -> ${v}`);
    adj[u * n + v] = 1;
    (outL[u] as number[]).push(v);
    (inL[v] as number[]).push(u);
    edgeFrom[k] = u;
    edgeTo[k] = v;
  });
  const sortedEdges = g.edges.map(([u, v]) => `${u}>${v}`).sort();
  const key = `${n}|${m}|${g.labels.join(',')}|${sortedEdges.join(',')}`;
  return { n, labels, adj, out: outL.map((a) => Int32Array.from(a)), inn: inL.map((a) => Int32Array.from(a)), edgeFrom, edgeTo, key };
}

function swapCosts(c: GedCosts): GedCosts {
  return { nodeSub: c.nodeSub, nodeIns: c.nodeDel, nodeDel: c.nodeIns, edgeIns: c.edgeDel, edgeDel: c.edgeIns };
}

function invertMapping(mapping: Int32Array, n2: number): Int32Array {
  const inv = new Int32Array(n2).fill(-1);
  mapping.forEach((j, i) => {
    if (j >= 0) inv[j] = i;
  });
  return inv;
}

// ---------------------------------------------------------------------------------------------------------------
// Exact cost of the edit path induced by a node mapping.

/**
 * The cost of the edit path that a node mapping induces: mapped nodes are substituted, unmapped nodes of `a` are
 * deleted and of `b` inserted, and every edge without a counterpart between the images is deleted / inserted.
 */
export function editPathCost(a: LabelledGraph, b: LabelledGraph, mapping: ArrayLike<number>, costs?: Partial<GedCosts>): number {
  const [A, B] = prepareGraphs([a, b]) as [PreparedGraph, PreparedGraph];
  if (mapping.length !== A.n) throw new GedInputError(`mapping has ${mapping.length} entries, graph a has ${A.n} nodes`);
  const seen = new Uint8Array(B.n);
  const m = Int32Array.from(mapping as ArrayLike<number>);
  m.forEach((j, i) => {
    if (j < -1 || j >= B.n) throw new GedInputError(`mapping[${i}] = ${j} is not a node of b (or -1)`);
    if (j >= 0 && seen[j]) throw new GedInputError(`mapping sends two nodes of a to node ${j} of b`);
    if (j >= 0) seen[j] = 1;
  });
  return mappingCost(A, B, m, resolveCosts(costs));
}

function mappingCost(A: PreparedGraph, B: PreparedGraph, map: Int32Array, c: GedCosts): number {
  const inv = invertMapping(map, B.n);
  let cost = 0;
  for (let i = 0; i < A.n; i++) {
    const j = map[i] as number;
    if (j < 0) cost += c.nodeDel;
    else if (A.labels[i] !== B.labels[j]) cost += c.nodeSub;
  }
  for (let j = 0; j < B.n; j++) if ((inv[j] as number) < 0) cost += c.nodeIns;
  for (let k = 0; k < A.edgeFrom.length; k++) {
    const x = map[A.edgeFrom[k] as number] as number;
    const y = map[A.edgeTo[k] as number] as number;
    if (x < 0 || y < 0 || !B.adj[x * B.n + y]) cost += c.edgeDel;
  }
  for (let k = 0; k < B.edgeFrom.length; k++) {
    const x = inv[B.edgeFrom[k] as number] as number;
    const y = inv[B.edgeTo[k] as number] as number;
    if (x < 0 || y < 0 || !A.adj[x * A.n + y]) cost += c.edgeIns;
  }
  return cost;
}

// ---------------------------------------------------------------------------------------------------------------
// Lower bound.

function diffCost(a: number, b: number, del: number, ins: number): number {
  return a > b ? (a - b) * del : (b - a) * ins;
}

/** Minimal node-operation cost between two label multisets (given as count arrays and sizes). */
function labelBound(cntA: Int32Array, cntB: Int32Array, nA: number, nB: number, c: GedCosts): number {
  let match = 0;
  for (let l = 0; l < cntA.length; l++) match += Math.min(cntA[l] as number, cntB[l] as number);
  if (c.nodeSub < c.nodeIns + c.nodeDel) {
    const pairs = Math.min(nA, nB);
    return (pairs - match) * c.nodeSub + (nA - pairs) * c.nodeDel + (nB - pairs) * c.nodeIns;
  }
  return (nA - match) * c.nodeDel + (nB - match) * c.nodeIns;
}

/** A cheap admissible lower bound on the GED: label multisets plus edge counts. */
export function gedLowerBound(a: LabelledGraph, b: LabelledGraph, costs?: Partial<GedCosts>): number {
  const [A, B] = prepareGraphs([a, b]) as [PreparedGraph, PreparedGraph];
  return rootBound(A, B, resolveCosts(costs));
}

function rootBound(A: PreparedGraph, B: PreparedGraph, c: GedCosts): number {
  const L = Math.max(maxLabel(A), maxLabel(B)) + 1;
  const cntA = new Int32Array(L);
  const cntB = new Int32Array(L);
  for (const l of A.labels) cntA[l] = (cntA[l] as number) + 1;
  for (const l of B.labels) cntB[l] = (cntB[l] as number) + 1;
  return labelBound(cntA, cntB, A.n, B.n, c) + diffCost(A.edgeFrom.length, B.edgeFrom.length, c.edgeDel, c.edgeIns);
}

function maxLabel(g: PreparedGraph): number {
  let m = -1;
  for (const l of g.labels) if (l > m) m = l;
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
// Bipartite approximation (Riesen & Bunke), a linearised re-assignment and a swap refinement.

/** Weight (times nodeSub) of a neighbour-label mismatch in the assignment costs; a heuristic, not a cost. */
const NEIGHBOUR_LABEL_WEIGHT = 0.5;

/** How many labels two neighbour lists have in common (as multisets). Lists are short: quadratic is fine. */
function commonLabels(la: Int32Array, na: Int32Array, lb: Int32Array, nb: Int32Array, taken: Uint8Array): number {
  if (na.length === 0 || nb.length === 0) return 0;
  taken.fill(0, 0, nb.length);
  let common = 0;
  for (const x of na) {
    const l = la[x];
    for (let k = 0; k < nb.length; k++) {
      if (!taken[k] && lb[nb[k] as number] === l) {
        common++;
        taken[k] = 1;
        break;
      }
    }
  }
  return common;
}

/**
 * Solve one assignment problem over node costs with local edge costs and return the node mapping.
 *
 * Without `current`, a node's local edge cost is Riesen & Bunke's: half the cost of matching its in- and
 * out-degree, plus a neighbour-label term. With `current` (a mapping), it is the linearisation of the exact edge
 * cost around that mapping (as in IPFP): half the cost of the edges at i (in a) and j (in b) that would have no
 * counterpart if i went to j and every other node stayed where `current` puts it.
 */
function assignmentMapping(A: PreparedGraph, B: PreparedGraph, c: GedCosts, current?: Int32Array): Int32Array {
  const n1 = A.n;
  const n2 = B.n;
  const map = new Int32Array(n1).fill(-1);
  if (n1 === 0 || n2 === 0) return map;
  const deg = (g: PreparedGraph, u: number): number => (g.out[u] as Int32Array).length + (g.inn[u] as Int32Array).length;
  // Rows: nodes of A. Columns: nodes of B, then (when deletion can beat substitution) n1 interchangeable deletion
  // columns. A node of B left unassigned is inserted, so its insertion cost moves into a constant:
  // cost'(i, j) = cost(i, j) - insCost(j).
  const subNeverWorse = c.nodeSub <= c.nodeIns + c.nodeDel && n1 <= n2;
  const cols = subNeverWorse ? n2 : n2 + n1;
  const M = new Float64Array(n1 * cols);
  const ins = new Float64Array(n2);
  for (let j = 0; j < n2; j++) ins[j] = c.nodeIns + 0.5 * c.edgeIns * deg(B, j);
  const inv = current ? invertMapping(current, n2) : undefined;
  let maxDeg = 0;
  for (let j = 0; j < n2; j++) maxDeg = Math.max(maxDeg, deg(B, j));
  const taken = new Uint8Array(maxDeg + 1);
  for (let i = 0; i < n1; i++) {
    const outI = A.out[i] as Int32Array;
    const inI = A.inn[i] as Int32Array;
    const li = A.labels[i];
    const row = i * cols;
    for (let j = 0; j < n2; j++) {
      const outJ = B.out[j] as Int32Array;
      const inJ = B.inn[j] as Int32Array;
      let edge: number;
      if (!current || !inv) {
        const nbr =
          Math.min(outI.length, outJ.length) -
          commonLabels(A.labels, outI, B.labels, outJ, taken) +
          Math.min(inI.length, inJ.length) -
          commonLabels(A.labels, inI, B.labels, inJ, taken);
        edge = diffCost(outI.length, outJ.length, c.edgeDel, c.edgeIns) + diffCost(inI.length, inJ.length, c.edgeDel, c.edgeIns);
        edge = 0.5 * edge + NEIGHBOUR_LABEL_WEIGHT * c.nodeSub * nbr;
      } else {
        let missA = 0;
        let missB = 0;
        for (const v of outI) {
          const y = current[v] as number;
          if (y < 0 || y === j || !B.adj[j * n2 + y]) missA++;
        }
        for (const v of inI) {
          const y = current[v] as number;
          if (y < 0 || y === j || !B.adj[y * n2 + j]) missA++;
        }
        for (const y of outJ) {
          const v = inv[y] as number;
          if (v < 0 || v === i || !A.adj[i * n1 + v]) missB++;
        }
        for (const y of inJ) {
          const v = inv[y] as number;
          if (v < 0 || v === i || !A.adj[v * n1 + i]) missB++;
        }
        edge = 0.5 * (missA * c.edgeDel + missB * c.edgeIns);
      }
      M[row + j] = (li === B.labels[j] ? 0 : c.nodeSub) + edge - (ins[j] as number);
    }
    if (!subNeverWorse) {
      const d = c.nodeDel + 0.5 * c.edgeDel * (outI.length + inI.length);
      for (let j = n2; j < cols; j++) M[row + j] = d;
    }
  }
  const { rowToCol } = linearSumAssignment(M, n1, cols);
  for (let i = 0; i < n1; i++) {
    const j = rowToCol[i] as number;
    map[i] = j < n2 ? j : -1;
  }
  return map;
}

/**
 * Greedy local search on a node mapping: move a node of `a` to a free node of `b` (or delete it), or swap the
 * images of two nodes of `a`, whenever that lowers the induced edit cost. `map` is updated in place; returns the
 * cost after refinement.
 *
 * With M the number of edges of `a` whose endpoints' images are joined by an edge of `b` in the same direction, the
 * edge part of the cost is edgeDel * (|E_a| - M) + edgeIns * (|E_b| - M), so a change's edge delta only needs the
 * edges of `a` at the nodes that moved.
 */
function refineMapping(A: PreparedGraph, B: PreparedGraph, map: Int32Array, c: GedCosts, passes: number): number {
  let cost = mappingCost(A, B, map, c);
  if (passes <= 0 || A.n === 0) return cost;
  const n1 = A.n;
  const n2 = B.n;
  const inv = invertMapping(map, n2);
  const edgeGain = c.edgeDel + c.edgeIns;
  const nodeCost = (i: number, j: number): number => (j < 0 ? c.nodeDel : A.labels[i] === B.labels[j] ? 0 : c.nodeSub);
  /** Matched edges of a at node u, skipping those to node `skip` (so a pair's shared edges count once). */
  const matchedAt = (u: number, skip: number): number => {
    const x = map[u] as number;
    if (x < 0) return 0;
    let m = 0;
    for (const v of A.out[u] as Int32Array) {
      const y = map[v] as number;
      if (v !== skip && y >= 0 && B.adj[x * n2 + y]) m++;
    }
    for (const v of A.inn[u] as Int32Array) {
      const y = map[v] as number;
      if (v !== skip && y >= 0 && B.adj[y * n2 + x]) m++;
    }
    return m;
  };
  for (let pass = 0; pass < passes; pass++) {
    let improved = false;
    for (let i = 0; i < n1; i++) {
      // Move i to a free node of b, or delete it.
      for (let j = -1; j < n2; j++) {
        const old = map[i] as number;
        if (j === old || (j >= 0 && (inv[j] as number) >= 0)) continue;
        const before = nodeCost(i, old) + (j >= 0 ? c.nodeIns : 0) - edgeGain * matchedAt(i, -1);
        map[i] = j;
        const after = nodeCost(i, j) + (old >= 0 ? c.nodeIns : 0) - edgeGain * matchedAt(i, -1);
        if (after < before - EPS) {
          cost += after - before;
          improved = true;
          if (old >= 0) inv[old] = -1;
          if (j >= 0) inv[j] = i;
        } else map[i] = old;
      }
      // Swap images with another node of a.
      for (let k = i + 1; k < n1; k++) {
        const ji = map[i] as number;
        const jk = map[k] as number;
        if (ji === jk) continue; // both deleted
        const before = nodeCost(i, ji) + nodeCost(k, jk) - edgeGain * (matchedAt(i, -1) + matchedAt(k, i));
        map[i] = jk;
        map[k] = ji;
        const after = nodeCost(i, jk) + nodeCost(k, ji) - edgeGain * (matchedAt(i, -1) + matchedAt(k, i));
        if (after < before - EPS) {
          cost += after - before;
          improved = true;
          if (jk >= 0) inv[jk] = i;
          if (ji >= 0) inv[ji] = k;
        } else {
          map[i] = ji;
          map[k] = jk;
        }
      }
    }
    if (!improved) break;
  }
  return cost;
}

/**
 * The approximation: the bipartite mapping, refined by swaps; then `iterations` rounds of re-assignment on the
 * costs linearised around the best mapping so far, each refined again. Keeps the cheapest mapping.
 */
/**
 * A topological order that keeps chains together: among the ready nodes, prefer a successor of the node placed
 * last (depth-first Kahn). Nodes on a cycle (not a DAG) follow in index order.
 */
function chainOrder(g: PreparedGraph): Int32Array {
  const n = g.n;
  const indeg = new Int32Array(n);
  for (let u = 0; u < n; u++) indeg[u] = (g.inn[u] as Int32Array).length;
  const stack: number[] = [];
  for (let u = n - 1; u >= 0; u--) if (indeg[u] === 0) stack.push(u);
  const order: number[] = [];
  const placed = new Uint8Array(n);
  while (stack.length > 0) {
    const u = stack.pop() as number;
    order.push(u);
    placed[u] = 1;
    const succ = g.out[u] as Int32Array;
    for (let k = succ.length - 1; k >= 0; k--) {
      const v = succ[k] as number;
      indeg[v] = (indeg[v] as number) - 1;
      if (indeg[v] === 0) stack.push(v);
    }
  }
  for (let u = 0; u < n; u++) if (!placed[u]) order.push(u);
  return Int32Array.from(order);
}

/**
 * Another starting mapping for DAGs, which are mostly chains: align the two chain orders like sequences
 * (Needleman-Wunsch: substitute with the node cost and half the degree differences, or skip a node at its
 * deletion / insertion cost with half its edges), so that the mapping keeps order and hence most edges.
 */
function alignmentMapping(A: PreparedGraph, B: PreparedGraph, c: GedCosts): Int32Array {
  const n1 = A.n;
  const n2 = B.n;
  const map = new Int32Array(n1).fill(-1);
  if (n1 === 0 || n2 === 0) return map;
  const oa = chainOrder(A);
  const ob = chainOrder(B);
  const degA = (u: number): [number, number] => [(A.out[u] as Int32Array).length, (A.inn[u] as Int32Array).length];
  const degB = (x: number): [number, number] => [(B.out[x] as Int32Array).length, (B.inn[x] as Int32Array).length];
  const W = n2 + 1;
  const D = new Float64Array((n1 + 1) * W);
  const del = (i: number): number => {
    const [o, n] = degA(oa[i] as number);
    return c.nodeDel + 0.5 * c.edgeDel * (o + n);
  };
  const ins = (j: number): number => {
    const [o, n] = degB(ob[j] as number);
    return c.nodeIns + 0.5 * c.edgeIns * (o + n);
  };
  const sub = (i: number, j: number): number => {
    const u = oa[i] as number;
    const x = ob[j] as number;
    const [ou, iu] = degA(u);
    const [ox, ix] = degB(x);
    return (A.labels[u] === B.labels[x] ? 0 : c.nodeSub) + 0.5 * (diffCost(ou, ox, c.edgeDel, c.edgeIns) + diffCost(iu, ix, c.edgeDel, c.edgeIns));
  };
  for (let i = 1; i <= n1; i++) D[i * W] = (D[(i - 1) * W] as number) + del(i - 1);
  for (let j = 1; j <= n2; j++) D[j] = (D[j - 1] as number) + ins(j - 1);
  for (let i = 1; i <= n1; i++)
    for (let j = 1; j <= n2; j++)
      D[i * W + j] = Math.min(
        (D[(i - 1) * W + j - 1] as number) + sub(i - 1, j - 1),
        (D[(i - 1) * W + j] as number) + del(i - 1),
        (D[i * W + j - 1] as number) + ins(j - 1),
      );
  let i = n1;
  let j = n2;
  while (i > 0 && j > 0) {
    const here = D[i * W + j] as number;
    if (Math.abs(here - ((D[(i - 1) * W + j - 1] as number) + sub(i - 1, j - 1))) < EPS) {
      map[oa[i - 1] as number] = ob[j - 1] as number;
      i--;
      j--;
    } else if (Math.abs(here - ((D[(i - 1) * W + j] as number) + del(i - 1))) < EPS) i--;
    else j--;
  }
  return map;
}

/**
 * The approximation: two starting mappings — an alignment of chain orders and Riesen & Bunke's bipartite
 * assignment — each refined by moves and swaps; then `iterations` rounds of re-assignment on edge costs
 * linearised around the best mapping so far, each refined again. Keeps the cheapest mapping, and stops early once
 * it meets the cheap lower bound `lb` (then it is optimal).
 */
function approxPrepared(
  A: PreparedGraph,
  B: PreparedGraph,
  c: GedCosts,
  passes: number,
  iterations: number,
  lb: number,
  beam = 0,
): { distance: number; mapping: Int32Array } {
  let mapping = assignmentMapping(A, B, c);
  let distance = refineMapping(A, B, mapping, c, passes);
  if (distance <= lb + EPS) return { distance, mapping };
  if (iterations > 0 || passes > 0) {
    const aligned = alignmentMapping(A, B, c);
    const d = refineMapping(A, B, aligned, c, passes);
    if (d < distance - EPS) {
      distance = d;
      mapping = aligned;
    }
  }
  for (let it = 0; it < iterations && distance > lb + EPS; it++) {
    const next = assignmentMapping(A, B, c, mapping);
    const d = refineMapping(A, B, next, c, passes);
    if (d >= distance - EPS) break;
    distance = d;
    mapping = next;
  }
  if (beam > 0 && distance > lb + EPS) {
    // Anytime refinement: a beam search over mappings, refined by moves and swaps; kept when cheaper.
    const b = beamMapping(A, B, c, beam);
    const d = refineMapping(A, B, b, c, Math.max(passes, 1));
    if (d < distance - EPS) {
      distance = d;
      mapping = b;
    }
  }
  return { distance, mapping };
}

// ---------------------------------------------------------------------------------------------------------------
// Exact A*.

/** Order the nodes of A so that edges close early: highest degree first, then most edges to those already placed. */
function searchOrder(A: PreparedGraph): Int32Array {
  const n = A.n;
  const deg = (u: number): number => (A.out[u] as Int32Array).length + (A.inn[u] as Int32Array).length;
  const placed = new Uint8Array(n);
  const links = new Int32Array(n);
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    let best = -1;
    for (let u = 0; u < n; u++) {
      if (placed[u]) continue;
      if (best < 0 || (links[u] as number) > (links[best] as number) || (links[u] === links[best] && deg(u) > deg(best))) best = u;
    }
    order[k] = best;
    placed[best] = 1;
    for (const v of A.out[best] as Int32Array) links[v] = (links[v] as number) + 1;
    for (const v of A.inn[best] as Int32Array) links[v] = (links[v] as number) + 1;
  }
  return order;
}

class StateHeap {
  ids = new Int32Array(1024);
  f = new Float64Array(1024);
  d = new Int32Array(1024);
  size = 0;
  private less(a: number, b: number): boolean {
    const fa = this.f[a] as number;
    const fb = this.f[b] as number;
    return fa < fb - EPS || (fa <= fb + EPS && (this.d[a] as number) > (this.d[b] as number));
  }
  private swap(a: number, b: number): void {
    const { ids, f, d } = this;
    const ti = ids[a] as number;
    ids[a] = ids[b] as number;
    ids[b] = ti;
    const tf = f[a] as number;
    f[a] = f[b] as number;
    f[b] = tf;
    const td = d[a] as number;
    d[a] = d[b] as number;
    d[b] = td;
  }
  push(id: number, f: number, depth: number): void {
    if (this.size === this.ids.length) {
      const grow = <T extends Int32Array | Float64Array>(x: T, make: (n: number) => T): T => {
        const y = make(x.length * 2);
        y.set(x);
        return y;
      };
      this.ids = grow(this.ids, (n) => new Int32Array(n));
      this.f = grow(this.f, (n) => new Float64Array(n));
      this.d = grow(this.d, (n) => new Int32Array(n));
    }
    let i = this.size++;
    this.ids[i] = id;
    this.f[i] = f;
    this.d[i] = depth;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  /** Index 0 is the top; call pop() after reading it. */
  topF(): number {
    return this.f[0] as number;
  }
  pop(): number {
    const top = this.ids[0] as number;
    this.size--;
    if (this.size > 0) {
      this.swap(0, this.size);
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.size && this.less(l, m)) m = l;
        if (r < this.size && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

interface ExactOutcome {
  distance: number;
  mapping: Int32Array;
  exact: boolean;
  lowerBound: number;
  expanded: number;
}

/**
 * The A* heuristic as a reusable function: a lower bound on the cost still to come for a partial mapping given as
 * map1 (-2: not yet processed, -1: deleted, else the image) and inv2 (-1: free, else the preimage).
 */
function remainingBound(A: PreparedGraph, B: PreparedGraph, c: GedCosts, L: number): (map1: Int32Array, inv2: Int32Array, remainingA: number, remainingB: number) => number {
  const n1 = A.n;
  const n2 = B.n;
  const cntA = new Int32Array(L);
  const cntB = new Int32Array(L);
  const outA = new Int32Array(n1);
  const inA = new Int32Array(n1);
  const outB = new Int32Array(n2);
  const inB = new Int32Array(n2);
  return (map1, inv2, remainingA, remainingB) => {
    cntA.fill(0);
    cntB.fill(0);
    for (let i = 0; i < n1; i++) if (map1[i] === -2) cntA[A.labels[i] as number] = (cntA[A.labels[i] as number] as number) + 1;
    for (let j = 0; j < n2; j++) if (inv2[j] === -1) cntB[B.labels[j] as number] = (cntB[B.labels[j] as number] as number) + 1;
    let h = labelBound(cntA, cntB, remainingA, remainingB, c);
    // Edge categories: inside the unprocessed part, and per processed node, towards / from the unprocessed part.
    outA.fill(0);
    inA.fill(0);
    outB.fill(0);
    inB.fill(0);
    let innerA = 0;
    let innerB = 0;
    for (let k = 0; k < A.edgeFrom.length; k++) {
      const u = A.edgeFrom[k] as number;
      const v = A.edgeTo[k] as number;
      const pu = map1[u] !== -2;
      const pv = map1[v] !== -2;
      if (!pu && !pv) innerA++;
      else if (pu && !pv) outA[u] = (outA[u] as number) + 1;
      else if (!pu && pv) inA[v] = (inA[v] as number) + 1;
    }
    for (let k = 0; k < B.edgeFrom.length; k++) {
      const x = B.edgeFrom[k] as number;
      const y = B.edgeTo[k] as number;
      const ux = inv2[x] !== -1;
      const uy = inv2[y] !== -1;
      if (!ux && !uy) innerB++;
      else if (ux && !uy) outB[x] = (outB[x] as number) + 1;
      else if (!ux && uy) inB[y] = (inB[y] as number) + 1;
    }
    h += diffCost(innerA, innerB, c.edgeDel, c.edgeIns);
    for (let i = 0; i < n1; i++) {
      const j = map1[i] as number;
      if (j === -2) continue;
      if (j === -1) h += ((outA[i] as number) + (inA[i] as number)) * c.edgeDel;
      else h += diffCost(outA[i] as number, outB[j] as number, c.edgeDel, c.edgeIns) + diffCost(inA[i] as number, inB[j] as number, c.edgeDel, c.edgeIns);
    }
    return h;
  };
}

/** Cost of mapping node u of A to t of B (-1: delete), given the processed nodes in map1 / inv2: the node
 *  operation plus every edge between u and processed nodes, in both graphs. */
function stepCost(A: PreparedGraph, B: PreparedGraph, c: GedCosts, map1: Int32Array, inv2: Int32Array, u: number, t: number): number {
  const n1 = A.n;
  const n2 = B.n;
  let dg = t < 0 ? c.nodeDel : A.labels[u] === B.labels[t] ? 0 : c.nodeSub;
  for (const v of A.out[u] as Int32Array) {
    const mv = map1[v] as number;
    if (mv === -2) continue;
    if (t < 0 || mv < 0 || !B.adj[t * n2 + mv]) dg += c.edgeDel;
  }
  for (const v of A.inn[u] as Int32Array) {
    const mv = map1[v] as number;
    if (mv === -2) continue;
    if (t < 0 || mv < 0 || !B.adj[mv * n2 + t]) dg += c.edgeDel;
  }
  if (t >= 0) {
    for (const y of B.out[t] as Int32Array) {
      const py = inv2[y] as number;
      if (py !== -1 && !A.adj[u * n1 + py]) dg += c.edgeIns;
    }
    for (const y of B.inn[t] as Int32Array) {
      const py = inv2[y] as number;
      if (py !== -1 && !A.adj[py * n1 + u]) dg += c.edgeIns;
    }
  }
  return dg;
}

/**
 * Beam search over node mappings (Neuhaus, Riesen & Bunke's BeamGED): the A* expansion in the same node order and
 * with the same lower bound, keeping only the `width` partial mappings with the lowest g + h at each depth. Not
 * exact, but it explores many more mappings than one assignment; the best complete mapping is returned.
 */
function beamMapping(A: PreparedGraph, B: PreparedGraph, c: GedCosts, width: number): Int32Array {
  const n1 = A.n;
  const n2 = B.n;
  if (n1 === 0) return new Int32Array(0);
  const order = searchOrder(A);
  const L = Math.max(maxLabel(A), maxLabel(B)) + 1;
  const bound = remainingBound(A, B, c, L);
  interface State {
    map1: Int32Array;
    inv2: Int32Array;
    g: number;
    used: number;
  }
  const root: State = { map1: new Int32Array(n1).fill(-2), inv2: new Int32Array(n2).fill(-1), g: 0, used: 0 };
  let beam: State[] = [root];
  for (let depth = 0; depth < n1; depth++) {
    const u = order[depth] as number;
    const last = depth + 1 === n1;
    const cand: { s: number; t: number; g: number; f: number }[] = [];
    beam.forEach((st, si) => {
      const { map1, inv2 } = st;
      for (let t = -1; t < n2; t++) {
        if (t >= 0 && inv2[t] !== -1) continue;
        const g = st.g + stepCost(A, B, c, map1, inv2, u, t);
        map1[u] = t;
        if (t >= 0) inv2[t] = u;
        let f: number;
        if (last) {
          f = g;
          for (let j = 0; j < n2; j++) if (inv2[j] === -1) f += c.nodeIns;
          for (let k = 0; k < B.edgeFrom.length; k++) if (inv2[B.edgeFrom[k] as number] === -1 || inv2[B.edgeTo[k] as number] === -1) f += c.edgeIns;
        } else f = g + bound(map1, inv2, n1 - depth - 1, n2 - st.used - (t >= 0 ? 1 : 0));
        map1[u] = -2;
        if (t >= 0) inv2[t] = -1;
        cand.push({ s: si, t, g, f });
      }
    });
    // Stable: equal f keeps the deeper-cost (larger g) child first, then the generation order.
    cand.sort((x, y) => x.f - y.f || y.g - x.g);
    beam = cand.slice(0, Math.max(1, width)).map((x) => {
      const p = beam[x.s] as State;
      const map1 = Int32Array.from(p.map1);
      const inv2 = Int32Array.from(p.inv2);
      map1[u] = x.t;
      if (x.t >= 0) inv2[x.t] = u;
      return { map1, inv2, g: x.g, used: p.used + (x.t >= 0 ? 1 : 0) };
    });
  }
  return (beam[0] as State).map1;
}

/** A copy of a typed array in a larger one of the same kind. */
function grown<T extends Int32Array | Int16Array | Float64Array>(a: T, size: number): T {
  const next = new (a.constructor as new (n: number) => T)(size);
  next.set(a);
  return next;
}

function astar(A: PreparedGraph, B: PreparedGraph, c: GedCosts, ub: number, ubMapping: Int32Array, maxExpansions: number): ExactOutcome {
  const n1 = A.n;
  const n2 = B.n;
  let best = ub;
  let bestMap = ubMapping;
  if (n1 === 0) {
    const d = mappingCost(A, B, new Int32Array(0), c);
    return { distance: d, mapping: new Int32Array(0), exact: true, lowerBound: d, expanded: 0 };
  }
  const order = searchOrder(A);
  const L = Math.max(maxLabel(A), maxLabel(B)) + 1;
  // State storage (struct of arrays): parent state, the image of order[depth-1], depth, cost so far.
  let cap = 4096;
  let parent = new Int32Array(cap);
  let target = new Int16Array(cap);
  let depthOf = new Int16Array(cap);
  let gOf = new Float64Array(cap);
  let count = 0;
  const newState = (p: number, t: number, depth: number, g: number): number => {
    if (count === cap) {
      cap *= 2;
      parent = grown(parent, cap);
      target = grown(target, cap);
      depthOf = grown(depthOf, cap);
      gOf = grown(gOf, cap);
    }
    parent[count] = p;
    target[count] = t;
    depthOf[count] = depth;
    gOf[count] = g;
    return count++;
  };
  // Working arrays for one expansion.
  const map1 = new Int32Array(n1); // -2: not yet processed, -1: deleted, else image
  const inv2 = new Int32Array(n2); // -1: free, else preimage
  const bound = remainingBound(A, B, c, L);
  const heuristic = (remainingA: number, remainingB: number): number => bound(map1, inv2, remainingA, remainingB);

  const heap = new StateHeap();
  map1.fill(-2);
  inv2.fill(-1);
  const rootF = heuristic(n1, n2);
  if (rootF >= best - EPS) return { distance: best, mapping: bestMap, exact: true, lowerBound: best, expanded: 0 };
  heap.push(newState(-1, 0, 0, 0), rootF, 0);
  let expanded = 0;
  while (heap.size > 0) {
    const f = heap.topF();
    if (f >= best - EPS) break; // nothing left can beat the incumbent
    if (expanded >= maxExpansions) return { distance: best, mapping: bestMap, exact: false, lowerBound: f, expanded };
    const s = heap.pop();
    expanded++;
    const depth = depthOf[s] as number;
    const g = gOf[s] as number;
    // Rebuild the partial mapping of state s.
    map1.fill(-2);
    inv2.fill(-1);
    let used = 0;
    for (let t = s, d = depth; d > 0; t = parent[t] as number, d--) {
      const img = target[t] as number;
      map1[order[d - 1] as number] = img;
      if (img >= 0) {
        inv2[img] = order[d - 1] as number;
        used++;
      }
    }
    const u = order[depth] as number;
    const last = depth + 1 === n1;
    for (let t = -1; t < n2; t++) {
      if (t >= 0 && inv2[t] !== -1) continue;
      // Cost of mapping u to t: the node operation plus every edge between u and processed nodes (both graphs).
      const dg = stepCost(A, B, c, map1, inv2, u, t);
      map1[u] = t;
      if (t >= 0) inv2[t] = u;
      if (last) {
        // Complete: insert the free nodes of B and every B edge touching one of them.
        let total = g + dg;
        for (let j = 0; j < n2; j++) if (inv2[j] === -1) total += c.nodeIns;
        for (let k = 0; k < B.edgeFrom.length; k++)
          if (inv2[B.edgeFrom[k] as number] === -1 || inv2[B.edgeTo[k] as number] === -1) total += c.edgeIns;
        if (total < best - EPS) {
          best = total;
          bestMap = Int32Array.from(map1);
        }
      } else {
        const fChild = g + dg + heuristic(n1 - depth - 1, n2 - used - (t >= 0 ? 1 : 0));
        if (fChild < best - EPS) heap.push(newState(s, t, depth + 1, g + dg), fChild, depth + 1);
      }
      map1[u] = -2;
      if (t >= 0) inv2[t] = -1;
    }
  }
  return { distance: best, mapping: bestMap, exact: true, lowerBound: best, expanded };
}

// ---------------------------------------------------------------------------------------------------------------
// Entry points.

interface Resolved {
  method: GedMethod;
  costs: GedCosts;
  gedExactMaxNodes: number;
  maxExpansions: number;
  approxRefinePasses: number;
  approxIterations: number;
  approxBeam: number;
}

function resolveOptions(opts: GedOptions = {}): Resolved {
  const r = {
    method: opts.method ?? 'auto',
    costs: resolveCosts(opts.costs),
    gedExactMaxNodes: opts.gedExactMaxNodes ?? DEFAULTS.gedExactMaxNodes,
    maxExpansions: opts.maxExpansions ?? DEFAULTS.maxExpansions,
    approxRefinePasses: opts.approxRefinePasses ?? DEFAULTS.approxRefinePasses,
    approxIterations: opts.approxIterations ?? DEFAULTS.approxIterations,
    approxBeam: opts.approxBeam ?? DEFAULTS.approxBeam,
  };
  if (!['auto', 'exact', 'approx'].includes(r.method)) throw new GedInputError(`unknown GED method '${String(r.method)}'`);
  for (const k of ['gedExactMaxNodes', 'maxExpansions', 'approxRefinePasses', 'approxIterations', 'approxBeam'] as const)
    if (!(Number.isInteger(r[k]) && r[k] >= 0)) throw new GedInputError(`GED option ${k} must be an integer >= 0, got ${r[k]}`);
  return r;
}

/**
 * GED of two prepared graphs (label ids from one dictionary). The pair is oriented canonically (smaller graph
 * first) so that the result, exact or approximate, is the same for (a, b) and (b, a).
 */
export function gedPrepared(a: PreparedGraph, b: PreparedGraph, opts: GedOptions = {}): GedResult {
  return gedResolved(a, b, resolveOptions(opts));
}

function gedResolved(a: PreparedGraph, b: PreparedGraph, o: Resolved): GedResult {
  const flip = a.n > b.n || (a.n === b.n && (a.edgeFrom.length > b.edgeFrom.length || (a.edgeFrom.length === b.edgeFrom.length && a.key > b.key)));
  const [A, B, c] = flip ? [b, a, swapCosts(o.costs)] : [a, b, o.costs];
  const exact = o.method === 'exact' || (o.method === 'auto' && Math.max(A.n, B.n) <= o.gedExactMaxNodes);
  const lb = rootBound(A, B, c);
  // The beam refinement only where the approximation is the answer; the exact search is seeded without it.
  const approx = approxPrepared(A, B, c, o.approxRefinePasses, o.approxIterations, lb, exact ? 0 : o.approxBeam);
  let r: GedResult;
  if (!exact) {
    r = { distance: approx.distance, exact: false, method: 'approx', lowerBound: lb, mapping: approx.mapping, expanded: 0 };
    if (r.lowerBound >= r.distance - EPS) r.exact = true;
  } else {
    const e = astar(A, B, c, approx.distance, approx.mapping, o.maxExpansions);
    r = { distance: e.distance, exact: e.exact, method: 'exact', lowerBound: e.lowerBound, mapping: e.mapping, expanded: e.expanded };
  }
  if (flip) r.mapping = invertMapping(r.mapping, a.n);
  return r;
}

/** Graph edit distance between two labelled graphs (see the module comment for methods and costs). */
export function ged(a: LabelledGraph, b: LabelledGraph, opts: GedOptions = {}): GedResult {
  const [A, B] = prepareGraphs([a, b]) as [PreparedGraph, PreparedGraph];
  return gedResolved(A, B, resolveOptions(opts));
}

/** Just the distance. */
export function gedDistance(a: LabelledGraph, b: LabelledGraph, opts: GedOptions = {}): number {
  return ged(a, b, opts).distance;
}

export interface GedMatrixResult {
  /** Symmetric, zero diagonal. */
  distances: number[][];
  pairs: number;
  /** Pairs computed by the exact search / by the approximation. */
  exactMethodPairs: number;
  approxMethodPairs: number;
  /** Pairs whose distance is proven optimal (exact search within budget, or approximation meeting the bound). */
  provenPairs: number;
  /** Exact searches that ran out of budget and returned an upper bound. */
  budgetExhausted: number;
  expanded: number;
}

/** All-pairs GED: each unordered pair once, mirrored. */
export function gedMatrix(graphs: readonly LabelledGraph[], opts: GedOptions = {}, onRow?: (i: number) => void): GedMatrixResult {
  const o = resolveOptions(opts);
  const P = prepareGraphs(graphs);
  const n = P.length;
  const distances = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const out: GedMatrixResult = { distances, pairs: 0, exactMethodPairs: 0, approxMethodPairs: 0, provenPairs: 0, budgetExhausted: 0, expanded: 0 };
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const r = gedResolved(P[i] as PreparedGraph, P[j] as PreparedGraph, o);
      (distances[i] as number[])[j] = r.distance;
      (distances[j] as number[])[i] = r.distance;
      out.pairs++;
      if (r.method === 'exact') out.exactMethodPairs++;
      else out.approxMethodPairs++;
      if (r.exact) out.provenPairs++;
      else if (r.method === 'exact') out.budgetExhausted++;
      out.expanded += r.expanded;
    }
    onRow?.(i);
  }
  return out;
}
