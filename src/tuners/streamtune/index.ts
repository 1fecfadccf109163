/**
 * StreamTune: "Learning from the Past: Adaptive Parallelism Tuning for Stream Processing Systems", Han et al.,
 * ICDE 2025 (arXiv 2504.12074). Only the abstract is public; this is the reconstruction of
 * ../shared/reference/streamtune.md, every reconstructed choice an option below.
 *
 *   prepare(job):  pretrained set (manifest + models; re-run in memory if the options ask for another recipe)
 *                  -> nearest medoid by GED (global encoder beyond gedFallback; or random / global) -> a copy of
 *                  that cluster's model for this job
 *   decide(view):  record the run's new windows (features, labels by the label rule, floors and ceilings)
 *                  -> keep when no operator is a bottleneck (and, until the episode first converges, none is
 *                  over-provisioned beyond the margin) -> fine-tune on the job's own windows (and cross-window
 *                  pairs at the target rate) -> per operator the smallest parallelism with Pr[bottleneck] < theta
 *                  (binary search on the monotone head) within the hard constraints: above floors, below
 *                  ceilings; non-bottlenecks raised only when confident (upTheta), lowered only when confident
 *                  (downTheta), not below their observed work, beyond the margin
 *
 * Files by stage: options.ts; prepare.ts (set, cluster.ts); state.ts (what carries over) and step.ts (one
 * decision: observe.ts -> reuse.ts -> fine-tune.ts -> recommend.ts within constraints.ts and guards.ts). See
 * README.md for the pipeline and the options table.
 *
 * decide() reads no file, clock or global random source: the model is in memory, randomness comes from the
 * context's Rng in prepare(). It is async (TF.js training and inference).
 */
import type { Decision } from '../../core/decision.js';
import type { JobGraph } from '../../core/job.js';
import type { BottleneckModel } from '../../learning/model.js';
import type { Tuner, TunerContext, TunerView } from '../tuner.js';
import type { Assignment } from './cluster.js';
import type { StreamTuneOptions } from './options.js';
import { prepareState } from './prepare.js';
import { initState } from './state.js';
import { startEpisode, step } from './step.js';

export type { Assignment } from './cluster.js';
export { observedWork } from './guards.js';
export { DEFAULT_PRETRAINED, labelOptions, onlineLabelOptions, options, recipeOf, type StreamTuneOptions } from './options.js';

/** Its colour in every chart (Tableau-10). */
export const color = '#4c78a8';
export const doc =
  'StreamTune (Han et al., ICDE 2025), reconstructed: GED-clustered pre-trained GNN encoders, fine-tuned online; monotone bottleneck head, smallest safe parallelism per operator.';

/** The StreamTune tuner with its state exposed read-only for tests. */
export interface StreamTuneTuner extends Tuner {
  readonly assignment: Assignment | undefined;
  /** The job's model (after prepare(); created at the first decision without pre-training). */
  readonly model: BottleneckModel | undefined;
}

/** StreamTune as a tuner: its state (state.ts), set up by prepare.ts, and one step (step.ts) per decision. */
export function create(o: StreamTuneOptions): StreamTuneTuner {
  const state = initState(o);
  return {
    name: 'streamtune',
    get assignment() {
      return state.assignment;
    },
    get model() {
      return state.model;
    },
    prepare: (job: JobGraph, context: TunerContext): Promise<void> => prepareState(state, job, context, o),
    startEpisode: (): void => startEpisode(state),
    decide: (view: TunerView): Promise<Decision> => step(state, view, o),
  };
}
