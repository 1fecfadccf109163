/**
 * StreamTune's options (every reconstructed choice of ../shared/reference/streamtune.md is one), the pre-training
 * recipe they ask for, and the label options of pre-training and of the job's own windows.
 */
import { z } from 'zod';
import { LABEL_RULES } from '../../history/labels.js';
import type { LabelOptions } from './labels.js';
import type { PretrainRecipe } from './pretrain.js';

export const DEFAULT_PRETRAINED = 'datasets/pretrained/default';

export const options = z.strictObject({
  pretrained: z
    .string()
    .default(DEFAULT_PRETRAINED)
    .describe("Pretrained set folder (absolute or relative to the project root); '' = no pre-training (ablation 1): a fresh model trained on the job's own windows only."),
  labelRule: z
    .enum([...LABEL_RULES, 'projected'])
    .default('projected')
    .describe("Bottleneck labels (§5): 'projected' from the engine's metrics, every operator by its projected utilisation at full demand busyMax x demand / input >= 1 (harness default); 'metric' the culprit rule of §5 (the backpressure's target); 'groundTruth' from the simulator (ablation 8)."),
  tauBp: z.number().min(0).max(1).default(0.1).describe('Metric rule: backpressure ratio below which an operator is not backpressured (§10).'),
  tauBusy: z.number().min(0).max(1).default(0.8).describe("Metric rule: busiest subtask's busy ratio at which an operator is saturated (§10)."),
  lagRatio: z.number().min(0).max(1).default(0.98).describe('Sources lag when they emit less than lagRatio x the target (metric rule; harness default).'),
  keepLagRatio: z
    .number()
    .min(0)
    .max(1)
    .default(0.995)
    .describe("Online only (not the pre-training labels): the job's own windows count as keeping up only when the sources emit at least max(lagRatio, keepLagRatio) x the target, so a configuration short by 1-2 % (which fails the loop's lag-trend SLO of 1 %) is not taken as healthy (harness default)."),
  catchUp: z
    .enum(['healthy', 'asObserved'])
    .default('healthy')
    .describe("'healthy': a window whose sources keep up (draining a backlog) labels no bottleneck; 'asObserved': the metric rule as is (reconstruction)."),
  labelMask: z
    .enum(['throttled', 'none'])
    .default('throttled')
    .describe("'throttled': while the sources lag, 'not a bottleneck' is kept only if busyMax x demand/input < tauBusy, else unknown (masked); 'none': every label kept (reconstruction)."),
  lagClause: z
    .enum(['fallback', 'always'])
    .default('fallback')
    .describe("'fallback': while a saturated operator has a backpressured upstream, saturated operators that qualify only because the sources lag are unknown (masked); 'always': the metric rule as is (reconstruction)."),
  features: z
    .enum(['pInvariant', 'all'])
    .default('pInvariant')
    .describe("Node features (§4): 'pInvariant' leaves out busy/backpressure ratios that move with the deployed parallelism (so 'what if p were different' is answerable); 'all' keeps them."),
  rateUnit: z
    .enum(['relative', 'absolute'])
    .default('relative')
    .describe("Rates in the features per 1000 records of the job's target rate ('relative': demand/input ratios and work, not the job's scale) or in records/s ('absolute') (reconstruction)."),
  gedExactMaxNodes: z.int().min(0).max(20).default(12).describe('Exact A* GED up to this many operators, the bipartite approximation above (§6, §10).'),
  gedFallback: z
    .union([z.number().min(0).max(1e6), z.literal('auto')])
    .default('auto')
    .describe("Use the global encoder when the nearest medoid's GED exceeds gedFallback x the job's operator count; 'auto' = the threshold the pretrained set measured on its validation jobs (the lowest validation loss of cluster vs global encoders; §10 had 30 %)."),
  k: z
    .union([z.int().min(1).max(64), z.literal('auto'), z.literal('silhouette')])
    .default('auto')
    .describe("Clusters of the pre-training history: a number; 'auto' = the candidate k (2, 3, 4, 6, 8, 12 up to kMax) whose cluster encoders give the lowest validation loss (ties within one standard error to the larger cluster share); 'silhouette' = k-medoids k by silhouette (§10, the choice before set format 3)."),
  kMax: z.int().min(2).max(64).default(12).describe('Largest k tried by the choice of k (harness default).'),
  encoder: z.enum(['gnn', 'mlp']).default('gnn').describe("Encoder (§7): message-passing GNN, or 'mlp' = per-operator MLP without the DAG (ablation 5)."),
  layers: z.int().min(1).max(8).default(2).describe('Encoder layers (§10: 2).'),
  hidden: z.int().min(1).max(1024).default(32).describe('Hidden width of encoder and head (§10: 32).'),
  direction: z.enum(['forward', 'backward', 'both']).default('forward').describe('GNN message direction: along edges, against them (the way backpressure travels) or both (§10: forward).'),
  head: z
    .enum(['monotone', 'unconstrained'])
    .default('monotone')
    .describe("Bottleneck head (§8): 'monotone' logit = g(h) - softplus(s(h)) log p, non-increasing in p by construction; 'unconstrained' MLP over [h, p, log p] (ablation 4, searched by a scan)."),
  slope: z
    .enum(['global', 'perNode'])
    .default('global')
    .describe("Monotone head slope: one learned softplus(w) for every operator ('global', §8's logit = g(h) - softplus(w) phi(p)), or softplus of an affine function of each operator's embedding ('perNode')."),
  anchor: z
    .enum(['logWork', 'none'])
    .default('logWork')
    .describe("Monotone head: 'logWork' = g(h) - slope x (log p - logWork), p judged against the instance-equivalents the window shows (DS2's estimate) and the correction learned; 'none' = g(h) - slope x log p (the earlier reconstruction)."),
  posWeight: z
    .union([z.literal('balanced'), z.literal(1)])
    .default(1)
    .describe("Weight of bottleneck labels in the loss (pre-training and fine-tuning): 'balanced' = n_neg / n_pos (§7; it moves the predicted boundary towards more parallelism), 1 = the plain likelihood (harness default)."),
  pretrainEpochs: z.int().min(1).max(100_000).default(30).describe('Pre-training epochs (§10: 200 on a small history; the family corpus has about 15 000 training graphs, so 30 epochs take as many steps as 200 did on 1 000 windows).'),
  pretrainLr: z.number().positive().max(10).default(1e-3).describe('Pre-training Adam learning rate (§10: 1e-3).'),
  pretrainBatch: z.int().min(1).max(100_000).default(16).describe('Pre-training batch, windows (harness default).'),
  validationShare: z
    .number()
    .min(0)
    .max(0.5)
    .default(0.1)
    .describe('Share of the history\'s jobs held out of pre-training to measure per-cluster against global encoders and choose the fallback threshold (gedFallback auto); 0 = none (harness default).'),
  clusterInit: z
    .enum(['global', 'scratch'])
    .default('global')
    .describe("A cluster's encoder starts from the global one pre-trained on every training job and is then trained on its cluster ('global'), or is trained on its cluster from scratch ('scratch', the earlier reconstruction)."),
  replay: z
    .int()
    .min(0)
    .max(1024)
    .default(32)
    .describe("Training graphs per cluster kept in the pretrained set and replayed during fine-tuning next to the job's own windows, so fine-tuning does not forget the cluster (0 = no replay; harness default)."),
  pairing: z
    .int()
    .min(0)
    .max(64)
    .default(3)
    .describe("Pre-train (and fine-tune) on cross-window pairs: a window's features with the parallelism and labels of up to N other windows of the same job at the same rate, 0 = each window alone (reconstruction; dataset.ts pairGraphs)."),
  historySize: z.int().min(0).max(1e9).default(0).describe('Pre-train on only the first N history windows, 0 = all (ablation 6); a set made otherwise is re-run in memory.'),
  clusterAssignment: z
    .enum(['nearest', 'random', 'global'])
    .default('nearest')
    .describe("Which pre-trained encoder the job gets: the nearest medoid's, a random cluster's (ablation 3, from the run's Rng) or the global one (ablation 2)."),
  theta: z.number().gt(0).lt(1).default(0.5).describe('An operator is predicted safe at p when Pr[bottleneck] < theta (§10: 0.5; ablation 7).'),
  fineTune: z
    .enum(['headOnly', 'full', 'frozen'])
    .default('headOnly')
    .describe("Online fine-tuning on the job's own windows (§10): the head only (encoder frozen), everything, or nothing."),
  fineTuneEpochs: z.int().min(0).max(1000).default(10).describe('Fine-tuning epochs per decision, warm-started from the previous decision (harness default).'),
  fineTuneLr: z.number().positive().max(10).default(1e-3).describe('Fine-tuning Adam learning rate (§10: lr 1e-3).'),
  fineTuneWindows: z.int().min(1).max(1024).default(16).describe("Fine-tune on at most this many of the job's most recent windows (bounds decide() latency; harness default)."),
  fineTuneReplay: z
    .int()
    .min(0)
    .max(1024)
    .default(16)
    .describe("Replayed cluster-history graphs per fine-tuning (a rotating slice of the set's replay sample; 0 = no replay; harness default)."),
  workPositives: z
    .boolean()
    .default(true)
    .describe("Fine-tuning also learns, from each of the job's windows, that every operator (sources aside) is a bottleneck one instance below the work the window shows at the target rate (ceil(busyMax x p x demand / input) - 1, when >= 1): a sound label whatever the physics, and the negative evidence near the boundary that the job's own healthy windows lack (without it fine-tuning on healthy windows moves the boundary down; harness default)."),
  fineTuneBudget: z
    .int()
    .min(1)
    .max(10_000_000)
    .default(4_000)
    .describe('Bound on the work of one decision: fine-tuning epochs x nodes at most this (epochs are cut to fit, and a larger set is thinned to an evenly spaced sample of it; harness default: head-only fine-tuning under 50 ms median at 40 operators with the machine busy, npm run bench streamtune).'),
  pMax: z.int().min(0).max(32_768).default(0).describe("Largest parallelism proposed per operator, 0 = the operator's maxParallelism (§10: the available slots)."),
  rateMonotoneFloors: z
    .boolean()
    .default(true)
    .describe('A bottleneck seen at rate r forbids p <= the observed p at every rate >= r (true) or only at r (false) (§9 step 6).'),
  ceilings: z
    .boolean()
    .default(true)
    .describe('Never propose more than a parallelism seen to sustain a rate >= the target in a window without bottleneck (reconstruction).'),
  requireNoOverProvisioning: z
    .boolean()
    .default(true)
    .describe('Keep only when no operator is over-provisioned beyond overProvisionMargin as well (§9 step 3, optional there); false: keep as soon as no operator is a bottleneck.'),
  overProvisionMargin: z
    .number()
    .min(0)
    .default(0.25)
    .describe('An operator is over-provisioned when p > (1 + margin) x its smallest predicted-safe parallelism; scale-downs below that are not made (harness default).'),
  minSaving: z
    .number()
    .min(0)
    .max(1)
    .default(0.05)
    .describe('A scale-down (no bottleneck) is made only when it frees at least this share of the total parallelism; smaller ones are not worth a reconfiguration (as the hysteresis of DS2 and ContTune, on the whole job; harness default: 5 %, the margin over the minimal parallelism that the evaluation tolerates, P / oracle <= 1.05).'),
  downTheta: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.2)
    .describe('Go below the deployed parallelism only to a p with Pr[bottleneck] < downTheta (§9 step 6: not below an observed non-bottleneck p unless the model is confident; harness default).'),
  upTheta: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.7)
    .describe('Raise an operator not observed as a bottleneck only when Pr[bottleneck at its deployed p] >= upTheta (the model must be confident before it adds instances the metrics did not ask for; harness default).'),
  workGuard: z
    .boolean()
    .default(true)
    .describe("Never propose fewer instances than an operator's own window shows busy at the target rate, ceil(busyMax x p x demand / input): not when scaling down, nor when growing a bottleneck (a hard constraint from the job's observations next to the floors, sound whatever the physics since overheads only add work; harness default)."),
  noSafeGrowth: z
    .number()
    .min(1)
    .default(2)
    .describe('When no parallelism up to the bound is predicted safe, a bottleneck operator grows by this factor (at least to its floor + 1) and the others stay (harness default).'),
  reuse: z
    .boolean()
    .default(true)
    .describe("When the target returns to a rate at which this run settled (kept a configuration with no bottleneck, the sources keeping up, none over-provisioned beyond the margin), propose that configuration again whole instead of the model's answer; a window showing it short there forgets it (the job's own history; harness default)."),
  reuseTolerance: z
    .number()
    .min(0)
    .max(1)
    .default(0.05)
    .describe('Reuse also a configuration settled at a rate up to this fraction above the target (it sustains every lower rate; at most this much over-provisioned; harness default).'),
  hysteresis: z.boolean().default(false).describe('Skip operator changes with max(p/p\', p\'/p) < 1 + decisionThr and -1 scale-downs (§9, from DS2 and ContTune).'),
  decisionThr: z.number().min(0).max(100).default(0.1).describe('Hysteresis threshold (ContTune default 0.1).'),
});
export type StreamTuneOptions = z.infer<typeof options>;

/** The pre-training recipe the options ask for. */
export function recipeOf(o: StreamTuneOptions, seed = 1): PretrainRecipe {
  return {
    labels: labelOptions(o),
    features: o.features,
    rateUnit: o.rateUnit,
    gedExactMaxNodes: o.gedExactMaxNodes,
    k: o.k,
    kMax: o.kMax,
    encoder: o.encoder,
    layers: o.layers,
    hidden: o.hidden,
    direction: o.direction,
    head: o.head,
    slope: o.slope,
    anchor: o.anchor,
    posWeight: o.posWeight,
    epochs: o.pretrainEpochs,
    lr: o.pretrainLr,
    batchSize: o.pretrainBatch,
    historySize: o.historySize,
    pairing: o.pairing,
    validationShare: o.validationShare,
    replay: o.replay,
    clusterInit: o.clusterInit,
    seed,
  };
}

export function labelOptions(o: StreamTuneOptions): LabelOptions {
  return { labelRule: o.labelRule, tauBp: o.tauBp, tauBusy: o.tauBusy, lagRatio: o.lagRatio, catchUp: o.catchUp, labelMask: o.labelMask, lagClause: o.lagClause };
}

/** The label options of the job's own windows: "keeping up" judged at least as strictly as the SLO (keepLagRatio). */
export function onlineLabelOptions(o: StreamTuneOptions): LabelOptions {
  return { ...labelOptions(o), lagRatio: Math.max(o.lagRatio, o.keepLagRatio) };
}
