/**
 * The gate and the actuator: what the loop does with a decision. The gate is pure (activation, the cap on
 * reconfigurations, the same configuration, the engine's slot cap, the SLO hold), so each rule is tested alone;
 * actuate() rescales and classifies what the engine reports.
 */
import type { Decision } from '../core/decision.js';
import type { JobGraph } from '../core/job.js';
import { parallelismKey, sameParallelism, workersParallelism, type Parallelism } from '../core/parallelism.js';
import type { Deployment } from '../engines/engine.js';
import type { RescaleOutcome } from '../tuners/tuner.js';
import type { LoopConfig } from './config.js';
import type { SloVerdict } from './slo.js';

/** What the gate makes of a decision. */
export type GateResult =
  | { readonly kind: 'observe'; readonly event: 'wait' | 'keep' | 'same' | 'pending'; readonly reason: string }
  | { readonly kind: 'end'; readonly event: 'sustained' | 'capped'; readonly reason: string }
  /** parallelism: what is asked of the engine (within its cap); requested: what the tuner asked for. */
  | { readonly kind: 'actuate'; readonly parallelism: Parallelism; readonly requested: Parallelism; readonly reason: string };

export interface GateState {
  readonly job: JobGraph;
  readonly running: Parallelism;
  readonly sharedWorkers: boolean;
  /** Evaluations since the last counted rescale (this one included). */
  readonly sinceRescale: number;
  readonly reconfigurations: number;
  readonly verdict: SloVerdict;
  /** The engine's per-operator limit now (cluster slots), if any. */
  readonly cap?: number;
}

/** The configuration a request really deploys: shared workers run W everywhere, and nothing exceeds the cap. */
export function effectiveRequest(s: Pick<GateState, 'job' | 'sharedWorkers' | 'cap'>, requested: Parallelism): Parallelism {
  const capped = s.cap === undefined ? requested : Object.fromEntries(Object.entries(requested).map(([id, v]) => [id, Math.min(v, Math.max(1, s.cap as number))]));
  return s.sharedWorkers ? workersParallelism(s.job, Math.max(...Object.values(capped))) : capped;
}

/** The gate: pure, so each rule is tested on its own. */
export function gate(d: Decision, s: GateState, loop: Pick<LoopConfig, 'activation' | 'maxReconfigurations'>): GateResult {
  const keepOrEnd = (event: 'keep' | 'same', reason: string): GateResult =>
    s.verdict.holds ? { kind: 'end', event: 'sustained', reason } : { kind: 'observe', event, reason: `${reason}; SLO not yet held: ${s.verdict.violation}` };
  if (d.kind === 'wait') return { kind: 'observe', event: 'wait', reason: d.reason };
  if (d.kind === 'keep') return keepOrEnd('keep', d.reason);
  const target = effectiveRequest(s, d.parallelism);
  if (parallelismKey(target) === parallelismKey(s.running))
    return keepOrEnd('same', `${d.reason} (${s.cap === undefined ? 'the configuration already running' : `all that the cap of ${s.cap} allows is running`})`);
  if (s.sinceRescale < loop.activation) return { kind: 'observe', event: 'pending', reason: d.reason };
  if (s.reconfigurations >= loop.maxReconfigurations) return { kind: 'end', event: 'capped', reason: d.reason };
  return { kind: 'actuate', parallelism: target, requested: effectiveRequest({ job: s.job, sharedWorkers: s.sharedWorkers }, d.parallelism), reason: d.reason };
}

/**
 * Actuate: rescale to `target` (the request within the engine's cap) and classify what happened against what the
 * tuner `requested`: as asked (rescale), changed but short of the request, whether the cap or the engine cut it
 * (rescale-partial), or unchanged (rescale-failed).
 */
export async function actuate(
  deployment: Deployment,
  target: Parallelism,
  requested: Parallelism = target,
  cap?: number,
): Promise<{ event: 'rescale' | 'rescale-partial' | 'rescale-failed'; counted: boolean; downtime: number; outcome: RescaleOutcome; note: string }> {
  const before = deployment.parallelism;
  const report = await deployment.rescale(target);
  const changed = !sameParallelism(report.parallelism, before);
  const asked = report.requested && !sameParallelism(report.requested, target) ? report.requested : requested;
  const event = !changed ? 'rescale-failed' : report.tookEffect && sameParallelism(report.parallelism, asked) ? 'rescale' : 'rescale-partial';
  const capNote =
    cap !== undefined && !sameParallelism(target, requested)
      ? `the engine allows at most ${cap} per operator now: asked ${parallelismKey(requested)}, granted ${parallelismKey(report.parallelism)}`
      : '';
  const note = [capNote, report.note ?? ''].filter(Boolean).join('; ') || (event === 'rescale-failed' ? 'the engine did not apply it' : event === 'rescale-partial' ? 'granted in part' : '');
  return {
    event,
    counted: changed,
    downtime: report.downtimeSeconds,
    outcome: { requested: asked, running: report.parallelism, tookEffect: changed, ...(note ? { note } : {}) },
    note,
  };
}
