/**
 * Placement mode of the simulator's Timely mode (`"engine": {"kind": "simulator", "mode": "timely", "parallelism":
 * "placement"}`), the model of the real engine's `parallelism: "placement"` (src/engines/timely, jobs/timely):
 *
 *   - W workers: the largest p_v, or the `workers` key when set (then every p_v is clipped to W, as the real engine
 *     clips it);
 *   - operator v is confined by its exchange to p_v of them: workers base_v .. base_v + p_v - 1 (mod W), the bases
 *     staggered in the real engine's staging order (jobs/timely placement_of: base = next mod W, next += p_v; an
 *     operator on all W workers starts at 0);
 *   - every worker's time is shared by the operators that run on it (processor sharing): worker w sustains its
 *     load iff  sum over v on w of  d_v s_v(rank of w) (1 + kappa (p_v - 1)) / mu_v  <=  1
 *     with d_v the operator's demanded rate, mu_v = 1e6 / cost_v its one-worker rate, s_v(r) its input share on
 *     rank r (rank 0 takes the hottest key's share, hotShare in physics.ts; the other ranks split the rest), and
 *     kappa the coordination overhead of an operator's p_v instances. With every p_v = W this is the shared-worker
 *     Timely mode's condition (sum_v d_v / mu_v <= W / (1 + kappa (W - 1))); an operator alone on its workers has
 *     the capacity it has there (p_v mu_v / (1 + kappa (p_v - 1)), capped by the hot key).
 *
 * With a Timely profile (timely-physics.ts) the per-record time is the profile's instead: operator v on k of W
 * workers takes us_v(k, r) / (1e6 speed(W)) seconds of a worker per record (timelyUs with k: its growth with the
 * rate per worker it runs on, its exchange to k workers; speed(W) the cores' share of a worker; no kappa), and a
 * worker has 1 - n f(W) / 1000 of each second for records (every operator of the job exists on every worker, so
 * each pays the progress overhead f(W) there, as in the shared-W mode). The rate r is the offered total rate.
 *
 * Without a profile it uses kappa and the workload's skew only, like the shared-worker Timely mode. The ground truth's oracle is the
 * smallest sum of p_v that sustains the rate (ties: fewer workers), found by an exact branch-and-bound over the
 * staging order per W (the bases of later operators depend on the earlier p_v, so the constraint is not separable).
 * It takes milliseconds on the Nexmark templates and seconds on synthetic jobs of up to 12 operators at 7 x W_u;
 * it is exponential in the operators, so a search is bounded (SEARCH_NODES) and says when it ran out (searchOf).
 */
import type { JobGraph, OperatorSpec } from '../../core/job.js';
import type { Parallelism } from '../../core/parallelism.js';
import type { GroundTruth } from '../engine.js';
import { instanceRate } from './model.js';
import { efficiency, hotShare, type PhysicsTerms } from './physics.js';
import { timelyBudget, timelyUs, workerSpeed, type TimelyTerms } from './timely-physics.js';

/** The physics placement mode reads. */
export type PlacementTerms = Pick<PhysicsTerms, 'coordinationOverhead' | 'keySkew' | 'measuredSkew'>;

/**
 * Operator ids in the order jobs/timely stages them (its plan order), which decides the bases. Its Nexmark plans
 * list the operators as the templates declare them (q3 and q8: persons before auctions); its synthetic job orders a
 * spec (operators in topological order) by Kahn's algorithm, first-in first-out, edges in spec order.
 */
export function stagingOrder(job: JobGraph): string[] {
  const plan = NEXMARK_PLAN_ORDER[job.name];
  if (plan && plan.length === job.size && plan.every((id) => job.has(id))) return [...plan];
  const spec = job.toSpec();
  const indeg = new Map(spec.operators.map((o) => [o.id, 0]));
  for (const e of spec.edges) indeg.set(e.to, (indeg.get(e.to) ?? 0) + 1);
  // jobs/timely: `ready` is a stack popped from its end, new entries inserted at its front (a queue).
  const ready = spec.operators.filter((o) => indeg.get(o.id) === 0).map((o) => o.id);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift() as string;
    order.push(id);
    for (const e of spec.edges.filter((x) => x.from === id)) {
      const d = (indeg.get(e.to) ?? 0) - 1;
      indeg.set(e.to, d);
      if (d === 0) ready.push(e.to);
    }
  }
  return order;
}

/** jobs/timely/src/plan.rs's node order where it differs from the harness's topological order. */
const NEXMARK_PLAN_ORDER: Readonly<Record<string, readonly string[]>> = {
  'nexmark-q3': ['source', 'persons', 'auctions', 'join', 'sink'],
  'nexmark-q8': ['source', 'persons', 'auctions', 'join', 'sink'],
};

/** The worker count a configuration runs on: `workers` when set, else the largest p_v. */
export function placementWorkers(p: Parallelism, workers?: number): number {
  return workers ?? Math.max(1, ...Object.values(p));
}

/** What runs when `workers` is set: every p_v clipped to W (the real engine's layout). */
export function clipToWorkers(job: JobGraph, p: Parallelism, workers?: number): Parallelism {
  if (workers === undefined) return p;
  return Object.fromEntries(job.operatorIds.map((id) => [id, Math.min(workers, p[id] ?? 1)]));
}

/** Where an operator runs: workers base .. base + k - 1 (mod W). */
export interface Slot {
  readonly base: number;
  readonly k: number;
}

/** Each operator's slot at a configuration (jobs/timely placement_of). */
export function slots(job: JobGraph, p: Parallelism, workers?: number): { workers: number; slots: Record<string, Slot> } {
  const w = placementWorkers(p, workers);
  const out: Record<string, Slot> = {};
  let next = 0;
  for (const id of stagingOrder(job)) {
    const k = Math.min(w, Math.max(1, p[id] ?? 1));
    out[id] = { base: k === w ? 0 : next % w, k };
    next += k;
  }
  return { workers: w, slots: out };
}

/** Share of the operator's input on each of its k ranks: rank 0 the hottest instance's, the others the rest evenly. */
export function rankShares(job: JobGraph, op: OperatorSpec, k: number, terms: PlacementTerms): Float64Array {
  const h = hotShare(job, op, k, terms);
  const s = new Float64Array(k).fill(k > 1 ? (1 - h) / (k - 1) : 1);
  s[0] = h;
  return s;
}

/** Seconds of one worker per record of the operator on p of them: 1 / mu_v, stretched by the coordination overhead. */
export function secondsPerRecord(op: OperatorSpec, p: number, terms: PlacementTerms): number {
  return 1 / (instanceRate(op) * efficiency(p, terms.coordinationOverhead));
}

/** The Timely profile's terms of a placed job: W workers, the job's total rate (its costs grow with it). */
export interface PlacedTimely {
  terms: TimelyTerms;
  rate: number;
}

/** With a Timely profile: seconds of one of W workers per record of the operator on k of them (header). */
export function timelySecondsPerRecord(job: JobGraph, op: OperatorSpec, k: number, w: number, t: PlacedTimely): number {
  return timelyUs(job, op.id, op.cost, k, t.rate, t.terms) / (1e6 * workerSpeed(t.terms, w));
}

/** Share of each worker's second left to records: 1, or with a Timely profile 1 - n f(W) / 1000. */
export function workerCapacity(job: JobGraph, w: number, t: PlacedTimely | null): number {
  return t ? timelyBudget(t.terms, w, job.size) / w : 1;
}

/**
 * One configuration's placement, precomputed, in the job's operator order: each operator's workers and its share
 * of its input on each, and the worker loads of a vector of per-operator work.
 */
export class PlacedJob {
  readonly workers: number;
  /** Per operator (job order): the workers it runs on, rank order. */
  readonly on: Int32Array[];
  /** Per operator: its input share on each of those workers. */
  readonly shares: Float64Array[];
  /** Per operator: seconds of one worker per record (1 / mu_v). */
  readonly secPerRecord: Float64Array;
  /** Share of each worker's second left to records (workerCapacity). */
  readonly capacity: number;

  constructor(job: JobGraph, p: Parallelism, terms: PlacementTerms, workers?: number, timely: PlacedTimely | null = null) {
    const placed = slots(job, p, workers);
    this.workers = placed.workers;
    this.capacity = workerCapacity(job, placed.workers, timely);
    const ops = job.operators();
    this.on = ops.map((op) => {
      const s = placed.slots[op.id] as Slot;
      return Int32Array.from({ length: s.k }, (_, r) => (s.base + r) % placed.workers);
    });
    this.shares = ops.map((op) => rankShares(job, op, (placed.slots[op.id] as Slot).k, terms));
    this.secPerRecord = Float64Array.from(ops, (op) => {
      const k = (placed.slots[op.id] as Slot).k;
      return timely ? timelySecondsPerRecord(job, op, k, placed.workers, timely) : secondsPerRecord(op, k, terms);
    });
  }

  /** Worker seconds each worker needs for `records[i]` records of operator i (per second, or per step). */
  loads(records: ArrayLike<number>, out: Float64Array = new Float64Array(this.workers)): Float64Array {
    out.fill(0);
    for (let i = 0; i < this.on.length; i++) {
      const work = (records[i] as number) * (this.secPerRecord[i] as number);
      if (work === 0) continue;
      const on = this.on[i] as Int32Array;
      const s = this.shares[i] as Float64Array;
      for (let r = 0; r < on.length; r++) out[on[r] as number] = (out[on[r] as number] as number) + work * (s[r] as number);
    }
    return out;
  }

  /**
   * Processor sharing for one step of dt seconds: each worker's operators get their claims scaled to its dt seconds;
   * an operator processes its claim scaled by its most loaded worker (its slowest instance holds its input back).
   */
  share(claims: Float64Array, dt: number, loads: Float64Array): void {
    this.loads(claims, loads);
    const cap = dt * this.capacity;
    for (let w = 0; w < loads.length; w++) loads[w] = (loads[w] as number) > cap ? cap / (loads[w] as number) : 1;
    for (let i = 0; i < this.on.length; i++) {
      const on = this.on[i] as Int32Array;
      let scale = 1;
      for (let r = 0; r < on.length; r++) scale = Math.min(scale, loads[on[r] as number] as number);
      claims[i] = (claims[i] as number) * scale;
    }
  }
}

const TOLERANCE = 1 + 1e-9;
/** Nodes per worker count of the oracle's first, bounded pass (it only finds an incumbent; the second is exact). */
const INCUMBENT_NODES = 20_000;
/**
 * Nodes the oracle's search may visit per rate (about a minute here). Within it the answer is the minimum; a search
 * that runs out (large synthetic jobs at the top rates) returns the best found, and searchOf() says so.
 */
export const SEARCH_NODES = 50_000_000;

/** Ground truth in placement mode: capacities, worker-level bottlenecks, and the exact oracle. */
export class PlacementTruth implements GroundTruth {
  private readonly load: Record<string, number>;
  private readonly ops: OperatorSpec[];
  private readonly cache = new Map<number, { parallelism: Parallelism; feasible: boolean }>();
  private readonly searches = new Map<number, { exact: boolean; nodes: number }>();
  constructor(
    private readonly job: JobGraph,
    private readonly terms: PlacementTerms,
    private readonly workers?: number,
    /** A Timely profile's terms (the job's costs already the profile's, withTimelyCosts), or null. */
    private readonly timely: TimelyTerms | null = null,
  ) {
    this.load = job.loadFactors();
    this.ops = job.operators();
  }

  demandedRates(rate: number): Record<string, number> {
    return Object.fromEntries(this.job.operatorIds.map((id) => [id, rate * (this.load[id] ?? 0)]));
  }

  /** Each operator's capacity alone on its workers (no other operator's load): eff(p_v) mu_v / (hottest share). */
  /** With a Timely profile: its costs at zero rate (without their growth with the rate). */
  capacities(parallelism: Parallelism): Record<string, number> {
    const p = clipToWorkers(this.job, parallelism, this.workers);
    const placed = new PlacedJob(this.job, p, this.terms, this.workers, this.at(0));
    return Object.fromEntries(this.ops.map((op, i) => [op.id, placed.capacity / ((placed.secPerRecord[i] as number) * ((placed.shares[i] as Float64Array)[0] as number))]));
  }

  private at(rate: number): PlacedTimely | null {
    return this.timely ? { terms: this.timely, rate } : null;
  }

  /** An operator with demand is a bottleneck when a worker it runs on cannot do its operators' work. */
  bottlenecks(parallelism: Parallelism, rate: number): Record<string, boolean> {
    const p = clipToWorkers(this.job, parallelism, this.workers);
    const placed = new PlacedJob(this.job, p, this.terms, this.workers, this.at(rate));
    const demand = this.ops.map((op) => rate * (this.load[op.id] ?? 0));
    const loads = placed.loads(demand);
    return Object.fromEntries(this.ops.map((op, i) => [op.id, (demand[i] as number) > 0 && [...(placed.on[i] as Int32Array)].some((w) => (loads[w] as number) > placed.capacity * TOLERANCE)]));
  }

  /** The smallest sum of p_v that sustains the rate (ties: fewer workers, then the first in staging order). */
  oracle(rate: number): { parallelism: Parallelism; feasible: boolean } {
    const hit = this.cache.get(rate);
    if (hit) return hit;
    const answer = this.search(rate);
    this.cache.set(rate, answer);
    return answer;
  }

  /** How the oracle's answer at a rate was found: exact (the search finished within SEARCH_NODES) and its nodes. */
  searchOf(rate: number): { exact: boolean; nodes: number } | undefined {
    return this.searches.get(rate);
  }

  private search(rate: number): { parallelism: Parallelism; feasible: boolean } {
    const order = stagingOrder(this.job);
    const ops = order.map((id) => this.job.operator(id));
    const n = ops.length;
    // Worker seconds per second of each operator on k of W workers: on one, times 1 + kappa (k - 1); with a
    // Timely profile its per-record time on k of W.
    const demand = ops.map((op) => rate * (this.load[op.id] ?? 0));
    const work = ops.map((op, j) => (demand[j] as number) / instanceRate(op));
    const stretch = (k: number): number => 1 / efficiency(k, this.terms.coordinationOverhead);
    const timely = this.at(rate);
    const workOn = (j: number, k: number, W: number): number => (timely ? (demand[j] as number) * timelySecondsPerRecord(this.job, ops[j] as OperatorSpec, k, W, timely) : (work[j] as number) * stretch(k));
    const maxP = ops.map((op) => op.maxParallelism);
    const fixed = this.workers;
    const needW = fixed === undefined;
    const top = fixed ?? Math.max(...maxP);
    let best = Infinity;
    let bestP: number[] | undefined;

    let spent = 0;
    let exact = true;
    const budgetLeft = (): number => Math.max(0, SEARCH_NODES - spent);
    /** Branch and bound on W workers; exact, or with at most `cap` nodes (an incumbent for the exact pass). */
    const onWorkers = (W: number, cap = Infinity): void => {
      const limit = Math.min(cap, budgetLeft());
      const kMax = maxP.map((m) => Math.min(m, W));
      // The work on each k, and each worker's share of a second for records.
      const wk = ops.map((_, j) => Array.from({ length: (kMax[j] as number) + 1 }, (_, k) => (k > 0 ? workOn(j, k, W) : Infinity)));
      const room0 = workerCapacity(this.job, W, timely);
      const total = wk.reduce((a, row) => a + Math.min(...row), 0);
      if (total > W * room0 * TOLERANCE) return;
      const shares = ops.map((op, j) => Array.from({ length: (kMax[j] as number) + 1 }, (_, k) => (k > 0 ? rankShares(this.job, op, k, this.terms) : new Float64Array(0))));
      // An operator on all W workers lays at least its smallest piece on every worker (needW: one always is).
      const layer = ops.map((_, c) => ((kMax[c] as number) === W ? ((wk[c] as number[])[W] as number) * Math.min(...((shares[c] as Float64Array[])[W] as Float64Array)) : Infinity));
      // The fewest ranks at which the operator's hottest instance fits beside another operator's layer (or on all W).
      const lo = ops.map((_, j) => {
        let u = Infinity;
        if (needW) for (let c = 0; c < n; c++) if (c !== j) u = Math.min(u, layer[c] as number);
        const room = Number.isFinite(u) ? room0 - u : room0;
        for (let k = 1; k <= (kMax[j] as number); k++) if (((wk[j] as number[])[k] as number) * ((shares[j] as Float64Array[])[k] as Float64Array)[0]! <= room * TOLERANCE) return k;
        return (kMax[j] as number) === W && needW ? W : 0;
      });
      if (lo.some((k) => k === 0)) return;
      // Suffix bounds: the sum of the later operators' fewest ranks, and the least extra to put one of them on all W.
      const restLo = new Float64Array(n + 1);
      const extraW = new Float64Array(n + 1).fill(Infinity);
      for (let j = n - 1; j >= 0; j--) {
        restLo[j] = (restLo[j + 1] as number) + (lo[j] as number);
        extraW[j] = Math.min(extraW[j + 1] as number, (kMax[j] as number) === W ? W - (lo[j] as number) : Infinity);
      }
      if (needW && extraW[0] === Infinity) return;
      const loads = new Float64Array(W);
      const p = new Array<number>(n).fill(0);
      let nodes = 0;
      const dfs = (j: number, next: number, sum: number, hasW: boolean): void => {
        if (++nodes > limit) return;
        if (j === n) {
          if (sum < best) {
            best = sum;
            bestP = [...p];
          }
          return;
        }
        for (let k = lo[j] as number; k <= (kMax[j] as number); k++) {
          const onW = hasW || k === W || !needW;
          const bound = sum + k + (restLo[j + 1] as number) + (onW ? 0 : (extraW[j + 1] as number));
          if (bound >= best) {
            if (onW) break; // a larger k only raises the bound
            continue;
          }
          const base = k === W ? 0 : next % W;
          const s = (shares[j] as Float64Array[])[k] as Float64Array;
          const wj = (wk[j] as number[])[k] as number;
          let fits = true;
          let r = 0;
          for (; r < k; r++) {
            const w = (base + r) % W;
            loads[w] = (loads[w] as number) + wj * (s[r] as number);
            if ((loads[w] as number) > room0 * TOLERANCE) {
              r++;
              fits = false;
              break;
            }
          }
          if (fits) {
            p[j] = k;
            dfs(j + 1, next + k, sum + k, hasW || k === W);
          }
          for (let q = 0; q < r; q++) {
            const w = (base + q) % W;
            loads[w] = (loads[w] as number) - wj * (s[q] as number);
          }
          if (nodes > limit) return;
        }
      };
      dfs(0, 0, 0, false);
      spent += Math.min(nodes, limit);
      if (nodes > limit && cap === Infinity) exact = false;
    };

    // An incumbent (a bounded search on every worker count), so that the exact pass prunes the worker counts too
    // small to sustain the rate instead of exhausting them.
    if (needW) for (let W = 1; W <= top && W + n - 1 < best; W++) onWorkers(W, INCUMBENT_NODES);
    else onWorkers(top, INCUMBENT_NODES);
    // Exact: every configuration on W workers has one operator at W (unless W is fixed) and every other at >= 1.
    for (let W = fixed ?? 1; W <= top; W++) {
      if (needW && W + n - 1 >= best) break;
      onWorkers(W);
    }
    this.searches.set(rate, { exact, nodes: spent });
    if (!bestP) {
      const all = top;
      return { parallelism: Object.fromEntries(this.job.operators().map((op) => [op.id, Math.min(op.maxParallelism, all)])), feasible: false };
    }
    const chosen = bestP;
    const byId = new Map(order.map((id, j) => [id, chosen[j] as number]));
    return { parallelism: Object.fromEntries(this.job.operatorIds.map((id) => [id, byId.get(id) as number])), feasible: true };
  }
}
