/**
 * DS2: "Three steps is all you need: fast, accurate, automatic scaling decisions for distributed streaming
 * dataflows", Kalavri et al., OSDI 2018. Port of strymon-system/ds2 controller/src/policy/scaling.rs (the policy)
 * and the consider_change rule of controller/src/bin/manager.rs; baselines.md section 1.
 *
 * One pass over the operators in topological order, on true rates (records per second of useful time, summed over
 * instances): a source's output is its target rate; a non-source v gets pi_raw = in(v) / (tpr / p_v),
 * pi_v = ceil(pi_raw * (1 + factor)), and propagates tout * pi_raw / p_v (un-rounded, un-inflated) to every
 * downstream operator. Sources keep their parallelism. Warm-up, activation and the policy interval belong to the
 * control loop.
 */
import { z } from 'zod';
import { keep, rescale, type Decision } from '../../core/decision.js';
import type { JobGraph } from '../../core/job.js';
import type { Snapshot } from '../../core/metrics.js';
import { clampParallelism, type Parallelism } from '../../core/parallelism.js';
import type { Tuner, TunerView } from '../tuner.js';
import { deployedWorkers, reduceToWorkers, workersDecision } from '../shared/workers.js';

/** Its colour in every chart (Tableau-10). */
export const color = '#f58518';
export const doc = 'DS2 (Kalavri et al., OSDI 2018): one linear step on true processing rates, all operators at once.';

export const options = z.strictObject({
  overProvisioning: z
    .number()
    .min(0)
    .default(0)
    .describe("Over-provisioning factor: pi = ceil(pi_raw * (1 + overProvisioning)); DS2's 'scaling_factor' (ds2.toml), 0 by default."),
});
export type Ds2Options = z.infer<typeof options>;

/** The policy's output for one snapshot. */
export interface Ds2Plan {
  /** Un-rounded, un-inflated optimal instances per operator (sources: their current parallelism, or the
   *  instance-equivalents at their target rate when sources are scaled). */
  readonly raw: Readonly<Record<string, number>>;
  /** ceil(raw * (1 + factor)) clamped to [1, maxParallelism]; sources keep their parallelism unless scaled. */
  readonly parallelism: Parallelism;
  /** Propagated input rate per operator (records/s); for a source, its target output. */
  readonly input: Readonly<Record<string, number>>;
  /** Propagated output rate per operator at its optimal parallelism (records/s). */
  readonly output: Readonly<Record<string, number>>;
}

export interface Ds2PlanOptions {
  /** DS2's scaling_factor. */
  readonly factor?: number;
  /**
   * Also size the sources: pi_raw = target / (tpr / p). DS2 keeps sources fixed on Flink; its Timely mapping and
   * ContTune's DS2 fallback need the sources' instance-equivalents too.
   */
  readonly scaleSources?: boolean;
}

/**
 * DS2's scaling policy (scaling.rs) over one snapshot. Sources' output is the per-source target rate of the
 * snapshot (falling back to the observed true output rate when a source has no target, DS2's '-1').
 */
export function ds2Plan(job: JobGraph, snapshot: Snapshot, current: Parallelism, opts: Ds2PlanOptions = {}): Ds2Plan {
  const factor = opts.factor ?? 0;
  const raw: Record<string, number> = {};
  const input: Record<string, number> = {};
  const output: Record<string, number> = {};
  for (const id of job.operatorIds) input[id] = 0;
  for (const id of job.operatorIds) {
    const m = snapshot.operators[id];
    if (!m) throw new Error(`DS2: snapshot at t=${snapshot.time}s has no metrics for operator '${id}'`);
    const p = current[id] ?? m.parallelism;
    const tpr = m.trueProcessingRate;
    let tout = m.trueOutputRate;
    if (job.operator(id).type === 'source') {
      const target = snapshot.sources[id]?.targetRate;
      if (target !== undefined && target >= 0) tout = target;
      input[id] = tout;
      // A source emits what it is asked to: its "input" is its output, its instance-equivalents are measured on it.
      raw[id] = opts.scaleSources && tpr > 0 && Number.isFinite(tpr) ? tout / (tpr / p) : p;
    } else if (tpr > 0 && Number.isFinite(tpr)) {
      const piRaw = (input[id] ?? 0) / (tpr / p);
      raw[id] = piRaw;
      tout = (tout * piRaw) / p;
    } else {
      // Nothing measured (no useful time): DS2 would divide by zero; keep the operator as it is.
      raw[id] = p;
    }
    output[id] = tout;
    for (const d of job.downstream(id)) input[d] = (input[d] ?? 0) + tout;
  }
  const inflated = Object.fromEntries(job.operatorIds.map((id) => [id, (raw[id] ?? 1) * (1 + factor)]));
  const parallelism = clampParallelism(job, inflated);
  const result: Record<string, number> = { ...parallelism };
  if (!opts.scaleSources) for (const id of job.sources()) result[id] = current[id] ?? parallelism[id] ?? 1;
  return { raw, parallelism: result, input, output };
}

/**
 * DS2's consider_change (manager.rs): reconfigure iff some operator goes up, or some operator goes down by more
 * than one instance; a change of -1 alone is ignored.
 */
export function considerChange(current: Parallelism, next: Parallelism): boolean {
  return Object.keys(next).some((id) => {
    const c = current[id] ?? 0;
    const n = next[id] ?? 0;
    return n > c || n < c - 1;
  });
}

export function create(opts: Ds2Options): Tuner {
  const factor = opts.overProvisioning;
  return {
    name: 'ds2',
    decide(view: TunerView): Decision {
      const { job, parallelism: current, snapshot } = view;
      if (view.sharedWorkers) {
        // Timely: W = ceil(sum of pi_raw), sources included; consider_change on the worker count.
        const plan = ds2Plan(job, snapshot, current, { factor, scaleSources: true });
        const inflated = Object.fromEntries(Object.entries(plan.raw).map(([id, r]) => [id, r * (1 + factor)]));
        const w = deployedWorkers(current);
        const nw = deployedWorkers(reduceToWorkers(job, inflated));
        const sum = Object.values(inflated).reduce((a, b) => a + b, 0);
        if (!considerChange({ workers: w }, { workers: nw })) return keep(`DS2: ${w} workers kept (sum of pi_raw = ${sum.toFixed(2)})`);
        return workersDecision(job, current, nw, `DS2 step: sum of pi_raw = ${sum.toFixed(2)}`);
      }
      const plan = ds2Plan(job, snapshot, current, { factor });
      if (!considerChange(current, plan.parallelism)) return keep('DS2: no operator up and none down by more than 1');
      return rescale(current, plan.parallelism, 'DS2 step', (id) =>
        `in=${fmt(plan.input[id] ?? 0)}/s, tpr/p=${fmt((snapshot.operators[id]?.trueProcessingRate ?? 0) / (current[id] ?? 1))}/s, ` +
        `pi_raw=${(plan.raw[id] ?? 0).toFixed(3)}`,
      );
    },
  };
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(4) : String(x);
}
