/**
 * Online fine-tuning (§10): the job's recent windows (and cross-window pairs at the same target rate, and their
 * work positives), a rotating slice of the cluster's replay sample, all bounded by fineTuneBudget node-epochs.
 * fineTuneSet chooses what to train on (pure); fineTune trains the state's model on it (creating the model first
 * without pre-training).
 */
import { FeatureScaler, type LabelledGraph } from '../../learning/features.js';
import { BottleneckModel } from '../../learning/model.js';
import { trainModel } from '../../learning/train.js';
import { pairGraphs } from './dataset.js';
import { featureNames } from './features.js';
import { recipeOf, type StreamTuneOptions } from './options.js';
import { lossWeight, modelConfigOf, replaySample } from './pretrain.js';
import type { StreamTuneState } from './state.js';

/** The job's windows and the replay sample one fine-tuning draws from. */
export interface FineTuneInput {
  readonly data: readonly LabelledGraph[];
  /** Target rate of each entry of data. */
  readonly rates: readonly number[];
  /** Per entry of data: its work-positive graph, if any. */
  readonly belowWork: readonly (LabelledGraph | undefined)[];
  readonly replay: readonly LabelledGraph[];
  /** Fine-tunings so far: the replay slice rotates with it. */
  readonly decisions: number;
}

/** What one fine-tuning trains on, and for how many epochs. */
export interface FineTuneSet {
  readonly set: readonly LabelledGraph[];
  readonly epochs: number;
}

type FineTuneOptions = Pick<StreamTuneOptions, 'fineTuneWindows' | 'pairing' | 'fineTuneReplay' | 'fineTuneBudget' | 'fineTuneEpochs'>;

/** The training set of one fine-tuning; undefined when the recent windows carry no label. */
export function fineTuneSet(input: FineTuneInput, o: FineTuneOptions): FineTuneSet | undefined {
  const { data, rates, belowWork, replay, decisions } = input;
  const windows = data.slice(-o.fineTuneWindows);
  if (!windows.some((g) => g.mask.some((m) => m > 0))) return undefined;
  // Cross-window pairs as in pre-training: each recent window's context with the parallelism and labels of up to
  // `pairing` neighbouring windows at the same target rate, e.g. an episode's throttled first window with the
  // configurations that followed it ("from here, p' was (not) enough").
  const recent = o.pairing > 0 ? pairGraphs(rates.slice(-o.fineTuneWindows).map(String), windows, o.pairing) : [...windows];
  for (const g of belowWork.slice(-o.fineTuneWindows)) if (g) recent.push(g);
  // Replay: a rotating slice of the cluster's history, so the job's few windows do not overwrite what the cluster
  // taught (the pre-train / fine-tune framework).
  const r = Math.min(o.fineTuneReplay, replay.length);
  for (let i = 0; i < r; i++) recent.push(replay[(decisions * r + i) % replay.length] as LabelledGraph);
  // The bound on work per decision: epochs x nodes <= fineTuneBudget; a set larger than the budget is thinned to
  // an evenly spaced sample of it (every kind of graph keeps its share) and trained for one epoch.
  const nodes = recent.reduce((t, g) => t + g.nodeIds.length, 0);
  const thinned = nodes > o.fineTuneBudget;
  const set = thinned ? replaySample(recent, Math.max(1, Math.floor((o.fineTuneBudget * recent.length) / nodes))) : recent;
  const epochs = thinned ? 1 : Math.max(1, Math.min(o.fineTuneEpochs, Math.floor(o.fineTuneBudget / Math.max(1, nodes))));
  return { set, epochs };
}

/** Creates the state's model when there is none (no pre-training), then fine-tunes it as the options say. */
export async function fineTune(state: StreamTuneState, o: StreamTuneOptions): Promise<BottleneckModel> {
  if (!state.model) {
    // No pre-training: a fresh model, features scaled on the job's own first windows.
    state.model = BottleneckModel.create(modelConfigOf(recipeOf(o), state.freshSeed), FeatureScaler.fit(state.data, featureNames(o.features)));
  }
  const model = state.model;
  if (o.fineTune === 'frozen' || o.fineTuneEpochs === 0) return model;
  const plan = fineTuneSet(state, o);
  if (!plan) return model;
  state.decisions++;
  await trainModel(model, plan.set, {
    fineTune: o.fineTune,
    epochs: plan.epochs,
    lr: o.fineTuneLr,
    batchSize: plan.set.length,
    seed: state.freshSeed + state.data.length,
    posWeight: lossWeight(recipeOf(o)),
    ...(o.fineTune === 'headOnly' ? { embeddingCache: state.embeddings } : {}),
  });
  return model;
}
