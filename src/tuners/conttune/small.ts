/**
 * Algorithm 2: one Small step (conservative BO) with the given real upstream rates lambda: per operator the
 * acquisition (acquisition.ts) or the linear DS2 answer, reduced to one worker count on shared workers, moved off
 * every configuration seen under-provisioned at this rate, and deployed only beyond the decision threshold (not on
 * a retry after an under-provisioned Small step). A pure function of the view and the state it reads.
 */
import { keep, rescale, type Decision } from '../../core/decision.js';
import type { JobGraph } from '../../core/job.js';
import type { OperatorMetrics } from '../../core/metrics.js';
import { totalParallelism, type Parallelism } from '../../core/parallelism.js';
import type { TunerView } from '../tuner.js';
import { deployedWorkers, maxWorkers, reduceToWorkers, workersDecision, workersParallelism } from '../shared/workers.js';
import { cbo, type CboAnswer } from './acquisition.js';
import { bottleneckOperators } from './controller.js';
import type { GpFitOptions } from './gp.js';
import { processingAbility, type PaHistory } from './history.js';
import type { ContTuneOptions } from './options.js';
import { configurationKey, type Tuning } from './state.js';

export interface SmallInput {
  readonly pMax: number;
  readonly history: PaHistory;
  /** Configurations observed under-provisioned (state.ts configurationKey), with their bottleneck operators. */
  readonly bottlenecked: ReadonlyMap<string, readonly string[]>;
  readonly shared: boolean;
}

export interface SmallStep {
  readonly decision: Decision;
  /** The tuning's Small phase with this lambda at the view's target rate. */
  readonly tuning: Tuning;
}

export function small(view: TunerView, input: SmallInput, lambda: Readonly<Record<string, number>>, why: string, opts: ContTuneOptions, gp: GpFitOptions, retry = false): SmallStep {
  const tuning: Tuning = { phase: 'small', lambda, rate: view.targetRate };
  return { decision: smallDecision(view, input, lambda, why, opts, gp, retry), tuning };
}

function smallDecision(view: TunerView, input: SmallInput, lambda: Readonly<Record<string, number>>, why: string, opts: ContTuneOptions, gp: GpFitOptions, retry: boolean): Decision {
  const { job, snapshot, parallelism: current } = view;
  const { shared } = input;
  const answers: Record<string, CboAnswer> = {};
  const values: Record<string, number> = {};
  for (const id of job.operatorIds) {
    const m = snapshot.operators[id] as OperatorMetrics | undefined;
    const lam = lambda[id] ?? 0;
    const cap = view.sharedWorkers ? maxWorkers(job) : job.operator(id).maxParallelism;
    const p = current[id] ?? m?.parallelism ?? 1;
    // Linear (DS2) answer: lambda_i over the per-instance processing ability measured now.
    const pa = m ? processingAbility(m, opts.processingAbility) : 0;
    const raw = (pa > 0 && Number.isFinite(pa) ? (lam * p) / pa : p) * (1 + opts.scaling_factor);
    const ds2 = Math.min(cap, Math.max(1, Math.ceil(raw - 1e-9)));
    const a = cbo(input.history.topK(id, opts.topK), lam, Math.min(input.pMax, cap), opts.alpha, ds2, gp);
    answers[id] = a;
    // On shared workers the DS2 fallback passes its un-rounded value to the worker reduction.
    values[id] = view.sharedWorkers && a.source === 'ds2' ? raw : a.p;
  }
  let next: Parallelism = view.sharedWorkers
    ? reduceToWorkers(job, values)
    : Object.fromEntries(job.operatorIds.map((id) => [id, Math.min(job.operator(id).maxParallelism, Math.max(1, values[id] ?? 1))]));
  if (retry) next = raisedBottlenecks(view, next, shared, opts);
  const safe = avoidBottlenecked(job, view.targetRate, next, input.bottlenecked, view.sharedWorkers);
  if (!safe) return keep(`ContTune Small (${why}): every reachable configuration was observed under-provisioned at this rate`);
  const moved = safe !== next;
  next = safe;
  const P = shared ? deployedWorkers(current) : totalParallelism(current);
  const Pn = shared ? deployedWorkers(next) : totalParallelism(next);
  if (!retry && Math.max(P / Pn, Pn / P) < 1 + opts.decisionThr) return keep(`ContTune Small (${why}): total ${P} -> ${Pn} is below the decision threshold ${opts.decisionThr}`);
  if (shared) return workersDecision(job, current, Pn, `ContTune Small (CBO, ${why})`);
  const label = `total ${P} -> ${Pn}`;
  return rescale(current, next, `ContTune Small (CBO, ${why}): ${label}${moved ? ', raised off a configuration seen under-provisioned' : ''}`, (id) => {
    const a = answers[id];
    if (!a) return 'CBO';
    const gpPart = a.pAcq === undefined ? 'no GP answer' : `p_acq=${a.pAcq}, d=${a.distance}`;
    return `${a.source === 'gp' ? 'GP' : 'DS2 fallback'} (${gpPart}, lambda=${(lambda[id] ?? 0).toPrecision(4)}/s)`;
  });
}

/** A retry after an under-provisioned Small step: PA grows with p, so a bottleneck at p needs more than p. */
function raisedBottlenecks(view: TunerView, next: Parallelism, shared: boolean, opts: ContTuneOptions): Parallelism {
  const { job, snapshot, parallelism: current } = view;
  if (shared) return deployedWorkers(next) <= deployedWorkers(current) ? workersParallelism(job, deployedWorkers(current) + 1) : next;
  const raised: Record<string, number> = { ...next };
  for (const id of bottleneckOperators(snapshot, opts)) {
    if (!job.has(id)) continue;
    raised[id] = Math.min(job.operator(id).maxParallelism, Math.max(raised[id] ?? 1, (current[id] ?? 1) + 1));
  }
  return raised;
}

/**
 * Moves a proposal off every configuration observed under-provisioned at this rate, raising that observation's
 * busiest raisable bottleneck by one (every raisable operator when none is), or one worker; undefined when nothing
 * reachable was not seen under-provisioned.
 */
export function avoidBottlenecked(job: JobGraph, rate: number, proposal: Parallelism, bottlenecked: ReadonlyMap<string, readonly string[]>, shared: boolean): Parallelism | undefined {
  let p = proposal;
  for (let guard = 0; guard < 10_000; guard++) {
    const seen = bottlenecked.get(configurationKey(rate, p, shared));
    if (!seen) return p;
    if (shared) {
      const w = deployedWorkers(p);
      if (w >= maxWorkers(job)) return undefined;
      p = workersParallelism(job, w + 1);
      continue;
    }
    // Raise the busiest raisable bottleneck of that observation by one; look again.
    const next: Record<string, number> = { ...p };
    let moved = false;
    for (const id of seen) {
      const v = next[id] ?? 1;
      if (job.has(id) && v < job.operator(id).maxParallelism) {
        next[id] = v + 1;
        moved = true;
        break;
      }
    }
    if (!moved) {
      for (const id of job.operatorIds) {
        const v = next[id] ?? 1;
        if (v < job.operator(id).maxParallelism) {
          next[id] = v + 1;
          moved = true;
        }
      }
    }
    if (!moved) return undefined;
    p = next;
  }
  return undefined;
}
