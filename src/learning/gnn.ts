/**
 * Node encoders (reference §7) and block-diagonal batching.
 *
 * GNN layer (GraphSAGE-mean style, bidirectional by default), for layer l with separate weights for the node
 * itself, its in-neighbours (messages along the edge direction) and its out-neighbours (against it, the way
 * backpressure travels):
 *
 *     h' = ReLU(h W_self + mean_{u -> v} h_u W_in + mean_{v -> w} h_w W_out + b)
 *
 * The means are products with row-normalised adjacency matrices. A batch of graphs is one block-diagonal
 * adjacency (dense: TF.js's wasm backend has no gradient kernel for scatter/segment-sum, and the jobs are small),
 * so every graph's nodes only ever see their own graph.
 *
 * The 'mlp' encoder (ablation) applies the same depth of ReLU layers to each operator's features alone.
 * With `skip`, the encoder's output is [x, h] so the head also sees the raw (scaled) features linearly.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/random.js';
import type { FeatureScaler, GraphFeatures, LabelledGraph } from './features.js';
import type { ParamStore } from './params.js';

export type EncoderKind = 'gnn' | 'mlp';
export type Direction = 'both' | 'forward' | 'backward';

export interface EncoderConfig {
  kind: EncoderKind;
  /** Message-passing (or dense, for 'mlp') layers; 2 or 3 in the reference design. */
  layers: number;
  hidden: number;
  /** 'both': in- and out-neighbours; 'forward': in-neighbours only; 'backward': out-neighbours only. */
  direction: Direction;
  /** Concatenate the (scaled) input features to the final embedding. */
  skip: boolean;
}

export const DEFAULT_ENCODER: EncoderConfig = { kind: 'gnn', layers: 2, hidden: 32, direction: 'both', skip: true };

export function validateEncoderConfig(c: EncoderConfig): void {
  if (c.kind !== 'gnn' && c.kind !== 'mlp') throw new Error(`encoder.kind must be 'gnn' or 'mlp', got '${String(c.kind)}'`);
  if (!Number.isInteger(c.layers) || c.layers < 1 || c.layers > 8) throw new Error(`encoder.layers must be an integer in [1, 8], got ${c.layers}`);
  if (!Number.isInteger(c.hidden) || c.hidden < 1) throw new Error(`encoder.hidden must be an integer >= 1, got ${c.hidden}`);
  if (!['both', 'forward', 'backward'].includes(c.direction)) throw new Error(`encoder.direction must be both|forward|backward, got '${c.direction}'`);
}

/** Width of the encoder's output for a given input width. */
export function encoderOutputDim(c: EncoderConfig, inputDim: number): number {
  return c.hidden + (c.skip ? inputDim : 0);
}

/** Creates the encoder's parameters (names 'enc.l<i>.<self|in|out|bias>') in a fixed order. */
export function initEncoder(store: ParamStore, c: EncoderConfig, inputDim: number, rng: Rng): void {
  validateEncoderConfig(c);
  let d = inputDim;
  for (let l = 0; l < c.layers; l++) {
    store.add(`enc.l${l}.self`, 'encoder', [d, c.hidden], 'glorot', rng);
    if (c.kind === 'gnn') {
      if (c.direction !== 'backward') store.add(`enc.l${l}.in`, 'encoder', [d, c.hidden], 'glorot', rng);
      if (c.direction !== 'forward') store.add(`enc.l${l}.out`, 'encoder', [d, c.hidden], 'glorot', rng);
    }
    store.add(`enc.l${l}.bias`, 'encoder', [c.hidden], 'zeros', rng);
    d = c.hidden;
  }
}

export interface EncoderInput {
  /** Scaled node features [N, F]. */
  x: tf.Tensor2D;
  /** Row-normalised in-neighbour adjacency [N, N] (row v averages v's upstream operators). */
  aIn: tf.Tensor2D;
  /** Row-normalised out-neighbour adjacency [N, N]. */
  aOut: tf.Tensor2D;
}

/** Node embeddings [N, encoderOutputDim]. Call inside tf.tidy (or dispose the result). */
export function encode(store: ParamStore, c: EncoderConfig, input: EncoderInput): tf.Tensor2D {
  return tf.tidy(() => {
    let h: tf.Tensor2D = input.x;
    for (let l = 0; l < c.layers; l++) {
      let z = tf.matMul(h, store.get(`enc.l${l}.self`) as tf.Tensor2D);
      if (c.kind === 'gnn') {
        if (c.direction !== 'backward') z = tf.add(z, tf.matMul(input.aIn, tf.matMul(h, store.get(`enc.l${l}.in`) as tf.Tensor2D)));
        if (c.direction !== 'forward') z = tf.add(z, tf.matMul(input.aOut, tf.matMul(h, store.get(`enc.l${l}.out`) as tf.Tensor2D)));
      }
      h = tf.relu(tf.add(z, store.get(`enc.l${l}.bias`))) as tf.Tensor2D;
    }
    return c.skip ? tf.concat([input.x, h], 1) : h;
  });
}

/** Several graphs as one block-diagonal graph. Owns its tensors: call dispose(). */
export interface GraphBatch extends EncoderInput {
  /** Deployed parallelism [N, 1] (raw, >= 1). */
  p: tf.Tensor2D;
  /** Labels [N, 1] and mask [N, 1], when every graph was labelled. */
  labels?: tf.Tensor2D;
  mask?: tf.Tensor2D;
  /** Row offset of each graph in the batch, and its node count. */
  offsets: readonly number[];
  sizes: readonly number[];
  nodes: number;
  dispose(): void;
}

function isLabelled(g: GraphFeatures): g is LabelledGraph {
  return 'labels' in g && 'mask' in g;
}

/** Row-normalised block-diagonal adjacency matrices of a list of graphs (row-major [N x N]). */
export function blockDiagonalAdjacency(graphs: readonly GraphFeatures[]): { aIn: Float32Array; aOut: Float32Array; nodes: number } {
  const nodes = graphs.reduce((a, g) => a + g.nodeIds.length, 0);
  const aIn = new Float32Array(nodes * nodes);
  const aOut = new Float32Array(nodes * nodes);
  let off = 0;
  for (const g of graphs) {
    const n = g.nodeIds.length;
    const indeg = new Array<number>(n).fill(0);
    const outdeg = new Array<number>(n).fill(0);
    for (const [u, v] of g.edges) {
      outdeg[u] = (outdeg[u] as number) + 1;
      indeg[v] = (indeg[v] as number) + 1;
    }
    for (const [u, v] of g.edges) {
      aIn[(off + v) * nodes + off + u] = 1 / (indeg[v] as number);
      aOut[(off + u) * nodes + off + v] = 1 / (outdeg[u] as number);
    }
    off += n;
  }
  return { aIn, aOut, nodes };
}

/** Builds the tensors of a block-diagonal batch (features scaled by `scaler`). */
export function batchGraphs(graphs: readonly GraphFeatures[], scaler: FeatureScaler): GraphBatch {
  if (graphs.length === 0) throw new Error('batchGraphs: no graphs');
  const f = scaler.featureNames.length;
  const { aIn, aOut, nodes } = blockDiagonalAdjacency(graphs);
  const x = new Float32Array(nodes * f);
  const p = new Float32Array(nodes);
  const offsets: number[] = [];
  const sizes: number[] = [];
  const labelled = graphs.every(isLabelled);
  const y = labelled ? new Float32Array(nodes) : undefined;
  const mask = labelled ? new Float32Array(nodes) : undefined;
  let off = 0;
  for (const g of graphs) {
    const n = g.nodeIds.length;
    x.set(scaler.transform(g), off * f);
    p.set(g.p, off);
    if (y && mask && isLabelled(g)) {
      y.set(g.labels, off);
      mask.set(g.mask, off);
    }
    offsets.push(off);
    sizes.push(n);
    off += n;
  }
  const t = {
    x: tf.tensor2d(x, [nodes, f]),
    aIn: tf.tensor2d(aIn, [nodes, nodes]),
    aOut: tf.tensor2d(aOut, [nodes, nodes]),
    p: tf.tensor2d(p, [nodes, 1]),
    labels: y ? tf.tensor2d(y, [nodes, 1]) : undefined,
    mask: mask ? tf.tensor2d(mask, [nodes, 1]) : undefined,
  };
  return {
    ...t,
    offsets,
    sizes,
    nodes,
    dispose() {
      for (const v of Object.values(t)) v?.dispose();
    },
  };
}

/** Splits a flat per-node array of a batch back into one array per graph. */
export function splitByGraph(values: Float32Array, batch: Pick<GraphBatch, 'offsets' | 'sizes'>, width = 1): Float32Array[] {
  return batch.offsets.map((o, i) => values.slice(o * width, (o + (batch.sizes[i] as number)) * width));
}

/** Groups graphs into consecutive chunks of at most `maxNodes` nodes (a graph larger than that is its own chunk). */
export function chunkByNodes<G extends GraphFeatures>(graphs: readonly G[], maxNodes: number): G[][] {
  const out: G[][] = [];
  let cur: G[] = [];
  let n = 0;
  for (const g of graphs) {
    const k = g.nodeIds.length;
    if (cur.length > 0 && n + k > maxNodes) {
      out.push(cur);
      cur = [];
      n = 0;
    }
    cur.push(g);
    n += k;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
