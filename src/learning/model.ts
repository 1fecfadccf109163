/**
 * BottleneckModel: feature scaler + encoder (GNN or MLP) + head (monotone or unconstrained), predicting per
 * operator Pr[bottleneck | graph, context, own parallelism]. Weights are tf.Variables initialised from the seeded
 * Rng, so `create(config)` with the same seed gives the same model everywhere.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/random.js';
import { DEFAULT_FEATURES, FeatureScaler, type FeatureName, type GraphFeatures } from './features.js';
import {
  batchGraphs,
  chunkByNodes,
  DEFAULT_ENCODER,
  encode,
  encoderOutputDim,
  initEncoder,
  splitByGraph,
  validateEncoderConfig,
  type EncoderConfig,
  type EncoderInput,
  type GraphBatch,
} from './gnn.js';
import {
  DEFAULT_HEAD,
  headLogits,
  initHead,
  monotoneLogits,
  monotoneParts,
  phi,
  unconstrainedFromHidden,
  unconstrainedHidden,
  validateHeadConfig,
  type HeadConfig,
  type HeadEvaluator,
  type Preparable,
} from './head.js';
import { ParamStore } from './params.js';

export interface ModelConfig {
  featureNames: FeatureName[];
  encoder: EncoderConfig;
  head: HeadConfig;
  /** Seed of the weight initialisation. */
  seed: number;
}

export interface ModelConfigInput {
  featureNames?: readonly FeatureName[];
  encoder?: Partial<EncoderConfig>;
  head?: Partial<HeadConfig>;
  seed?: number;
}

/** Fills defaults (2-layer bidirectional GNN, hidden 32, monotone head with phi = log p, seed 0). */
export function modelConfig(input: ModelConfigInput = {}): ModelConfig {
  const c: ModelConfig = {
    featureNames: [...(input.featureNames ?? DEFAULT_FEATURES)],
    encoder: { ...DEFAULT_ENCODER, ...input.encoder },
    head: { ...DEFAULT_HEAD, ...input.head },
    seed: input.seed ?? 0,
  };
  validateEncoderConfig(c.encoder);
  validateHeadConfig(c.head);
  if (c.head.anchor === 'logWork' && !(c.encoder.skip && c.featureNames.includes('logWork')))
    throw new Error("model: head.anchor 'logWork' needs the encoder's skip and a 'logWork' feature column");
  if (c.featureNames.length === 0) throw new Error('model: no feature columns');
  return c;
}

/** Largest block-diagonal batch (in nodes) that predict() builds. */
const PREDICT_MAX_NODES = 1024;

export class BottleneckModel implements Preparable {
  readonly params = new ParamStore();

  private constructor(
    readonly config: ModelConfig,
    readonly scaler: FeatureScaler,
  ) {
    const rng = new Rng(config.seed).fork('init');
    const f = config.featureNames.length;
    initEncoder(this.params, config.encoder, f, rng.fork('encoder'));
    initHead(this.params, config.head, encoderOutputDim(config.encoder, f), rng.fork('head'));
  }

  /** A freshly initialised model. The scaler defaults to the identity over the configured columns. */
  static create(config: ModelConfigInput | ModelConfig = {}, scaler?: FeatureScaler): BottleneckModel {
    const c = modelConfig(config);
    const s = scaler ?? FeatureScaler.identity(c.featureNames);
    const names = s.featureNames;
    if (names.length !== c.featureNames.length || names.some((n, j) => n !== c.featureNames[j]))
      throw new Error(`model: scaler columns [${names.join(', ')}] differ from the configured [${c.featureNames.join(', ')}]`);
    return new BottleneckModel(c, s);
  }

  get monotone(): boolean {
    return this.config.head.kind === 'monotone';
  }

  /** Width of the embeddings the head consumes. */
  get embeddingDim(): number {
    return encoderOutputDim(this.config.encoder, this.config.featureNames.length);
  }

  batch(graphs: readonly GraphFeatures[]): GraphBatch {
    return batchGraphs(graphs, this.scaler);
  }

  /** Node embeddings [N, D] of a batch. */
  embed(input: EncoderInput): tf.Tensor2D {
    return encode(this.params, this.config.encoder, input);
  }

  /** Logits [N, 1] of a batch at its deployed parallelism (or at p [N, 1]). */
  logits(batch: GraphBatch, p?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.headLogits(this.embed(batch), p ?? batch.p));
  }

  /** Head logits [N, 1] from embeddings h [N, D] at parallelism p [N, 1]. */
  headLogits(h: tf.Tensor2D, p: tf.Tensor2D): tf.Tensor2D {
    return headLogits(this.params, this.config.head, this.scaler, h, p);
  }

  /** Per-graph logits at each graph's deployed parallelism (graphs batched block-diagonally). */
  predictLogits(graphs: readonly GraphFeatures[]): Float32Array[] {
    const out: Float32Array[] = [];
    for (const chunk of chunkByNodes(graphs, PREDICT_MAX_NODES)) {
      const b = this.batch(chunk);
      try {
        const z = tf.tidy(() => this.logits(b).dataSync() as Float32Array);
        out.push(...splitByGraph(z, b));
      } finally {
        b.dispose();
      }
    }
    return out;
  }

  /** Per-graph bottleneck probabilities at each graph's deployed parallelism. */
  predict(graphs: readonly GraphFeatures[]): Float32Array[] {
    return this.predictLogits(graphs).map((z) => z.map((v) => 1 / (1 + Math.exp(-v))));
  }

  /**
   * Runs the encoder once for one graph and keeps what the head needs, for many cheap "what if operator v had
   * parallelism p" evaluations (the smallest-safe-parallelism search). Dispose it when done.
   */
  prepare(graph: GraphFeatures): PreparedGraph {
    return new PreparedGraph(this, graph);
  }

  /** An independent copy (same config, scaler and weights). */
  clone(): BottleneckModel {
    const m = BottleneckModel.create(this.config, this.scaler);
    m.params.assign(this.params.toArrays());
    return m;
  }

  dispose(): void {
    this.params.dispose();
  }
}

/**
 * One graph's cached encoder output and p-free head parts: a HeadEvaluator for the smallest-safe-parallelism
 * search. For the monotone head, g(h_v), the slope and a table of phi(1..pMax) are read out once, and each probe
 * g - slope * phi(p) is then evaluated in float32 arithmetic in JS (Math.fround after every operation, which gives
 * exactly IEEE float32 results), bit-identical to the TF.js forward pass but without a kernel launch per probe.
 * Non-integer or out-of-table p, and the unconstrained head, go through TF.js.
 */
export class PreparedGraph implements HeadEvaluator {
  readonly nodeIds: readonly string[];
  readonly maxParallelism: Int32Array;
  readonly monotone: boolean;
  /** Monotone head: cached tensors and their values. */
  private readonly g?: tf.Tensor2D;
  private readonly slope?: tf.Tensor2D;
  private readonly gValues?: Float32Array;
  private readonly slopeValues?: Float32Array;
  private phiTable?: Float32Array;
  /** Unconstrained head: h W1[:D] + b1 per node. */
  private readonly hidden?: tf.Tensor2D;

  constructor(
    private readonly model: BottleneckModel,
    readonly graph: GraphFeatures,
  ) {
    this.nodeIds = graph.nodeIds;
    this.maxParallelism = graph.maxParallelism;
    this.monotone = model.monotone;
    const b = model.batch([graph]);
    try {
      const parts = tf.tidy(() => {
        const h = model.embed(b);
        return this.monotone ? monotoneParts(model.params, model.config.head, h, model.scaler) : { hidden: unconstrainedHidden(model.params, h) };
      });
      if ('g' in parts) {
        this.g = parts.g;
        this.slope = parts.slope;
      } else this.hidden = parts.hidden;
    } finally {
      b.dispose();
    }
    if (this.g && this.slope) {
      this.gValues = new Float32Array(this.g.dataSync() as Float32Array);
      this.slopeValues = new Float32Array(this.slope.dataSync() as Float32Array);
    }
  }

  /** phi(1..n), computed by TF.js once (and again only when a larger p is asked for). */
  private phiUpTo(n: number): Float32Array {
    if (!this.phiTable || this.phiTable.length < n) {
      const size = Math.max(n, ...Array.from(this.maxParallelism));
      this.phiTable = tf.tidy(
        () => new Float32Array(phi(this.model.params, this.model.config.head, tf.range(1, size + 1, 1, 'float32')).dataSync() as Float32Array),
      );
    }
    return this.phiTable;
  }

  logitsAt(nodes: Int32Array, p: Float32Array): Float32Array {
    if (nodes.length !== p.length) throw new Error('logitsAt: nodes and p differ in length');
    if (nodes.length === 0) return new Float32Array(0);
    for (const i of nodes) if (!(i >= 0 && i < this.nodeIds.length)) throw new Error(`logitsAt: no node ${i}`);
    const { params, config, scaler } = this.model;
    const g = this.gValues;
    const s = this.slopeValues;
    if (g && s) {
      let pmax = 0;
      let integral = true;
      for (const v of p) {
        if (!(Number.isInteger(v) && v >= 1)) integral = false;
        if (v > pmax) pmax = v;
      }
      if (integral) {
        const table = this.phiUpTo(pmax);
        const out = new Float32Array(nodes.length);
        const global = s.length === 1;
        for (let k = 0; k < nodes.length; k++) {
          const i = nodes[k] as number;
          const prod = Math.fround((s[global ? 0 : i] as number) * (table[(p[k] as number) - 1] as number));
          out[k] = Math.fround((g[i] as number) - prod);
        }
        return out;
      }
    }
    return tf.tidy(() => {
      const idx = tf.tensor1d(nodes, 'int32');
      const pt = tf.tensor2d(p, [p.length, 1]);
      if (this.g && this.slope) {
        const sl = config.head.slope === 'global' ? this.slope : tf.gather(this.slope, idx);
        return monotoneLogits(params, config.head, tf.gather(this.g, idx), sl, pt).dataSync() as Float32Array;
      }
      return unconstrainedFromHidden(params, scaler, tf.gather(this.hidden as tf.Tensor2D, idx), pt).dataSync() as Float32Array;
    });
  }

  /** Logits of every node at the given per-node parallelism (default: deployed). */
  logitsAtParallelism(p: Float32Array = this.graph.p): Float32Array {
    return this.logitsAt(Int32Array.from(this.nodeIds.map((_, i) => i)), p);
  }

  dispose(): void {
    this.g?.dispose();
    this.slope?.dispose();
    this.hidden?.dispose();
  }
}
