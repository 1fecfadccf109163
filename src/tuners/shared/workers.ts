/**
 * Shared-worker engines (Timely): every operator runs on the same W workers, so a per-operator answer is reduced
 * to one worker count with workerCount() (W = ceil of the sum of per-operator instance-equivalents, DS2's mapping,
 * baselines.md section 0) and every operator is deployed at W. Tuners pass un-rounded values where they have them.
 */
import type { JobGraph } from '../../core/job.js';
import { workerCount, type Parallelism } from '../../core/parallelism.js';

/** The largest W every operator accepts (the smallest max parallelism in the job). */
export function maxWorkers(job: JobGraph): number {
  return Math.min(...job.operators().map((o) => o.maxParallelism));
}

/** The worker count a deployed parallelism runs (all operators are equal on a shared-worker engine). */
export function deployedWorkers(p: Parallelism): number {
  return Math.max(1, ...Object.values(p));
}

/** Every operator at W, with W rounded up and clamped to [1, maxWorkers(job)]. */
export function workersParallelism(job: JobGraph, workers: number): Parallelism {
  const w = Math.min(maxWorkers(job), Math.max(1, Math.ceil(workers - 1e-9)));
  return Object.fromEntries(job.operatorIds.map((id) => [id, w]));
}

/** Reduces a per-operator answer (instance-equivalents, un-rounded where available) to every operator at W. */
export function reduceToWorkers(job: JobGraph, perOperator: Readonly<Record<string, number>>): Parallelism {
  const values = Object.fromEntries(job.operatorIds.map((id) => [id, perOperator[id] ?? 0]));
  return workersParallelism(job, workerCount(values));
}
