/**
 * Oracle baseline: one step to the simulator's ground-truth minimal parallelism for the episode's target rate
 * (GroundTruth.oracle, src/engines/engine.ts), then keep. Only engines that model the system (the simulator) have
 * ground truth; prepare() refuses the others.
 *
 * On a shared-worker engine the ground truth's answer is already a worker configuration (every operator on W, a
 * global aggregate on its max), so its worker count is W: never a sum over operators.
 */
import { z } from 'zod';
import { keep, rescale, type Decision } from '../../core/decision.js';
import type { JobGraph } from '../../core/job.js';
import type { GroundTruth } from '../../engines/engine.js';
import { TunerSetupError, type Tuner, type TunerCheckContext, type TunerContext, type TunerProblem, type TunerView } from '../tuner.js';
import { deployedWorkers, workersDecision } from '../shared/workers.js';

/** Its colour in every chart (Tableau-10). */
export const color = '#72b7b2';
export const doc = "Oracle baseline: one step to the simulator's ground-truth minimal parallelism, then keep.";

export const options = z.strictObject({});
export type OracleOptions = z.infer<typeof options>;

export function create(_opts: OracleOptions): Tuner {
  let truth: GroundTruth | undefined;
  let steppedAt: number | undefined;
  return {
    name: 'oracle',
    async prepare(_job: JobGraph, context: TunerContext): Promise<void> {
      if (!context.groundTruth)
        throw new TunerSetupError(`the oracle tuner needs the simulator's ground truth; engine ${context.engineKind} has none`);
      truth = context.groundTruth;
    },
    startEpisode(): void {
      steppedAt = undefined;
    },
    decide(view: TunerView): Decision {
      if (!truth) throw new TunerSetupError("the oracle tuner needs the simulator's ground truth: prepare() was not called");
      if (steppedAt === view.targetRate) return keep('oracle: at the ground-truth parallelism');
      steppedAt = view.targetRate;
      const answer = truth.oracle(view.targetRate);
      const why = `oracle for ${view.targetRate} records/s${answer.feasible ? '' : ' (infeasible within max parallelism)'}`;
      if (view.sharedWorkers) return workersDecision(view.job, view.parallelism, deployedWorkers(answer.parallelism), why);
      return rescale(view.parallelism, answer.parallelism, why);
    },
  };
}

/** The oracle deploys the engine's ground truth: only an engine that has one can run it. */
export function check(_o: OracleOptions, ctx: TunerCheckContext): TunerProblem[] {
  return ctx.capabilities.groundTruth ? [] : [{ key: '', message: `the oracle tuner needs ground truth; engine '${ctx.engineKind}' has none` }];
}
