/**
 * Reuse of the job's own history: when the target returns to a rate at which this run settled, the configuration
 * settled there is proposed again whole instead of the model's answer (constraints.ts SettledConfigurations).
 */
import { keep, rescale, type Decision } from '../../core/decision.js';
import { sameParallelism, type Parallelism } from '../../core/parallelism.js';
import type { SettledConfigurations } from './constraints.js';

const REASON = 'streamtune: the configuration this run settled on at this rate';

/** What reuse makes of a decision: a decision (keep it, or go back to it), and whether the episode converged. */
export interface Reused {
  /** Absent: reuse has no answer, the model decides. */
  readonly decision?: Decision;
  /** Absent: unchanged. */
  readonly converged?: boolean;
}

/**
 * With a configuration settled at `rate` (within the tolerance): when it runs now, the episode has converged unless
 * the window is short (then the model decides); else go back to it.
 */
export function reuseSettled(settled: Pick<SettledConfigurations, 'recall'>, rate: number, current: Parallelism, short: boolean): Reused {
  const recalled = settled.recall(rate);
  if (!recalled) return {};
  if (!sameParallelism(recalled, current)) return { decision: rescale(current, recalled, REASON, () => 'settled before') };
  return short ? { converged: false } : { decision: keep(REASON), converged: true };
}
