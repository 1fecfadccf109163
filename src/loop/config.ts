/** The control loop's own sections of an experiment file: its timing (`loop`) and the SLO episodes are judged by. */
import { z } from 'zod';
import { BOUNDS as B } from '../core/bounds.js';

export const loopConfig = z.strictObject({
  warmupSec: z.number().min(0).max(B.windowSec).default(30).describe('Ignored after a rescale or a rate change, seconds (DS2: 2 epochs)'),
  windowSec: z.number().positive().max(B.windowSec).default(10).describe('Observation window, seconds (DS2 epoch)'),
  policyIntervalSec: z.number().positive().max(B.windowSec).optional().describe('Time between decisions; defaults to the window'),
  activation: z.int().min(1).max(B.reconfigurations).default(1).describe('Evaluations since the last rescale before a decision is acted on (DS2 activation_time)'),
  maxReconfigurations: z.int().min(1).max(B.reconfigurations).default(10).describe('Cap on reconfigurations per episode'),
  initialParallelism: z
    .union([z.int().min(1).max(B.parallelism), z.record(z.string().max(B.nameLength), z.int().min(1).max(B.parallelism))])
    .default(1)
    .describe("Parallelism at deploy: one value for all operators (capped at each operator's max), or per operator (each an operator of the workload, within [1, its max])"),
  carryOver: z.boolean().default(true).describe('Start each episode from the previous episode\'s parallelism (false: redeploy at the initial one)'),
});

export const sloConfig = z.strictObject({
  holdSec: z
    .number()
    .positive()
    .max(B.episodeSec)
    .default(60)
    .describe('The SLO is judged over the observed windows of the last holdSec seconds of one configuration (after its warm-up; at least two windows). The episode ends once the tuner keeps and the SLO holds'),
  maxLagTrend: z
    .number()
    .min(0)
    .max(1)
    .default(0.01)
    .describe("Largest tolerated growth of the total source lag over the hold (least-squares slope), as a fraction of the target rate: 0.01 = the lag may grow by 1 % of the input rate (Theodolite's lag-trend SLO)"),
  maxLagSec: z
    .number()
    .min(0)
    .max(B.episodeSec)
    .optional()
    .describe('Optional absolute bound: lag at the end of the hold, in seconds of input at the target rate. Off by default: a minimal configuration drains an inherited backlog slowly, so backlog is reported as a cost (end lag, lag integral)'),
});

export type LoopConfig = z.output<typeof loopConfig>;
export type SloConfig = z.output<typeof sloConfig>;
/** The documented defaults (for code that builds a loop without a config file: tests, benches, generators). */
export const SLO_DEFAULTS: SloConfig = sloConfig.parse({});
