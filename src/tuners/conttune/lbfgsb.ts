/**
 * A small bound-constrained limited-memory BFGS minimiser (projected L-BFGS in the spirit of L-BFGS-B, Byrd, Lu,
 * Nocedal and Zhu 1995), for ContTune's GP hyper-parameters (two variables with box bounds, as scipy's
 * minimize(method='L-BFGS-B') in ContTune's GPofContTune.py). Deterministic, no allocation-heavy linear algebra.
 *
 * Each iteration: variables at a bound whose gradient points outwards are fixed; on the free ones the two-loop
 * recursion gives a quasi-Newton direction; a backtracking Armijo search runs along the projected path. Stops on
 * scipy's defaults: projected gradient max-norm <= pgtol (1e-5) or relative decrease <= factr * eps (1e7 * eps).
 */

export interface ObjectiveValue {
  readonly value: number;
  readonly gradient: readonly number[];
}

export interface MinimizeOptions {
  readonly lower: readonly number[];
  readonly upper: readonly number[];
  /** History pairs kept (scipy's maxcor, 10). */
  readonly memory?: number;
  readonly maxIterations?: number;
  readonly pgtol?: number;
  readonly factr?: number;
}

export interface MinimizeResult {
  readonly x: number[];
  readonly value: number;
  readonly iterations: number;
  readonly converged: boolean;
}

const EPS = 2.220446049250313e-16;

export function minimizeBounded(f: (x: readonly number[]) => ObjectiveValue, x0: readonly number[], opts: MinimizeOptions): MinimizeResult {
  const lo = opts.lower;
  const hi = opts.upper;
  const memory = opts.memory ?? 10;
  const maxIterations = opts.maxIterations ?? 15000;
  const pgtol = opts.pgtol ?? 1e-5;
  const ftol = (opts.factr ?? 1e7) * EPS;
  const clip = (x: readonly number[]): number[] => x.map((v, i) => Math.min(hi[i] ?? Infinity, Math.max(lo[i] ?? -Infinity, v)));

  let x = clip(x0);
  let fx = f(x);
  if (!Number.isFinite(fx.value)) return { x, value: fx.value, iterations: 0, converged: false };
  const S: number[][] = [];
  const Y: number[][] = [];
  for (let iter = 0; iter < maxIterations; iter++) {
    const g = fx.gradient;
    const free = x.map((v, i) => {
      const gi = g[i] ?? 0;
      return !((v <= (lo[i] ?? -Infinity) && gi > 0) || (v >= (hi[i] ?? Infinity) && gi < 0));
    });
    const pg = x.map((v, i) => Math.min(hi[i] ?? Infinity, Math.max(lo[i] ?? -Infinity, v - (g[i] ?? 0))) - v);
    if (Math.max(...pg.map(Math.abs)) <= pgtol) return { x, value: fx.value, iterations: iter, converged: true };

    let d = twoLoop(g, S, Y, free);
    let slope = dot(g, d);
    if (!(slope < 0)) {
      S.length = 0;
      Y.length = 0;
      d = g.map((gi, i) => (free[i] ? -gi : 0));
      slope = dot(g, d);
      if (!(slope < 0)) return { x, value: fx.value, iterations: iter, converged: true };
    }
    let step = S.length === 0 ? Math.min(1, 1 / Math.max(EPS, norm(d))) : 1;
    let accepted: { x: number[]; f: ObjectiveValue } | undefined;
    for (let k = 0; k < 60; k++) {
      const xn = clip(x.map((v, i) => v + step * (d[i] ?? 0)));
      const moved = xn.map((v, i) => v - (x[i] ?? 0));
      if (moved.every((m) => m === 0)) break;
      const fn = f(xn);
      if (Number.isFinite(fn.value) && fn.value <= fx.value + 1e-4 * dot(g, moved)) {
        accepted = { x: xn, f: fn };
        break;
      }
      step *= 0.5;
    }
    if (!accepted) return { x, value: fx.value, iterations: iter, converged: false };
    const s = accepted.x.map((v, i) => v - (x[i] ?? 0));
    const y = accepted.f.gradient.map((v, i) => v - (g[i] ?? 0));
    const sy = dot(s, y);
    if (sy > EPS * dot(y, y)) {
      S.push(s);
      Y.push(y);
      if (S.length > memory) {
        S.shift();
        Y.shift();
      }
    }
    const decrease = fx.value - accepted.f.value;
    x = accepted.x;
    fx = accepted.f;
    if (decrease <= ftol * Math.max(Math.abs(fx.value), Math.abs(fx.value + decrease), 1))
      return { x, value: fx.value, iterations: iter + 1, converged: true };
  }
  return { x, value: fx.value, iterations: maxIterations, converged: false };
}

/** -H g by the two-loop recursion, restricted to the free variables. */
function twoLoop(g: readonly number[], S: readonly number[][], Y: readonly number[][], free: readonly boolean[]): number[] {
  const mask = (v: readonly number[]): number[] => v.map((x, i) => (free[i] ? x : 0));
  const q = mask(g);
  const alphas: number[] = [];
  const rhos: number[] = [];
  for (let k = S.length - 1; k >= 0; k--) {
    const s = mask(S[k]!);
    const y = mask(Y[k]!);
    const sy = dot(s, y);
    const rho = sy > 0 ? 1 / sy : 0;
    const a = rho * dot(s, q);
    rhos[k] = rho;
    alphas[k] = a;
    for (let i = 0; i < q.length; i++) q[i] = (q[i] ?? 0) - a * (y[i] ?? 0);
  }
  let gamma = 1;
  if (S.length > 0) {
    const s = mask(S[S.length - 1]!);
    const y = mask(Y[Y.length - 1]!);
    const yy = dot(y, y);
    if (yy > 0 && dot(s, y) > 0) gamma = dot(s, y) / yy;
  }
  const r = q.map((v) => gamma * v);
  for (let k = 0; k < S.length; k++) {
    const s = mask(S[k]!);
    const y = mask(Y[k]!);
    const b = (rhos[k] ?? 0) * dot(y, r);
    for (let i = 0; i < r.length; i++) r[i] = (r[i] ?? 0) + (s[i] ?? 0) * ((alphas[k] ?? 0) - b);
  }
  return r.map((v, i) => (free[i] ? -v : 0));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}

function norm(a: readonly number[]): number {
  return Math.sqrt(dot(a, a));
}
