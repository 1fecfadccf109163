/** Parallelism: one instance count per operator, each within [1, maxParallelism]. */
import { JobValidationError, type JobGraph } from './job.js';

export type Parallelism = Readonly<Record<string, number>>;

export function totalParallelism(p: Parallelism): number {
  return Object.values(p).reduce((a, b) => a + b, 0);
}

/** Throws naming the operator when p misses an operator, has an extra one, or is outside [1, max]. */
export function validateParallelism(job: JobGraph, p: Parallelism): Parallelism {
  for (const id of job.operatorIds) {
    const v = p[id];
    const max = job.operator(id).maxParallelism;
    if (v === undefined) throw new JobValidationError(`parallelism: operator '${id}' has no parallelism`);
    if (!Number.isInteger(v) || v < 1 || v > max)
      throw new JobValidationError(`parallelism: operator '${id}' has parallelism ${v}, outside [1, ${max}]`);
  }
  for (const id of Object.keys(p)) if (!job.has(id)) throw new JobValidationError(`parallelism: no operator '${id}' in job '${job.name}'`);
  return p;
}

export function uniformParallelism(job: JobGraph, n: number): Parallelism {
  return Object.fromEntries(job.operatorIds.map((id) => [id, Math.min(Math.max(1, n), job.operator(id).maxParallelism)]));
}

/** Rounds up and clamps every operator into [1, max]. */
export function clampParallelism(job: JobGraph, raw: Readonly<Record<string, number>>): Parallelism {
  return Object.fromEntries(
    job.operatorIds.map((id) => [id, Math.min(job.operator(id).maxParallelism, Math.max(1, Math.ceil((raw[id] ?? 1) - 1e-9)))]),
  );
}

export function sameParallelism(a: Parallelism, b: Parallelism): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** A stable string key, for "configuration seen before" look-ups. */
export function parallelismKey(p: Parallelism): string {
  return Object.keys(p)
    .sort()
    .map((k) => `${k}=${p[k]}`)
    .join(',');
}

/**
 * Timely's single worker count from a per-operator answer (DS2's mapping, baselines.md): W = ceil(sum of the
 * per-operator instance-equivalents), un-rounded values where the tuner has them.
 */
export function workerCount(perOperator: Readonly<Record<string, number>>): number {
  return Math.max(1, Math.ceil(Object.values(perOperator).reduce((a, b) => a + b, 0) - 1e-9));
}

/**
 * A shared-worker engine's (Timely's) configuration for W workers: every operator on W, except an operator whose
 * max parallelism is below W (a global aggregate), which runs on its max. W is rounded up and at least 1.
 */
export function workersParallelism(job: JobGraph, workers: number): Parallelism {
  const w = Math.max(1, Math.ceil(workers - 1e-9));
  return Object.fromEntries(job.operators().map((o) => [o.id, Math.min(w, o.maxParallelism)]));
}
