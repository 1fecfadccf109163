/**
 * k-medoids clustering (PAM) over a precomputed distance matrix, the silhouette score, and the choice of k by
 * silhouette (streamtune.md §6). Deterministic: BUILD initialisation has no randomness (ties go to the lowest
 * index); random restarts draw from an injected Rng.
 */
import { Rng } from '../core/random.js';

/** A square, symmetric matrix of non-negative distances with a zero diagonal (number[][] or Float64Array[]). */
export type DistanceMatrix = ArrayLike<ArrayLike<number>>;

export interface KMedoidsOptions {
  /** 'build' (PAM's greedy BUILD, deterministic; default) or 'random' (k distinct points drawn from the rng). */
  init?: 'build' | 'random';
  /** Extra runs from random initial medoids; the cheapest result is kept. Default 0. */
  restarts?: number;
  /** Random source for 'random' init and restarts; default new Rng(seed). */
  rng?: Rng;
  seed?: number;
  /** Cap on SWAP iterations per run. Default 100. */
  maxIterations?: number;
}

export interface KMedoidsResult {
  k: number;
  /** Indices of the medoids; cluster c is the points nearest to medoids[c]. Sorted ascending. */
  medoids: number[];
  /** labels[i] = the cluster of point i. */
  labels: number[];
  /** Sum over points of the distance to their medoid. */
  cost: number;
  /** SWAP iterations of the best run. */
  iterations: number;
}

const EPS = 1e-12;

function checkMatrix(D: DistanceMatrix): number {
  const n = D.length;
  for (let i = 0; i < n; i++) {
    const row = D[i];
    if (!row || row.length !== n) throw new RangeError(`distance matrix row ${i} has ${row?.length ?? 0} entries, expected ${n}`);
    for (let j = 0; j < n; j++) {
      const d = row[j] as number;
      if (!(Number.isFinite(d) && d >= 0)) throw new RangeError(`distance matrix entry [${i}][${j}] = ${d} is not a finite number >= 0`);
    }
  }
  return n;
}

const at = (D: DistanceMatrix, i: number, j: number): number => (D[i] as ArrayLike<number>)[j] as number;

/** PAM's BUILD: the first medoid minimises total distance; each next one most reduces the cost. */
function buildInit(D: DistanceMatrix, n: number, k: number): number[] {
  const medoids: number[] = [];
  const nearest = new Float64Array(n).fill(Infinity);
  const isMedoid = new Uint8Array(n);
  for (let m = 0; m < k; m++) {
    let best = -1;
    let bestGain = -Infinity;
    for (let x = 0; x < n; x++) {
      if (isMedoid[x]) continue;
      let gain = 0;
      for (let o = 0; o < n; o++) {
        const d = at(D, o, x);
        const cur = nearest[o] as number;
        gain += m === 0 ? -d : Math.max(cur - d, 0);
      }
      if (gain > bestGain + EPS) {
        bestGain = gain;
        best = x;
      }
    }
    medoids.push(best);
    isMedoid[best] = 1;
    for (let o = 0; o < n; o++) nearest[o] = Math.min(nearest[o] as number, at(D, o, best));
  }
  return medoids;
}

function randomInit(n: number, k: number, rng: Rng): number[] {
  return rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, k);
}

/** PAM SWAP with FastPAM1's O(n²) evaluation of all (medoid, candidate) swaps per iteration; best swap first. */
function swapPhase(D: DistanceMatrix, n: number, init: number[], maxIterations: number): { medoids: number[]; iterations: number } {
  const medoids = [...init];
  const k = medoids.length;
  const isMedoid = new Uint8Array(n);
  for (const m of medoids) isMedoid[m] = 1;
  const nearestSlot = new Int32Array(n);
  const dN = new Float64Array(n);
  const dS = new Float64Array(n);
  const assign = (): void => {
    for (let o = 0; o < n; o++) {
      let b1 = Infinity;
      let b2 = Infinity;
      let s1 = -1;
      for (let s = 0; s < k; s++) {
        const d = at(D, o, medoids[s] as number);
        if (d < b1) {
          b2 = b1;
          b1 = d;
          s1 = s;
        } else if (d < b2) b2 = d;
      }
      nearestSlot[o] = s1;
      dN[o] = b1;
      dS[o] = b2;
    }
  };
  const delta = new Float64Array(k);
  let iterations = 0;
  while (iterations < maxIterations) {
    assign();
    let bestDelta = -1e-9;
    let bestSlot = -1;
    let bestX = -1;
    for (let x = 0; x < n; x++) {
      if (isMedoid[x]) continue;
      delta.fill(0);
      let shared = 0;
      for (let o = 0; o < n; o++) {
        const dox = at(D, o, x);
        const dn = dN[o] as number;
        const gain = Math.min(dox - dn, 0);
        shared += gain;
        // If o's own medoid is the one removed, o goes to x or to its second nearest medoid.
        const s = nearestSlot[o] as number;
        delta[s] = (delta[s] as number) + Math.min(dox, dS[o] as number) - dn - gain;
      }
      for (let s = 0; s < k; s++) {
        const d = shared + (delta[s] as number);
        if (d < bestDelta) {
          bestDelta = d;
          bestSlot = s;
          bestX = x;
        }
      }
    }
    if (bestSlot < 0) break;
    isMedoid[medoids[bestSlot] as number] = 0;
    medoids[bestSlot] = bestX;
    isMedoid[bestX] = 1;
    iterations++;
  }
  return { medoids, iterations };
}

function labelsFor(D: DistanceMatrix, n: number, medoids: readonly number[]): { labels: number[]; cost: number } {
  const labels = new Array<number>(n).fill(0);
  let cost = 0;
  for (let o = 0; o < n; o++) {
    let best = 0;
    let bd = Infinity;
    medoids.forEach((m, c) => {
      const d = at(D, o, m);
      if (d < bd) {
        bd = d;
        best = c;
      }
    });
    labels[o] = best;
    cost += bd;
  }
  return { labels, cost };
}

/** Partition around medoids: k clusters of the n points of D. */
export function kMedoids(D: DistanceMatrix, k: number, opts: KMedoidsOptions = {}): KMedoidsResult {
  const n = checkMatrix(D);
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new RangeError(`k must be an integer in [1, ${n}], got ${k}`);
  const restarts = opts.restarts ?? 0;
  const maxIterations = opts.maxIterations ?? 100;
  const rng = opts.rng ?? new Rng(opts.seed ?? 0);
  const inits: number[][] = [opts.init === 'random' ? randomInit(n, k, rng) : buildInit(D, n, k)];
  for (let r = 0; r < restarts; r++) inits.push(randomInit(n, k, rng));
  let best: KMedoidsResult | undefined;
  for (const init of inits) {
    const { medoids, iterations } = swapPhase(D, n, init, maxIterations);
    medoids.sort((a, b) => a - b);
    const { labels, cost } = labelsFor(D, n, medoids);
    if (!best || cost < best.cost - EPS) best = { k, medoids, labels, cost, iterations };
  }
  return best as KMedoidsResult;
}

/**
 * Per-point silhouette: (b - a) / max(a, b), where a is the mean distance to the other members of the point's
 * cluster and b the smallest mean distance to another cluster. A point alone in its cluster scores 0.
 */
export function silhouetteSamples(D: DistanceMatrix, labels: readonly number[]): number[] {
  const n = checkMatrix(D);
  if (labels.length !== n) throw new RangeError(`labels has ${labels.length} entries, the matrix ${n} rows`);
  const ids = [...new Set(labels)].sort((a, b) => a - b);
  const slot = new Map(ids.map((c, i) => [c, i]));
  const cl = Int32Array.from(labels, (l) => slot.get(l) as number);
  const size = new Float64Array(ids.length);
  for (const c of cl) size[c] = (size[c] as number) + 1;
  const sums = new Float64Array(ids.length);
  const out = new Array<number>(n).fill(0);
  if (ids.length < 2) return out;
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    const row = D[i] as ArrayLike<number>;
    for (let j = 0; j < n; j++) if (j !== i) sums[cl[j] as number] = (sums[cl[j] as number] as number) + (row[j] as number);
    const own = cl[i] as number;
    if ((size[own] as number) <= 1) continue;
    const a = (sums[own] as number) / ((size[own] as number) - 1);
    let b = Infinity;
    for (let c = 0; c < ids.length; c++) if (c !== own) b = Math.min(b, (sums[c] as number) / (size[c] as number));
    const m = Math.max(a, b);
    out[i] = m > 0 ? (b - a) / m : 0;
  }
  return out;
}

/** Mean silhouette over all points (0 when there is a single cluster). */
export function silhouetteScore(D: DistanceMatrix, labels: readonly number[]): number {
  const s = silhouetteSamples(D, labels);
  return s.length === 0 ? 0 : s.reduce((x, y) => x + y, 0) / s.length;
}

export interface ChooseKOptions extends KMedoidsOptions {
  /** Smallest k tried (>= 2). Default 2. */
  kMin?: number;
  /** Largest k tried. Default min(10, n - 1). */
  kMax?: number;
}

export interface ChooseKResult {
  k: number;
  silhouette: number;
  clustering: KMedoidsResult;
  /** Every k tried, with its silhouette and PAM cost. */
  scores: { k: number; silhouette: number; cost: number }[];
}

/** Run PAM for each k in [kMin, kMax] and keep the k with the best mean silhouette (ties: the smaller k). */
export function chooseK(D: DistanceMatrix, opts: ChooseKOptions = {}): ChooseKResult {
  const n = checkMatrix(D);
  if (n < 3) throw new RangeError(`choosing k by silhouette needs at least 3 points, got ${n}`);
  const kMin = opts.kMin ?? 2;
  const kMax = Math.min(opts.kMax ?? Math.min(10, n - 1), n - 1);
  if (!(Number.isInteger(kMin) && kMin >= 2 && kMin <= kMax)) throw new RangeError(`need integers 2 <= kMin <= kMax <= n - 1, got ${kMin}..${kMax}`);
  const rng = opts.rng ?? new Rng(opts.seed ?? 0);
  let best: ChooseKResult | undefined;
  const scores: ChooseKResult['scores'] = [];
  for (let k = kMin; k <= kMax; k++) {
    const clustering = kMedoids(D, k, { ...opts, rng });
    const silhouette = silhouetteScore(D, clustering.labels);
    scores.push({ k, silhouette, cost: clustering.cost });
    if (!best || silhouette > best.silhouette + 1e-12) best = { k, silhouette, clustering, scores };
  }
  return best as ChooseKResult;
}

/** The medoid nearest to `item` under `distance` (ties: the lowest cluster index). */
export function nearestMedoid<T>(item: T, medoids: readonly T[], distance: (a: T, b: T) => number): { cluster: number; distance: number } {
  if (medoids.length === 0) throw new RangeError('nearestMedoid: no medoids');
  let cluster = 0;
  let best = Infinity;
  medoids.forEach((m, c) => {
    const d = distance(item, m);
    if (d < best) {
      best = d;
      cluster = c;
    }
  });
  return { cluster, distance: best };
}
