/** Task slots: what a parallelism needs (one slot-sharing group) and what Flink would grant a job. */
import type { Parallelism } from '../../core/parallelism.js';
import type { ClusterOverview } from './rest.js';

/** A deployment the cluster cannot hold (more parallelism than task slots): refused before anything starts. */
export class FlinkCapacityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlinkCapacityError';
  }
}

/** Slots needed by a parallelism with Flink's default slot sharing (one group): the largest operator's. */
export function slotsNeeded(parallelism: Parallelism): { slots: number; operator: string } {
  let best = { slots: 0, operator: '' };
  for (const [op, p] of Object.entries(parallelism)) if (p > best.slots) best = { slots: p, operator: op };
  return best;
}

/** Each operator's parallelism capped at `cap` (a partial rescale grants what the slots allow). */
export function clampParallelism(parallelism: Parallelism, cap: number | undefined): Parallelism {
  if (cap === undefined) return parallelism;
  return Object.fromEntries(Object.entries(parallelism).map(([op, p]) => [op, Math.min(p, Math.max(1, cap))]));
}

/**
 * The largest parallelism Flink would grant one operator of a job (one slot-sharing group): the free slots plus
 * those allocated to the job (`allocated`, counted on the TaskManagers; when unknown, the `inUse` slots of its
 * running graph), at most the cluster's total.
 */
export function grantableSlots(o: Pick<ClusterOverview, 'slots-total' | 'slots-available'>, inUse: number, allocated: number | undefined): number {
  return Math.min(o['slots-total'], o['slots-available'] + Math.max(inUse, allocated ?? 0));
}

export function describeOverview(o: ClusterOverview): string {
  return `${o['slots-available']} free of ${o['slots-total']} task slots (${o.taskmanagers} TaskManager${o.taskmanagers === 1 ? '' : 's'})`;
}
