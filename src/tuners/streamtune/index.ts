/**
 * StreamTune: "Learning from the Past: Adaptive Parallelism Tuning for Stream Processing Systems", Han et al.,
 * ICDE 2025 (arXiv 2504.12074). Only the abstract is public; this is the reconstruction of
 * ../shared/reference/streamtune.md, every reconstructed choice an option below.
 *
 *   prepare(job):  pretrained set (manifest + models; re-run in memory if the options ask for another recipe)
 *                  -> nearest medoid by GED (global encoder beyond gedFallback; or random / global) -> a copy of
 *                  that cluster's model for this job
 *   decide(view):  record the run's new windows (features, labels by the label rule, floors and ceilings)
 *                  -> keep when no operator is a bottleneck (and, until the episode first converges, none is
 *                  over-provisioned beyond the margin) -> fine-tune on the job's own windows (and cross-window
 *                  pairs at the target rate) -> per operator the smallest parallelism with Pr[bottleneck] < theta
 *                  (binary search on the monotone head) within the hard constraints: above floors, below
 *                  ceilings; non-bottlenecks raised only when confident (upTheta), lowered only when confident
 *                  (downTheta), not below their observed work, beyond the margin
 *
 * See README.md for the pipeline and the options table.
 *
 * decide() reads no file, clock or global random source: the model is in memory, randomness comes from the
 * context's Rng in prepare(). It is async (TF.js training and inference).
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { keep, rescale, type Decision } from '../../core/decision.js';
import type { JobGraph } from '../../core/job.js';
import { sameParallelism, totalParallelism, type Parallelism } from '../../core/parallelism.js';
import type { Snapshot } from '../../core/metrics.js';
import type { GroundTruth } from '../../engines/engine.js';
import { LABEL_RULES } from '../../history/labels.js';
import { chooseBackend } from '../../learning/backend.js';
import { FeatureScaler, withLabels, withParallelism, type LabelledGraph } from '../../learning/features.js';
import { searchSafeParallelism, type HeadEvaluator } from '../../learning/head.js';
import { BottleneckModel } from '../../learning/model.js';
import { trainModel } from '../../learning/train.js';
import { TunerSetupError, type Observation, type Tuner, type TunerContext, type TunerView } from '../tuner.js';
import { deployedWorkers, maxWorkers, workersParallelism } from '../shared/workers.js';
import { gedDistance, nearestMedoid } from '../../graph/index.js';
import { Constraints, SettledConfigurations } from './constraints.js';
import { dagStructure, pairGraphs } from './dataset.js';
import { bottleneckOperators, lagging, windowLabels, type LabelOptions } from './labels.js';
import { featureNames, jobFeatures } from './features.js';
import { lossWeight, modelConfigOf, obtainSet, replaySample, type PretrainRecipe } from './pretrain.js';

/** Its colour in every chart (Tableau-10). */
export const color = '#4c78a8';
export const doc =
  'StreamTune (Han et al., ICDE 2025), reconstructed: GED-clustered pre-trained GNN encoders, fine-tuned online; monotone bottleneck head, smallest safe parallelism per operator.';

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

/** Which model prepare() picked, and why (for tests and reasons). */
export interface Assignment {
  kind: 'cluster' | 'global' | 'none';
  cluster?: number;
  distance?: number;
  why: string;
}

/** The StreamTune tuner with its state exposed read-only for tests. */
export interface StreamTuneTuner extends Tuner {
  readonly assignment: Assignment | undefined;
  /** The job's model (after prepare(); created at the first decision without pre-training). */
  readonly model: BottleneckModel | undefined;
}

const logit = (theta: number) => Math.log(theta / (1 - theta));

export function create(o: StreamTuneOptions): StreamTuneTuner {
  const names = featureNames(o.features);
  // Online labels judge "keeping up" at least as strictly as the SLO does (keepLagRatio).
  const labelOpts = { ...labelOptions(o), lagRatio: Math.max(o.lagRatio, o.keepLagRatio) };
  const constraints = new Constraints({ acrossRates: o.rateMonotoneFloors, ceilings: o.ceilings });
  const settled = new SettledConfigurations(o.reuseTolerance);
  const data: LabelledGraph[] = [];
  /** Per entry of data: its window at one instance below the observed work, labelled bottleneck (workPositives). */
  const belowWork: (LabelledGraph | undefined)[] = [];
  /** Target rate of each entry of data. */
  const rates: number[] = [];
  let model: BottleneckModel | undefined;
  /** The cluster's (or global) replay sample of the pretrained set. */
  let replay: LabelledGraph[] = [];
  /** headOnly: embeddings of graphs already seen (the encoder is frozen), keyed by their feature matrix. */
  const embeddings = new Map<Float32Array, tf.Tensor2D>();
  let decisions = 0;
  let freshSeed = 0;
  let truth: GroundTruth | undefined;
  let assignment: Assignment | undefined;
  let seen = 0;
  let lastLabels: ReturnType<typeof windowLabels> = {};
  let converged = false;
  let prepared = false;

  const ingest = (job: JobGraph, obs: Observation, shared: boolean): void => {
    const labels = windowLabels(job, obs.snapshot, labelOpts, truth?.bottlenecks(obs.parallelism, obs.rate), obs.rate);
    lastLabels = labels;
    const g = jobFeatures(job, obs.parallelism, obs.rate, obs.snapshot.operators, o);
    data.push(withLabels(g, labels));
    rates.push(obs.rate);
    belowWork.push(o.workPositives && !shared ? workPositive(job, obs, g) : undefined);
    const culprits = bottleneckOperators(labels);
    const healthy = culprits.length === 0 && !lagging(obs.snapshot, labelOpts.lagRatio);
    // Shared workers: operators time-share the pool, so no one operator need look saturated while the pool is short;
    // lagging sources (not catching up) mark the worker count too small.
    const short = culprits.length > 0 || lagging(obs.snapshot, labelOpts.lagRatio);
    if (shared) constraints.observe(obs.rate, { '*': deployedWorkers(obs.parallelism) }, short ? ['*'] : [], healthy);
    else constraints.observe(obs.rate, obs.parallelism, culprits, healthy);
    if (short) settled.refute(obs.rate, obs.parallelism);
  };

  const fit = async (): Promise<void> => {
    if (!model) {
      // No pre-training: a fresh model, features scaled on the job's own first windows.
      model = BottleneckModel.create(modelConfigOf(recipeOf(o), freshSeed), FeatureScaler.fit(data, names));
    }
    if (o.fineTune === 'frozen' || o.fineTuneEpochs === 0) return;
    const windows = data.slice(-o.fineTuneWindows);
    if (!windows.some((g) => g.mask.some((m) => m > 0))) return;
    // Cross-window pairs as in pre-training: each recent window's context with the parallelism and labels of up to
    // `pairing` neighbouring windows at the same target rate, e.g. an episode's throttled first window with the
    // configurations that followed it ("from here, p' was (not) enough").
    const recent = o.pairing > 0 ? pairGraphs(rates.slice(-o.fineTuneWindows).map(String), windows, o.pairing) : [...windows];
    for (const g of belowWork.slice(-o.fineTuneWindows)) if (g) recent.push(g);
    // Replay: a rotating slice of the cluster's history, so the job's few windows do not overwrite what the cluster
    // taught (the pre-train / fine-tune framework).
    const r = Math.min(o.fineTuneReplay, replay.length);
    for (let i = 0; i < r; i++) recent.push(replay[(decisions * r + i) % replay.length] as LabelledGraph);
    decisions++;
    // The bound on work per decision: epochs x nodes <= fineTuneBudget; a set larger than the budget is thinned to
    // an evenly spaced sample of it (every kind of graph keeps its share) and trained for one epoch.
    const nodes = recent.reduce((t, g) => t + g.nodeIds.length, 0);
    const thinned = nodes > o.fineTuneBudget;
    const set = thinned ? replaySample(recent, Math.max(1, Math.floor((o.fineTuneBudget * recent.length) / nodes))) : recent;
    const epochs = thinned ? 1 : Math.max(1, Math.min(o.fineTuneEpochs, Math.floor(o.fineTuneBudget / Math.max(1, nodes))));
    await trainModel(model, set, {
      fineTune: o.fineTune,
      epochs,
      lr: o.fineTuneLr,
      batchSize: set.length,
      seed: freshSeed + data.length,
      posWeight: lossWeight(recipeOf(o)),
      ...(o.fineTune === 'headOnly' ? { embeddingCache: embeddings } : {}),
    });
  };

  return {
    name: 'streamtune',
    get assignment() {
      return assignment;
    },
    get model() {
      return model;
    },

    async prepare(job: JobGraph, context: TunerContext): Promise<void> {
      const backend = await chooseBackend();
      truth = context.groundTruth;
      if (o.labelRule === 'groundTruth' && !truth)
        throw new TunerSetupError(`streamtune: labelRule 'groundTruth' needs the simulator's ground truth; engine ${context.engineKind} has none`);
      freshSeed = context.rng.int(0, 2 ** 31 - 1);
      for (const t of embeddings.values()) t.dispose();
      embeddings.clear();
      decisions = 0;
      replay = [];
      if (o.pretrained === '') {
        assignment = { kind: 'none', why: 'no pre-training' };
      } else {
        let set;
        try {
          set = await obtainSet(o.pretrained, recipeOf(o), backend);
        } catch (e) {
          throw new TunerSetupError(`streamtune: ${(e as Error).message}`);
        }
        const dag = dagStructure(job).graph;
        const k = set.clusterModels.length;
        if (o.clusterAssignment === 'global' || k === 0) {
          assignment = { kind: 'global', why: 'global encoder (clusterAssignment global)' };
        } else if (o.clusterAssignment === 'random') {
          const c = context.rng.int(0, k - 1);
          assignment = { kind: 'cluster', cluster: c, why: `random cluster ${c} of ${k}` };
        } else {
          const { cluster: c, distance: dist } = nearestMedoid(dag, set.medoids, (a, b) => gedDistance(a, b, { gedExactMaxNodes: o.gedExactMaxNodes }));
          const ratio = o.gedFallback === 'auto' ? (set.manifest.validation?.gedFallback ?? 0.3) : o.gedFallback;
          const limit = ratio * job.size;
          assignment =
            dist > limit
              ? { kind: 'global', distance: dist, why: `nearest medoid ${c} at GED ${dist} > ${limit.toFixed(1)}: global encoder` }
              : { kind: 'cluster', cluster: c, distance: dist, why: `nearest medoid ${c} at GED ${dist}` };
        }
        const chosen = assignment.kind === 'cluster' ? set.clusterModels[assignment.cluster as number] : set.globalModel;
        model = (chosen as BottleneckModel).clone();
        replay = assignment.kind === 'cluster' ? (set.replay.clusters[assignment.cluster as number] ?? []) : set.replay.global;
      }
      prepared = true;
    },

    startEpisode(): void {
      converged = false;
    },

    async decide(view: TunerView): Promise<Decision> {
      if (!prepared) throw new TunerSetupError('streamtune: prepare() was not called');
      const { job, parallelism: current, targetRate: rate } = view;
      const shared = view.sharedWorkers;
      for (; seen < view.history.length; seen++) ingest(job, view.history[seen] as Observation, shared);
      const culprits = bottleneckOperators(lastLabels);
      const poolShort = shared && lagging(view.snapshot, labelOpts.lagRatio);
      const short = culprits.length > 0 || lagging(view.snapshot, labelOpts.lagRatio);
      if (culprits.length === 0 && !poolShort && (converged || !o.requireNoOverProvisioning)) {
        converged = true;
        if (o.reuse && !short) settled.settle(rate, current);
        return keep(`streamtune: no bottleneck${o.requireNoOverProvisioning ? ' (converged)' : ''}`);
      }
      const recalled = o.reuse && !converged ? settled.recall(rate) : undefined;
      if (recalled) {
        if (sameParallelism(recalled, current)) {
          converged = !short;
          if (converged) return keep('streamtune: the configuration this run settled on at this rate');
        } else {
          return rescale(current, recalled, 'streamtune: the configuration this run settled on at this rate', () => 'settled before');
        }
      }
      await fit();
      const m = model as BottleneckModel;
      const ctx = jobFeatures(job, current, rate, view.snapshot.operators, o);
      const ev = m.prepare(ctx);
      try {
        const d = shared ? decideWorkers(view, ev, culprits) : decideOperators(view, ev, culprits);
        if (o.reuse && d.kind === 'keep' && converged && !short) settled.settle(rate, current);
        return d;
      } finally {
        ev.dispose();
      }
    },
  };

  /** The window at one instance below each operator's observed work, labelled bottleneck there (sources aside). */
  function workPositive(job: JobGraph, obs: Observation, g: ReturnType<typeof jobFeatures>): LabelledGraph | undefined {
    const load = job.loadFactors();
    const below: Record<string, number> = {};
    const labels: Record<string, number> = {};
    for (const id of job.operatorIds) {
      if (job.operator(id).type === 'source') continue;
      const p = observedWork(obs.snapshot, obs.parallelism, id, (load[id] ?? 0) * obs.rate) - 1;
      if (p < 1) continue;
      below[id] = p;
      labels[id] = 1;
    }
    return Object.keys(labels).length > 0 ? withLabels(withParallelism(g, below), labels) : undefined;
  }

  function decideOperators(view: TunerView, ev: HeadEvaluator, culprits: string[]): Decision {
    const { job, parallelism: current, targetRate: rate } = view;
    const ids = job.operatorIds;
    const pr = (z: number) => 1 / (1 + Math.exp(-z));
    const zNow = ev.logitsAt(Int32Array.from(ids, (_, i) => i), Float32Array.from(ids, (id) => current[id] ?? 1));
    const next: Record<string, number> = { ...current };
    const why: Record<string, string> = {};
    const over: string[] = [];
    const load = job.loadFactors();
    ids.forEach((id, i) => {
      const cap = o.pMax > 0 ? Math.min(o.pMax, job.operator(id).maxParallelism) : job.operator(id).maxParallelism;
      const [lo, hi] = constraints.bounds(id, rate, cap);
      const p = current[id] ?? 1;
      const prNow = pr(zNow[i] as number);
      const safe = searchSafeParallelism(ev, i, { theta: o.theta, pMin: lo, pMax: hi });
      let target = p;
      let note: string;
      if (culprits.includes(id) || p < lo) {
        // Must grow (a bottleneck now, or at/below a floor): the smallest predicted-safe p above the floor, else
        // (nothing predicted safe) noSafeGrowth x p.
        target = safe.found ? safe.p : Math.min(hi, Math.max(lo, Math.ceil(o.noSafeGrowth * p)));
        note = safe.found ? `Pr=${safe.probability.toFixed(2)} at ${target}` : `nothing predicted safe up to ${hi}`;
        // Nor fewer instances than the window shows busy at the target rate (workGuard): a lower bound whatever
        // the physics, since overheads only add work.
        const work = o.workGuard ? Math.min(hi, observedWork(view.snapshot, current, id, (load[id] ?? 0) * rate)) : 0;
        if (work > target) {
          target = work;
          note += `; raised to the observed work ${work}`;
        }
      } else if (safe.p > p) {
        // Not observed as a bottleneck: raised only when the model is confident it is one at p.
        target = prNow >= o.upTheta ? safe.p : p;
        note = prNow >= o.upTheta ? `Pr=${safe.probability.toFixed(2)} at ${target}` : `kept: Pr=${prNow.toFixed(2)} < upTheta`;
      } else {
        // Downwards only as far as the model is confident, not below the observed work (workGuard), at most to a
        // proven ceiling, and only beyond the over-provisioning margin.
        const top = Math.min(p, hi);
        const floorByWork = o.workGuard ? Math.min(top, Math.max(lo, observedWork(view.snapshot, current, id, (load[id] ?? 0) * rate))) : lo;
        const down = searchSafeParallelism(ev, i, { theta: o.downTheta, pMin: floorByWork, pMax: Math.max(floorByWork, top) });
        const cand = down.found ? down.p : top;
        if (cand < p && p > (1 + o.overProvisionMargin) * cand) {
          target = cand;
          over.push(id);
        }
        note = `Pr=${down.probability.toFixed(2)} at ${cand}`;
      }
      next[id] = target;
      const bound = [lo > 1 ? `floor ${lo - 1}` : '', hi < cap ? `ceiling ${hi}` : ''].filter((x) => x).join(', ');
      why[id] = `Pr=${prNow.toFixed(2)} at ${p}; ${note}${bound ? `; ${bound}` : ''}`;
    });
    if (culprits.length === 0 && over.length === 0) {
      converged = true;
      return keep('streamtune: no bottleneck, no operator over-provisioned beyond the margin');
    }
    if (culprits.length === 0) {
      const [before, after] = [totalParallelism(current), totalParallelism(next)];
      if (before - after < o.minSaving * before) {
        converged = true;
        return keep(`streamtune: scaling ${over.join(', ')} down would free ${before - after} of ${before} instances (< minSaving ${o.minSaving}): kept`);
      }
    }
    if (o.hysteresis) applyHysteresis(current, next, culprits);
    const reason =
      culprits.length > 0
        ? `streamtune: bottleneck ${culprits.join(', ')}; smallest predicted-safe parallelism (theta ${o.theta})`
        : `streamtune: over-provisioned ${over.join(', ')}; smallest confidently safe parallelism (downTheta ${o.downTheta})`;
    const d = rescale(current, next, reason, (id) => why[id] ?? '');
    if (d.kind === 'keep') converged = culprits.length === 0;
    return d;
  }

  /** Timely: per-operator instance-equivalents at the theta crossing (un-rounded), reduced to one worker count. */
  function decideWorkers(view: TunerView, ev: HeadEvaluator, culprits: string[]): Decision {
    const { job, parallelism: current, targetRate: rate } = view;
    const w = deployedWorkers(current);
    const cap = o.pMax > 0 ? Math.min(o.pMax, maxWorkers(job)) : maxWorkers(job);
    const equivalents = crossings(ev, o.theta, cap);
    const sum = equivalents.reduce((a, b) => a + b, 0);
    const [lo, hi] = constraints.bounds('*', rate, cap);
    const want = Math.min(hi, Math.max(lo, Math.ceil(sum - 1e-9)));
    const reason = `streamtune: sum of instance-equivalents ${sum.toFixed(2)}${lo > 1 ? `, floor ${lo - 1}` : ''}${hi < cap ? `, ceiling ${hi}` : ''}`;
    const needsMore = culprits.length > 0 || lagging(view.snapshot, labelOpts.lagRatio);
    const overProvisioned = w > (1 + o.overProvisionMargin) * want;
    if (!needsMore && !overProvisioned) {
      converged = true;
      return keep(`streamtune: ${w} workers, no bottleneck, not over-provisioned (${reason})`);
    }
    // A bottleneck at w makes the floor at least w, so lo > w: the answer always grows then.
    const target = needsMore ? Math.max(want, lo) : want;
    if (o.hysteresis && !needsMore && (Math.max(w / target, target / w) < 1 + o.decisionThr || target === w - 1)) {
      converged = true;
      return keep(`streamtune: ${w} workers kept (hysteresis)`);
    }
    return rescale(current, workersParallelism(job, target), `${reason}: ${w} -> ${target} workers`);
  }

  function applyHysteresis(current: Parallelism, next: Record<string, number>, culprits: string[]): void {
    for (const id of Object.keys(next)) {
      const c = current[id] ?? 1;
      const n = next[id] ?? c;
      if (culprits.includes(id) || n === c) continue;
      if (Math.max(c / n, n / c) < 1 + o.decisionThr || n === c - 1) next[id] = c;
    }
  }
}

/**
 * Instances the operator was observed to keep busy, scaled to its demand at the target rate:
 * ceil(busyMax x p x demand / input) (the input is what it received; demand = load factor x target rate). Fewer
 * cannot sustain the target whatever the physics: overheads only add work, and the busiest instance's load does not
 * shrink with fewer instances.
 */
export function observedWork(snapshot: Snapshot, parallelism: Parallelism, id: string, demand: number): number {
  const m = snapshot.operators[id];
  if (!m) return 1;
  const busy = Math.max(m.busyMsPerSecond, m.busyMsPerSecondMax) / 1000;
  const p = parallelism[id] ?? 1;
  const scale = m.recordsInPerSecond > 0 && demand > 0 ? demand / m.recordsInPerSecond : 1;
  return Math.max(1, Math.ceil(busy * p * scale - 1e-9));
}

/**
 * The parallelism at which each operator's predicted probability crosses theta, un-rounded (bisection on the
 * monotone head over [1/64, cap]; the integer answer of a scan for the unconstrained head).
 */
function crossings(ev: HeadEvaluator, theta: number, cap: number): number[] {
  const n = ev.nodeIds.length;
  const nodes = Int32Array.from({ length: n }, (_, i) => i);
  if (!ev.monotone) return Array.from({ length: n }, (_, i) => searchSafeParallelism(ev, i, { theta, pMax: cap }).p);
  const cut = logit(theta);
  const lo = new Float32Array(n).fill(1 / 64);
  const hi = new Float32Array(n).fill(cap);
  const atLo = ev.logitsAt(nodes, lo);
  const atHi = ev.logitsAt(nodes, hi);
  for (let it = 0; it < 24; it++) {
    const mid = Float32Array.from({ length: n }, (_, i) => Math.sqrt((lo[i] as number) * (hi[i] as number)));
    const z = ev.logitsAt(nodes, mid);
    for (let i = 0; i < n; i++) {
      if ((z[i] as number) < cut) hi[i] = mid[i] as number;
      else lo[i] = mid[i] as number;
    }
  }
  return Array.from({ length: n }, (_, i) => ((atLo[i] as number) < cut ? 1 / 64 : (atHi[i] as number) >= cut ? cap : (hi[i] as number)));
}
