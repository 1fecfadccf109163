/**
 * Training (reference §7): per-node BCE on the bottleneck labels through the head, positives weighted
 * n_neg / n_pos, Adam (lr 1e-3), mini-batches of graphs (block-diagonal), epochs. Deterministic for a seed: the
 * weights come from the seeded Rng (model.ts), batches are shuffled with Rng, and no TF.js random op is used.
 *
 * Fine-tune modes: 'full' trains encoder and head; 'headOnly' freezes the encoder (its embeddings are computed
 * once and cached) and trains the head; 'frozen' trains nothing (the pre-trained model is used as is).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/random.js';
import { FeatureScaler, type LabelledGraph } from './features.js';
import { chunkByNodes, splitByGraph } from './gnn.js';
import { BottleneckModel, type ModelConfigInput } from './model.js';

export type FineTuneMode = 'headOnly' | 'full' | 'frozen';

export interface EpochReport {
  epoch: number;
  /** Mean weighted BCE over the epoch's batches. */
  loss: number;
}

export interface TrainOptions {
  /** Default 200. */
  epochs?: number;
  /** Graphs per batch; default 16. */
  batchSize?: number;
  /** Adam learning rate; default 1e-3. */
  lr?: number;
  /** Seed of the batch order; default the model's seed. */
  seed?: number;
  /** Default 'full'. */
  fineTune?: FineTuneMode;
  /** Weight of positive nodes; 'auto' (default) = n_neg / n_pos over the training set (1 when a class is absent). */
  posWeight?: number | 'auto';
  /** Called after every epoch; return false to stop early. */
  onEpoch?: (r: EpochReport) => void | boolean;
  /**
   * headOnly: embeddings kept across calls (the encoder is frozen, so a graph's embedding never changes), keyed by
   * the graph's feature matrix (cross-window pairs share their context's). Missing ones are computed and added;
   * the caller owns (and disposes) the tensors. A warm start for repeated fine-tuning on a growing set.
   */
  embeddingCache?: Map<Float32Array, tf.Tensor2D>;
}

export interface TrainResult {
  /** Loss per epoch (empty for 'frozen'). */
  losses: number[];
  posWeight: number;
  epochs: number;
  steps: number;
}

/** n_neg / n_pos over the labelled (unmasked) nodes; 1 when either class is absent. */
export function positiveWeight(data: readonly LabelledGraph[]): number {
  let pos = 0;
  let neg = 0;
  for (const g of data)
    for (let i = 0; i < g.labels.length; i++) {
      if (!(g.mask[i] as number)) continue;
      if ((g.labels[i] as number) >= 0.5) pos++;
      else neg++;
    }
  return pos > 0 && neg > 0 ? neg / pos : 1;
}

/**
 * Weighted BCE with logits, numerically stable: sum_i w_i * bce_i / sum_i w_i with
 * w_i = mask_i * (posWeight if y_i = 1 else 1).
 */
export function weightedBce(logits: tf.Tensor, labels: tf.Tensor, mask: tf.Tensor, posWeight: number): tf.Scalar {
  return tf.tidy(() => {
    const w = tf.mul(mask, tf.add(1, tf.mul(labels, posWeight - 1)));
    const l = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    return tf.div(tf.sum(tf.mul(w, l)), tf.maximum(tf.sum(w), 1e-12)) as tf.Scalar;
  });
}

function validate(data: readonly LabelledGraph[], model: BottleneckModel): void {
  const names = model.config.featureNames;
  for (const g of data) {
    if (g.featureNames.length !== names.length || g.featureNames.some((n, j) => n !== names[j]))
      throw new Error(`train: graph '${g.job}' has feature columns that differ from the model's`);
    if (g.labels.length !== g.nodeIds.length || g.mask.length !== g.nodeIds.length) throw new Error(`train: graph '${g.job}' has labels of the wrong length`);
  }
}

/** Trains `model` in place. */
export async function trainModel(model: BottleneckModel, data: readonly LabelledGraph[], opts: TrainOptions = {}): Promise<TrainResult> {
  validate(data, model);
  const mode = opts.fineTune ?? 'full';
  const epochs = opts.epochs ?? 200;
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 16));
  const posWeight = opts.posWeight === undefined || opts.posWeight === 'auto' ? positiveWeight(data) : opts.posWeight;
  // No clock here: training is reached from StreamTune's decide() (fine-tuning), and time is the loop's.
  const result = (losses: number[], steps: number, ran: number): TrainResult => ({ losses, posWeight, epochs: ran, steps });
  if (mode === 'frozen' || data.length === 0 || epochs <= 0) return result([], 0, 0);

  const rng = new Rng(opts.seed ?? model.config.seed).fork('train');
  const optimizer = tf.train.adam(opts.lr ?? 1e-3);
  const varList = model.params.variables(mode === 'headOnly' ? 'head' : undefined);
  // headOnly: the encoder is frozen, so each graph's embedding is computed once.
  const shared = mode === 'headOnly' ? opts.embeddingCache : undefined;
  const cached = mode === 'headOnly' ? (shared ? sharedEmbeddings(model, data, shared) : cacheEmbeddings(model, data)) : undefined;
  const losses: number[] = [];
  let steps = 0;
  let ran = 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = rng.shuffle(data.map((_, i) => i));
      const batchLosses: tf.Scalar[] = [];
      for (let s = 0; s < order.length; s += batchSize) {
        const ids = order.slice(s, s + batchSize);
        const graphs = ids.map((i) => data[i] as LabelledGraph);
        const loss = cached ? headStep(model, optimizer, varList, graphs, ids, cached, posWeight) : fullStep(model, optimizer, varList, graphs, posWeight);
        batchLosses.push(loss);
        steps++;
      }
      const mean = tf.tidy(() => tf.mean(tf.stack(batchLosses)));
      const loss = (await mean.data())[0] as number;
      mean.dispose();
      for (const l of batchLosses) l.dispose();
      losses.push(loss);
      ran++;
      if (opts.onEpoch?.({ epoch, loss }) === false) break;
    }
  } finally {
    optimizer.dispose();
    if (!shared) cached?.forEach((t) => t.dispose());
  }
  return result(losses, steps, ran);
}

function fullStep(model: BottleneckModel, optimizer: tf.Optimizer, varList: tf.Variable[], graphs: LabelledGraph[], posWeight: number): tf.Scalar {
  const b = model.batch(graphs);
  try {
    return optimizer.minimize(
      () => weightedBce(model.logits(b), b.labels as tf.Tensor2D, b.mask as tf.Tensor2D, posWeight),
      true,
      varList,
    ) as tf.Scalar;
  } finally {
    b.dispose();
  }
}

function cacheEmbeddings(model: BottleneckModel, data: readonly LabelledGraph[]): tf.Tensor2D[] {
  const out: tf.Tensor2D[] = [];
  const d = model.embeddingDim;
  for (const chunk of chunkByNodes(data, 1024)) {
    const b = model.batch(chunk);
    try {
      const h = tf.tidy(() => model.embed(b).dataSync() as Float32Array);
      for (const rows of splitByGraph(h, b, d)) out.push(tf.tensor2d(rows, [rows.length / d, d]));
    } finally {
      b.dispose();
    }
  }
  return out;
}

/** Embeddings of `data` from (and into) a cache keyed by feature matrix. */
function sharedEmbeddings(model: BottleneckModel, data: readonly LabelledGraph[], cache: Map<Float32Array, tf.Tensor2D>): tf.Tensor2D[] {
  const missing = [...new Set(data.filter((g) => !cache.has(g.x)).map((g) => g.x))].map((x) => data.find((g) => g.x === x) as LabelledGraph);
  if (missing.length > 0) {
    const fresh = cacheEmbeddings(model, missing);
    missing.forEach((g, i) => cache.set(g.x, fresh[i] as tf.Tensor2D));
  }
  return data.map((g) => cache.get(g.x) as tf.Tensor2D);
}

function headStep(
  model: BottleneckModel,
  optimizer: tf.Optimizer,
  varList: tf.Variable[],
  graphs: LabelledGraph[],
  ids: number[],
  cached: tf.Tensor2D[],
  posWeight: number,
): tf.Scalar {
  const cat = (f: (g: LabelledGraph) => Float32Array) => {
    const parts = graphs.map(f);
    const out = new Float32Array(parts.reduce((a, x) => a + x.length, 0));
    let o = 0;
    for (const x of parts) {
      out.set(x, o);
      o += x.length;
    }
    return tf.tensor2d(out, [out.length, 1]);
  };
  return tf.tidy(() => {
    const h = ids.length === 1 ? (cached[ids[0] as number] as tf.Tensor2D) : tf.concat(ids.map((i) => cached[i] as tf.Tensor2D), 0);
    const p = cat((g) => g.p);
    const y = cat((g) => g.labels);
    const m = cat((g) => g.mask);
    return optimizer.minimize(() => weightedBce(model.headLogits(h, p), y, m, posWeight), true, varList) as tf.Scalar;
  });
}

export interface EvaluationReport {
  /** Weighted BCE (same weighting as training). */
  loss: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** Labelled nodes and positives among them. */
  nodes: number;
  positives: number;
}

/** Loss and classification quality at threshold theta (predicted bottleneck iff Pr >= theta). */
export function evaluateModel(model: BottleneckModel, data: readonly LabelledGraph[], opts: { theta?: number; posWeight?: number } = {}): EvaluationReport {
  const theta = opts.theta ?? 0.5;
  const pw = opts.posWeight ?? positiveWeight(data);
  const logits = model.predictLogits(data);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let wsum = 0;
  let lsum = 0;
  data.forEach((g, k) => {
    const z = logits[k] as Float32Array;
    for (let i = 0; i < g.labels.length; i++) {
      if (!(g.mask[i] as number)) continue;
      const y = (g.labels[i] as number) >= 0.5;
      const zi = z[i] as number;
      const pr = 1 / (1 + Math.exp(-zi));
      const w = y ? pw : 1;
      lsum += w * (Math.max(zi, 0) - zi * (y ? 1 : 0) + Math.log1p(Math.exp(-Math.abs(zi))));
      wsum += w;
      if (pr >= theta) {
        if (y) tp++;
        else fp++;
      } else if (y) fn++;
      else tn++;
    }
  });
  const n = tp + fp + tn + fn;
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  return {
    loss: wsum > 0 ? lsum / wsum : 0,
    accuracy: n > 0 ? (tp + tn) / n : 0,
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    nodes: n,
    positives: tp + fn,
  };
}

/** Pre-training from scratch: fits the feature scaler on `data`, creates a model, trains it ('full'). */
export async function pretrain(
  data: readonly LabelledGraph[],
  config: ModelConfigInput = {},
  opts: Omit<TrainOptions, 'fineTune'> = {},
): Promise<{ model: BottleneckModel; result: TrainResult }> {
  if (data.length === 0) throw new Error('pretrain: no data');
  const featureNames = config.featureNames ?? data[0]?.featureNames;
  const scaler = FeatureScaler.fit(data, featureNames);
  const model = BottleneckModel.create({ ...config, featureNames }, scaler);
  const result = await trainModel(model, data, { ...opts, fineTune: 'full' });
  return { model, result };
}
