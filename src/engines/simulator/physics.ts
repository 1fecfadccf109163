/**
 * The simulator's physics terms: named, each with a documented default, measured on real Flink by src/calibration
 * and stored as machine profiles (datasets/calibration/<profile>.json, profile.ts). The built-in profile
 * `linear` is the model before issue 13 (capacity linear in p up to kappa = 0.01, no other term), so old results
 * reproduce with `"engine": {"kind": "simulator", "profile": "linear"}`.
 *
 * Per operator v at parallelism p (one instance; all times in seconds per input record):
 *   exchange  x_v = receive[ship of its inputs] + sum over out-edges e of (records sent on e per input record)
 *                   (base[ship] + perChannel[ship] (ch_e - 1))
 *             ch_e = channels of one sender: p_down for hash/rebalance/broadcast; forward (Flink's pointwise
 *             `rescale`) ceil(p_down / p_v)
 *   cpu       c_v = (cost_v (1 - w) + x_v) 1e-6          w = waitFraction for synthetic jobs (parked, off-CPU), 0 else
 *   wall      tau_v(sigma) = cost_v w 1e-6 / eff(p) + c_v (1/eff(p) - 1) + sigma c_v    eff(p) = 1 / (1 + kappa (p - 1))
 *             (the coordination stretch is waiting, not CPU; at sigma = 1, tau = (cost_v 1e-6 + x_v 1e-6) / eff(p))
 *   capacity  C_v(p, sigma) = (1 - f / 1000) / tau_v(sigma) / h_v(p)   f = subtaskOverheadMs, h = hottest instance share
 * Busy time per subtask = f + 1000 x_inst tau_v(sigma) ms/s. sigma >= 1 is the CPU stretch of processor sharing:
 * with a finite machine of `cores` (minus `backgroundCores` for the JVM, JobManager, harness), all subtasks share
 * it, and sigma is the smallest value at which the CPU they use fits:
 *   sum_v min(work_v, C_v(sigma)) c_v + f/1000 sum_v p_v  <=  cores - backgroundCores
 * so adding instances to a saturated machine stops helping (it only adds overhead). With cores = null the machine
 * is unbounded and sigma = 1. With cpuQueueing, below saturation sigma is also at least 1 / (1 - u^cores) at
 * utilisation u of the cores (threads woken at random find them busy: the M/M/c approximation).
 */
import type { JobGraph, OperatorSpec } from '../../core/job.js';
import { PARTITIONINGS, type Partitioning } from '../../core/operators.js';
import type { Parallelism } from '../../core/parallelism.js';

export interface ExchangeCost {
  /** Microseconds of the sender's CPU per record sent on an edge of this ship strategy. */
  baseUs: number;
  /** Extra microseconds per record for each channel beyond the first (output buffers, flushes, broadcast copies). */
  perChannelUs: number;
  /** Microseconds of the receiver's CPU per record received on an edge of this ship strategy (deserialisation). */
  receiveUs: number;
}

export interface PhysicsTerms {
  /** kappa: coordination overhead per extra instance; wall time per record x (1 + kappa (p - 1)). */
  coordinationOverhead: number;
  /** f: busy ms per second of every subtask at zero load (timers, watermarks, checkpoints, metrics); CPU too. */
  subtaskOverheadMs: number;
  /** Per-record exchange cost by ship strategy, paid by the sender, growing with its channels. */
  exchange: Record<Partitioning, ExchangeCost>;
  /** Cores shared by all subtasks (processor sharing); null = unbounded (no contention). */
  cores: number | null;
  /** Cores taken by everything but the subtasks (JobManager, GC, REST, the harness); only with finite cores. */
  backgroundCores: number;
  /** Share of a synthetic job's per-record cost spent parked off-CPU (jobs/flink --wait-fraction); Nexmark: 0. */
  waitFraction: number;
  /**
   * Queueing for the cores below saturation (finite cores only): threads woken at random find the cores busy, so
   * CPU time stretches by 1 / (1 - u^cores) at utilisation u of the cores (the M/M/c approximation), besides the
   * fluid stretch at saturation.
   */
  cpuQueueing: boolean;
  /** Apply the workload's persistent key skew (OperatorSpec.keySkew) to hash-partitioned inputs. */
  keySkew: boolean;
  /** Measured persistent hot-key share per "<job name>/<operator id>" (e.g. a Nexmark keyed operator). */
  measuredSkew: Record<string, number>;
}

/** The names of the terms, in the order profiles list them. */
export const PHYSICS_TERMS = ['coordinationOverhead', 'subtaskOverheadMs', 'exchange', 'cores', 'backgroundCores', 'cpuQueueing', 'waitFraction', 'keySkew', 'measuredSkew'] as const;

const zeroExchange = (): Record<Partitioning, ExchangeCost> => Object.fromEntries(PARTITIONINGS.map((s) => [s, { baseUs: 0, perChannelUs: 0, receiveUs: 0 }])) as Record<Partitioning, ExchangeCost>;

/** The model before issue 13: linear capacity up to kappa, an unbounded machine, the workloads' own skew. */
export const LINEAR: Readonly<PhysicsTerms> = Object.freeze({
  coordinationOverhead: 0.01,
  subtaskOverheadMs: 0,
  exchange: zeroExchange(),
  cores: null,
  backgroundCores: 0,
  cpuQueueing: false,
  waitFraction: 0,
  keySkew: true,
  measuredSkew: {},
});

/** One-line docs of each term (config schema, profile errors). */
export const PHYSICS_DOCS: Record<(typeof PHYSICS_TERMS)[number], string> = {
  coordinationOverhead: 'kappa: wall time per record x (1 + kappa (p - 1)) (linear: 0.01)',
  subtaskOverheadMs: 'busy ms/s of every subtask at zero load, also CPU (linear: 0)',
  exchange: 'per ship strategy {baseUs, perChannelUs, receiveUs}: sender CPU per record sent, + perChannelUs per channel beyond the first; receiver CPU per record received (linear: 0)',
  cores: 'cores shared by all subtasks (processor sharing); null = unbounded (linear: null)',
  backgroundCores: 'cores used outside the subtasks (JobManager, GC, harness) when cores is finite (linear: 0)',
  cpuQueueing: 'finite cores: CPU time also stretches by 1 / (1 - u^cores) at utilisation u below saturation (linear: false)',
  waitFraction: "share of a synthetic job's cost parked off-CPU, as jobs/flink --wait-fraction (linear: 0; irrelevant with unbounded cores)",
  keySkew: "apply the workload's persistent hot-key share to hash inputs (linear: true)",
  measuredSkew: 'measured hot-key share per "<job name>/<operator id>" (linear: {})',
};

/** Synthetic jobs park part of their cost (jobs/flink); Nexmark templates (job name nexmark-*) do real CPU work. */
export function isSynthetic(job: JobGraph): boolean {
  return !job.name.startsWith('nexmark-');
}

export function efficiency(p: number, kappa: number): number {
  return 1 / (1 + kappa * (p - 1));
}

/** Channels one sender instance of an edge writes to. */
export function channels(ship: Partitioning, pUp: number, pDown: number): number {
  return ship === 'forward' ? Math.max(1, Math.ceil(pDown / Math.max(1, pUp))) : Math.max(1, pDown);
}

/**
 * Microseconds of exchange CPU per input record of `op` at configuration `p`: sending on all its out-edges, plus
 * receiving (the mean of its in-edges' receive cost; a source receives nothing).
 */
export function exchangeUs(job: JobGraph, op: OperatorSpec, p: Parallelism, t: PhysicsTerms): number {
  let us = 0;
  const ins = job.inEdges(op.id);
  for (const e of ins) us += t.exchange[e.ship].receiveUs / ins.length;
  const pv = p[op.id] ?? 1;
  for (const d of job.downstream(op.id)) {
    const e = job.edge(op.id, d);
    const x = t.exchange[e.ship];
    if (x.baseUs === 0 && x.perChannelUs === 0) continue;
    us += op.selectivity * e.share * (x.baseUs + x.perChannelUs * (channels(e.ship, pv, p[d] ?? 1) - 1));
  }
  return us;
}

/** Hottest instance's share of the input. */
export function hotShare(job: JobGraph, op: OperatorSpec, p: number, t: Pick<PhysicsTerms, 'keySkew' | 'measuredSkew'> = LINEAR): number {
  const ins = job.inEdges(op.id);
  if (ins.some((e) => e.ship === 'broadcast')) return 1;
  const hashed = ins.some((e) => e.ship === 'hash');
  const s = Math.max(t.keySkew ? op.keySkew : 0, t.measuredSkew[`${job.name}/${op.id}`] ?? 0);
  if (hashed && s > 0) return Math.max(1 / p, s + (1 - s) / p);
  return 1 / p;
}

/** Per-instance timing of one operator at a configuration: the inputs of every capacity and busy formula. */
export interface OperatorTiming {
  /** Seconds per record off-CPU (parked waiting, coordination stretch). */
  wait: number;
  /** CPU seconds per record (own work and exchange), stretched by sigma under contention. */
  cpu: number;
  /** Fraction of each second an instance can process: 1 - f / 1000. */
  available: number;
  /** Hottest instance's share of the input. */
  hot: number;
  p: number;
  /** Records/s while busy at sigma = 1: eff(p) 1e6 / (cost + exchange) (1e12 when free). */
  rate: number;
}

export function timing(job: JobGraph, op: OperatorSpec, p: Parallelism, t: PhysicsTerms): OperatorTiming {
  const pv = p[op.id] ?? 1;
  const w = isSynthetic(job) ? t.waitFraction : 0;
  const xUs = exchangeUs(job, op, p, t);
  const cpuUs = op.cost * (1 - w) + xUs;
  const waitUs = op.cost * w;
  const eff = efficiency(pv, t.coordinationOverhead);
  const stretch = 1 / eff;
  const us = op.cost + xUs;
  // Coordination overhead stretches wall time; the stretch is waiting, not CPU.
  return {
    wait: (waitUs * stretch + cpuUs * (stretch - 1)) * 1e-6,
    cpu: cpuUs * 1e-6,
    available: 1 - t.subtaskOverheadMs / 1000,
    hot: hotShare(job, op, pv, t),
    p: pv,
    rate: us > 0 ? (1e6 / us) * eff : 1e12,
  };
}

/** Records/s one instance processes while busy, at CPU stretch sigma (cost 0: effectively free). */
export function processingRate(x: OperatorTiming, sigma = 1): number {
  if (sigma === 1) return x.rate;
  const tau = x.wait + sigma * x.cpu;
  return tau > 0 ? 1 / tau : 1e12;
}

/** Capacity of the operator (records/s of input) at CPU stretch sigma. */
export function operatorCapacity(x: OperatorTiming, sigma = 1): number {
  return (x.available * processingRate(x, sigma)) / x.hot;
}

/** Cores left to the subtasks' records: cores - background - every subtask's fixed overhead (Infinity: unbounded). */
export function cpuBudget(t: PhysicsTerms, p: Parallelism): number {
  if (t.cores === null) return Infinity;
  const subtasks = Object.values(p).reduce((a, b) => a + b, 0);
  return t.cores - t.backgroundCores - (t.subtaskOverheadMs / 1000) * subtasks;
}

/** Queueing stretch of CPU time at utilisation u of `cores` cores (M/M/c approximation; u capped at 0.99). */
export function queueingStretch(u: number, cores: number): number {
  const x = Math.min(Math.max(u, 0), 0.99);
  return 1 / (1 - x ** cores);
}

/** Utilisation of the cores: the records' CPU plus everything the budget already took off (background, overhead). */
export function utilisation(t: PhysicsTerms, recordsCpu: number, budget: number): number {
  return t.cores === null ? 0 : (recordsCpu + (t.cores - budget)) / t.cores;
}

/**
 * Processor sharing: the smallest sigma >= 1 at which the CPU the operators use, each processing min(work,
 * capacity at sigma) records/s, fits the budget. `work[i]` in records/s (or records per step, with `scale` = dt:
 * capacity is multiplied by it). Returns 1 when it fits unstretched; bisection otherwise.
 */
export function cpuStretch(timings: readonly OperatorTiming[], work: ArrayLike<number>, budget: number, scale = 1): number {
  if (budget === Infinity) return 1;
  const used = (sigma: number): number => {
    let u = 0;
    for (let i = 0; i < timings.length; i++) {
      const x = timings[i] as OperatorTiming;
      if (x.cpu === 0) continue;
      const c = operatorCapacity(x, sigma) * scale;
      const w = work[i] as number;
      u += (w < c ? w : c) * x.cpu;
    }
    return u;
  };
  const b = Math.max(budget, 1e-6) * scale;
  if (used(1) <= b) return 1;
  let hi = 2;
  while (used(hi) > b && hi < 1e9) hi *= 2;
  let lo = hi / 2 < 1 ? 1 : hi / 2;
  for (let k = 0; k < 40 && hi - lo > 1e-6 * lo; k++) {
    const mid = (lo + hi) / 2;
    if (used(mid) > b) lo = mid;
    else hi = mid;
  }
  return hi;
}
