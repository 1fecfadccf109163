/**
 * Bottleneck heads (reference §8) and the smallest-safe-parallelism search (§9 step 5).
 *
 * Monotone head (default):
 *
 *     logit_v(p) = g(h_v) - softplus(s(h_v)) * phi(p)
 *
 * g is a one-hidden-layer ReLU MLP, s is a scalar ('global') or an affine function of h_v ('perNode'), and phi is
 * increasing in p: log p, or ('bases') softplus(a0) log p + sum_k softplus(a_k) relu(log p - c_k)
 * + sum_k softplus(b_k) sigmoid((log p - c_k) / w), knots c_k spread over [0, log pRef]. Every coefficient on the
 * p path is a softplus (>= 0) and the embedding h_v never sees p, so the logit (and the probability) is
 * non-increasing in the operator's own parallelism for every input and every weight: by construction, not by
 * training. Float32 rounding is monotone, so this also holds for the computed numbers.
 *
 * Unconstrained head (ablation 'no monotone'): an MLP over [h_v, scaled p, scaled log p].
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/random.js';
import type { FeatureScaler, GraphFeatures } from './features.js';
import type { ParamStore } from './params.js';

export type HeadKind = 'monotone' | 'unconstrained';
export type PhiKind = 'log' | 'bases';

export interface HeadConfig {
  kind: HeadKind;
  /** Hidden width of g (monotone) or of the MLP (unconstrained). */
  hidden: number;
  /** phi for the monotone head. */
  phi: PhiKind;
  /** Number of ReLU and of sigmoid bases when phi = 'bases'. */
  bases: number;
  /** One slope for all operators, or one per operator computed from its embedding. */
  slope: 'global' | 'perNode';
  /** Largest parallelism the phi bases are spread over. */
  pRef: number;
  /**
   * Monotone head: 'logWork' adds slope x logWork (the operator's observed instance-equivalents at the target rate,
   * read back unscaled from the encoder's skip columns), so that the logit is g(h) - slope x (phi(p) - logWork): the
   * head judges p against the work the window shows, and g learns the correction (non-linear scaling, skew, noise).
   * Still non-increasing in p (logWork is a feature, not p). Needs the encoder's skip and a 'logWork' column. 'none':
   * g(h) - slope x phi(p).
   */
  anchor?: 'none' | 'logWork';
}

export const DEFAULT_HEAD: HeadConfig = { kind: 'monotone', hidden: 32, phi: 'log', bases: 4, slope: 'perNode', pRef: 128 };

/** softplus^-1(1): a raw value whose softplus is 1. */
const SOFTPLUS_ONE = Math.log(Math.E - 1);

export function validateHeadConfig(c: HeadConfig): void {
  if (c.kind !== 'monotone' && c.kind !== 'unconstrained') throw new Error(`head.kind must be monotone|unconstrained, got '${String(c.kind)}'`);
  if (!Number.isInteger(c.hidden) || c.hidden < 1) throw new Error(`head.hidden must be an integer >= 1, got ${c.hidden}`);
  if (c.phi !== 'log' && c.phi !== 'bases') throw new Error(`head.phi must be log|bases, got '${String(c.phi)}'`);
  if (!Number.isInteger(c.bases) || c.bases < 1) throw new Error(`head.bases must be an integer >= 1, got ${c.bases}`);
  if (c.slope !== 'global' && c.slope !== 'perNode') throw new Error(`head.slope must be global|perNode, got '${String(c.slope)}'`);
  if (!(c.pRef > 1)) throw new Error(`head.pRef must be > 1, got ${c.pRef}`);
}

/** Creates the head's parameters (names 'head.*') in a fixed order. */
export function initHead(store: ParamStore, c: HeadConfig, inputDim: number, rng: Rng): void {
  validateHeadConfig(c);
  if (c.kind === 'monotone') {
    store.add('head.g.w1', 'head', [inputDim, c.hidden], 'glorot', rng);
    store.add('head.g.b1', 'head', [c.hidden], 'zeros', rng);
    store.add('head.g.w2', 'head', [c.hidden, 1], 'glorot', rng);
    store.add('head.g.b2', 'head', [1], 'zeros', rng);
    store.add('head.slope.b', 'head', [1], { constant: SOFTPLUS_ONE }, rng);
    if (c.slope === 'perNode') store.add('head.slope.w', 'head', [inputDim, 1], { uniform: 0.01 }, rng);
    if (c.phi === 'bases') {
      store.add('head.phi.a0', 'head', [1], { constant: SOFTPLUS_ONE }, rng);
      store.add('head.phi.relu', 'head', [c.bases], { constant: -3 }, rng);
      store.add('head.phi.sigmoid', 'head', [c.bases], { constant: -3 }, rng);
    }
  } else {
    store.add('head.u.w1', 'head', [inputDim + 2, c.hidden], 'glorot', rng);
    store.add('head.u.b1', 'head', [c.hidden], 'zeros', rng);
    store.add('head.u.w2', 'head', [c.hidden, 1], 'glorot', rng);
    store.add('head.u.b2', 'head', [1], 'zeros', rng);
  }
}

/** Knot positions (in log p) and the sigmoid width of the 'bases' phi. */
export function phiKnots(c: HeadConfig): { knots: number[]; width: number } {
  const span = Math.log(c.pRef);
  return { knots: Array.from({ length: c.bases }, (_, k) => (span * (k + 0.5)) / c.bases), width: span / c.bases };
}

/** phi(p), elementwise, for a tensor of parallelism values of any shape. */
export function phi(store: ParamStore, c: HeadConfig, p: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const lp = tf.log(p);
    if (c.phi === 'log') return lp;
    const { knots, width } = phiKnots(c);
    const e = tf.expandDims(lp, -1); // [..., 1]
    const shifted = tf.sub(e, tf.tensor1d(knots)); // [..., B]
    const relu = tf.sum(tf.mul(tf.relu(shifted), tf.softplus(store.get('head.phi.relu'))), -1);
    const sig = tf.sum(tf.mul(tf.sigmoid(tf.div(shifted, width)), tf.softplus(store.get('head.phi.sigmoid'))), -1);
    return tf.add(tf.add(tf.mul(lp, tf.softplus(store.get('head.phi.a0'))), relu), sig);
  });
}

/** The p-free parts of the monotone head: g(h) [N, 1] and the non-negative slope [N, 1] (or [1, 1] when global). */
export function monotoneParts(store: ParamStore, c: HeadConfig, h: tf.Tensor2D, scaler?: FeatureScaler): { g: tf.Tensor2D; slope: tf.Tensor2D } {
  return tf.tidy(() => {
    const hid = tf.relu(tf.add(tf.matMul(h, store.get('head.g.w1') as tf.Tensor2D), store.get('head.g.b1')));
    const g0 = tf.add(tf.matMul(hid, store.get('head.g.w2') as tf.Tensor2D), store.get('head.g.b2')) as tf.Tensor2D;
    const raw =
      c.slope === 'perNode'
        ? tf.add(tf.matMul(h, store.get('head.slope.w') as tf.Tensor2D), store.get('head.slope.b'))
        : tf.reshape(store.get('head.slope.b'), [1, 1]);
    const slope = tf.softplus(raw) as tf.Tensor2D;
    const a = c.anchor === 'logWork' && scaler ? anchorColumn(scaler, h) : undefined;
    return { g: a ? (tf.add(g0, tf.mul(slope, a)) as tf.Tensor2D) : g0, slope };
  });
}

/** The unscaled 'logWork' column [N, 1] from the skip part of the embedding (the scaled features come first). */
function anchorColumn(scaler: FeatureScaler, h: tf.Tensor2D): tf.Tensor2D | undefined {
  const j = scaler.featureNames.indexOf('logWork');
  if (j < 0 || j >= (h.shape[1] as number)) return undefined;
  const s = scaler.json;
  return tf.add(tf.mul(tf.slice(h, [0, j], [-1, 1]), s.std[j] as number), s.mean[j] as number) as tf.Tensor2D;
}

/** Monotone logits from precomputed parts: g - slope * phi(p); p is [N, K] (K candidates per node). */
export function monotoneLogits(store: ParamStore, c: HeadConfig, g: tf.Tensor2D, slope: tf.Tensor2D, p: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.sub(g, tf.mul(slope, phi(store, c, p))) as tf.Tensor2D);
}

/** Scaled [p, log p] columns for the unconstrained head; p is [M, 1]. */
export function parallelismFeatures(scaler: FeatureScaler, p: tf.Tensor2D): tf.Tensor2D {
  const s = scaler.json;
  return tf.tidy(
    () => tf.concat([tf.div(tf.sub(p, s.p.mean), s.p.std), tf.div(tf.sub(tf.log(p), s.logP.mean), s.logP.std)], 1) as tf.Tensor2D,
  );
}

/**
 * The p-free part of the unconstrained head's first layer: h W1[:D] + b1 [N, hidden]. Splitting the first layer
 * this way lets the search evaluate many candidate p per operator without re-multiplying the embedding.
 */
export function unconstrainedHidden(store: ParamStore, h: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const w1 = store.get('head.u.w1') as tf.Tensor2D;
    const d = h.shape[1];
    return tf.add(tf.matMul(h, tf.slice(w1, [0, 0], [d, w1.shape[1]])), store.get('head.u.b1')) as tf.Tensor2D;
  });
}

/** Unconstrained logits [M, 1] from rows of unconstrainedHidden [M, hidden], each with one candidate p [M, 1]. */
export function unconstrainedFromHidden(store: ParamStore, scaler: FeatureScaler, hw: tf.Tensor2D, p: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const w1 = store.get('head.u.w1') as tf.Tensor2D;
    const wp = tf.slice(w1, [w1.shape[0] - 2, 0], [2, w1.shape[1]]);
    const hid = tf.relu(tf.add(hw, tf.matMul(parallelismFeatures(scaler, p), wp)));
    return tf.add(tf.matMul(hid, store.get('head.u.w2') as tf.Tensor2D), store.get('head.u.b2')) as tf.Tensor2D;
  });
}

/** Unconstrained logits for rows h [M, D] each paired with one candidate p [M, 1]: an MLP over [h, p, log p]. */
export function unconstrainedLogits(store: ParamStore, scaler: FeatureScaler, h: tf.Tensor2D, p: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => unconstrainedFromHidden(store, scaler, unconstrainedHidden(store, h), p));
}

/** Logits [N, 1] for embeddings h [N, D] at parallelism p [N, 1], either head. */
export function headLogits(store: ParamStore, c: HeadConfig, scaler: FeatureScaler, h: tf.Tensor2D, p: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    if (c.kind === 'unconstrained') return unconstrainedLogits(store, scaler, h, p);
    const { g, slope } = monotoneParts(store, c, h, scaler);
    return monotoneLogits(store, c, g, slope, p);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Smallest safe parallelism

/** What the search needs: logits for (node, candidate p) pairs with everything else held fixed. */
export interface HeadEvaluator {
  readonly nodeIds: readonly string[];
  /** True when the head is monotone non-increasing in p (binary search is valid). */
  readonly monotone: boolean;
  /** Each node's upper bound (its maxParallelism). */
  readonly maxParallelism: ArrayLike<number>;
  /** Logit of node nodes[i] at parallelism p[i], for every i (one batched evaluation). */
  logitsAt(nodes: Int32Array, p: Float32Array): Float32Array;
}

/** Something that turns a graph into a HeadEvaluator (a BottleneckModel does). */
export interface Preparable {
  prepare(graph: GraphFeatures): HeadEvaluator & { dispose(): void };
}

/** The "model inputs" form: a model and one graph's features (deployed context). */
export interface ModelInputs {
  model: Preparable;
  graph: GraphFeatures;
}

export interface SafeParallelism {
  /** Smallest p in [pMin, pMax] predicted safe; pMax when none is. */
  p: number;
  /** Whether some p in range was predicted safe. */
  found: boolean;
  /** Predicted bottleneck probability at the returned p. */
  probability: number;
  /** Candidate evaluations made (binary search: about log2(pMax) + 1). */
  probes: number;
}

export interface SearchOptions {
  /** Bottleneck threshold: p is safe iff Pr[bottleneck] < theta. Default 0.5. */
  theta?: number;
  /** Upper bound; default the operator's maxParallelism. */
  pMax?: number;
  /** Lower bound (e.g. one above a parallelism observed as a bottleneck). Default 1. */
  pMin?: number;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function logitOf(theta: number): number {
  if (!(theta > 0 && theta < 1)) throw new Error(`theta must be in (0, 1), got ${theta}`);
  return Math.log(theta / (1 - theta));
}

function isModelInputs(x: HeadEvaluator | ModelInputs): x is ModelInputs {
  return typeof (x as Partial<HeadEvaluator>).logitsAt !== 'function';
}

function withEvaluator<T>(inputs: HeadEvaluator | ModelInputs, f: (ev: HeadEvaluator) => T): T {
  if (!isModelInputs(inputs)) return f(inputs);
  const ev = inputs.model.prepare(inputs.graph);
  try {
    return f(ev);
  } finally {
    ev.dispose();
  }
}

function nodeIndex(ev: HeadEvaluator, op: string | number): number {
  const i = typeof op === 'number' ? op : ev.nodeIds.indexOf(op);
  if (!(i >= 0 && i < ev.nodeIds.length)) throw new Error(`smallestSafeParallelism: no operator '${op}'`);
  return i;
}

function bounds(ev: HeadEvaluator, i: number, opts: SearchOptions): [number, number] {
  const hi = Math.floor(opts.pMax ?? (ev.maxParallelism[i] as number));
  const lo = Math.max(1, Math.ceil(opts.pMin ?? 1));
  if (!(hi >= 1)) throw new Error(`pMax must be >= 1, got ${hi}`);
  return [Math.min(lo, hi), hi];
}

/**
 * The smallest parallelism of one operator predicted not to be a bottleneck (Pr < theta), with every other input
 * held at the deployed context. Binary search for a monotone head, a scan over every candidate otherwise.
 */
export function searchSafeParallelism(inputs: HeadEvaluator | ModelInputs, op: string | number, opts: SearchOptions = {}): SafeParallelism {
  return withEvaluator(inputs, (ev) => searchAll(ev, [nodeIndex(ev, op)], opts)[0] as SafeParallelism);
}

/** smallestSafeParallelism(model inputs, op, theta, pMax): the p of searchSafeParallelism. */
export function smallestSafeParallelism(inputs: HeadEvaluator | ModelInputs, op: string | number, theta = 0.5, pMax?: number, pMin?: number): number {
  return searchSafeParallelism(inputs, op, { theta, pMax, pMin }).p;
}

/** Every operator at once (batched: one evaluation per binary-search step for all operators). */
export function smallestSafeParallelismAll(inputs: HeadEvaluator | ModelInputs, opts: SearchOptions = {}): Record<string, SafeParallelism> {
  return withEvaluator(inputs, (ev) => {
    const res = searchAll(
      ev,
      ev.nodeIds.map((_, i) => i),
      opts,
    );
    return Object.fromEntries(ev.nodeIds.map((id, i) => [id, res[i] as SafeParallelism]));
  });
}

function searchAll(ev: HeadEvaluator, nodes: number[], opts: SearchOptions): SafeParallelism[] {
  const cut = logitOf(opts.theta ?? 0.5);
  return ev.monotone ? binarySearch(ev, nodes, opts, cut) : linearScan(ev, nodes, opts, cut);
}

function binarySearch(ev: HeadEvaluator, nodes: number[], opts: SearchOptions, cut: number): SafeParallelism[] {
  const lo = nodes.map((i) => bounds(ev, i, opts)[0]);
  const hi = nodes.map((i) => bounds(ev, i, opts)[1]);
  const hiLogit = new Float64Array(nodes.length);
  const probes = new Array<number>(nodes.length).fill(1);
  // First probe: the upper bound. If even that is predicted a bottleneck, the answer is pMax (not found).
  const top = ev.logitsAt(Int32Array.from(nodes), Float32Array.from(hi));
  const found = nodes.map((_, k) => (top[k] as number) < cut);
  nodes.forEach((_, k) => (hiLogit[k] = top[k] as number));
  for (;;) {
    const active = nodes.map((_, k) => k).filter((k) => found[k] && (lo[k] as number) < (hi[k] as number));
    if (active.length === 0) break;
    const mids = active.map((k) => Math.floor(((lo[k] as number) + (hi[k] as number)) / 2));
    const z = ev.logitsAt(Int32Array.from(active.map((k) => nodes[k] as number)), Float32Array.from(mids));
    active.forEach((k, j) => {
      probes[k] = (probes[k] as number) + 1;
      const zj = z[j] as number;
      if (zj < cut) {
        hi[k] = mids[j] as number;
        hiLogit[k] = zj;
      } else lo[k] = (mids[j] as number) + 1;
    });
  }
  return nodes.map((_, k) => ({ p: hi[k] as number, found: found[k] as boolean, probability: sigmoid(hiLogit[k] as number), probes: probes[k] as number }));
}

function linearScan(ev: HeadEvaluator, nodes: number[], opts: SearchOptions, cut: number): SafeParallelism[] {
  const idx: number[] = [];
  const ps: number[] = [];
  const ranges = nodes.map((i) => bounds(ev, i, opts));
  nodes.forEach((i, k) => {
    const [lo, hi] = ranges[k] as [number, number];
    for (let p = lo; p <= hi; p++) {
      idx.push(i);
      ps.push(p);
    }
  });
  const z = ev.logitsAt(Int32Array.from(idx), Float32Array.from(ps));
  let off = 0;
  return nodes.map((_, k) => {
    const [lo, hi] = ranges[k] as [number, number];
    const n = hi - lo + 1;
    let best = -1;
    for (let j = 0; j < n; j++)
      if ((z[off + j] as number) < cut) {
        best = j;
        break;
      }
    const j = best >= 0 ? best : n - 1;
    const r = { p: lo + j, found: best >= 0, probability: sigmoid(z[off + j] as number), probes: n };
    off += n;
    return r;
  });
}
