/**
 * Recording one observed window into ContTune's state: p_max, the PA history (when the operator is not itself
 * blocked on its output) and, when the window shows the configuration under-provisioned at its rate, that verdict.
 */
import type { JobGraph } from '../../core/job.js';
import { parallelismKey } from '../../core/parallelism.js';
import type { Observation } from '../tuner.js';
import { backpressureShare } from '../shared/metrics.js';
import { bottleneckOperators, catchingUp, classify, controller, drainSeconds, sourcesKeepUp } from './controller.js';
import { processingAbility } from './history.js';
import type { ContTuneOptions } from './options.js';
import { configurationKey, type ContTuneState } from './state.js';

/** Identifies an observation across the views that repeat it (time, rate and configuration). */
export function observationKey(o: Observation): string {
  return `${o.snapshot.time}|${o.rate}|${parallelismKey(o.parallelism)}`;
}

/**
 * Whether a window shows its configuration under-provisioned at its rate: only when its sources fell behind, or
 * drain a backlog too slowly (beyond maxCatchUpSec) while CPU-stressed; transient backpressure while in-flight
 * buffers drain is not a verdict.
 */
export function underProvisioned(job: JobGraph, o: Observation, opts: ContTuneOptions, shared: boolean): boolean {
  if (opts.waitWhileCatchingUp && catchingUp(o.snapshot)) return drainSeconds(o.snapshot) > opts.maxCatchUpSec && classify(o.snapshot, opts, shared, job) === 'under';
  return !sourcesKeepUp(o.snapshot) && controller(o.snapshot, job, opts, shared) === 'under';
}

/** Records one observation into the state (once per observation key). */
export function observe(state: ContTuneState, job: JobGraph, o: Observation, opts: ContTuneOptions): void {
  const key = observationKey(o);
  if (state.ingested.has(key)) return;
  state.ingested.add(key);
  for (const [id, m] of Object.entries(o.snapshot.operators)) {
    const p = o.parallelism[id] ?? m.parallelism;
    state.pMax = Math.max(state.pMax, p);
    // PA is trusted when the operator itself is not blocked on its output (its useful time is not inflated).
    const pa = processingAbility(m, opts.processingAbility);
    if (backpressureShare(m) < opts.backpressureThr && m.recordsInPerSecond > 0 && pa > 0 && Number.isFinite(pa)) state.history.add(id, p, pa);
  }
  if (underProvisioned(job, o, opts, state.shared)) state.bottlenecked.set(configurationKey(o.rate, o.parallelism, state.shared), bottleneckOperators(o.snapshot, opts));
}
