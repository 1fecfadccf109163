/**
 * One ContTune decision over its state:
 *
 *   observe (observe.ts: every new window into the PA history and the under-provisioned verdicts)
 *     -> catch-up gate (controller.ts: wait while a backlog or the in-flight buffers drain)
 *     -> controller (controller.ts: under / over / fit)
 *     -> Big (big.ts) when under-provisioned, or Small again with the tuning's lambda after an under-provisioned
 *        Small step; Small (small.ts, acquisition.ts, gp.ts) after Big or when over-provisioned; else keep.
 *
 * The state passed in is updated in place (the PA history and the observed sets grow with the run, so they are not
 * copied per decision); Big and Small are pure and their results are written back here. No I/O.
 */
import { keep, wait, type Decision } from '../../core/decision.js';
import type { TunerView } from '../tuner.js';
import { big } from './big.js';
import { catchUpGate, controller } from './controller.js';
import type { GpFitOptions } from './gp.js';
import { observe } from './observe.js';
import type { ContTuneOptions } from './options.js';
import { small } from './small.js';
import type { ContTuneState } from './state.js';

/** The GP fit options the options ask for. */
export function gpOptions(opts: ContTuneOptions): GpFitOptions {
  return { init: { l: opts.l, sigmaF: opts.sigma_f }, lBounds: opts.lBounds, sigmaFBounds: opts.sigmaFBounds, jitter: opts.jitter, optimize: opts.optimize };
}

/** A new rate phase: the real upstream rates of the previous tuning no longer hold. */
export function startEpisode(state: ContTuneState): void {
  if (state.tuning?.phase === 'small') state.tuning = undefined;
}

export function step(state: ContTuneState, view: TunerView, opts: ContTuneOptions, gp: GpFitOptions): Decision {
  const { job, snapshot, parallelism: current } = view;
  state.shared = view.sharedWorkers;
  for (const o of view.history) observe(state, job, o, opts);
  observe(state, job, { parallelism: current, snapshot, rate: view.targetRate }, opts);
  state.pMax = Math.max(state.pMax, ...Object.values(current));
  const gate = catchUpGate(snapshot, state.settling, state.tuning?.phase, job, opts, state.shared);
  state.settling = gate.settling;
  if (gate.kind === 'wait') return wait(gate.reason);
  if (gate.kind === 'big') return bigStep(state, view);
  const provisioning = controller(snapshot, job, opts, state.shared);
  const tuning = state.tuning;
  if (provisioning === 'under') {
    // A Small step of this tuning left the job under-provisioned: CBO again with the tuning's lambda (the
    // observed inputs are throttled now), with the bottleneck's new observation in the history.
    if (opts.retryCbo && tuning?.phase === 'small' && tuning.lambda && tuning.rate === view.targetRate)
      return smallStep(state, view, tuning.lambda, 'again after an under-provisioned Small step', opts, gp, true);
    return bigStep(state, view);
  }
  // Small, lambda_i = the observed input (the job is not under-provisioned now).
  const observed = Object.fromEntries(job.operatorIds.map((id) => [id, snapshot.operators[id]?.recordsInPerSecond ?? 0]));
  if (opts.smallAfterBig && tuning?.phase === 'big') return smallStep(state, view, observed, 'after Big', opts, gp);
  if (provisioning === 'fit') return keep('ContTune: neither under- nor over-provisioned');
  return smallStep(state, view, observed, 'over-provisioned', opts, gp);
}

function bigStep(state: ContTuneState, view: TunerView): Decision {
  const r = big(view, state);
  state.pMax = r.pMax;
  if (r.started) state.tuning = { phase: 'big' };
  return r.decision;
}

function smallStep(state: ContTuneState, view: TunerView, lambda: Readonly<Record<string, number>>, why: string, opts: ContTuneOptions, gp: GpFitOptions, retry = false): Decision {
  const r = small(view, state, lambda, why, opts, gp, retry);
  state.tuning = r.tuning;
  return r.decision;
}
