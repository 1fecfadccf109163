/** Independent brute-force references for the graph tests (small graphs only). */
import type { LabelledGraph } from '../../../src/graph/ged.js';

export interface Costs {
  nodeSub: number;
  nodeIns: number;
  nodeDel: number;
  edgeIns: number;
  edgeDel: number;
}
export const UNIT: Costs = { nodeSub: 1, nodeIns: 1, nodeDel: 1, edgeIns: 1, edgeDel: 1 };

/** Cost of the edit path induced by map (a node -> b node or -1), written from the definition. */
export function pathCost(a: LabelledGraph, b: LabelledGraph, map: readonly number[], c: Costs = UNIT): number {
  const has = (g: LabelledGraph, u: number, v: number): boolean => g.edges.some(([x, y]) => x === u && y === v);
  const inv = new Map<number, number>();
  map.forEach((j, i) => j >= 0 && inv.set(j, i));
  let cost = 0;
  map.forEach((j, i) => (cost += j < 0 ? c.nodeDel : a.labels[i] === b.labels[j] ? 0 : c.nodeSub));
  b.labels.forEach((_, j) => (cost += inv.has(j) ? 0 : c.nodeIns));
  for (const [u, v] of a.edges) {
    const x = map[u] as number;
    const y = map[v] as number;
    if (x < 0 || y < 0 || !has(b, x, y)) cost += c.edgeDel;
  }
  for (const [x, y] of b.edges) {
    const u = inv.get(x);
    const v = inv.get(y);
    if (u === undefined || v === undefined || !has(a, u, v)) cost += c.edgeIns;
  }
  return cost;
}

/** GED by enumerating every partial injection from a to b. */
export function bruteForceGed(a: LabelledGraph, b: LabelledGraph, c: Costs = UNIT): number {
  const n1 = a.labels.length;
  const n2 = b.labels.length;
  const map = new Array<number>(n1).fill(-1);
  const used = new Array<boolean>(n2).fill(false);
  let best = Infinity;
  const rec = (i: number): void => {
    if (i === n1) {
      best = Math.min(best, pathCost(a, b, map, c));
      return;
    }
    map[i] = -1;
    rec(i + 1);
    for (let j = 0; j < n2; j++) {
      if (used[j]) continue;
      used[j] = true;
      map[i] = j;
      rec(i + 1);
      used[j] = false;
    }
    map[i] = -1;
  };
  rec(0);
  return best;
}

/** Label-preserving isomorphism of directed graphs, by trying every bijection. */
export function isomorphic(a: LabelledGraph, b: LabelledGraph): boolean {
  const n = a.labels.length;
  if (n !== b.labels.length || a.edges.length !== b.edges.length) return false;
  const eb = new Set(b.edges.map(([x, y]) => `${x}>${y}`));
  const perm = new Array<number>(n).fill(-1);
  const used = new Array<boolean>(n).fill(false);
  const rec = (i: number): boolean => {
    if (i === n) return a.edges.every(([u, v]) => eb.has(`${perm[u]}>${perm[v]}`));
    for (let j = 0; j < n; j++) {
      if (used[j] || a.labels[i] !== b.labels[j]) continue;
      used[j] = true;
      perm[i] = j;
      if (rec(i + 1)) return true;
      used[j] = false;
    }
    return false;
  };
  return rec(0);
}
