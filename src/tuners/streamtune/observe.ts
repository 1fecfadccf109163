/**
 * Recording one observed window of the job (updating its history): its labels by the label rule, its features,
 * the work-positive graph one instance below its observed work, and what it proves (floors and ceilings in
 * constraints.ts; a settled configuration it shows short is forgotten).
 */
import type { JobGraph } from '../../core/job.js';
import { withLabels, withParallelism, type LabelledGraph } from '../../learning/features.js';
import type { Observation } from '../tuner.js';
import { deployedWorkers } from '../shared/workers.js';
import { jobFeatures } from './features.js';
import { observedWork } from './guards.js';
import { bottleneckOperators, lagging, windowLabels, type LabelOptions } from './labels.js';
import type { StreamTuneOptions } from './options.js';
import type { StreamTuneState } from './state.js';

/** Adds one window to the state. `labels`: the online label options (onlineLabelOptions). */
export function observeWindow(state: StreamTuneState, job: JobGraph, obs: Observation, shared: boolean, o: StreamTuneOptions, labels: LabelOptions): void {
  const seen = windowLabels(job, obs.snapshot, labels, state.truth?.bottlenecks(obs.parallelism, obs.rate), obs.rate);
  state.lastLabels = seen;
  const g = jobFeatures(job, obs.parallelism, obs.rate, obs.snapshot.operators, o);
  state.data.push(withLabels(g, seen));
  state.rates.push(obs.rate);
  state.belowWork.push(o.workPositives && !shared ? workPositive(job, obs, g) : undefined);
  const culprits = bottleneckOperators(seen);
  const healthy = culprits.length === 0 && !lagging(obs.snapshot, labels.lagRatio);
  // Shared workers: operators time-share the pool, so no one operator need look saturated while the pool is short;
  // lagging sources (not catching up) mark the worker count too small.
  const short = culprits.length > 0 || lagging(obs.snapshot, labels.lagRatio);
  if (shared) state.constraints.observe(obs.rate, { '*': deployedWorkers(obs.parallelism) }, short ? ['*'] : [], healthy);
  else state.constraints.observe(obs.rate, obs.parallelism, culprits, healthy);
  if (short) state.settled.refute(obs.rate, obs.parallelism);
}

/** The window at one instance below each operator's observed work, labelled bottleneck there (sources aside). */
export function workPositive(job: JobGraph, obs: Observation, g: ReturnType<typeof jobFeatures>): LabelledGraph | undefined {
  const load = job.loadFactors();
  const below: Record<string, number> = {};
  const labels: Record<string, number> = {};
  for (const id of job.operatorIds) {
    if (job.operator(id).type === 'source') continue;
    const p = observedWork(obs.snapshot, obs.parallelism, id, (load[id] ?? 0) * obs.rate) - 1;
    if (p < 1) continue;
    below[id] = p;
    labels[id] = 1;
  }
  return Object.keys(labels).length > 0 ? withLabels(withParallelism(g, below), labels) : undefined;
}
