/**
 * StreamTune's operator-level bottleneck labels, for pre-training (history windows) and online (the job's own
 * windows) alike. Built on the two label rules of src/history/labels.ts (streamtune.md §5), with two reconstructed
 * refinements, each a config key:
 *
 *  - catchUp 'healthy': a window whose sources emit at least lagRatio x the target rate sustains the target, so no
 *    operator is a bottleneck *at that rate*, even when one is saturated while draining the backlog a rescale left
 *    (the metric rule alone labels the busiest operator of a draining job: it is saturated and its upstream is
 *    backpressured). 'asObserved' keeps the metric rule's labels.
 *  - lagClause 'fallback': the metric rule labels a saturated, not backpressured operator when an upstream operator
 *    is backpressured *or* the sources lag. While some saturated operator has a backpressured upstream (a culprit the
 *    backpressure points at), the others that only qualify through the lag clause are unknown (masked): near capacity
 *    but not shown to be short. 'always' keeps the rule as is.
 *  - labelMask 'throttled': while the sources lag, an operator that is not labelled saw less than its demand, so
 *    "not a bottleneck" is only known when even its projected load at full demand, busyMax x demand / input, stays
 *    below tauBusy; otherwise the label is unknown (masked out of the loss). 'none' keeps every label.
 *
 * The groundTruth rule reads the simulator's demand-above-capacity labels and is never masked.
 *
 * The 'projected' rule reads the same metrics differently: every operator is labelled in every window,
 * by its projected utilisation at full demand, busyMax x demand / input (the busiest subtask's busy ratio scaled
 * from the input it received to the demand at the target rate): a bottleneck iff that is >= 1, i.e. p instances at
 * the speed the window shows cannot keep up with the demand. That is the oracle's own criterion measured from
 * metrics (a real engine's history has it too), where the culprit rule above labels only the operator the
 * backpressure points at and leaves the others masked or 0 (which biases a model towards too little parallelism).
 * A window whose sources keep up labels nothing (catchUp 'healthy').
 */
import type { JobGraph } from '../../core/job.js';
import type { Snapshot } from '../../core/metrics.js';
import { metricLabels, type LabelRule } from '../../history/labels.js';

export type StreamTuneLabelRule = LabelRule | 'projected';

export interface LabelOptions {
  labelRule: StreamTuneLabelRule;
  tauBp: number;
  tauBusy: number;
  lagRatio: number;
  catchUp: 'healthy' | 'asObserved';
  labelMask: 'throttled' | 'none';
  lagClause: 'fallback' | 'always';
}

/** Per operator: 1 bottleneck, 0 not, undefined unknown (masked). */
export type WindowLabels = Record<string, 0 | 1 | undefined>;

/** True when the sources emitted less than lagRatio x the target during the window. */
export function lagging(s: Snapshot, lagRatio: number): boolean {
  return s.targetRate > 0 && s.achievedRate < lagRatio * s.targetRate;
}

/**
 * Labels of one window under the metric rule (with the refinements above). `rate` is the target total rate the
 * demand is computed for (the snapshot's own by default).
 */
export function metricWindowLabels(job: JobGraph, s: Snapshot, o: LabelOptions, rate = s.targetRate): WindowLabels {
  const behind = lagging(s, o.lagRatio);
  if (o.catchUp === 'healthy' && !behind) return Object.fromEntries(job.operatorIds.map((id) => [id, 0]));
  const raw = metricLabels(job, s, { tauBp: o.tauBp, tauBusy: o.tauBusy, lagRatio: o.lagRatio });
  const out: WindowLabels = {};
  const bp = (id: string) => (s.operators[id]?.backPressuredMsPerSecondMax ?? 0) / 1000;
  const pressured = (id: string) => job.upstream(id).some((u) => bp(u) >= o.tauBp);
  const lagOnly =
    o.lagClause === 'fallback' && behind && job.operatorIds.some((id) => raw[id] && pressured(id))
      ? new Set(job.operatorIds.filter((id) => raw[id] && !pressured(id)))
      : new Set<string>();
  const load = o.labelMask === 'throttled' && behind ? job.loadFactors() : undefined;
  for (const id of job.operatorIds) {
    if (raw[id]) {
      out[id] = lagOnly.has(id) ? undefined : 1;
      continue;
    }
    if (!load) {
      out[id] = 0;
      continue;
    }
    const m = s.operators[id];
    const demand = (load[id] ?? 0) * rate;
    const input = m?.recordsInPerSecond ?? 0;
    const busy = Math.max(m?.busyMsPerSecondMax ?? 0, m?.busyMsPerSecond ?? 0) / 1000;
    const projected = demand <= 0 ? 0 : input > 0 ? (busy * demand) / input : Infinity;
    out[id] = projected < o.tauBusy ? 0 : undefined;
  }
  return out;
}

/** Labels of one window under the configured rule; groundTruth needs the truth labels. */
export function windowLabels(
  job: JobGraph,
  s: Snapshot,
  o: LabelOptions,
  truth?: Readonly<Record<string, boolean>>,
  rate = s.targetRate,
): WindowLabels {
  if (o.labelRule === 'groundTruth') {
    if (!truth) throw new Error(`label rule 'groundTruth' needs the simulator's ground truth (job '${job.name}')`);
    return Object.fromEntries(job.operatorIds.map((id) => [id, truth[id] ? 1 : 0]));
  }
  if (o.labelRule === 'projected') return projectedWindowLabels(job, s, o, rate);
  return metricWindowLabels(job, s, o, rate);
}

/** The 'projected' rule (module comment): busyMax x demand / input >= 1 at the target rate. */
export function projectedWindowLabels(job: JobGraph, s: Snapshot, o: Pick<LabelOptions, 'catchUp' | 'lagRatio'>, rate = s.targetRate): WindowLabels {
  if (o.catchUp === 'healthy' && !lagging(s, o.lagRatio)) return Object.fromEntries(job.operatorIds.map((id) => [id, 0]));
  const load = job.loadFactors();
  const out: WindowLabels = {};
  for (const id of job.operatorIds) {
    const m = s.operators[id];
    const demand = (load[id] ?? 0) * rate;
    const input = m?.recordsInPerSecond ?? 0;
    const busy = Math.max(m?.busyMsPerSecondMax ?? 0, m?.busyMsPerSecond ?? 0) / 1000;
    if (job.operator(id).type === 'source' || demand <= 0) out[id] = 0;
    else if (!(input > 0)) out[id] = undefined; // nothing arrived: unknown
    else out[id] = (busy * demand) / input >= 1 ? 1 : 0;
  }
  return out;
}

/** The operators labelled bottleneck. */
export function bottleneckOperators(labels: WindowLabels): string[] {
  return Object.keys(labels).filter((id) => labels[id] === 1);
}
