/**
 * The simulator's physics, with no state: per-operator capacity curves, hot-key caps, demanded rates, the
 * oracle. Shared by the time-stepped engine and by the ground truth it exposes.
 *
 * Capacity of operator v at parallelism p (records/s of input):
 *   per-instance rate  mu_i(p) = mu / (1 + kappa (p - 1))      (coordination overhead: concave in p)
 *   hottest instance share  h(p) = s + (1 - s) / p for hash inputs with hot-key share s, else 1 / p
 *   capacity  C(p) = mu_i(p) / h(p)                             (= p mu_i(p) without skew; <= mu / s with it)
 * Timely mode: all operators share W workers; the job sustains rate r iff sum_v r L_v / mu_v <= W / (1 + kappa (W - 1))
 * and every operator's own capacity on min(W, its max parallelism) workers covers its demand (a global aggregate
 * with max parallelism 1 is confined to one worker).
 */
import type { JobGraph, OperatorSpec } from '../../core/job.js';
import { workersParallelism, type Parallelism } from '../../core/parallelism.js';
import type { GroundTruth } from '../engine.js';

export interface ModelOptions {
  /** kappa: coordination overhead per extra instance (0 = linear scaling). */
  coordinationOverhead: number;
  /** 'flink': per-operator parallelism; 'timely': every operator runs on all W workers. */
  mode: 'flink' | 'timely';
}

/** Records/s one instance processes when alone (cost 0 means effectively free). */
export function instanceRate(op: OperatorSpec): number {
  return op.cost > 0 ? 1e6 / op.cost : 1e12;
}

export function efficiency(p: number, kappa: number): number {
  return 1 / (1 + kappa * (p - 1));
}

/** Share of v's input that its busiest instance receives. */
export function hotShare(job: JobGraph, op: OperatorSpec, p: number): number {
  const hashed = job.inEdges(op.id).some((e) => e.ship === 'hash');
  const broadcast = job.inEdges(op.id).some((e) => e.ship === 'broadcast');
  if (broadcast) return 1;
  if (hashed && op.keySkew > 0) return Math.max(1 / p, op.keySkew + (1 - op.keySkew) / p);
  return 1 / p;
}

export function capacity(job: JobGraph, op: OperatorSpec, p: number, kappa: number): number {
  return (instanceRate(op) * efficiency(p, kappa)) / hotShare(job, op, p);
}

export class ModelTruth implements GroundTruth {
  private readonly load: Record<string, number>;
  constructor(
    private readonly job: JobGraph,
    private readonly options: ModelOptions,
  ) {
    this.load = job.loadFactors();
  }

  demandedRates(rate: number): Record<string, number> {
    return Object.fromEntries(this.job.operatorIds.map((id) => [id, rate * (this.load[id] ?? 0)]));
  }

  capacities(parallelism: Parallelism): Record<string, number> {
    const k = this.options.coordinationOverhead;
    return Object.fromEntries(this.job.operators().map((op) => [op.id, capacity(this.job, op, parallelism[op.id] ?? 1, k)]));
  }

  /** Worker-seconds per second the job needs at `rate` (Timely mode). */
  private work(rate: number): number {
    return this.job.operators().reduce((s, op) => s + (rate * (this.load[op.id] ?? 0)) / instanceRate(op), 0);
  }

  bottlenecks(parallelism: Parallelism, rate: number): Record<string, boolean> {
    const demand = this.demandedRates(rate);
    const cap = this.capacities(parallelism);
    if (this.options.mode === 'timely') {
      const w = Math.max(...Object.values(parallelism));
      const short = this.work(rate) > w * efficiency(w, this.options.coordinationOverhead) * (1 + 1e-9);
      return Object.fromEntries(this.job.operatorIds.map((id) => [id, (short && (demand[id] ?? 0) > 0) || (demand[id] ?? 0) > (cap[id] ?? 0) * (1 + 1e-9)]));
    }
    return Object.fromEntries(this.job.operatorIds.map((id) => [id, (demand[id] ?? 0) > (cap[id] ?? 0) * (1 + 1e-9)]));
  }

  oracle(rate: number): { parallelism: Parallelism; feasible: boolean } {
    const k = this.options.coordinationOverhead;
    if (this.options.mode === 'timely') {
      // Every operator runs on min(W, its max parallelism) of the W shared workers.
      const maxW = Math.max(...this.job.operators().map((o) => o.maxParallelism));
      const at = (w: number): Parallelism => workersParallelism(this.job, w);
      const holds = (w: number): boolean => !Object.values(this.bottlenecks(at(w), rate)).some(Boolean);
      let w = 1;
      while (w < maxW && !holds(w)) w++;
      return { parallelism: at(w), feasible: holds(w) };
    }
    let feasible = true;
    const p: Record<string, number> = {};
    for (const op of this.job.operators()) {
      const demand = rate * (this.load[op.id] ?? 0);
      // Capacity is increasing in p (kappa < 1), so the first p that covers the demand is the minimum.
      let n = 1;
      while (n < op.maxParallelism && capacity(this.job, op, n, k) * (1 + 1e-9) < demand) n++;
      if (capacity(this.job, op, n, k) * (1 + 1e-9) < demand) feasible = false;
      p[op.id] = n;
    }
    return { parallelism: p, feasible };
  }
}
