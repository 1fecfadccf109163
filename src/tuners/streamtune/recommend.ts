/**
 * The model's recommendation (§9): per operator the smallest parallelism with Pr[bottleneck] < theta (binary search
 * on the monotone head) within the hard constraints (constraints.ts bounds: above floors, below ceilings) and the
 * guards (guards.ts): a culprit grows (to at least its observed work), a non-culprit is raised only when the model
 * is confident (upTheta) and lowered only when confident (downTheta), not below its observed work, beyond the
 * over-provisioning margin and the minimum saving. On shared workers (Timely), the sum of the operators'
 * instance-equivalents at the theta crossing, as one worker count.
 *
 * Pure functions of the view, the head evaluator and the constraints; whether the episode converged is returned.
 */
import { keep, rescale, type Decision } from '../../core/decision.js';
import type { Snapshot } from '../../core/metrics.js';
import { totalParallelism, type Parallelism } from '../../core/parallelism.js';
import { searchSafeParallelism, type HeadEvaluator } from '../../learning/head.js';
import type { TunerView } from '../tuner.js';
import { deployedWorkers, maxWorkers, workersParallelism } from '../shared/workers.js';
import type { Constraints } from './constraints.js';
import { observedWork, operatorCap, withHysteresis } from './guards.js';
import { lagging } from './labels.js';
import type { StreamTuneOptions } from './options.js';

/** A recommendation, and whether it settles the episode (absent: convergence unchanged). */
export interface Recommendation {
  readonly decision: Decision;
  readonly converged?: boolean;
}

type RecommendOptions = Pick<
  StreamTuneOptions,
  'pMax' | 'theta' | 'upTheta' | 'downTheta' | 'noSafeGrowth' | 'workGuard' | 'overProvisionMargin' | 'minSaving' | 'hysteresis' | 'decisionThr'
>;

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const logit = (theta: number): number => Math.log(theta / (1 - theta));

/** Per operator (one task per operator instance: Flink, the simulator). `culprits`: the latest window's bottlenecks. */
export function recommendOperators(view: TunerView, ev: HeadEvaluator, culprits: readonly string[], constraints: Pick<Constraints, 'bounds'>, o: RecommendOptions): Recommendation {
  const { job, parallelism: current, targetRate: rate } = view;
  const ids = job.operatorIds;
  const zNow = ev.logitsAt(Int32Array.from(ids, (_, i) => i), Float32Array.from(ids, (id) => current[id] ?? 1));
  let next: Record<string, number> = { ...current };
  const why: Record<string, string> = {};
  const over: string[] = [];
  const load = job.loadFactors();
  ids.forEach((id, i) => {
    const cap = operatorCap(job, id, o);
    const input = { id, index: i, culprit: culprits.includes(id), prNow: sigmoid(zNow[i] as number), bounds: constraints.bounds(id, rate, cap), cap, demand: (load[id] ?? 0) * rate };
    const a = operatorTarget(view.snapshot, current, ev, input, o);
    next[id] = a.target;
    why[id] = a.why;
    if (a.over) over.push(id);
  });
  if (culprits.length === 0 && over.length === 0) return { decision: keep('streamtune: no bottleneck, no operator over-provisioned beyond the margin'), converged: true };
  if (culprits.length === 0) {
    const [before, after] = [totalParallelism(current), totalParallelism(next)];
    if (before - after < o.minSaving * before)
      return { decision: keep(`streamtune: scaling ${over.join(', ')} down would free ${before - after} of ${before} instances (< minSaving ${o.minSaving}): kept`), converged: true };
  }
  if (o.hysteresis) next = withHysteresis(current, next, culprits, o.decisionThr);
  const reason =
    culprits.length > 0
      ? `streamtune: bottleneck ${culprits.join(', ')}; smallest predicted-safe parallelism (theta ${o.theta})`
      : `streamtune: over-provisioned ${over.join(', ')}; smallest confidently safe parallelism (downTheta ${o.downTheta})`;
  const d = rescale(current, next, reason, (id) => why[id] ?? '');
  return d.kind === 'keep' ? { decision: d, converged: culprits.length === 0 } : { decision: d };
}

/** One operator's answer: its target, why, and whether it is scaled down as over-provisioned. */
export interface OperatorTarget {
  readonly target: number;
  readonly why: string;
  readonly over: boolean;
}

/** One operator as operatorTarget sees it. */
export interface OperatorInput {
  readonly id: string;
  /** Its node in the head evaluator. */
  readonly index: number;
  /** The latest window labels it a bottleneck. */
  readonly culprit: boolean;
  /** The model's Pr[bottleneck] at its deployed parallelism. */
  readonly prNow: number;
  /** [lowest allowed, highest useful] (constraints.ts bounds) under cap. */
  readonly bounds: readonly [number, number];
  readonly cap: number;
  /** Its demand at the target rate: load factor x target rate (records/s). */
  readonly demand: number;
}

/** One operator's target, from the head (ev), the window (snapshot at `current`) and its bounds. */
export function operatorTarget(snapshot: Snapshot, current: Parallelism, ev: HeadEvaluator, input: OperatorInput, o: RecommendOptions): OperatorTarget {
  const { id, index: i, culprit, prNow, cap, demand } = input;
  const [lo, hi] = input.bounds;
  const p = current[id] ?? 1;
  const safe = searchSafeParallelism(ev, i, { theta: o.theta, pMin: lo, pMax: hi });
  let target = p;
  let over = false;
  let note: string;
  if (culprit || p < lo) {
    // Must grow (a bottleneck now, or at/below a floor): the smallest predicted-safe p above the floor, else
    // (nothing predicted safe) noSafeGrowth x p.
    target = safe.found ? safe.p : Math.min(hi, Math.max(lo, Math.ceil(o.noSafeGrowth * p)));
    note = safe.found ? `Pr=${safe.probability.toFixed(2)} at ${target}` : `nothing predicted safe up to ${hi}`;
    // Nor fewer instances than the window shows busy at the target rate (workGuard): a lower bound whatever
    // the physics, since overheads only add work.
    const work = o.workGuard ? Math.min(hi, observedWork(snapshot, current, id, demand)) : 0;
    if (work > target) {
      target = work;
      note += `; raised to the observed work ${work}`;
    }
  } else if (safe.p > p) {
    // Not observed as a bottleneck: raised only when the model is confident it is one at p.
    target = prNow >= o.upTheta ? safe.p : p;
    note = prNow >= o.upTheta ? `Pr=${safe.probability.toFixed(2)} at ${target}` : `kept: Pr=${prNow.toFixed(2)} < upTheta`;
  } else {
    // Downwards only as far as the model is confident, not below the observed work (workGuard), at most to a
    // proven ceiling, and only beyond the over-provisioning margin.
    const top = Math.min(p, hi);
    const floorByWork = o.workGuard ? Math.min(top, Math.max(lo, observedWork(snapshot, current, id, demand))) : lo;
    const down = searchSafeParallelism(ev, i, { theta: o.downTheta, pMin: floorByWork, pMax: Math.max(floorByWork, top) });
    const cand = down.found ? down.p : top;
    if (cand < p && p > (1 + o.overProvisionMargin) * cand) {
      target = cand;
      over = true;
    }
    note = `Pr=${down.probability.toFixed(2)} at ${cand}`;
  }
  const bound = [lo > 1 ? `floor ${lo - 1}` : '', hi < cap ? `ceiling ${hi}` : ''].filter((x) => x).join(', ');
  return { target, over, why: `Pr=${prNow.toFixed(2)} at ${p}; ${note}${bound ? `; ${bound}` : ''}` };
}

/**
 * Timely: per-operator instance-equivalents at the theta crossing (un-rounded), reduced to one worker count.
 * `lagRatio`: the online label options' (the sources lag below lagRatio x the target).
 */
export function recommendWorkers(view: TunerView, ev: HeadEvaluator, culprits: readonly string[], constraints: Pick<Constraints, 'bounds'>, o: RecommendOptions, lagRatio: number): Recommendation {
  const { job, parallelism: current, targetRate: rate } = view;
  const w = deployedWorkers(current);
  const cap = o.pMax > 0 ? Math.min(o.pMax, maxWorkers(job)) : maxWorkers(job);
  const equivalents = crossings(ev, o.theta, cap);
  const sum = equivalents.reduce((a, b) => a + b, 0);
  const [lo, hi] = constraints.bounds('*', rate, cap);
  const want = Math.min(hi, Math.max(lo, Math.ceil(sum - 1e-9)));
  const reason = `streamtune: sum of instance-equivalents ${sum.toFixed(2)}${lo > 1 ? `, floor ${lo - 1}` : ''}${hi < cap ? `, ceiling ${hi}` : ''}`;
  const needsMore = culprits.length > 0 || lagging(view.snapshot, lagRatio);
  const overProvisioned = w > (1 + o.overProvisionMargin) * want;
  if (!needsMore && !overProvisioned) return { decision: keep(`streamtune: ${w} workers, no bottleneck, not over-provisioned (${reason})`), converged: true };
  // A bottleneck at w makes the floor at least w, so lo > w: the answer always grows then.
  const target = needsMore ? Math.max(want, lo) : want;
  if (o.hysteresis && !needsMore && (Math.max(w / target, target / w) < 1 + o.decisionThr || target === w - 1))
    return { decision: keep(`streamtune: ${w} workers kept (hysteresis)`), converged: true };
  return { decision: rescale(current, workersParallelism(job, target), `${reason}: ${w} -> ${target} workers`) };
}

/**
 * The parallelism at which each operator's predicted probability crosses theta, un-rounded (bisection on the
 * monotone head over [1/64, cap]; the integer answer of a scan for the unconstrained head).
 */
export function crossings(ev: HeadEvaluator, theta: number, cap: number): number[] {
  const n = ev.nodeIds.length;
  const nodes = Int32Array.from({ length: n }, (_, i) => i);
  if (!ev.monotone) return Array.from({ length: n }, (_, i) => searchSafeParallelism(ev, i, { theta, pMax: cap }).p);
  const cut = logit(theta);
  const lo = new Float32Array(n).fill(1 / 64);
  const hi = new Float32Array(n).fill(cap);
  const atLo = ev.logitsAt(nodes, lo);
  const atHi = ev.logitsAt(nodes, hi);
  for (let it = 0; it < 24; it++) {
    const mid = Float32Array.from({ length: n }, (_, i) => Math.sqrt((lo[i] as number) * (hi[i] as number)));
    const z = ev.logitsAt(nodes, mid);
    for (let i = 0; i < n; i++) {
      if ((z[i] as number) < cut) hi[i] = mid[i] as number;
      else lo[i] = mid[i] as number;
    }
  }
  return Array.from({ length: n }, (_, i) => ((atLo[i] as number) < cut ? 1 / 64 : (atHi[i] as number) >= cut ? cap : (hi[i] as number)));
}
