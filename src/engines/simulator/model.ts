/**
 * The simulator's physics, with no state: per-operator capacity curves, hot-key caps, demanded rates, the
 * oracle. Shared by the time-stepped engine and by the ground truth it exposes. The terms and their formulas are
 * in physics.ts; in short, for operator v at parallelism p:
 *   capacity  C_v(p, sigma) = (1 - f/1000) / (wait_v + sigma cpu_v) / h_v(p)      (h: hottest instance's share)
 * with wall time per record stretched by the coordination overhead (1 + kappa (p - 1)), cpu_v including the
 * exchange cost of its out-edges (growing with channels), and sigma >= 1 the CPU stretch when all subtasks share
 * a finite machine (processor sharing). The built-in `linear` profile (kappa 0.01, nothing else) is the
 * uncalibrated: C(p) = p mu / (1 + kappa (p - 1)), capped by mu / s with a hot key of share s.
 * Timely mode: all operators share W workers; the job sustains rate r iff sum_v r L_v (cost_v + x_v) <= W / (1 + kappa (W - 1))
 * and every operator's own capacity on min(W, its max parallelism) workers covers its demand (a global aggregate
 * with max parallelism 1 is confined to one worker); x_v is timely's exchange cost per record at that rate
 * (physics.ts timelyExchangeUs: per record and per container). Timely mode uses kappa, the skew and timelyExchange.
 */
import type { JobGraph, OperatorSpec } from '../../core/job.js';
import { workersParallelism, type Parallelism } from '../../core/parallelism.js';
import type { GroundTruth, OracleAnswer } from '../engine.js';
import { cpuBudget, cpuStretch, efficiency, hotShare, LINEAR, operatorCapacity, operatorCpu, queueingStretch, timelyExchangeUs, timing, utilisation, type OperatorTiming, type PhysicsTerms } from './physics.js';
import { timelyBudget, timelyUs, workerSpeed, type TimelyTerms } from './timely-physics.js';

export { efficiency, hotShare } from './physics.js';

export interface ModelOptions extends PhysicsTerms {
  /** 'flink': per-operator parallelism; 'timely': every operator runs on all W workers. */
  mode: 'flink' | 'timely';
  /**
   * Timely mode: a Timely profile's terms (timely-physics.ts), or null/absent for kappa and the skew alone. With a
   * profile the job (its costs already the profile's, withTimelyCosts) sustains r on W workers iff
   *   sum_v r L_v us_v(W, r) / (1e6 speed(W)) <= timelyBudget(W)   and, per operator,   r L_v h_v us_v(W, r) <= 1e6 speed(W)
   * (the shared-W deployment's condition: its processed rate is r exactly then).
   */
  timely?: TimelyTerms | null;
}

/** Records/s one instance processes when alone (cost 0 means effectively free). */
export function instanceRate(op: OperatorSpec): number {
  return op.cost > 0 ? 1e6 / op.cost : 1e12;
}

/**
 * Capacity (records/s of input) of `op` at parallelism p, unstretched (sigma = 1). `terms` is a kappa alone (the
 * linear model) or every physics term; `parallelism` gives the downstream operators' parallelism for the exchange
 * channels (default: 1 each).
 */
export function capacity(job: JobGraph, op: OperatorSpec, p: number, terms: number | PhysicsTerms, parallelism: Parallelism = {}): number {
  const t: PhysicsTerms = typeof terms === 'number' ? { ...LINEAR, coordinationOverhead: terms } : terms;
  return operatorCapacity(timing(job, op, { ...parallelism, [op.id]: p }, t));
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
    if (this.options.mode === 'timely') return Object.fromEntries(this.job.operators().map((op) => [op.id, this.timelyCapacity(op, parallelism)]));
    return Object.fromEntries(this.job.operators().map((op) => [op.id, operatorCapacity(timing(this.job, op, parallelism, this.options))]));
  }

  /** Timings of every operator at a configuration (physics.ts), in operator order. */
  private timings(parallelism: Parallelism): OperatorTiming[] {
    return this.job.operators().map((op) => timing(this.job, op, parallelism, this.options));
  }

  /** The CPU stretch at which the demanded rates fit the machine (1 on an unbounded machine). */
  stretch(parallelism: Parallelism, rate: number): number {
    return this.stretches(parallelism, rate).sigma;
  }

  /** The fluid stretch (> 1: the machine is short) and, with cpuQueueing, the queueing stretch below saturation. */
  private stretches(parallelism: Parallelism, rate: number): { fluid: number; sigma: number } {
    const demand = this.demandedRates(rate);
    const t = this.timings(parallelism);
    const budget = cpuBudget(this.options, parallelism);
    const fluid = cpuStretch(t, this.job.operatorIds.map((id) => demand[id] ?? 0), budget);
    if (!this.options.cpuQueueing || this.options.cores === null || fluid > 1) return { fluid, sigma: fluid };
    const cpu = this.job.operatorIds.reduce((s, id, i) => s + operatorCpu(t[i] as OperatorTiming, demand[id] ?? 0), 0);
    return { fluid, sigma: queueingStretch(utilisation(this.options, cpu, budget), this.options.cores) };
  }

  /** With a Timely profile: worker-seconds per second the job needs at `rate` on W workers (at their speed). */
  private profileWork(rate: number, parallelism: Parallelism): number {
    const tt = this.options.timely as TimelyTerms;
    const w = Math.max(...Object.values(parallelism));
    const speed = workerSpeed(tt, w);
    return this.job.operators().reduce((s, op) => s + (rate * (this.load[op.id] ?? 0) * timelyUs(this.job, op.id, op.cost, w, rate, tt)) / (1e6 * speed), 0);
  }

  /** Worker-seconds per second the job needs at `rate` (Timely mode): own cost and timely's exchange per record. */
  private work(rate: number, parallelism: Parallelism): number {
    return this.job.operators().reduce((s, op) => {
      const r = rate * (this.load[op.id] ?? 0);
      return s + (r * (op.cost + timelyExchangeUs(this.job, op, parallelism, r, this.options))) / 1e6;
    }, 0);
  }

  /**
   * Timely mode: records/s `op` processes on its workers, eff(p) 1e6 / (cost + x(C)) / h: the exchange cost per
   * record falls as the rate fills containers, so C is the largest fixed point (iterated down from the rate
   * without exchange, where x is smallest).
   */
  private timelyCapacity(op: OperatorSpec, parallelism: Parallelism, rate = 0): number {
    const p = parallelism[op.id] ?? 1;
    const tt = this.options.timely;
    if (tt) {
      // A Timely profile: the costs at the job's total rate (0 unless given: without the growth with the rate).
      const w = Math.max(...Object.values(parallelism));
      return (workerSpeed(tt, w) * 1e6) / Math.max(1e-6, timelyUs(this.job, op.id, op.cost, w, rate, tt)) / hotShare(this.job, op, p, this.options);
    }
    const scale = efficiency(p, this.options.coordinationOverhead) / hotShare(this.job, op, p, this.options);
    if (op.cost <= 0 && timelyExchangeUs(this.job, op, parallelism, 1, this.options) === 0) return instanceRate(op) * scale;
    let c = op.cost > 0 ? (1e6 / op.cost) * scale : 1e12;
    for (let k = 0; k < 60; k++) {
      const next = (1e6 / (op.cost + timelyExchangeUs(this.job, op, parallelism, c, this.options))) * scale;
      if (Math.abs(next - c) <= 1e-12 * c) return next;
      c = next;
    }
    return c;
  }

  bottlenecks(parallelism: Parallelism, rate: number): Record<string, boolean> {
    const demand = this.demandedRates(rate);
    const cap = this.capacities(parallelism);
    if (this.options.mode === 'timely' && this.options.timely) {
      const tt = this.options.timely;
      const w = Math.max(...Object.values(parallelism));
      const short = this.profileWork(rate, parallelism) > timelyBudget(tt, w, this.job.size) * (1 + 1e-9);
      const cap = Object.fromEntries(this.job.operators().map((op) => [op.id, this.timelyCapacity(op, parallelism, rate)]));
      return Object.fromEntries(this.job.operatorIds.map((id) => [id, (short && (demand[id] ?? 0) > 0) || (demand[id] ?? 0) > (cap[id] ?? 0) * (1 + 1e-9)]));
    }
    if (this.options.mode === 'timely') {
      const w = Math.max(...Object.values(parallelism));
      const short = this.work(rate, parallelism) > w * efficiency(w, this.options.coordinationOverhead) * (1 + 1e-9);
      return Object.fromEntries(this.job.operatorIds.map((id) => [id, (short && (demand[id] ?? 0) > 0) || (demand[id] ?? 0) > (cap[id] ?? 0) * (1 + 1e-9)]));
    }
    // A finite machine: at the stretch that makes the demand fit the cores, the operators whose capacity falls short.
    const sigma = this.stretch(parallelism, rate);
    const t = this.timings(parallelism);
    return Object.fromEntries(this.job.operatorIds.map((id, i) => [id, (demand[id] ?? 0) > operatorCapacity(t[i] as OperatorTiming, sigma) * (1 + 1e-9)]));
  }

  oracle(rate: number, tolerance = 0): OracleAnswer {
    // A configuration meets the SLO when it keeps up with (1 - tolerance) of the rate (lag grows at most that share).
    const need = rate * (1 - Math.min(Math.max(tolerance, 0), 0.999));
    if (this.options.mode === 'timely') {
      // Every operator runs on min(W, its max parallelism) of the W shared workers.
      const maxW = Math.max(...this.job.operators().map((o) => o.maxParallelism));
      const at = (w: number): Parallelism => workersParallelism(this.job, w);
      const holds = (w: number): boolean => !Object.values(this.bottlenecks(at(w), need)).some(Boolean);
      let w = 1;
      while (w < maxW && !holds(w)) w++;
      const feasible = holds(w);
      return { parallelism: at(w), feasible, ...(feasible ? {} : { reason: this.shortOf(at(w), need, `${w} workers (the largest max parallelism)`) }) };
    }
    // With queueing, capacities depend on the utilisation, which depends (slightly: overhead, channels) on the
    // configuration: a few rounds of minimum-at-the-stretch.
    let sigma = 1;
    let { p, feasible, reason } = this.minimum(need, sigma);
    for (let round = 0; round < 4; round++) {
      const s = this.stretches(p, need);
      // More instances cannot help a machine short of CPU: the minimum sustains only if it fits the cores.
      if (s.fluid > 1 + 1e-9) {
        if (feasible) {
          const demand = this.demandedRates(need);
          const t = this.timings(p);
          const cpu = this.job.operatorIds.reduce((sum, id, i) => sum + operatorCpu(t[i] as OperatorTiming, demand[id] ?? 0), 0);
          reason = `the machine's ${this.options.cores} cores: the per-operator minimum needs ${fmt(cpu)} cores for its records, ${fmt(cpuBudget(this.options, p))} are left (background, per-subtask overhead)`;
        }
        feasible = false;
        break;
      }
      if (s.sigma <= sigma + 1e-9) break;
      sigma = s.sigma;
      ({ p, feasible, reason } = this.minimum(need, sigma));
    }
    const ordered = Object.fromEntries(this.job.operatorIds.map((id) => [id, p[id] as number]));
    return { parallelism: ordered, feasible, ...(feasible ? {} : { reason }) };
  }

  /** Timely: which operator falls short at this configuration (or the shared workers), for the infeasible reason. */
  private shortOf(parallelism: Parallelism, rate: number, what: string): string {
    const demand = this.demandedRates(rate);
    const cap = this.capacities(parallelism);
    const op = this.job.operators().find((o) => (demand[o.id] ?? 0) > (cap[o.id] ?? 0) * (1 + 1e-9));
    if (op) return `operator ${op.id} at its max parallelism ${op.maxParallelism} covers ${pct((cap[op.id] ?? 0) / (demand[op.id] ?? 1))} of its demand`;
    const w = Math.max(...Object.values(parallelism));
    const tt = this.options.timely;
    const share = tt ? timelyBudget(tt, w, this.job.size) / this.profileWork(rate, parallelism) : (w * efficiency(w, this.options.coordinationOverhead)) / this.work(rate, parallelism);
    return `the shared workers: ${what} cover ${pct(share)} of the work`;
  }

  /**
   * Per operator the fewest instances whose capacity at CPU stretch sigma covers the demand. An operator's exchange
   * cost depends on its consumers' parallelism (channels out) and its producers' (channels in, buffers received),
   * and only grows with them, so: downstream first, with the producers at the previous round's answer (1 at
   * first), until no operator changes (the least configuration where every operator covers its demand).
   */
  private minimum(rate: number, sigma: number): { p: Record<string, number>; feasible: boolean; reason?: string } {
    let prev: Record<string, number> = {};
    let out: { p: Record<string, number>; feasible: boolean; reason?: string } = { p: {}, feasible: true };
    for (let round = 0; round < 20; round++) {
      let feasible = true;
      let reason: string | undefined;
      const p: Record<string, number> = {};
      for (const op of [...this.job.operators()].reverse()) {
        const demand = rate * (this.load[op.id] ?? 0);
        const cap = (n: number): number => operatorCapacity(timing(this.job, op, { ...prev, ...p, [op.id]: n }, this.options), sigma);
        // Never below the previous round's answer: capacities only fall as the others grow.
        let n = Math.max(1, Math.min(prev[op.id] ?? 1, op.maxParallelism));
        while (n < op.maxParallelism && cap(n) * (1 + 1e-9) < demand) n++;
        if (cap(n) * (1 + 1e-9) < demand) {
          reason ??= `operator ${op.id} at its max parallelism ${op.maxParallelism} covers ${pct(cap(n) / demand)} of its demand`;
          feasible = false;
        }
        p[op.id] = n;
      }
      out = { p, feasible, ...(reason ? { reason } : {}) };
      if (this.job.operatorIds.every((id) => p[id] === prev[id])) break;
      prev = p;
    }
    return out;
  }
}

const fmt = (x: number): string => x.toPrecision(3);
const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
