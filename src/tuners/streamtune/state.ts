/**
 * Everything StreamTune carries between calls, in one object: what prepare() chose (cluster, model, replay
 * sample), the job's own labelled windows and what they prove (constraints.ts), the fine-tuning's caches, and the
 * episode's convergence. step.ts and the stages it calls update it in place: it holds the TF.js model and its cached
 * embeddings, which are not copied per decision.
 */
import type * as tf from '@tensorflow/tfjs';
import type { GroundTruth } from '../../engines/engine.js';
import type { LabelledGraph } from '../../learning/features.js';
import type { BottleneckModel } from '../../learning/model.js';
import type { Assignment } from './cluster.js';
import { Constraints, SettledConfigurations } from './constraints.js';
import type { WindowLabels } from './labels.js';
import type { StreamTuneOptions } from './options.js';

export interface StreamTuneState {
  /** prepare() ran. */
  prepared: boolean;
  /** Seed of a fresh model (no pre-training), drawn from the run's Rng in prepare(). */
  freshSeed: number;
  /** The simulator's ground truth (labelRule 'groundTruth'). */
  truth: GroundTruth | undefined;
  /** Which pre-trained model the job got, and why. */
  assignment: Assignment | undefined;
  /** The job's model (a copy of the chosen one; created at the first fine-tuning without pre-training). */
  model: BottleneckModel | undefined;
  /** The cluster's (or global) replay sample of the pretrained set. */
  replay: readonly LabelledGraph[];

  /** The job's own labelled windows, oldest first. */
  readonly data: LabelledGraph[];
  /** Per entry of data: its window at one instance below the observed work, labelled bottleneck (workPositives). */
  readonly belowWork: (LabelledGraph | undefined)[];
  /** Target rate of each entry of data. */
  readonly rates: number[];
  /** How many of the run's observations (view.history) are in data. */
  seen: number;
  /** Labels of the latest window. */
  lastLabels: WindowLabels;
  /** Floors and ceilings the windows prove. */
  readonly constraints: Constraints;
  /** Configurations this run settled on, by rate (reuse). */
  readonly settled: SettledConfigurations;

  /** headOnly: embeddings of graphs already seen (the encoder is frozen), keyed by their feature matrix. */
  readonly embeddings: Map<Float32Array, tf.Tensor2D>;
  /** Fine-tunings so far (rotates the replay slice). */
  decisions: number;
  /** This episode has converged (kept a configuration). */
  converged: boolean;
}

export function initState(o: StreamTuneOptions): StreamTuneState {
  return {
    prepared: false,
    freshSeed: 0,
    truth: undefined,
    assignment: undefined,
    model: undefined,
    replay: [],
    data: [],
    belowWork: [],
    rates: [],
    seen: 0,
    lastLabels: {},
    constraints: new Constraints({ acrossRates: o.rateMonotoneFloors, ceilings: o.ceilings }),
    settled: new SettledConfigurations(o.reuseTolerance),
    embeddings: new Map(),
    decisions: 0,
    converged: false,
  };
}
