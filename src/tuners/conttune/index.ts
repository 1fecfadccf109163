/**
 * ContTune: "Continuous Tuning by Conservative Bayesian Optimization for Distributed Stream Data Processing
 * Systems", Lian et al., PVLDB 2023 (arXiv 2309.12239; code ljqcodelove/ContTune); baselines.md section 2.
 *
 * Controller (section 7): bpPer = bp / (bp + idle + busy); the job is under-provisioned iff it is backpressured
 * (some bpPer >= backpressureThr) and its CPU is stressed (> coreMaxThr), over-provisioned iff it is not
 * backpressured and its CPU is low (< coreMinThr). A tuning starts only in one of these two states.
 *
 * Algorithm 1 (Big-small): an under-provisioned job goes through Big, which sets every operator to p_max, the
 * largest parallelism in the job's history, doubling p_max when every operator is already there, until the job is
 * no longer under-provisioned; then, in the same tuning, Small runs with lambda_i = the observed input of each
 * operator. An over-provisioned job goes straight to Small. Small (Algorithm 2, conservative BO) sets each operator i
 * to the smallest p <= p_max whose GP mean of the processing ability PA reaches lambda_i, if an observed parallelism
 * lies within alpha of it, else to the linear (DS2) answer ceil(lambda_i / (PA_i / p_i)); PA per (operator, p) is
 * the mean of the Top-K most recent observations. A Small step is deployed only if max(P/P', P'/P) >=
 * 1 + decisionThr (P = total parallelism). When a Small step leaves the job under-provisioned, CBO runs again with
 * the tuning's lambda and the new observations, without Big (section 6.2 and its footnote 3). The PA history
 * persists across episodes (it is assumed workload-independent).
 *
 * System.CPU.Usage is a machine figure the paper's controller reads; the harness has no machines, so how "CPU" is
 * read is an option for each test [INFERRED]:
 *  - underCpu 'bottleneck' (default): the busiest subtask of the operators that are not themselves backpressured
 *    and can still scale up (p < max parallelism), read as 0 when the busiest non-backpressured operator of all is
 *    at its max parallelism (it limits the job, e.g. q5's maxCount draining a backlog). Backpressured operators
 *    wait on a downstream one (their CPU is not what limits the job), and an operator at its max parallelism cannot
 *    be relieved by more parallelism: the paper adds the CPU test precisely so that backpressure more parallelism
 *    cannot cure does not crank it up.
 *    'max' is the busiest subtask over all operators; 'mean' the slot-weighted mean busy share.
 *  - overCpu 'mean' (default): the slot-weighted mean busy share sum_i p_i busy_i / sum_i p_i, i.e. the share of
 *    the job's slots (cores) in use, the closest reading of a machine's CPU usage. 'max' (the busiest subtask over
 *    all operators) lets one busy operator, e.g. q5's parallelism-1 maxCount, block every scale-down; 'anyOperator'
 *    reads the job as over-provisioned when some operator with p > 1 has its busiest subtask below coreMinThr.
 *
 * Harness rules [INFERRED], each an option:
 *  - PA is recorded per operator whenever that operator is not itself backpressured (so the bottleneck's own
 *    capacity enters the history); it is read as DS2 does (records in per second of average busy time, summed over
 *    subtasks; processingAbility 'average', default) or from the busiest subtask ('busiest', the capacity under a
 *    persistent hot key, as the Flink autoscaler's MAX aggregator).
 *  - Catch-up is not under-provisioning: while the sources drain a backlog (emit above the target) ContTune waits
 *    (waitWhileCatchingUp), unless, in the Big phase, the drain would take longer than maxCatchUpSec with the CPU
 *    stressed (p_max is not enough: Big goes on); after the drain, backpressure while the sources keep up is in-flight buffers draining
 *    for up to settleWindows windows (Small must not read those inflated inputs as lambda).
 *  - 'under' also needs the sources to fall short of the target (underNeedsShortfall).
 *  - A configuration is remembered as under-provisioned at a rate when its sources fell behind (or drained too
 *    slowly); a Small proposal equal to one is moved off it by raising that observation's busiest bottleneck, one
 *    instance at a time; Big doubles p_max past a level remembered under-provisioned at the rate.
 */
import { z } from 'zod';
import { keep, rescale, wait, type Decision } from '../../core/decision.js';
import type { JobGraph } from '../../core/job.js';
import { totalLag, type OperatorMetrics, type Snapshot } from '../../core/metrics.js';
import { parallelismKey, totalParallelism, type Parallelism } from '../../core/parallelism.js';
import type { Observation, Tuner, TunerView } from '../tuner.js';
import type { DecideCostContext } from '../tuner.js';
import { backpressureShare, maxBusyFraction } from '../shared/metrics.js';
import { deployedWorkers, maxWorkers, reduceToWorkers, workersDecision, workersParallelism } from '../shared/workers.js';
import { GaussianProcess, type GpFitOptions } from './gp.js';

/** Its colour in every chart (Tableau-10). */
export const color = '#54a24b';
export const doc = 'ContTune (Lian et al., PVLDB 2023): Big-small with conservative Bayesian optimisation (per-operator GP).';

export const options = z.strictObject({
  alpha: z.number().int().min(0).default(3).describe('Conservative exploration radius: apply the GP answer iff an observed parallelism lies within alpha of it, else DS2 (paper default 3; 0 is also reported).'),
  topK: z.number().int().min(1).default(5).describe('Mean of the K most recent PA observations per (operator, parallelism) (README example K = 5).'),
  backpressureThr: z.number().min(0).max(1).default(0.1).describe('bpPer = bp/(bp+idle+busy) at or above which an operator counts as backpressured (harness default; the paper gives no value).'),
  coreMaxThr: z.number().min(0).max(1).default(0.8).describe('CPU (read as underCpu says) above which a backpressured job is under-provisioned (harness default; the paper gives no value).'),
  coreMinThr: z.number().min(0).max(1).default(0.5).describe('CPU (read as overCpu says) below which a job without backpressure is over-provisioned (harness default; the paper gives no value).'),
  underCpu: z
    .enum(['bottleneck', 'max', 'mean'])
    .default('bottleneck')
    .describe(
      "How the under-provisioned test reads System.CPU.Usage [INFERRED]: 'bottleneck' = the busiest subtask of the operators that are not themselves backpressured and can still scale up, and 0 when the busiest such operator of all is at its max parallelism (default); 'max' = the busiest subtask over all operators; 'mean' = the slot-weighted mean busy share.",
    ),
  overCpu: z
    .enum(['mean', 'max', 'anyOperator'])
    .default('mean')
    .describe(
      "How the over-provisioned test reads System.CPU.Usage [INFERRED]: 'mean' = the slot-weighted mean busy share sum p_i busy_i / sum p_i, the share of the job's slots in use (default); 'max' = the busiest subtask over all operators (one busy operator blocks every scale-down); 'anyOperator' = over-provisioned when some operator with p > 1 has its busiest subtask below coreMinThr.",
    ),
  underNeedsShortfall: z
    .boolean()
    .default(true)
    .describe(
      "Harness rule [INFERRED]: the job reads under-provisioned only if, besides backpressure and CPU stress, its sources fall short of the target rate (the SLA: sustain the source rate). Backpressure while the sources keep their rate is in-flight buffers draining or an operator saturated exactly at the rate (e.g. at its max parallelism); false applies the section 7 test alone.",
    ),
  decisionThr: z.number().min(0).default(0.1).describe('Deploy a Small step only if max(P/P\', P\'/P) >= 1 + decisionThr, P the total parallelism (harness default; the paper gives no value).'),
  smallAfterBig: z
    .boolean()
    .default(true)
    .describe('Algorithm 1: once Big has freed the job of under-provisioning, Small runs in the same tuning whatever the over-provisioned test says (false: Small only when the job reads over-provisioned).'),
  retryCbo: z
    .boolean()
    .default(true)
    .describe(
      "Section 6.2 (footnote 3): when a Small step leaves the job under-provisioned at the same rate, run CBO again with the tuning's lambda instead of Big (false: Big again). Harness rules [INFERRED] for that step: PA grows with p, so each bottleneck (busy above coreMaxThr, not backpressured) goes at least one above its current parallelism, and the decision threshold does not apply (an under-provisioned job is not a small-magnitude change).",
    ),
  processingAbility: z
    .enum(['average', 'busiest'])
    .default('average')
    .describe(
      "PA = input / useful time [INFERRED aggregation]: 'average' = DS2's true processing rate (records in per second of the subtasks' average busy time; the paper's 'same methodology as DS2', blind to key skew); 'busiest' = records in per second of the busiest subtask's busy time (the capacity under key skew, as the Flink autoscaler's MAX aggregator). The linear fallback uses the same reading.",
    ),
  settleWindows: z
    .int()
    .min(0)
    .default(6)
    .describe(
      "Harness rule: after the sources have drained a backlog, up to this many more windows in which the job is backpressured while its sources keep up (no lag) are read as the operators' in-flight buffers draining, and ContTune waits.",
    ),
  maxCatchUpSec: z
    .number()
    .min(0)
    .default(300)
    .describe(
      'Harness rule: during the Big phase, waitWhileCatchingUp waits only while the backlog would drain within this many seconds at the current surplus (lag / (achieved - target)); a slower drain with the CPU stressed is under-provisioning and Big goes on (a very large value: always wait). After a Small step ContTune always waits for the drain.',
    ),
  l: z.number().positive().default(4.37).describe('Initial RBF length scale l of the GP (GPofContTune.py README version).'),
  sigma_f: z.number().positive().default(1e6).describe('Initial RBF signal scale sigma_f of the GP (clipped into its bounds before fitting, as L-BFGS-B does).'),
  lBounds: z.tuple([z.number().positive(), z.number().positive()]).default([1e-5, 1e5]).describe('L-BFGS-B bounds of l.'),
  sigmaFBounds: z.tuple([z.number().positive(), z.number().positive()]).default([1e-5, 5e5]).describe('L-BFGS-B bounds of sigma_f.'),
  jitter: z.number().min(0).default(1e-8).describe('Diagonal jitter of the kernel matrix (raised only if the Cholesky factor does not exist).'),
  optimize: z.boolean().default(true).describe('Fit (l, sigma_f) by marginal likelihood; false keeps the initial values.'),
  scaling_factor: z.number().min(0).default(0).describe("DS2's over-provisioning factor for the linear fallback (DS2 default 0)."),
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
  /** Default 'max' (a plain reading for scripted snapshots); the tuner's default is 'bottleneck'. */
  readonly underCpu?: ContTuneOptions['underCpu'];
  /** Default 'max'; the tuner's default is 'mean'. */
  readonly overCpu?: ContTuneOptions['overCpu'];
}

/** Slot-weighted mean busy share: sum_i p_i busy_i / sum_i p_i (the share of the job's slots in use). */
export function meanCpu(ms: readonly OperatorMetrics[]): number {
  const slots = ms.reduce((a, m) => a + m.parallelism, 0);
  return slots > 0 ? ms.reduce((a, m) => a + (m.parallelism * m.busyMsPerSecond) / 1000, 0) / slots : 0;
}

/**
 * ContTune's controller (section 7), CPU read as thresholds.underCpu / overCpu say. `job` gives the operators' max
 * parallelism to the 'bottleneck' reading (without it no operator counts as unable to scale).
 * On shared workers (Timely: no backpressure between operators) [INFERRED, as Dhalion's Timely mapping]: bpPer is
 * the sources' unmet share of the target rate and CPU the workers' utilisation (the operators' busy shares summed).
 */
export function classify(snapshot: Snapshot, t: ControllerThresholds, sharedWorkers = false, job?: JobGraph): Provisioning {
  const ms = Object.values(snapshot.operators);
  if (sharedWorkers) {
    const unmet = snapshot.targetRate > 0 ? Math.max(0, 1 - snapshot.achievedRate / snapshot.targetRate) : 0;
    const utilisation = Math.min(1, ms.reduce((a, m) => a + m.busyMsPerSecond / 1000, 0));
    if (unmet >= t.backpressureThr && utilisation > t.coreMaxThr) return 'under';
    if (unmet < t.backpressureThr && utilisation < t.coreMinThr) return 'over';
    return 'fit';
  }
  if (backpressured(snapshot, t)) {
    let cpu: number;
    switch (t.underCpu ?? 'max') {
      case 'mean':
        cpu = meanCpu(ms);
        break;
      case 'bottleneck': {
        // The job's limiter is its busiest operator that is not itself backpressured; when that operator is at
        // its max parallelism, more parallelism cannot relieve the job.
        const free = Object.entries(snapshot.operators).filter(([, m]) => backpressureShare(m) < t.backpressureThr);
        const capped = (id: string, m: OperatorMetrics): boolean => !!job && job.has(id) && m.parallelism >= job.operator(id).maxParallelism;
        const scalableCpu = Math.max(0, ...free.filter(([id, m]) => !capped(id, m)).map(([, m]) => maxBusyFraction(m)));
        const cappedCpu = Math.max(0, ...free.filter(([id, m]) => capped(id, m)).map(([, m]) => maxBusyFraction(m)));
        cpu = cappedCpu > scalableCpu ? 0 : scalableCpu;
        break;
      }
      default:
        cpu = Math.max(0, ...ms.map(maxBusyFraction));
    }
    return cpu > t.coreMaxThr ? 'under' : 'fit';
  }
  switch (t.overCpu ?? 'max') {
    case 'mean':
      return meanCpu(ms) < t.coreMinThr ? 'over' : 'fit';
    case 'anyOperator':
      return ms.some((m) => m.parallelism > 1 && maxBusyFraction(m) < t.coreMinThr) ? 'over' : 'fit';
    default:
      return Math.max(0, ...ms.map(maxBusyFraction)) < t.coreMinThr ? 'over' : 'fit';
  }
}

/**
 * The sources drain a backlog: they emitted above their target during the window (only possible with lag at its
 * start; the lag may have reached zero by its end).
 */
export function catchingUp(s: Snapshot): boolean {
  return s.achievedRate > s.targetRate * (1 + 1e-3);
}

/** Seconds the sources' backlog needs to drain at this window's surplus (Infinity without surplus). */
export function drainSeconds(s: Snapshot): number {
  const surplus = s.achievedRate - s.targetRate;
  return surplus > 0 ? totalLag(s) / surplus : Infinity;
}

/** The sources emit less than their target (by more than 0.1 %). */
export function shortfall(s: Snapshot): boolean {
  return s.achievedRate < s.targetRate * (1 - 1e-3);
}

/** Some operator's bpPer reaches backpressureThr. */
export function backpressured(s: Snapshot, t: ControllerThresholds): boolean {
  return Object.values(s.operators).some((m) => backpressureShare(m) >= t.backpressureThr);
}

/** The sources emit their target and end the window with (almost) no lag: at most 1 s of the target rate. */
export function sourcesKeepUp(s: Snapshot): boolean {
  return s.achievedRate >= s.targetRate * (1 - 1e-3) && totalLag(s) <= s.targetRate;
}

/** PA of one operator in one window, as `mode` reads it (0 when nothing was measured). */
export function processingAbility(m: OperatorMetrics, mode: ContTuneOptions['processingAbility']): number {
  if (mode === 'busiest') {
    const busy = maxBusyFraction(m);
    return busy > 0 ? m.recordsInPerSecond / busy : 0;
  }
  return m.trueProcessingRate;
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

/** Where the current tuning stands (Algorithm 1). */
interface Tuning {
  /** 'big': a Big step was deployed and Small has not run since; 'small': Small ran with `lambda`. */
  phase: 'big' | 'small';
  /** The real upstream rates Small used (records/s per operator), and the target rate they belong to. */
  lambda?: Readonly<Record<string, number>>;
  rate?: number;
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
  let tuning: Tuning | undefined;
  /** Windows still to wait after the sources caught up. */
  let settling = 0;

  const obsKey = (o: Observation): string => `${o.snapshot.time}|${o.rate}|${parallelismKey(o.parallelism)}`;
  const confKey = (rate: number, p: Parallelism): string => `${rate}|${shared ? `W=${deployedWorkers(p)}` : parallelismKey(p)}`;

  function ingest(job: JobGraph, o: Observation): void {
    const key = obsKey(o);
    if (ingested.has(key)) return;
    ingested.add(key);
    for (const [id, m] of Object.entries(o.snapshot.operators)) {
      const p = o.parallelism[id] ?? m.parallelism;
      pMax = Math.max(pMax, p);
      // PA is trusted when the operator itself is not blocked on its output (its useful time is not inflated).
      const pa = processingAbility(m, opts.processingAbility);
      if (backpressureShare(m) < thresholds.backpressureThr && m.recordsInPerSecond > 0 && pa > 0 && Number.isFinite(pa)) history.add(id, p, pa);
    }
    // A configuration is remembered as under-provisioned at a rate only when its sources fell behind, or drain a
    // backlog too slowly (beyond maxCatchUpSec) while CPU-stressed: transient backpressure while in-flight buffers
    // drain is not a verdict.
    let under: boolean;
    if (opts.waitWhileCatchingUp && catchingUp(o.snapshot)) under = drainSeconds(o.snapshot) > opts.maxCatchUpSec && classify(o.snapshot, thresholds, shared, job) === 'under';
    else under = !sourcesKeepUp(o.snapshot) && controller(o.snapshot, job) === 'under';
    if (under) bottlenecked.set(confKey(o.rate, o.parallelism), bottleneckOperators(o.snapshot, thresholds));
  }

  /** The section 7 controller, with the sources' shortfall required for 'under' when underNeedsShortfall. */
  function controller(s: Snapshot, job: JobGraph): Provisioning {
    const state = classify(s, thresholds, shared, job);
    if (state === 'under' && opts.underNeedsShortfall && !shared && !shortfall(s)) return 'fit';
    return state;
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
      // Raise the busiest raisable bottleneck of that observation by one; look again.
      const next: Record<string, number> = { ...p };
      let moved = false;
      for (const id of seen) {
        const v = next[id] ?? 1;
        if (job.has(id) && v < job.operator(id).maxParallelism) {
          next[id] = v + 1;
          moved = true;
          break;
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

  /** Algorithm 1, lines 2-15: one Big step. */
  function big(view: TunerView): Decision {
    const { job, parallelism: current } = view;
    const limit = shared ? maxWorkers(job) : Math.max(...job.operators().map((o) => o.maxParallelism));
    const at = (w: number): Parallelism =>
      shared ? workersParallelism(job, w) : Object.fromEntries(job.operatorIds.map((id) => [id, Math.min(w, job.operator(id).maxParallelism)]));
    const atMax = job.operatorIds.every((id) => (current[id] ?? 0) >= Math.min(pMax, job.operator(id).maxParallelism));
    if (atMax) pMax = Math.min(limit, pMax * 2);
    let next = at(pMax);
    // Every operator at p_max was already seen under-provisioned at this rate: p_max is not enough, double it.
    while (bottlenecked.has(confKey(view.targetRate, next)) && pMax < limit) {
      pMax = Math.min(limit, pMax * 2);
      next = at(pMax);
    }
    if (bottlenecked.has(confKey(view.targetRate, next)) || parallelismKey(next) === parallelismKey(current))
      return keep(`ContTune Big: every operator at p_max = ${pMax} (the limit) is under-provisioned at this rate (infeasible)`);
    tuning = { phase: 'big' };
    if (shared) return workersDecision(job, current, pMax, `ContTune Big: under-provisioned, W <- p_max = ${pMax}`);
    return rescale(current, next, `ContTune Big: under-provisioned, every operator to p_max = ${pMax}`);
  }

  /** Algorithm 2: one CBO step with the given real upstream rates. */
  function small(view: TunerView, lambda: Readonly<Record<string, number>>, why: string, retry = false): Decision {
    const { job, snapshot, parallelism: current } = view;
    tuning = { phase: 'small', lambda, rate: view.targetRate };
    const answers: Record<string, CboAnswer> = {};
    const values: Record<string, number> = {};
    for (const id of job.operatorIds) {
      const m = snapshot.operators[id] as OperatorMetrics | undefined;
      const lam = lambda[id] ?? 0;
      const cap = view.sharedWorkers ? maxWorkers(job) : job.operator(id).maxParallelism;
      const p = current[id] ?? m?.parallelism ?? 1;
      // Linear (DS2) answer: lambda_i over the per-instance processing ability measured now.
      const pa = m ? processingAbility(m, opts.processingAbility) : 0;
      const raw = (pa > 0 && Number.isFinite(pa) ? (lam * p) / pa : p) * (1 + opts.scaling_factor);
      const ds2 = Math.min(cap, Math.max(1, Math.ceil(raw - 1e-9)));
      const a = cbo(history.topK(id, opts.topK), lam, Math.min(pMax, cap), opts.alpha, ds2, gp);
      answers[id] = a;
      // On shared workers the DS2 fallback passes its un-rounded value to the worker reduction.
      values[id] = view.sharedWorkers && a.source === 'ds2' ? raw : a.p;
    }
    let next: Parallelism = view.sharedWorkers
      ? reduceToWorkers(job, values)
      : Object.fromEntries(job.operatorIds.map((id) => [id, Math.min(job.operator(id).maxParallelism, Math.max(1, values[id] ?? 1))]));
    if (retry) {
      // PA grows with p: a bottleneck at p needs more than p.
      if (shared) {
        if (deployedWorkers(next) <= deployedWorkers(current)) next = workersParallelism(job, deployedWorkers(current) + 1);
      } else {
        const raised: Record<string, number> = { ...next };
        for (const id of bottleneckOperators(snapshot, thresholds)) {
          if (!job.has(id)) continue;
          raised[id] = Math.min(job.operator(id).maxParallelism, Math.max(raised[id] ?? 1, (current[id] ?? 1) + 1));
        }
        next = raised;
      }
    }
    const safe = avoidBottlenecked(job, view.targetRate, next, view.sharedWorkers);
    if (!safe) return keep(`ContTune Small (${why}): every reachable configuration was observed under-provisioned at this rate`);
    const moved = safe !== next;
    next = safe;
    const P = shared ? deployedWorkers(current) : totalParallelism(current);
    const Pn = shared ? deployedWorkers(next) : totalParallelism(next);
    if (!retry && Math.max(P / Pn, Pn / P) < 1 + opts.decisionThr)
      return keep(`ContTune Small (${why}): total ${P} -> ${Pn} is below the decision threshold ${opts.decisionThr}`);
    if (shared) return workersDecision(job, current, Pn, `ContTune Small (CBO, ${why})`);
    const label = `total ${P} -> ${Pn}`;
    return rescale(current, next, `ContTune Small (CBO, ${why}): ${label}${moved ? ', raised off a configuration seen under-provisioned' : ''}`, (id) => {
      const a = answers[id];
      if (!a) return 'CBO';
      const gpPart = a.pAcq === undefined ? 'no GP answer' : `p_acq=${a.pAcq}, d=${a.distance}`;
      return `${a.source === 'gp' ? 'GP' : 'DS2 fallback'} (${gpPart}, lambda=${(lambda[id] ?? 0).toPrecision(4)}/s)`;
    });
  }

  return {
    name: 'conttune',
    startEpisode(): void {
      // A new rate: the real upstream rates of the previous tuning no longer hold.
      if (tuning?.phase === 'small') tuning = undefined;
    },
    decide(view: TunerView): Decision {
      const { job, snapshot, parallelism: current } = view;
      shared = view.sharedWorkers;
      for (const o of view.history) ingest(job, o);
      ingest(job, { parallelism: current, snapshot, rate: view.targetRate });
      pMax = Math.max(pMax, ...Object.values(current));
      if (opts.waitWhileCatchingUp) {
        if (catchingUp(snapshot)) {
          settling = opts.settleWindows;
          const eta = drainSeconds(snapshot);
          const reason = `ContTune: draining a backlog (${snapshot.achievedRate.toPrecision(4)}/s for a target of ${snapshot.targetRate.toPrecision(4)}/s, ~${Math.round(eta)} s to go)`;
          // Too slow a drain during the Big phase (p_max does not bring the job back to its SLA in time) with the
          // CPU stressed is under-provisioning: Big goes on. After Small, the job is sized for lambda and waits.
          if (eta <= opts.maxCatchUpSec || tuning?.phase === 'small' || classify(snapshot, thresholds, shared, job) !== 'under') return wait(reason);
          settling = 0;
          return big(view);
        }
        if (settling > 0) {
          settling--;
          if (backpressured(snapshot, thresholds) && sourcesKeepUp(snapshot)) return wait('ContTune: the sources caught up; the in-flight buffers still drain');
          settling = 0;
        }
      }
      const state = controller(snapshot, job);

      if (state === 'under') {
        // A Small step of this tuning left the job under-provisioned: CBO again with the tuning's lambda (the
        // observed inputs are throttled now), with the bottleneck's new observation in the history.
        if (opts.retryCbo && tuning?.phase === 'small' && tuning.lambda && tuning.rate === view.targetRate) return small(view, tuning.lambda, 'again after an under-provisioned Small step', true);
        return big(view);
      }
      // Small, lambda_i = the observed input (the job is not under-provisioned now).
      const observed = Object.fromEntries(job.operatorIds.map((id) => [id, snapshot.operators[id]?.recordsInPerSecond ?? 0]));
      if (opts.smallAfterBig && tuning?.phase === 'big') return small(view, observed, 'after Big');
      if (state === 'fit') return keep('ContTune: neither under- nor over-provisioned');
      return small(view, observed, 'over-provisioned');
    },
  };
}

/**
 * Operators that were the bottleneck of an under-provisioned snapshot: busy (busiest subtask above coreMaxThr) and
 * not themselves backpressured, busiest first (ties by id).
 */
function bottleneckOperators(s: Snapshot, t: ControllerThresholds): string[] {
  return Object.entries(s.operators)
    .filter(([, m]) => backpressureShare(m) < t.backpressureThr && maxBusyFraction(m) > t.coreMaxThr)
    .sort((a, b) => maxBusyFraction(b[1]) - maxBusyFraction(a[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([id]) => id);
}

/**
 * The cost of one decide() for the work estimate: ContTune re-reads the run's whole history every decision, so a
 * decision costs in proportion to the windows observed so far (a run's total grows with their square). Measured on
 * WordCount (3 operators, ContTune's protocol at 50 levels, 8,383 windows): 1.0 ms at 2,096 observed windows,
 * 11.0 ms at 8,383, i.e. about 4.4e-7 s per observed window and operator; 5e-7 keeps a margin.
 */
export const COST = { base: 5e-4, perObservedOperator: 5e-7 } as const;

export function decideSec(_o: ContTuneOptions, ctx: DecideCostContext): number {
  return COST.base + COST.perObservedOperator * ctx.observed * ctx.operators;
}
