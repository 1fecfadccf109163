/**
 * One autoscaler decision: collect (collector.ts) -> evaluate (evaluator.ts) -> scale each vertex and gate the job
 * (executor.ts, scaler.ts) -> on a rescale, clear the delayed scale-downs, remember the scalings and the restart
 * clock. The state passed in is updated in place (its collector replaced); no I/O, the clock is the view's.
 */
import { wait, type Decision } from '../../core/decision.js';
import type { TunerView } from '../tuner.js';
import { collect } from './collector.js';
import { evaluate, type AutoscalerConfig } from './evaluator.js';
import { recordScaling, scaleVertices, scaleWorkers } from './executor.js';
import type { AutoscalerState } from './state.js';

export function step(state: AutoscalerState, view: TunerView, cfg: AutoscalerConfig): Decision {
  const collected = collect(state.collector, view, cfg);
  state.collector = collected.state;
  if (!collected.full) return wait(`autoscaler: ${collected.reason}`);
  const evaluated = evaluate(view.job, collected.state.samples, cfg);
  const { decision, scaled } = view.sharedWorkers ? scaleWorkers(view, evaluated, state.delayed, cfg) : scaleVertices(view, evaluated, state.delayed, state.history, cfg);
  if (decision.kind === 'rescale') {
    state.delayed.clearAll();
    state.collector = { ...state.collector, rescaledAt: view.clock };
    for (const [id, s] of scaled) recordScaling(state.history, id, s, cfg);
  }
  return decision;
}
