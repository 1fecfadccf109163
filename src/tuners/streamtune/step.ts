/**
 * One StreamTune decision over its state:
 *
 *   observe (observe.ts: the run's new windows, labelled, into the job's history and its constraints)
 *     -> keep when no operator is a bottleneck (and, until the episode first converges, none is over-provisioned)
 *     -> reuse (reuse.ts: the configuration this run settled on at this rate)
 *     -> fine-tune (fine-tune.ts: the job's own windows, pairs and work positives, the cluster's replay)
 *     -> recommend (recommend.ts: smallest safe parallelism per operator, or one worker count) within the
 *        constraints (constraints.ts) and guards (guards.ts)
 *
 * The state passed in is updated in place (it holds the TF.js model); no file, clock or global random source.
 */
import { keep, type Decision } from '../../core/decision.js';
import { TunerSetupError, type Observation, type TunerView } from '../tuner.js';
import { jobFeatures } from './features.js';
import { fineTune } from './fine-tune.js';
import { bottleneckOperators, lagging } from './labels.js';
import { observeWindow } from './observe.js';
import { onlineLabelOptions, type StreamTuneOptions } from './options.js';
import { recommendOperators, recommendWorkers } from './recommend.js';
import { reuseSettled } from './reuse.js';
import type { StreamTuneState } from './state.js';

/** A new rate phase (episode): not converged yet. */
export function startEpisode(state: StreamTuneState): void {
  state.converged = false;
}

export async function step(state: StreamTuneState, view: TunerView, o: StreamTuneOptions): Promise<Decision> {
  if (!state.prepared) throw new TunerSetupError('streamtune: prepare() was not called');
  const labels = onlineLabelOptions(o);
  const { job, parallelism: current, targetRate: rate } = view;
  const shared = view.sharedWorkers;
  for (; state.seen < view.history.length; state.seen++) observeWindow(state, job, view.history[state.seen] as Observation, shared, o, labels);
  const culprits = bottleneckOperators(state.lastLabels);
  const poolShort = shared && lagging(view.snapshot, labels.lagRatio);
  const short = culprits.length > 0 || lagging(view.snapshot, labels.lagRatio);
  if (culprits.length === 0 && !poolShort && (state.converged || !o.requireNoOverProvisioning)) {
    state.converged = true;
    if (o.reuse && !short) state.settled.settle(rate, current);
    return keep(`streamtune: no bottleneck${o.requireNoOverProvisioning ? ' (converged)' : ''}`);
  }
  if (o.reuse && !state.converged) {
    const reused = reuseSettled(state.settled, rate, current, short);
    if (reused.converged !== undefined) state.converged = reused.converged;
    if (reused.decision) return reused.decision;
  }
  const model = await fineTune(state, o);
  const ev = model.prepare(jobFeatures(job, current, rate, view.snapshot.operators, o));
  try {
    const r = shared ? recommendWorkers(view, ev, culprits, state.constraints, o, labels.lagRatio) : recommendOperators(view, ev, culprits, state.constraints, o);
    if (r.converged !== undefined) state.converged = r.converged;
    if (o.reuse && r.decision.kind === 'keep' && state.converged && !short) state.settled.settle(rate, current);
    return r.decision;
  } finally {
    ev.dispose();
  }
}
