/**
 * Dhalion: "Dhalion: Self-Regulating Stream Processing in Heron", Floratou et al., PVLDB 10(12), 2017. Port of
 * Heron's health manager policy (apache/incubator-heron heron/healthmgr: DynamicResourceAllocationPolicy,
 * BackPressureDetector, ProcessingRateSkewDetector, WaitQueueSkewDetector, the three diagnosers and
 * ScaleUpResolver); baselines.md section 4.
 *
 *   detectors: back pressure (> noiseFilterMillis), processing-rate skew and wait-queue skew (max > skewRatio x)
 *   diagnosers: under-provisioning (bp, no skew), slow instance (bp + queue skew), data skew (bp + both skews)
 *   resolver:   data skew or slow instance anywhere -> no action; else scale up the first under-provisioned
 *               component: newP = ceil(p * (1 + min(4, bp / (1000 - bp)))), bp capped at 999; one per round.
 *   policy:     every health.policy.interval.ms (60 s); 180 s after an action.
 *
 * Flink mapping (harness): Flink charges backpressured time to the blocked upstream, Heron to the instance that
 * initiates it, so the component scaled is the first (topological order) operator that is not backpressured, has
 * its busiest subtask busy >= busyThreshold and lies directly below a backpressured operator; bp is that upstream's.
 * Snapshots carry no per-instance rates or queues: the busiest subtask's busy time against the mean
 * (busyMax > skewRatio * busyAvg, a lower bound of max/min) stands for the long queue of a slow or hot instance
 * (wait-queue skew); on a hash-partitioned input it also stands for the hot key's excess records (rate skew).
 */
import { z } from 'zod';
import { keep, rescale, wait, type Decision } from '../../core/decision.js';
import type { JobGraph } from '../../core/job.js';
import type { OperatorMetrics, Snapshot } from '../../core/metrics.js';
import type { Tuner, TunerView } from '../tuner.js';
import { maxBusyFraction } from '../shared/metrics.js';
import { deployedWorkers, workersDecision } from '../shared/workers.js';

/** Its colour in every chart (Tableau-10). */
export const color = '#e45756';
export const doc = 'Dhalion (Floratou et al., PVLDB 2017): backpressure detectors and diagnosers, one component scaled up per round.';

export const options = z.strictObject({
  'health.policy.interval.ms': z.number().min(0).default(60000).describe('Policy execution interval in ms (Heron default 60000).'),
  'DynamicResourceAllocationPolicy.conf_post_action_wait_interval_min': z
    .number()
    .min(0)
    .default(180000)
    .describe('Wait after an action before the next round, in ms despite the key name (Heron default 180000).'),
  'BackPressureDetector.noiseFilterMillis': z.number().min(0).default(20).describe('Back pressure (ms per second) above which a component is backpressured (Heron default 20).'),
  'ProcessingRateSkewDetector.skewRatio': z.number().min(1).default(1.5).describe('Rate skew: busiest instance above skewRatio times the mean (Heron default 1.5).'),
  'WaitQueueSkewDetector.skewRatio': z.number().min(1).default(1.5).describe('Wait-queue skew: busiest instance above skewRatio times the mean (Heron default 1.5).'),
  busyThreshold: z.number().min(0).max(1).default(0.5).describe('Harness mapping: the scaled component has its busiest subtask busy at least this fraction.'),
  scaleDown: z.boolean().default(false).describe("Harness option (the paper's scale-down diagnoser; Heron has no scale-down resolver): with no back pressure, scale one operator with busy < scaleDownBusyThreshold to ceil(p * busy / scaleDownTargetUtilization)."),
  scaleDownBusyThreshold: z.number().min(0).max(1).default(0.3).describe('Busy fraction below which the optional scale-down applies.'),
  scaleDownTargetUtilization: z.number().min(0.01).max(1).default(0.7).describe('Target busy fraction of the optional scale-down.'),
});
export type DhalionOptions = z.infer<typeof options>;

export type DiagnosisType = 'under-provisioning' | 'slow-instance' | 'data-skew';

export interface Diagnosis {
  readonly type: DiagnosisType;
  /** The component (operator) the diagnosis assigns. */
  readonly component: string;
  /** Back pressure charged to it (ms per second): its backpressured upstream's. */
  readonly backPressureMs: number;
}

/** Detectors and diagnosers over one snapshot, components in topological order. */
export function diagnose(job: JobGraph, s: Snapshot, o: DhalionOptions): Diagnosis[] {
  const noise = o['BackPressureDetector.noiseFilterMillis'];
  const m = (id: string): OperatorMetrics | undefined => s.operators[id];
  const bp = (id: string): number => m(id)?.backPressuredMsPerSecond ?? 0;
  const out: Diagnosis[] = [];
  for (const id of job.operatorIds) {
    const mv = m(id);
    if (!mv || bp(id) > noise || maxBusyFraction(mv) < o.busyThreshold) continue;
    const blocked = job.upstream(id).filter((u) => bp(u) > noise);
    if (blocked.length === 0) continue;
    const upstreamBp = Math.max(...blocked.map(bp));
    const spread = mv.busyMsPerSecond > 0 ? mv.busyMsPerSecondMax / mv.busyMsPerSecond : 1;
    const queueSkew = spread > o['WaitQueueSkewDetector.skewRatio'];
    const keyed = job.inEdges(id).some((e) => e.ship === 'hash');
    const rateSkew = keyed && spread > o['ProcessingRateSkewDetector.skewRatio'];
    // Heron's diagnosers: both skews = data skew; queue skew alone = slow instance; neither = under-provisioning;
    // rate skew alone matches no diagnoser.
    if (rateSkew && !queueSkew) continue;
    const type: DiagnosisType = rateSkew ? 'data-skew' : queueSkew ? 'slow-instance' : 'under-provisioning';
    out.push({ type, component: id, backPressureMs: upstreamBp });
  }
  return out;
}

/** ScaleUpResolver.computeScaleUpFactor: ceil(p * (1 + min(4, bp / (1000 - bp)))), bp capped at 999. */
export function scaleUpParallelism(p: number, backPressureMs: number): number {
  const bp = backPressureMs >= 1000 ? 999 : Math.max(0, backPressureMs);
  const unused = Math.min(4, bp / (1000 - bp));
  return Math.ceil(p * (1 + unused) - 1e-9);
}

export function create(opts: DhalionOptions): Tuner {
  const intervalSec = opts['health.policy.interval.ms'] / 1000;
  const waitSec = opts['DynamicResourceAllocationPolicy.conf_post_action_wait_interval_min'] / 1000;
  let nextRoundAt = -Infinity;

  function acted(view: TunerView, d: Decision): Decision {
    nextRoundAt = view.clock + (d.kind === 'rescale' ? waitSec : intervalSec);
    return d;
  }

  return {
    name: 'dhalion',
    decide(view: TunerView): Decision {
      if (view.clock + 1e-9 < nextRoundAt) return wait(`Dhalion: next round at t=${nextRoundAt}s`);
      return acted(view, view.sharedWorkers ? decideWorkers(view, opts) : decideOperators(view, opts));
    },
  };
}

function decideOperators(view: TunerView, o: DhalionOptions): Decision {
  const { job, snapshot, parallelism: current } = view;
  const diagnoses = diagnose(job, snapshot, o);
  const skewed = diagnoses.find((d) => d.type === 'data-skew');
  if (skewed) return keep(`Dhalion: data skew diagnosed at '${skewed.component}' (no resolver)`);
  const slow = diagnoses.find((d) => d.type === 'slow-instance');
  if (slow) return keep(`Dhalion: slow instance diagnosed at '${slow.component}' (no resolver)`);
  const under = diagnoses[0];
  if (under) {
    const p = current[under.component] ?? 1;
    const np = Math.min(job.operator(under.component).maxParallelism, scaleUpParallelism(p, under.backPressureMs));
    return rescale(current, { ...current, [under.component]: np }, `Dhalion: '${under.component}' under-provisioned`, () =>
      `scale-up for upstream back pressure ${under.backPressureMs.toFixed(0)} ms/s`,
    );
  }
  const noise = o['BackPressureDetector.noiseFilterMillis'];
  const anyBp = job.operatorIds.some((id) => (snapshot.operators[id]?.backPressuredMsPerSecond ?? 0) > noise);
  if (anyBp) return keep('Dhalion: back pressure without a diagnosable component');
  if (o.scaleDown) {
    for (const id of job.operatorIds) {
      const m = snapshot.operators[id];
      if (!m || job.operator(id).type === 'source') continue;
      const busy = maxBusyFraction(m);
      const p = current[id] ?? 1;
      if (busy < o.scaleDownBusyThreshold && p > 1) {
        const np = Math.max(1, Math.ceil((p * busy) / o.scaleDownTargetUtilization - 1e-9));
        if (np < p) return rescale(current, { ...current, [id]: np }, `Dhalion: '${id}' over-provisioned`, () => `busy ${busy.toFixed(2)}`);
      }
    }
  }
  return keep('Dhalion: healthy (no back pressure)');
}

/** Shared workers (harness): the sources' unmet share of the target rate, in ms per second, is the back pressure. */
function decideWorkers(view: TunerView, o: DhalionOptions): Decision {
  const { job, snapshot, parallelism: current } = view;
  const w = deployedWorkers(current);
  const target = Object.values(snapshot.sources).reduce((a, s) => a + s.targetRate, 0);
  const achieved = Object.values(snapshot.sources).reduce((a, s) => a + s.achievedRate, 0);
  const bp = target > 0 ? 1000 * Math.max(0, 1 - achieved / target) : 0;
  if (bp > o['BackPressureDetector.noiseFilterMillis'])
    return workersDecision(job, current, scaleUpParallelism(w, bp), `Dhalion: sources lag ${bp.toFixed(0)} ms/s, scale up the workers`);
  if (o.scaleDown) {
    const u = Object.values(snapshot.operators).reduce((a, m) => a + m.busyMsPerSecond / 1000, 0);
    if (u < o.scaleDownBusyThreshold && w > 1)
      return workersDecision(job, current, (w * u) / o.scaleDownTargetUtilization, `Dhalion: workers ${u.toFixed(2)} busy, scale down`);
  }
  return keep('Dhalion: healthy (sources keep up)');
}
