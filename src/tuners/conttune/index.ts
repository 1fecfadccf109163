/**
 * ContTune: "Continuous Tuning by Conservative Bayesian Optimization for Distributed Stream Data Processing
 * Systems", Lian et al., PVLDB 2023 (arXiv 2309.12239; code ljqcodelove/ContTune); baselines.md section 2.
 *
 * Controller (section 7): bpPer = bp / (bp + idle + busy); the job is under-provisioned iff some operator has
 * bpPer >= backpressureThr and CPU > coreMaxThr, over-provisioned iff no operator is backpressured and
 * CPU < coreMinThr. Under-provisioned: Big (Algorithm 1) sets every operator to p_max, the largest parallelism in
 * the job's history, doubling p_max when every operator is already there. Over-provisioned: Small (Algorithm 2,
 * conservative BO) sets each operator i, with lambda_i its observed input, to the smallest p <= p_max whose GP
 * mean of the processing ability PA = input / useful time reaches lambda_i, if an observed parallelism lies within
 * alpha of it, else to DS2's linear answer; PA per (operator, p) is the mean of the Top-K most recent
 * observations. A Small step is deployed only if max(P/P', P'/P) >= 1 + decisionThr (P = total parallelism).
 * The PA history persists across episodes (it is assumed workload-independent).
 *
 * Harness rules [INFERRED]: PA is recorded per operator whenever that operator is not itself backpressured (so the
 * bottleneck's own capacity enters the history); a proposal equal to a configuration observed under-provisioned at
 * the same rate is raised at that observation's bottlenecks; while the sources drain a backlog faster than the
 * target (after a restart) the backpressure is catch-up, not under-provisioning, and ContTune waits
 * (waitWhileCatchingUp).
 */
import { z } from 'zod';
import { keep, rescale, type Decision } from '../../core/decision.js';
import type { JobGraph } from '../../core/job.js';
import type { OperatorMetrics, Snapshot } from '../../core/metrics.js';
import { parallelismKey, totalParallelism, type Parallelism } from '../../core/parallelism.js';
import type { Observation, Tuner, TunerView } from '../tuner.js';
import { ds2Plan } from '../ds2/index.js';
import { wait } from '../shared/decisions.js';
import { backpressureShare, maxBusyFraction } from '../shared/metrics.js';
import { deployedWorkers, maxWorkers, reduceToWorkers, workersDecision, workersParallelism } from '../shared/workers.js';
import { GaussianProcess, type GpFitOptions } from './gp.js';

export const doc = 'ContTune (Lian et al., PVLDB 2023): Big-small with conservative Bayesian optimisation (per-operator GP).';

export const options = z.strictObject({
  alpha: z.number().int().min(0).default(3).describe('Conservative exploration radius: apply the GP answer iff an observed parallelism lies within alpha of it, else DS2 (paper default 3; 0 is also reported).'),
  topK: z.number().int().min(1).default(5).describe('Mean of the K most recent PA observations per (operator, parallelism) (README example K = 5).'),
  backpressureThr: z.number().min(0).max(1).default(0.1).describe('bpPer = bp/(bp+idle+busy) at or above which an operator counts as backpressured (harness default; the paper gives no value).'),
  coreMaxThr: z.number().min(0).max(1).default(0.8).describe('CPU (busiest subtask busy fraction, max over operators) above which a backpressured job is under-provisioned (harness default).'),
  coreMinThr: z.number().min(0).max(1).default(0.5).describe('CPU below which a job without backpressure is over-provisioned (harness default).'),
  decisionThr: z.number().min(0).default(0.1).describe('Deploy a Small step only if max(P/P\', P\'/P) >= 1 + decisionThr, P the total parallelism (harness default).'),
  l: z.number().positive().default(4.37).describe('Initial RBF length scale l of the GP (GPofContTune.py README version).'),
  sigma_f: z.number().positive().default(1e6).describe('Initial RBF signal scale sigma_f of the GP (clipped into its bounds before fitting, as L-BFGS-B does).'),
  lBounds: z.tuple([z.number().positive(), z.number().positive()]).default([1e-5, 1e5]).describe('L-BFGS-B bounds of l.'),
  sigmaFBounds: z.tuple([z.number().positive(), z.number().positive()]).default([1e-5, 5e5]).describe('L-BFGS-B bounds of sigma_f.'),
  jitter: z.number().min(0).default(1e-8).describe('Diagonal jitter of the kernel matrix (raised only if the Cholesky factor does not exist).'),
  optimize: z.boolean().default(true).describe('Fit (l, sigma_f) by marginal likelihood; false keeps the initial values.'),
  scaling_factor: z.number().min(0).default(0).describe("DS2's over-provisioning factor for the DS2 fallback (DS2 default 0)."),
  waitWhileCatchingUp: z
    .boolean()
    .default(true)
    .describe('Harness rule: while the sources emit above their target with a backlog (catch-up after a restart), wait instead of classifying the job; false applies the section 7 controller literally.'),
});
export type ContTuneOptions = z.infer<typeof options>;

/** The controller's reading of one snapshot. */
export type Provisioning = 'under' | 'over' | 'fit';

export interface ControllerThresholds {
  readonly backpressureThr: number;
  readonly coreMaxThr: number;
  readonly coreMinThr: number;
}

/**
 * ContTune's controller (section 7). CPU is read as the busiest subtask's busy fraction, max over operators.
 * On shared workers (Timely: no backpressure between operators) [INFERRED, as Dhalion's Timely mapping]: bpPer is
 * the sources' unmet share of the target rate and CPU the workers' utilisation (the operators' busy shares summed).
 */
export function classify(snapshot: Snapshot, t: ControllerThresholds, sharedWorkers = false): Provisioning {
  const ms = Object.values(snapshot.operators);
  if (sharedWorkers) {
    const unmet = snapshot.targetRate > 0 ? Math.max(0, 1 - snapshot.achievedRate / snapshot.targetRate) : 0;
    const utilisation = Math.min(1, ms.reduce((a, m) => a + m.busyMsPerSecond / 1000, 0));
    if (unmet >= t.backpressureThr && utilisation > t.coreMaxThr) return 'under';
    if (unmet < t.backpressureThr && utilisation < t.coreMinThr) return 'over';
    return 'fit';
  }
  const backpressured = ms.some((m) => backpressureShare(m) >= t.backpressureThr);
  const cpu = Math.max(0, ...ms.map(maxBusyFraction));
  if (backpressured && cpu > t.coreMaxThr) return 'under';
  if (!backpressured && cpu < t.coreMinThr) return 'over';
  return 'fit';
}

/**
 * The sources drain a backlog: they emitted above their target during the window (only possible with lag at its
 * start; the lag may have reached zero by its end).
 */
export function catchingUp(s: Snapshot): boolean {
  return s.achievedRate > s.targetRate * (1 + 1e-3);
}

/** PA observations per operator and parallelism, oldest first. */
export class PaHistory {
  private readonly byOp = new Map<string, Map<number, number[]>>();

  add(op: string, p: number, pa: number): void {
    let m = this.byOp.get(op);
    if (!m) this.byOp.set(op, (m = new Map()));
    let xs = m.get(p);
    if (!xs) m.set(p, (xs = []));
    xs.push(pa);
  }

  /** (p, mean of the K most recent PA) for one operator, by increasing p. */
  topK(op: string, k: number): { p: number; pa: number }[] {
    const m = this.byOp.get(op);
    if (!m) return [];
    return [...m.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([p, xs]) => {
        const recent = xs.slice(-k);
        return { p, pa: recent.reduce((a, b) => a + b, 0) / recent.length };
      });
  }
}

export interface CboAnswer {
  readonly p: number;
  /** 'gp' when the GP answer was within alpha of an observed parallelism, else 'ds2'. */
  readonly source: 'gp' | 'ds2';
  readonly pAcq?: number;
  readonly distance?: number;
}

/**
 * Algorithm 2 for one operator: p_acq = the smallest p in [1, pMax] with GP mean >= lambda; applied iff the
 * nearest observed p is within alpha, else the DS2 answer.
 */
export function cbo(observed: readonly { p: number; pa: number }[], lambda: number, pMax: number, alpha: number, ds2: number, gp: GpFitOptions): CboAnswer {
  if (observed.length === 0) return { p: ds2, source: 'ds2' };
  const model = GaussianProcess.fit(
    observed.map((o) => o.p),
    observed.map((o) => o.pa),
    gp,
  );
  const grid = Array.from({ length: Math.max(1, pMax) }, (_, i) => i + 1);
  const { mean } = model.predict(grid);
  const i = mean.findIndex((mu) => mu >= lambda);
  if (i < 0) return { p: ds2, source: 'ds2' };
  const pAcq = grid[i] ?? 1;
  const distance = Math.min(...observed.map((o) => Math.abs(pAcq - o.p)));
  return distance <= alpha ? { p: pAcq, source: 'gp', pAcq, distance } : { p: ds2, source: 'ds2', pAcq, distance };
}

export function create(opts: ContTuneOptions): Tuner {
  const thresholds: ControllerThresholds = opts;
  const gp: GpFitOptions = {
    init: { l: opts.l, sigmaF: opts.sigma_f },
    lBounds: opts.lBounds,
    sigmaFBounds: opts.sigmaFBounds,
    jitter: opts.jitter,
    optimize: opts.optimize,
  };
  const history = new PaHistory();
  const ingested = new Set<string>();
  /** Configurations observed under-provisioned, keyed by rate and parallelism. */
  const bottlenecked = new Map<string, readonly string[]>();
  let pMax = 0;
  /** Set at the first decide(): configurations are compared by worker count on shared workers. */
  let shared = false;

  const obsKey = (o: Observation): string => `${o.snapshot.time}|${o.rate}|${parallelismKey(o.parallelism)}`;
  const confKey = (rate: number, p: Parallelism): string => `${rate}|${shared ? `W=${deployedWorkers(p)}` : parallelismKey(p)}`;

  function ingest(o: Observation): void {
    const key = obsKey(o);
    if (ingested.has(key)) return;
    ingested.add(key);
    for (const [id, m] of Object.entries(o.snapshot.operators)) {
      const p = o.parallelism[id] ?? m.parallelism;
      pMax = Math.max(pMax, p);
      // PA is trusted when the operator itself is not blocked on its output (its useful time is not inflated).
      if (backpressureShare(m) < thresholds.backpressureThr && m.recordsInPerSecond > 0 && m.trueProcessingRate > 0 && Number.isFinite(m.trueProcessingRate))
        history.add(id, p, m.trueProcessingRate);
    }
    const draining = opts.waitWhileCatchingUp && catchingUp(o.snapshot);
    if (!draining && classify(o.snapshot, thresholds, shared) === 'under') bottlenecked.set(confKey(o.rate, o.parallelism), bottleneckOperators(o.snapshot, thresholds));
  }

  /** Moves a proposal off every configuration observed bottlenecked at this rate (raising its bottlenecks). */
  function avoidBottlenecked(job: JobGraph, rate: number, proposal: Parallelism, shared: boolean): Parallelism | undefined {
    let p = proposal;
    for (let guard = 0; guard < 10_000; guard++) {
      const seen = bottlenecked.get(confKey(rate, p));
      if (!seen) return p;
      if (shared) {
        const w = deployedWorkers(p);
        if (w >= maxWorkers(job)) return undefined;
        p = workersParallelism(job, w + 1);
        continue;
      }
      const raise = seen.length > 0 ? seen : job.operatorIds;
      const next: Record<string, number> = { ...p };
      let moved = false;
      for (const id of raise) {
        const v = next[id] ?? 1;
        if (v < job.operator(id).maxParallelism) {
          next[id] = v + 1;
          moved = true;
        }
      }
      if (!moved) {
        for (const id of job.operatorIds) {
          const v = next[id] ?? 1;
          if (v < job.operator(id).maxParallelism) {
            next[id] = v + 1;
            moved = true;
          }
        }
      }
      if (!moved) return undefined;
      p = next;
    }
    return undefined;
  }

  return {
    name: 'conttune',
    decide(view: TunerView): Decision {
      const { job, snapshot, parallelism: current } = view;
      shared = view.sharedWorkers;
      for (const o of view.history) ingest(o);
      ingest({ parallelism: current, snapshot, rate: view.targetRate });
      pMax = Math.max(pMax, ...Object.values(current));
      if (opts.waitWhileCatchingUp && catchingUp(snapshot))
        return wait(`ContTune: draining a backlog (${snapshot.achievedRate.toPrecision(4)}/s for a target of ${snapshot.targetRate.toPrecision(4)}/s)`);
      const state = classify(snapshot, thresholds, shared);

      if (state === 'under') {
        // Big (Algorithm 1): every operator to p_max; double p_max when every operator is already there.
        const limit = shared ? maxWorkers(job) : Math.max(...job.operators().map((o) => o.maxParallelism));
        const atMax = job.operatorIds.every((id) => (current[id] ?? 0) >= Math.min(pMax, job.operator(id).maxParallelism));
        if (atMax) pMax = Math.min(limit, pMax * 2);
        const big = shared
          ? workersParallelism(job, pMax)
          : Object.fromEntries(job.operatorIds.map((id) => [id, Math.min(pMax, job.operator(id).maxParallelism)]));
        if (bottlenecked.has(confKey(view.targetRate, big)))
          return keep(`ContTune Big: p_max = ${pMax} was already observed under-provisioned at this rate and cannot grow (infeasible)`);
        if (shared) return workersDecision(job, current, pMax, `ContTune Big: under-provisioned, W <- p_max = ${pMax}`);
        return rescale(current, big, `ContTune Big: under-provisioned, every operator to p_max = ${pMax}`);
      }
      if (state === 'fit') return keep('ContTune: neither under- nor over-provisioned');

      // Small (Algorithm 2): conservative BO per operator, lambda_i = observed input.
      const plan = ds2Plan(job, snapshot, current, { factor: opts.scaling_factor, scaleSources: true });
      const answers: Record<string, CboAnswer> = {};
      const values: Record<string, number> = {};
      for (const id of job.operatorIds) {
        const m = snapshot.operators[id] as OperatorMetrics | undefined;
        const lambda = m?.recordsInPerSecond ?? 0;
        const cap = view.sharedWorkers ? maxWorkers(job) : job.operator(id).maxParallelism;
        const raw = (plan.raw[id] ?? 1) * (1 + opts.scaling_factor);
        const ds2 = Math.min(cap, Math.max(1, Math.ceil(raw - 1e-9)));
        const a = cbo(history.topK(id, opts.topK), lambda, Math.min(pMax, cap), opts.alpha, ds2, gp);
        answers[id] = a;
        // On shared workers the DS2 fallback passes its un-rounded value to the worker reduction.
        values[id] = view.sharedWorkers && a.source === 'ds2' ? raw : a.p;
      }
      let next: Parallelism = view.sharedWorkers
        ? reduceToWorkers(job, values)
        : Object.fromEntries(job.operatorIds.map((id) => [id, Math.min(job.operator(id).maxParallelism, Math.max(1, values[id] ?? 1))]));
      const safe = avoidBottlenecked(job, view.targetRate, next, view.sharedWorkers);
      if (!safe) return keep('ContTune Small: every reachable configuration was observed under-provisioned at this rate');
      const moved = safe !== next;
      next = safe;
      const P = shared ? deployedWorkers(current) : totalParallelism(current);
      const Pn = shared ? deployedWorkers(next) : totalParallelism(next);
      if (Math.max(P / Pn, Pn / P) < 1 + opts.decisionThr)
        return keep(`ContTune Small: total ${P} -> ${Pn} is below the decision threshold ${opts.decisionThr}`);
      if (shared) return workersDecision(job, current, Pn, 'ContTune Small (CBO)');
      const label = `total ${P} -> ${Pn}`;
      return rescale(current, next, `ContTune Small (CBO): ${label}${moved ? ', raised off a configuration seen under-provisioned' : ''}`, (id) => {
        const a = answers[id];
        if (!a) return 'CBO';
        const gpPart = a.pAcq === undefined ? 'no GP answer' : `p_acq=${a.pAcq}, d=${a.distance}`;
        return `${a.source === 'gp' ? 'GP' : 'DS2 fallback'} (${gpPart}, lambda=${(snapshot.operators[id]?.recordsInPerSecond ?? 0).toPrecision(4)}/s)`;
      });
    },
  };
}

/** Operators that were the bottleneck of an under-provisioned snapshot: busy and not themselves backpressured. */
function bottleneckOperators(s: Snapshot, t: ControllerThresholds): string[] {
  return Object.entries(s.operators)
    .filter(([, m]) => backpressureShare(m) < t.backpressureThr && maxBusyFraction(m) > t.coreMaxThr)
    .map(([id]) => id)
    .sort();
}
