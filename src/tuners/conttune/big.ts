/**
 * Algorithm 1, lines 2-15: one Big step. Every operator to p_max (the largest parallelism in the job's history),
 * doubling p_max when every operator is already there or when that configuration was seen under-provisioned at
 * this rate. A pure function: the new p_max and whether the tuning enters its Big phase are returned.
 */
import { keep, rescale, type Decision } from '../../core/decision.js';
import { parallelismKey, type Parallelism } from '../../core/parallelism.js';
import type { TunerView } from '../tuner.js';
import { maxWorkers, workersDecision, workersParallelism } from '../shared/workers.js';
import { configurationKey } from './state.js';

export interface BigInput {
  readonly pMax: number;
  /** Configurations observed under-provisioned (state.ts configurationKey). */
  readonly bottlenecked: ReadonlyMap<string, readonly string[]>;
  readonly shared: boolean;
}

export interface BigStep {
  readonly decision: Decision;
  readonly pMax: number;
  /** A Big step was proposed: the tuning is in its Big phase (false: the limit is infeasible at this rate). */
  readonly started: boolean;
}

export function big(view: TunerView, input: BigInput): BigStep {
  const { job, parallelism: current } = view;
  const { bottlenecked, shared } = input;
  let pMax = input.pMax;
  const limit = shared ? maxWorkers(job) : Math.max(...job.operators().map((o) => o.maxParallelism));
  const at = (w: number): Parallelism =>
    shared ? workersParallelism(job, w) : Object.fromEntries(job.operatorIds.map((id) => [id, Math.min(w, job.operator(id).maxParallelism)]));
  const seen = (p: Parallelism): boolean => bottlenecked.has(configurationKey(view.targetRate, p, shared));
  const atMax = job.operatorIds.every((id) => (current[id] ?? 0) >= Math.min(pMax, job.operator(id).maxParallelism));
  if (atMax) pMax = Math.min(limit, pMax * 2);
  let next = at(pMax);
  // Every operator at p_max was already seen under-provisioned at this rate: p_max is not enough, double it.
  while (seen(next) && pMax < limit) {
    pMax = Math.min(limit, pMax * 2);
    next = at(pMax);
  }
  if (seen(next) || parallelismKey(next) === parallelismKey(current))
    return { decision: keep(`ContTune Big: every operator at p_max = ${pMax} (the limit) is under-provisioned at this rate (infeasible)`), pMax, started: false };
  if (shared) return { decision: workersDecision(job, current, pMax, `ContTune Big: under-provisioned, W <- p_max = ${pMax}`), pMax, started: true };
  return { decision: rescale(current, next, `ContTune Big: under-provisioned, every operator to p_max = ${pMax}`), pMax, started: true };
}
