/**
 * A tuner's answer: keep the deployed configuration (the tuner has converged), wait (not yet: the tuner's own
 * cadence needs more observations — Dhalion's 180 s after an action, the autoscaler's stabilisation and metric
 * window), or deploy a new configuration. The control loop's gate decides what each means for the episode.
 */
import type { Parallelism } from './parallelism.js';

export interface OperatorChange {
  readonly operator: string;
  readonly current: number;
  readonly next: number;
  readonly reason: string;
}

export type Decision =
  | { readonly kind: 'keep'; readonly reason: string }
  | { readonly kind: 'wait'; readonly reason: string }
  | { readonly kind: 'rescale'; readonly parallelism: Parallelism; readonly changes: readonly OperatorChange[]; readonly reason: string };

export function keep(reason: string): Decision {
  return { kind: 'keep', reason };
}

/** Not converged: observe again before deciding (the tuner's own cadence). */
export function wait(reason: string): Decision {
  return { kind: 'wait', reason };
}

/** Builds a rescale decision from current and next parallelism; operators that do not change get no entry. */
export function rescale(current: Parallelism, next: Parallelism, reason: string, why: (op: string) => string = () => reason): Decision {
  const changes: OperatorChange[] = [];
  for (const op of Object.keys(next).sort()) {
    const c = current[op] ?? 0;
    const n = next[op] ?? 0;
    if (c !== n) changes.push({ operator: op, current: c, next: n, reason: why(op) });
  }
  if (changes.length === 0) return keep(`${reason} (no change)`);
  return { kind: 'rescale', parallelism: next, changes, reason };
}
