/**
 * StreamTune's set-up before the run (may do I/O): the pretrained set (obtainSet: read, or re-run in memory for
 * another recipe), the job's cluster (cluster.ts) and a copy of that cluster's model. Draws the fresh-model seed and
 * (clusterAssignment 'random') the cluster from the run's Rng, in that order.
 */
import type { JobGraph } from '../../core/job.js';
import { chooseBackend } from '../../learning/backend.js';
import { TunerSetupError, type TunerContext } from '../tuner.js';
import { assignedModel, chooseAssignment, clusterChoiceInput } from './cluster.js';
import { recipeOf, type StreamTuneOptions } from './options.js';
import { obtainSet } from './pretrain.js';
import type { StreamTuneState } from './state.js';

export async function prepareState(state: StreamTuneState, job: JobGraph, context: TunerContext, o: StreamTuneOptions): Promise<void> {
  const backend = await chooseBackend();
  state.truth = context.groundTruth;
  if (o.labelRule === 'groundTruth' && !state.truth)
    throw new TunerSetupError(`streamtune: labelRule 'groundTruth' needs the simulator's ground truth; engine ${context.engineKind} has none`);
  state.freshSeed = context.rng.int(0, 2 ** 31 - 1);
  for (const t of state.embeddings.values()) t.dispose();
  state.embeddings.clear();
  state.decisions = 0;
  state.replay = [];
  if (o.pretrained === '') {
    state.assignment = { kind: 'none', why: 'no pre-training' };
  } else {
    let set;
    try {
      set = await obtainSet(o.pretrained, recipeOf(o), backend);
    } catch (e) {
      throw new TunerSetupError(`streamtune: ${(e as Error).message}`);
    }
    state.assignment = chooseAssignment(job, clusterChoiceInput(set), o, context.rng);
    const { model, replay } = assignedModel(set, state.assignment);
    state.model = model;
    state.replay = replay;
  }
  state.prepared = true;
}
