/**
 * Guards on a recommendation, sound whatever the model says: the work a window shows (an operator needs at least
 * the instances it kept busy, scaled to the target rate), the per-operator cap, and the optional hysteresis that
 * skips small changes. Pure functions.
 */
import type { JobGraph } from '../../core/job.js';
import type { Snapshot } from '../../core/metrics.js';
import type { Parallelism } from '../../core/parallelism.js';
import type { StreamTuneOptions } from './options.js';

/**
 * Instances the operator was observed to keep busy, scaled to its demand at the target rate:
 * ceil(busyMax x p x demand / input) (the input is what it received; demand = load factor x target rate). Fewer
 * cannot sustain the target whatever the physics: overheads only add work, and the busiest instance's load does not
 * shrink with fewer instances.
 */
export function observedWork(snapshot: Snapshot, parallelism: Parallelism, id: string, demand: number): number {
  const m = snapshot.operators[id];
  if (!m) return 1;
  const busy = Math.max(m.busyMsPerSecond, m.busyMsPerSecondMax) / 1000;
  const p = parallelism[id] ?? 1;
  const scale = m.recordsInPerSecond > 0 && demand > 0 ? demand / m.recordsInPerSecond : 1;
  return Math.max(1, Math.ceil(busy * p * scale - 1e-9));
}

/** The largest parallelism proposed for an operator: pMax when set, never above its maxParallelism. */
export function operatorCap(job: JobGraph, id: string, o: Pick<StreamTuneOptions, 'pMax'>): number {
  return o.pMax > 0 ? Math.min(o.pMax, job.operator(id).maxParallelism) : job.operator(id).maxParallelism;
}

/**
 * Hysteresis (§9, from DS2 and ContTune): an operator that is not a culprit keeps its parallelism when the change
 * is below 1 + decisionThr either way, or a scale-down by one. Returns the proposal with those changes undone.
 */
export function withHysteresis(current: Parallelism, next: Readonly<Record<string, number>>, culprits: readonly string[], decisionThr: number): Record<string, number> {
  const out: Record<string, number> = { ...next };
  for (const id of Object.keys(out)) {
    const c = current[id] ?? 1;
    const n = out[id] ?? c;
    if (culprits.includes(id) || n === c) continue;
    if (Math.max(c / n, n / c) < 1 + decisionThr || n === c - 1) out[id] = c;
  }
  return out;
}
