/** ContTune's options: the paper's parameters and each harness rule [INFERRED] that index.ts lists. */
import { z } from 'zod';

export const options = z.strictObject({
  alpha: z.number().int().min(0).default(3).describe('Conservative exploration radius: apply the GP answer iff an observed parallelism lies within alpha of it, else DS2 (paper default 3; 0 is also reported).'),
  topK: z.number().int().min(1).default(5).describe('Mean of the K most recent PA observations per (operator, parallelism) (README example K = 5).'),
  backpressureThr: z.number().min(0).max(1).default(0.1).describe('bpPer = bp/(bp+idle+busy) at or above which an operator counts as backpressured (harness default; the paper gives no value).'),
  coreMaxThr: z.number().min(0).max(1).default(0.8).describe('CPU (read as underCpu says) above which a backpressured job is under-provisioned (harness default; the paper gives no value).'),
  coreMinThr: z.number().min(0).max(1).default(0.5).describe('CPU (read as overCpu says) below which a job without backpressure is over-provisioned (harness default; the paper gives no value).'),
  underCpu: z
    .enum(['bottleneck', 'max', 'mean'])
    .default('bottleneck')
    .describe(
      "How the under-provisioned test reads System.CPU.Usage [INFERRED]: 'bottleneck' = the busiest subtask of the operators that are not themselves backpressured and can still scale up, and 0 when the busiest such operator of all is at its max parallelism (default); 'max' = the busiest subtask over all operators; 'mean' = the slot-weighted mean busy share.",
    ),
  overCpu: z
    .enum(['mean', 'max', 'anyOperator'])
    .default('mean')
    .describe(
      "How the over-provisioned test reads System.CPU.Usage [INFERRED]: 'mean' = the slot-weighted mean busy share sum p_i busy_i / sum p_i, the share of the job's slots in use (default); 'max' = the busiest subtask over all operators (one busy operator blocks every scale-down); 'anyOperator' = over-provisioned when some operator with p > 1 has its busiest subtask below coreMinThr.",
    ),
  underNeedsShortfall: z
    .boolean()
    .default(true)
    .describe(
      "Harness rule [INFERRED]: the job reads under-provisioned only if, besides backpressure and CPU stress, its sources fall short of the target rate (the SLA: sustain the source rate). Backpressure while the sources keep their rate is in-flight buffers draining or an operator saturated exactly at the rate (e.g. at its max parallelism); false applies the section 7 test alone.",
    ),
  decisionThr: z.number().min(0).default(0.1).describe('Deploy a Small step only if max(P/P\', P\'/P) >= 1 + decisionThr, P the total parallelism (harness default; the paper gives no value).'),
  smallAfterBig: z
    .boolean()
    .default(true)
    .describe('Algorithm 1: once Big has freed the job of under-provisioning, Small runs in the same tuning whatever the over-provisioned test says (false: Small only when the job reads over-provisioned).'),
  retryCbo: z
    .boolean()
    .default(true)
    .describe(
      "Section 6.2 (footnote 3): when a Small step leaves the job under-provisioned at the same rate, run CBO again with the tuning's lambda instead of Big (false: Big again). Harness rules [INFERRED] for that step: PA grows with p, so each bottleneck (busy above coreMaxThr, not backpressured) goes at least one above its current parallelism, and the decision threshold does not apply (an under-provisioned job is not a small-magnitude change).",
    ),
  processingAbility: z
    .enum(['average', 'busiest'])
    .default('average')
    .describe(
      "PA = input / useful time [INFERRED aggregation]: 'average' = DS2's true processing rate (records in per second of the subtasks' average busy time; the paper's 'same methodology as DS2', blind to key skew); 'busiest' = records in per second of the busiest subtask's busy time (the capacity under key skew, as the Flink autoscaler's MAX aggregator). The linear fallback uses the same reading.",
    ),
  settleWindows: z
    .int()
    .min(0)
    .default(6)
    .describe(
      "Harness rule: after the sources have drained a backlog, up to this many more windows in which the job is backpressured while its sources keep up (no lag) are read as the operators' in-flight buffers draining, and ContTune waits.",
    ),
  maxCatchUpSec: z
    .number()
    .min(0)
    .default(300)
    .describe(
      'Harness rule: during the Big phase, waitWhileCatchingUp waits only while the backlog would drain within this many seconds at the current surplus (lag / (achieved - target)); a slower drain with the CPU stressed is under-provisioning and Big goes on (a very large value: always wait). After a Small step ContTune always waits for the drain.',
    ),
  l: z.number().positive().default(4.37).describe('Initial RBF length scale l of the GP (GPofContTune.py README version).'),
  sigma_f: z.number().positive().default(1e6).describe('Initial RBF signal scale sigma_f of the GP (clipped into its bounds before fitting, as L-BFGS-B does).'),
  lBounds: z.tuple([z.number().positive(), z.number().positive()]).default([1e-5, 1e5]).describe('L-BFGS-B bounds of l.'),
  sigmaFBounds: z.tuple([z.number().positive(), z.number().positive()]).default([1e-5, 5e5]).describe('L-BFGS-B bounds of sigma_f.'),
  jitter: z.number().min(0).default(1e-8).describe('Diagonal jitter of the kernel matrix (raised only if the Cholesky factor does not exist).'),
  optimize: z.boolean().default(true).describe('Fit (l, sigma_f) by marginal likelihood; false keeps the initial values.'),
  scaling_factor: z.number().min(0).default(0).describe("DS2's over-provisioning factor for the linear fallback (DS2 default 0)."),
  waitWhileCatchingUp: z
    .boolean()
    .default(true)
    .describe('Harness rule: while the sources emit above their target with a backlog (catch-up after a restart), wait instead of classifying the job; false applies the section 7 controller literally.'),
});
export type ContTuneOptions = z.infer<typeof options>;
