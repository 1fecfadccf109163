/**
 * ContTune's Gaussian process (ljqcodelove/ContTune code/GPofContTune.py, class GPR): zero-mean GP on one input
 * (parallelism) with the RBF kernel sigma_f^2 * exp(-|x - x'|^2 / (2 l^2)), hyper-parameters (l, sigma_f) fitted by
 * minimising the negative log marginal likelihood with bounded L-BFGS, jitter 1e-8 on the diagonal.
 *
 * Numerics: the reference inverts K with numpy (inv, slogdet), which silently returns inaccurate values when K is
 * numerically singular (large l, sigma_f ~ 1e5..1e6). Here K is factorised by Cholesky; when the factor does not
 * exist in double precision the jitter is raised (relative to sigma_f^2, by powers of ten) only as far as needed.
 */
import { minimizeBounded } from './lbfgsb.js';

export interface GpHyper {
  readonly l: number;
  readonly sigmaF: number;
}

export interface GpFitOptions {
  readonly init: GpHyper;
  readonly lBounds: readonly [number, number];
  readonly sigmaFBounds: readonly [number, number];
  readonly jitter: number;
  /** Fit (l, sigma_f) by marginal likelihood (GPR(optimize=True)); else use init. */
  readonly optimize: boolean;
}

const LOG_2PI = Math.log(2 * Math.PI);

export class GaussianProcess {
  private constructor(
    readonly x: readonly number[],
    readonly y: readonly number[],
    readonly hyper: GpHyper,
    private readonly chol: Factor,
    private readonly alpha: readonly number[],
  ) {}

  static fit(x: readonly number[], y: readonly number[], opts: GpFitOptions): GaussianProcess {
    if (x.length === 0 || x.length !== y.length) throw new Error('GP: needs one or more (x, y) pairs of equal length');
    let hyper: GpHyper = opts.init;
    if (opts.optimize) {
      const res = minimizeBounded((th) => negativeLogLikelihood(x, y, { l: th[0] ?? 1, sigmaF: th[1] ?? 1 }, opts.jitter), [opts.init.l, opts.init.sigmaF], {
        lower: [opts.lBounds[0], opts.sigmaFBounds[0]],
        upper: [opts.lBounds[1], opts.sigmaFBounds[1]],
      });
      hyper = { l: res.x[0] ?? opts.init.l, sigmaF: res.x[1] ?? opts.init.sigmaF };
    }
    const chol = factor(kernelMatrix(x, hyper), opts.jitter, hyper.sigmaF);
    return new GaussianProcess(x, y, hyper, chol, solve(chol.L, y));
  }

  /** Posterior mean and variance at each point. */
  predict(xs: readonly number[]): { mean: number[]; variance: number[] } {
    const mean: number[] = [];
    const variance: number[] = [];
    for (const t of xs) {
      const k = this.x.map((xi) => kernel(xi, t, this.hyper));
      mean.push(dot(k, this.alpha));
      const v = forward(this.chol.L, k);
      variance.push(Math.max(0, this.hyper.sigmaF ** 2 - dot(v, v)));
    }
    return { mean, variance };
  }

  /** The jitter actually added to the diagonal. */
  get jitter(): number {
    return this.chol.jitter;
  }
}

export function kernel(a: number, b: number, h: GpHyper): number {
  return h.sigmaF ** 2 * Math.exp((-0.5 * (a - b) ** 2) / h.l ** 2);
}

function kernelMatrix(x: readonly number[], h: GpHyper): number[][] {
  return x.map((a) => x.map((b) => kernel(a, b, h)));
}

/** Negative log marginal likelihood and its gradient in (l, sigma_f). */
export function negativeLogLikelihood(x: readonly number[], y: readonly number[], h: GpHyper, jitter: number): { value: number; gradient: number[] } {
  const n = x.length;
  const K = kernelMatrix(x, h);
  let f: Factor;
  try {
    f = factor(K, jitter, h.sigmaF);
  } catch {
    return { value: Infinity, gradient: [0, 0] };
  }
  const alpha = solve(f.L, y);
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += 2 * Math.log(f.L[i]?.[i] ?? 1);
  const value = 0.5 * dot(y, alpha) + 0.5 * logDet + 0.5 * n * LOG_2PI;
  const Kinv = inverse(f.L);
  let gl = 0;
  let gs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const w = (Kinv[i]?.[j] ?? 0) - (alpha[i] ?? 0) * (alpha[j] ?? 0);
      const d2 = ((x[i] ?? 0) - (x[j] ?? 0)) ** 2;
      const r = Math.exp((-0.5 * d2) / h.l ** 2);
      gs += w * 2 * h.sigmaF * r;
      gl += w * h.sigmaF ** 2 * r * (d2 / h.l ** 3);
    }
  }
  return { value, gradient: [0.5 * gl, 0.5 * gs] };
}

interface Factor {
  readonly L: number[][];
  readonly jitter: number;
}

/** Cholesky of K + jitter I, raising the jitter relative to sigma_f^2 when the factor does not exist. */
function factor(K: readonly (readonly number[])[], jitter: number, sigmaF: number): Factor {
  const scale = sigmaF ** 2;
  const tries = [jitter];
  for (let e = -15; e <= -4; e++) tries.push(Math.max(jitter, scale * 10 ** e));
  for (const j of tries) {
    const L = cholesky(K, j);
    if (L) return { L, jitter: j };
  }
  throw new Error('GP: kernel matrix is not positive definite even with jitter');
}

function cholesky(K: readonly (readonly number[])[], jitter: number): number[][] | undefined {
  const n = K.length;
  const L: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const Li = L[i] as number[];
    for (let j = 0; j <= i; j++) {
      const Lj = L[j] as number[];
      let s = (K[i]?.[j] ?? 0) + (i === j ? jitter : 0);
      for (let k = 0; k < j; k++) s -= (Li[k] ?? 0) * (Lj[k] ?? 0);
      if (i === j) {
        if (!(s > 0)) return undefined;
        Li[i] = Math.sqrt(s);
      } else {
        Li[j] = s / (Lj[j] ?? 1);
      }
    }
  }
  return L;
}

/** Solves L v = b. */
function forward(L: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const v = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i] ?? 0;
    for (let k = 0; k < i; k++) s -= (L[i]?.[k] ?? 0) * (v[k] ?? 0);
    v[i] = s / (L[i]?.[i] ?? 1);
  }
  return v;
}

/** Solves L^T v = b. */
function backward(L: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const v = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i] ?? 0;
    for (let k = i + 1; k < n; k++) s -= (L[k]?.[i] ?? 0) * (v[k] ?? 0);
    v[i] = s / (L[i]?.[i] ?? 1);
  }
  return v;
}

/** Solves (L L^T) v = b. */
function solve(L: readonly (readonly number[])[], b: readonly number[]): number[] {
  return backward(L, forward(L, b));
}

function inverse(L: readonly (readonly number[])[]): number[][] {
  const n = L.length;
  const cols = Array.from({ length: n }, (_, j) => solve(L, Array.from({ length: n }, (_, i) => (i === j ? 1 : 0))));
  return Array.from({ length: n }, (_, i) => cols.map((c) => c[i] ?? 0));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}
