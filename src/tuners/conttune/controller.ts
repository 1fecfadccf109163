/**
 * ContTune's controller (section 7) and the harness's reading of a window around it: under-, over- or
 * fit-provisioned, the sources' catch-up and shortfall, the bottleneck operators of an under-provisioned window,
 * and the catch-up gate that waits while a backlog or the in-flight buffers drain. Pure functions of a snapshot.
 */
import type { JobGraph } from '../../core/job.js';
import { totalLag, type OperatorMetrics, type Snapshot } from '../../core/metrics.js';
import { backpressureShare, maxBusyFraction } from '../shared/metrics.js';
import type { ContTuneOptions } from './options.js';

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

/**
 * Operators that were the bottleneck of an under-provisioned snapshot: busy (busiest subtask above coreMaxThr) and
 * not themselves backpressured, busiest first (ties by id).
 */
export function bottleneckOperators(s: Snapshot, t: ControllerThresholds): string[] {
  return Object.entries(s.operators)
    .filter(([, m]) => backpressureShare(m) < t.backpressureThr && maxBusyFraction(m) > t.coreMaxThr)
    .sort((a, b) => maxBusyFraction(b[1]) - maxBusyFraction(a[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([id]) => id);
}


/** The section 7 controller, with the sources' shortfall required for 'under' when underNeedsShortfall. */
export function controller(s: Snapshot, job: JobGraph, opts: ContTuneOptions, shared: boolean): Provisioning {
  const state = classify(s, opts, shared, job);
  if (state === 'under' && opts.underNeedsShortfall && !shared && !shortfall(s)) return 'fit';
  return state;
}

/**
 * What the catch-up rule (waitWhileCatchingUp) makes of a window: wait, go on with Big (a drain too slow with the
 * CPU stressed during the Big phase), or classify it; and the windows still to wait after the sources caught up.
 */
export type CatchUpGate = { readonly kind: 'wait'; readonly reason: string; readonly settling: number } | { readonly kind: 'big' | 'classify'; readonly settling: number };

export function catchUpGate(snapshot: Snapshot, settling: number, phase: 'big' | 'small' | undefined, job: JobGraph, opts: ContTuneOptions, shared: boolean): CatchUpGate {
  if (!opts.waitWhileCatchingUp) return { kind: 'classify', settling };
  if (catchingUp(snapshot)) {
    const eta = drainSeconds(snapshot);
    const reason = `ContTune: draining a backlog (${snapshot.achievedRate.toPrecision(4)}/s for a target of ${snapshot.targetRate.toPrecision(4)}/s, ~${Math.round(eta)} s to go)`;
    // Too slow a drain during the Big phase (p_max does not bring the job back to its SLA in time) with the
    // CPU stressed is under-provisioning: Big goes on. After Small, the job is sized for lambda and waits.
    if (eta <= opts.maxCatchUpSec || phase === 'small' || classify(snapshot, opts, shared, job) !== 'under') return { kind: 'wait', reason, settling: opts.settleWindows };
    return { kind: 'big', settling: 0 };
  }
  if (settling > 0) {
    if (backpressured(snapshot, opts) && sourcesKeepUp(snapshot)) return { kind: 'wait', reason: 'ContTune: the sources caught up; the in-flight buffers still drain', settling: settling - 1 };
    return { kind: 'classify', settling: 0 };
  }
  return { kind: 'classify', settling };
}
