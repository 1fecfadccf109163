/**
 * k-medoids (PAM: greedy BUILD, then SWAP until no swap lowers the cost) and the mean silhouette, on a distance
 * matrix. Deterministic: ties go to the lower index.
 */

export interface KMedoidsResult {
  medoids: number[];
  assignment: number[];
  /** Sum of each point's distance to its medoid. */
  cost: number;
}

function d(m: readonly (readonly number[])[], i: number, j: number): number {
  return (m[i] as readonly number[])[j] as number;
}

function assign(m: readonly (readonly number[])[], medoids: readonly number[]): { assignment: number[]; cost: number } {
  const n = m.length;
  const assignment = new Array<number>(n).fill(0);
  let cost = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < medoids.length; c++) if (d(m, i, medoids[c] as number) < d(m, i, medoids[best] as number)) best = c;
    assignment[i] = best;
    cost += d(m, i, medoids[best] as number);
  }
  return { assignment, cost };
}

export function kMedoids(m: readonly (readonly number[])[], k: number): KMedoidsResult {
  const n = m.length;
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new RangeError(`kMedoids: k must be an integer in [1, ${n}], got ${k}`);
  const medoids: number[] = [];
  // BUILD: each step adds the point that lowers the total cost most.
  for (let step = 0; step < k; step++) {
    let best = -1;
    let bestCost = Infinity;
    for (let c = 0; c < n; c++) {
      if (medoids.includes(c)) continue;
      const cost = assign(m, [...medoids, c]).cost;
      if (cost < bestCost - 1e-12) {
        bestCost = cost;
        best = c;
      }
    }
    medoids.push(best);
  }
  // SWAP: best improving (medoid, non-medoid) exchange until none improves.
  let cur = assign(m, medoids).cost;
  for (let iter = 0; iter < 100; iter++) {
    let move: [number, number] | undefined;
    let moveCost = cur;
    for (let a = 0; a < k; a++)
      for (let h = 0; h < n; h++) {
        if (medoids.includes(h)) continue;
        const trial = medoids.map((x, i) => (i === a ? h : x));
        const c = assign(m, trial).cost;
        if (c < moveCost - 1e-12) {
          moveCost = c;
          move = [a, h];
        }
      }
    if (!move) break;
    medoids[move[0]] = move[1];
    cur = moveCost;
  }
  const { assignment, cost } = assign(m, medoids);
  return { medoids, assignment, cost };
}

/** Mean silhouette of an assignment (a point alone in its cluster scores 0). */
export function silhouette(m: readonly (readonly number[])[], assignment: readonly number[]): number {
  const n = m.length;
  const k = Math.max(...assignment) + 1;
  if (n < 2 || k < 2) return 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sum = new Array<number>(k).fill(0);
    const cnt = new Array<number>(k).fill(0);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const c = assignment[j] as number;
      sum[c] = (sum[c] as number) + d(m, i, j);
      cnt[c] = (cnt[c] as number) + 1;
    }
    const own = assignment[i] as number;
    if ((cnt[own] as number) === 0) continue;
    const a = (sum[own] as number) / (cnt[own] as number);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && (cnt[c] as number) > 0) b = Math.min(b, (sum[c] as number) / (cnt[c] as number));
    if (!Number.isFinite(b)) continue;
    const s = Math.max(a, b) > 0 ? (b - a) / Math.max(a, b) : 0;
    total += s;
  }
  return total / n;
}
