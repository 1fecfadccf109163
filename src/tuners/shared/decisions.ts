/**
 * Waiting without converging. The core Decision has two kinds: 'keep' ends the episode (converged) and 'rescale'
 * deploys. A tuner that must let time pass before it can decide (Dhalion's 180 s after an action, the Flink
 * autoscaler's stabilisation interval, metric window and scale-down delay) returns a 'keep' whose reason starts
 * with WAIT_PREFIX; the control loop reads such a decision as "not converged, observe again".
 */
import type { Decision } from '../../core/decision.js';

export const WAIT_PREFIX = 'wait:';

/** A 'keep' that the loop treats as "observe again" rather than "converged". */
export function wait(reason: string): Decision {
  return { kind: 'keep', reason: `${WAIT_PREFIX} ${reason}` };
}

/** True for a decision built by wait(): the tuner has not converged and wants another observation. */
export function isWait(d: Decision): boolean {
  return d.kind === 'keep' && d.reason.startsWith(WAIT_PREFIX);
}

/** True for a decision that ends the episode (a 'keep' that is not a wait). */
export function isConverged(d: Decision): boolean {
  return d.kind === 'keep' && !isWait(d);
}
