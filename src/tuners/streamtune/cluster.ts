/**
 * Choosing the job's cluster (streamtune.md §6): the nearest medoid by GED, the global encoder when even the
 * nearest is further than gedFallback x the job's operator count, or (ablations) a random cluster or the global
 * encoder outright; then a copy of that encoder's model and its replay sample.
 */
import type { JobGraph } from '../../core/job.js';
import type { Rng } from '../../core/random.js';
import type { LabelledGraph } from '../../learning/features.js';
import type { BottleneckModel } from '../../learning/model.js';
import { gedDistance, nearestMedoid, type LabelledGraph as DagGraph } from '../../graph/index.js';
import { dagStructure } from './dataset.js';
import type { StreamTuneOptions } from './options.js';
import type { PretrainedSet } from './pretrain.js';

/** Which model prepare() picked, and why (for tests and reasons). */
export interface Assignment {
  kind: 'cluster' | 'global' | 'none';
  cluster?: number;
  distance?: number;
  why: string;
}

/** What the choice reads of a pretrained set. */
export interface ClusterChoiceInput {
  /** Medoid DAGs, by cluster. */
  readonly medoids: readonly DagGraph[];
  /** Number of cluster encoders (0: the global one only). */
  readonly clusters: number;
  /** The fallback threshold the set measured on its validation jobs (gedFallback 'auto'); absent: 0.3. */
  readonly gedFallback?: number | undefined;
}

/** The cluster choice for a job; `rng` is drawn from only for clusterAssignment 'random'. */
export function chooseAssignment(job: JobGraph, set: ClusterChoiceInput, o: Pick<StreamTuneOptions, 'clusterAssignment' | 'gedExactMaxNodes' | 'gedFallback'>, rng: Rng): Assignment {
  const dag = dagStructure(job).graph;
  const k = set.clusters;
  if (o.clusterAssignment === 'global' || k === 0) return { kind: 'global', why: 'global encoder (clusterAssignment global)' };
  if (o.clusterAssignment === 'random') {
    const c = rng.int(0, k - 1);
    return { kind: 'cluster', cluster: c, why: `random cluster ${c} of ${k}` };
  }
  const { cluster: c, distance: dist } = nearestMedoid(dag, set.medoids, (a, b) => gedDistance(a, b, { gedExactMaxNodes: o.gedExactMaxNodes }));
  const ratio = o.gedFallback === 'auto' ? (set.gedFallback ?? 0.3) : o.gedFallback;
  const limit = ratio * job.size;
  return dist > limit
    ? { kind: 'global', distance: dist, why: `nearest medoid ${c} at GED ${dist} > ${limit.toFixed(1)}: global encoder` }
    : { kind: 'cluster', cluster: c, distance: dist, why: `nearest medoid ${c} at GED ${dist}` };
}

/** The choice's inputs of a pretrained set in memory. */
export function clusterChoiceInput(set: PretrainedSet): ClusterChoiceInput {
  return { medoids: set.medoids, clusters: set.clusterModels.length, gedFallback: set.manifest.validation?.gedFallback };
}

/** A copy of the assigned encoder's model (the set's are shared, read-only) and its replay sample. */
export function assignedModel(set: PretrainedSet, assignment: Assignment): { model: BottleneckModel; replay: readonly LabelledGraph[] } {
  const chosen = assignment.kind === 'cluster' ? set.clusterModels[assignment.cluster as number] : set.globalModel;
  return {
    model: (chosen as BottleneckModel).clone(),
    replay: assignment.kind === 'cluster' ? (set.replay.clusters[assignment.cluster as number] ?? []) : set.replay.global,
  };
}
