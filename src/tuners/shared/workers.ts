/**
 * Shared-worker engines (Timely): every operator runs on the same W workers, so a per-operator answer is reduced
 * to one worker count with workerCount() (W = ceil of the sum of per-operator instance-equivalents, DS2's mapping,
 * baselines.md section 0) and every operator is deployed at W. Tuners pass un-rounded values where they have them.
 *
 * A Parallelism must stay valid (each operator within [1, its max parallelism], validateParallelism), so an
 * operator whose max parallelism is below W (a global aggregate with max 1) is written at its max; shared-worker
 * engines run the largest value of the vector on all operators (the simulator's timely mode does), which is W.
 * Compare configurations by deployedWorkers(), never by the vector.
 */
import { keep, rescale, type Decision } from '../../core/decision.js';
import type { JobGraph } from '../../core/job.js';
import { workerCount, workersParallelism as onWorkers, type Parallelism } from '../../core/parallelism.js';

/** The largest W a valid Parallelism can express (the largest max parallelism in the job). */
export function maxWorkers(job: JobGraph): number {
  return Math.max(...job.operators().map((o) => o.maxParallelism));
}

/** The worker count a deployed parallelism runs: its largest value. */
export function deployedWorkers(p: Parallelism): number {
  return Math.max(1, ...Object.values(p));
}

/** Every operator at W (W rounded up, clamped to [1, maxWorkers]); an operator whose max is below W at its max. */
export function workersParallelism(job: JobGraph, workers: number): Parallelism {
  return onWorkers(job, Math.min(maxWorkers(job), workers));
}

/** Reduces a per-operator answer (instance-equivalents, un-rounded where available) to every operator at W. */
export function reduceToWorkers(job: JobGraph, perOperator: Readonly<Record<string, number>>): Parallelism {
  const values = Object.fromEntries(job.operatorIds.map((id) => [id, perOperator[id] ?? 0]));
  return workersParallelism(job, workerCount(values));
}

/** Keep when the worker count does not change, else rescale every operator to the new W. */
export function workersDecision(job: JobGraph, current: Parallelism, workers: number, reason: string, keepReason = reason): Decision {
  const next = workersParallelism(job, workers);
  const w = deployedWorkers(current);
  const nw = deployedWorkers(next);
  if (nw === w) return keep(`${keepReason} (${w} workers kept)`);
  return rescale(current, next, `${reason} (${w} -> ${nw} workers)`);
}
