/**
 * StreamTune's pre-training (streamtune.md §6-7) and the pretrained set on disk.
 *
 *   history windows --split by job--> training jobs | validation jobs (every 1/validationShare-th job)
 *   training windows --distinct DAGs--> GED matrix (once)
 *   every training window --label rule--> LabelledGraphs --pretrain--> one global encoder + head (once)
 *   for each candidate k (k 'auto': clustering.ts K_CANDIDATES up to kMax; else the given k or the silhouette's):
 *     GED matrix --k-medoids--> clusters; validation jobs --nearest medoid (GED / operators)--> a cluster
 *     each cluster with validation jobs: its windows --pretrain, warm start from global, early stopping on its own
 *       validation jobs--> encoder + head
 *     loss of its cluster's model vs the global model per validation job
 *       --> the fallback threshold: the GED ratio up to which cluster encoders (and beyond which the global one)
 *           give the lowest total validation loss (chooseFallback) --> this k's validation loss
 *   --> the k with the lowest validation loss, within one standard error the one with the larger cluster share
 *       (chooseKByValidation; manifest.kCandidates has them all), its
 *       threshold (manifest.validation.gedFallback; the tuner's gedFallback 'auto'), its clusters' models, and the
 *       clusters without validation jobs trained now (no early stopping)
 *   each cluster's training graphs --evenly spaced sample--> replay set (replay.json), which the tuner's
 *     fine-tuning replays next to the job's own windows
 *
 * A pretrained set is a folder: manifest.json (the recipe that made it, the history it read, the tfjs backend,
 * the k-medoids outcome with each cluster's medoid as a DAG spec, each model's feature scaling and training loss)
 * and one model folder per cluster plus `global` (src/learning/io.ts format).
 *
 * The recipe is everything that determines the models; the tuner compares its own options with a set's recipe. When
 * they differ, the recipe is re-run on the set's history: once, before the runs, by the experiment
 * (trainRecipe(), cached on disk under datasets/pretrained/cache/<set>-<recipe hash>/); a direct caller without
 * that cache gets it re-run in memory (cached per process).
 */
import { PROJECT_ROOT } from '../../core/project.js';
import { canonical } from '../../core/canonical.js';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { JobGraph, type JobSpec } from '../../core/job.js';
import type { LabelledGraph as DagGraph } from '../../graph/index.js';
import type { Direction, EncoderKind } from '../../learning/gnn.js';
import type { HeadKind } from '../../learning/head.js';
import { FeatureScaler, type FeatureScalerJson, type LabelledGraph } from '../../learning/features.js';
import { featureNames, type FeatureSet, type RateUnit } from './features.js';
import { loadModel, saveModel } from '../../learning/io.js';
import { gedDistance, nearestMedoid } from '../../graph/index.js';
import { BottleneckModel, type ModelConfigInput } from '../../learning/model.js';
import { evaluateModel, positiveWeight, trainModel, type EvaluationReport } from '../../learning/train.js';

import { clusterAt, clusterDags, dagDistances, kCandidates, type DagClustering, type DagDistances, type KClustering } from './clustering.js';
import { dagStructure, pairGraphs, pairingGroup, readHistoryWindows, windowGraph, type HistoryWindow } from './dataset.js';
import type { LabelOptions } from './labels.js';

export const SET_FORMAT = 'streamtune-lab/pretrained-set';
/** 3: k 'auto' means k by validation loss (it meant k by silhouette in version 2). */
export const SET_FORMAT_VERSION = 3;
export const MANIFEST = 'manifest.json';
export const REPLAY = 'replay.json';

/** The project's root folder (not imported from experiment/: that room imports the tuner registry). */

/** Everything that determines a pretrained set's models (the seed is the set's own, not part of a match). */
export interface PretrainRecipe {
  labels: LabelOptions;
  features: FeatureSet;
  rateUnit: RateUnit;
  gedExactMaxNodes: number;
  /**
   * Clusters: a number; 'auto' = the candidate k (clustering.ts K_CANDIDATES up to kMax) whose cluster encoders
   * give the lowest validation loss (silhouette when there are no validation jobs); 'silhouette' = the k in
   * [2, kMax] with the largest mean silhouette (the choice before set format 3).
   */
  k: number | 'auto' | 'silhouette';
  kMax: number;
  encoder: EncoderKind;
  layers: number;
  hidden: number;
  direction: Direction;
  head: HeadKind;
  slope: 'global' | 'perNode';
  /** Monotone head anchored at the observed work (head.ts HeadConfig.anchor). */
  anchor: 'logWork' | 'none';
  /**
   * Weight of positive labels in the loss: 'balanced' = n_neg / n_pos (§7), which moves the Pr = theta boundary
   * towards more parallelism (the model learns odds x n_neg / n_pos); 1 = the plain likelihood, whose boundary is
   * the labels' own.
   */
  posWeight: 'balanced' | 1;
  epochs: number;
  lr: number;
  batchSize: number;
  /** Use only the first N history windows (0 = all). */
  historySize: number;
  /** Pair windows of one job at one rate (dataset.ts pairGraphs): partners per window, 0 = no pairing. */
  pairing: number;
  /** Share of the jobs held out of training to measure per-cluster against global encoders (0 = none). */
  validationShare: number;
  /** Training graphs per cluster kept in the set for replay during fine-tuning. */
  replay: number;
  /** A cluster's model starts from the global one ('global': the global encoder fine-tuned on the cluster) or from scratch. */
  clusterInit: 'global' | 'scratch';
  seed: number;
}

export function modelConfigOf(r: PretrainRecipe, seed = r.seed): ModelConfigInput {
  return {
    featureNames: featureNames(r.features),
    encoder: { kind: r.encoder, layers: r.layers, hidden: r.hidden, direction: r.direction, skip: true },
    head: { kind: r.head, hidden: r.hidden, slope: r.slope, ...(r.head === 'monotone' && r.anchor === 'logWork' ? { anchor: 'logWork' as const } : {}) },
    seed,
  };
}

/** True when two recipes make the same models (the seed aside). */
export function sameRecipe(a: PretrainRecipe, b: PretrainRecipe): boolean {
  const strip = ({ seed: _seed, ...rest }: PretrainRecipe) => rest;
  return canonical(strip(a)) === canonical(strip(b));
}


export interface TrainSummary {
  /** History windows, and training graphs (windows plus cross-window pairs). */
  windows: number;
  graphs: number;
  nodes: number;
  positives: number;
  epochs: number;
  /** Training graphs x epochs: the work, deterministic (no wall time in the manifest, so a set is remade byte for byte). */
  graphEpochs: number;
  firstLoss: number;
  lastLoss: number;
  /** Early stopping: validation graphs, the epoch kept (0 = the warm start) and its validation loss. */
  validation?: { graphs: number; bestEpoch: number; loss: number };
  /** Quality on the training windows at theta 0.5. */
  fit: Pick<EvaluationReport, 'accuracy' | 'precision' | 'recall' | 'f1'>;
}

export interface ClusterEntry {
  id: number;
  /** The medoid DAG as a job spec (operator ids and types, edges; costs are not structure). */
  medoid: JobSpec;
  medoidJob: string;
  /** Jobs (names) whose DAG falls in this cluster, and how many distinct DAGs. */
  members: string[];
  dags: number;
  model: string;
  scaler: FeatureScalerJson;
  train: TrainSummary;
}

/** One held-out validation job: its nearest medoid and the two models' loss on its windows. */
export interface ValidationJob {
  job: string;
  operators: number;
  cluster: number;
  distance: number;
  /** distance / operators: what gedFallback is compared with. */
  ratio: number;
  clusterLoss: number;
  globalLoss: number;
}

export interface ValidationReport {
  jobs: ValidationJob[];
  /** The fallback threshold (GED / operators) with the lowest total validation loss; Infinity-free: 1e6 = never fall back. */
  gedFallback: number;
  /** Mean validation loss with that threshold, with cluster encoders always, and with the global encoder always. */
  lossChosen: number;
  lossClusterAlways: number;
  lossGlobalAlways: number;
  /** Share of validation jobs that get their cluster's encoder at the chosen threshold. */
  clusterShare: number;
  /** Per cluster with validation jobs: their count and mean loss of the cluster's and of the global model. */
  clusters?: { cluster: number; jobs: number; clusterLoss: number; globalLoss: number }[];
}

export interface SetManifest {
  format: typeof SET_FORMAT;
  version: number;
  name: string;
  recipe: PretrainRecipe;
  /** History CSVs, relative to the project root when inside it. */
  history: { file: string; windows: number }[];
  windowsUsed: number;
  backend: string;
  k: number;
  kChosenBy: 'validation' | 'silhouette' | 'given' | 'single';
  /** Every candidate k of the validation choice, as measured (kChosenBy 'validation' only). */
  kCandidates?: KCandidate[];
  silhouettes: Record<string, number>;
  ged: { dags: number; pairs: number; exactMethodPairs: number; approxMethodPairs: number; provenPairs: number; budgetExhausted: number };
  clusters: ClusterEntry[];
  global: { model: string; scaler: FeatureScalerJson; train: TrainSummary };
  /** Held-out jobs and the measured fallback threshold (absent when validationShare is 0). */
  validation?: ValidationReport;
  command?: string;
}

/** A set in memory. Models are shared (read-only): clone before fine-tuning. */
export interface PretrainedSet {
  manifest: SetManifest;
  /** Medoid DAGs (GED view), by cluster. */
  medoids: DagGraph[];
  clusterModels: BottleneckModel[];
  globalModel: BottleneckModel;
  /** Per cluster (and 'global'), training graphs replayed during fine-tuning. */
  replay: { clusters: LabelledGraph[][]; global: LabelledGraph[] };
}

export interface PretrainProgress {
  (what: string): void;
}

function medoidSpec(job: JobGraph): JobSpec {
  return {
    name: job.name,
    operators: job.operators().map((o) => ({ id: o.id, type: o.type })),
    edges: job.edges().map((e) => ({ from: e.from, to: e.to })),
  };
}

/**
 * Trains one model: from scratch, or warm-started from `from` (the global model). With validation graphs, the loss
 * on them is measured after every epoch (and before the first, for a warm start) and the weights of the best epoch
 * are kept (early stopping by measurement: a cluster model is never worse than its warm start on its cluster's
 * validation jobs), and training stops after PATIENCE epochs without improvement.
 */
async function trainOne(
  data: LabelledGraph[],
  windows: number,
  r: PretrainRecipe,
  seed: number,
  from?: BottleneckModel,
  val: readonly LabelledGraph[] = [],
): Promise<{ model: BottleneckModel; train: TrainSummary }> {
  const model = from ? from.clone() : BottleneckModel.create(modelConfigOf(r, seed), FeatureScaler.fit(data, modelConfigOf(r, seed).featureNames));
  const pw = lossWeight(r);
  const valWeight = pw === 'auto' ? positiveWeight(data) : pw;
  const valLoss = () => evaluateModel(model, val, { posWeight: valWeight }).loss;
  let best = val.length > 0 && from ? valLoss() : Infinity;
  let bestEpoch = val.length > 0 && from ? 0 : -1;
  let bestWeights = val.length > 0 && from ? model.params.toArrays() : undefined;
  const result = await trainModel(model, data, {
    fineTune: 'full',
    epochs: r.epochs,
    lr: r.lr,
    batchSize: r.batchSize,
    seed,
    posWeight: pw,
    ...(val.length > 0
      ? {
          onEpoch: ({ epoch }: { epoch: number }) => {
            const l = valLoss();
            if (l < best - 1e-6) {
              best = l;
              bestEpoch = epoch + 1;
              bestWeights = model.params.toArrays();
            }
            // Patience: stop after PATIENCE epochs without a better validation loss.
            return epoch + 1 - Math.max(0, bestEpoch) < PATIENCE;
          },
        }
      : {}),
  });
  if (bestWeights) model.params.assign(bestWeights);
  const ev = evaluateModel(model, data);
  return {
    model,
    train: {
      windows,
      graphs: data.length,
      nodes: ev.nodes,
      positives: ev.positives,
      epochs: result.epochs,
      graphEpochs: data.length * result.epochs,
      firstLoss: Number((result.losses[0] ?? NaN).toFixed(5)),
      lastLoss: Number((result.losses[result.losses.length - 1] ?? NaN).toFixed(5)),
      ...(val.length > 0 ? { validation: { graphs: val.length, bestEpoch, loss: round4(best) } } : {}),
      fit: { accuracy: round4(ev.accuracy), precision: round4(ev.precision), recall: round4(ev.recall), f1: round4(ev.f1) },
    },
  };
}

const round4 = (x: number) => Number(x.toFixed(4));

/** Early stopping: epochs without a better validation loss before training stops. */
const PATIENCE = 5;

/** The loss's positive weight of a recipe (train.ts posWeight). */
export function lossWeight(r: Pick<PretrainRecipe, 'posWeight'>): number | 'auto' {
  return r.posWeight === 'balanced' ? 'auto' : 1;
}

/** One candidate k of the validation choice, as measured (manifest.kCandidates). */
export interface KCandidate {
  k: number;
  /** Mean validation loss per job with the fallback threshold chosen for this k (chooseFallback lossChosen). */
  loss: number;
  /** The same with cluster encoders always (no fallback). */
  lossClusterAlways: number;
  gedFallback: number;
  /** Share of validation jobs that get their cluster's encoder at that threshold. */
  clusterShare: number;
  /** Clusters that have validation jobs (the ones trained, with early stopping, to measure this k). */
  clustersWithJobs: number;
  /**
   * Mean over validation jobs of (loss at this k's threshold - global loss), and its standard error (paired by job):
   * whether this k's cluster encoders beat the global one beyond noise.
   */
  vsGlobal: { mean: number; se: number };
  /** Per validation job (manifest.validation.jobs order): its loss at this k's threshold. */
  jobLosses: number[];
  /** Per job, this k's loss minus the lowest-loss candidate's: mean and standard error (paired by job). */
  vsLowest?: { mean: number; se: number };
}

/** A candidate's per-job losses against another's: mean and standard error of the paired differences. */
export function versus(c: Pick<KCandidate, 'jobLosses'>, base: Pick<KCandidate, 'jobLosses'>): { mean: number; se: number } {
  if (c.jobLosses.length !== base.jobLosses.length) throw new Error('versus: the candidates were measured on different jobs');
  return pairedDifference(c.jobLosses.map((x, i) => x - (base.jobLosses[i] as number)));
}

/**
 * The k by measurement: the candidate with the lowest mean validation loss, where a candidate whose loss is within
 * one standard error of the lowest (paired by validation job: versus()) counts as a tie (the one-standard-error
 * rule: the validation jobs cannot tell them apart). Ties go to the larger cluster share (cluster encoders are the
 * method's point), then to the lower loss, then to the smaller k.
 */
export function chooseKByValidation(candidates: readonly KCandidate[]): KCandidate {
  if (candidates.length === 0) throw new Error('chooseKByValidation: no candidates');
  const lowest = [...candidates].sort((a, b) => a.loss - b.loss || b.clusterShare - a.clusterShare || a.k - b.k)[0] as KCandidate;
  const ties = candidates.filter((c) => {
    const d = versus(c, lowest);
    return d.mean <= d.se;
  });
  return [...ties].sort((a, b) => b.clusterShare - a.clusterShare || a.loss - b.loss || a.k - b.k)[0] as KCandidate;
}

/** Mean and standard error of paired differences (se 0 with fewer than 2). */
function pairedDifference(d: readonly number[]): { mean: number; se: number } {
  const n = d.length;
  const mean = n > 0 ? d.reduce((t, x) => t + x, 0) / n : 0;
  const variance = n > 1 ? d.reduce((t, x) => t + (x - mean) ** 2, 0) / (n - 1) : 0;
  return { mean: Number(mean.toFixed(5)), se: Number(Math.sqrt(variance / Math.max(1, n)).toFixed(5)) };
}

/** Runs a recipe on history windows (already in order; historySize takes the first N). */
export async function pretrainSet(
  all: readonly HistoryWindow[],
  recipe: PretrainRecipe,
  meta: { name: string; history: SetManifest['history']; backend: string; command?: string },
  progress?: PretrainProgress,
): Promise<PretrainedSet> {
  const windows = recipe.historySize > 0 ? all.slice(0, recipe.historySize) : [...all];
  if (windows.length === 0) throw new Error('pretrain: the history has no windows');
  const graphs = windows.map((w) => windowGraph(w, recipe.labels, recipe));
  const groups = windows.map(pairingGroup);
  /** Training data of a subset of the windows (pairs only within it). */
  const dataOf = (keep: (i: number) => boolean): LabelledGraph[] => {
    const idx = graphs.map((_, i) => i).filter(keep);
    const sub = idx.map((i) => graphs[i] as LabelledGraph);
    return recipe.pairing > 0 ? pairGraphs(idx.map((i) => groups[i] as string), sub, recipe.pairing) : sub;
  };
  // Validation jobs: every round(1 / validationShare)-th job in first-seen order (none with fewer than 10 jobs).
  const jobOrder = [...new Set(windows.map((w) => w.job.name))];
  const every = recipe.validationShare > 0 && jobOrder.length >= 10 ? Math.max(2, Math.round(1 / recipe.validationShare)) : 0;
  const heldOut = new Set(every > 0 ? jobOrder.filter((_, i) => i % every === every - 1) : []);
  const isTrain = (i: number) => !heldOut.has((windows[i] as HistoryWindow).job.name);
  // Distinct DAGs of the training windows, in first-seen order.
  const dagIndex = new Map<string, number>();
  const dagJobs: JobGraph[] = [];
  const windowDag = windows.map((w, i) => {
    if (!isTrain(i)) return -1;
    let d = dagIndex.get(w.structure);
    if (d === undefined) {
      dagIndex.set(w.structure, (d = dagJobs.length));
      dagJobs.push(w.job);
    }
    return d;
  });
  const dags = dagJobs.map((j) => dagStructure(j).graph);
  progress?.(`GED: ${dags.length} distinct DAGs of ${jobOrder.length - heldOut.size} training jobs (${heldOut.size} validation jobs held out)`);
  // Validation jobs: their DAG, windows and graphs (early stopping, the fallback threshold and the choice of k).
  const valJobs = jobOrder
    .filter((n) => heldOut.has(n))
    .map((name) => {
      const idx = new Set(windows.map((_, i) => i).filter((i) => (windows[i] as HistoryWindow).job.name === name));
      const job = (windows[[...idx][0] as number] as HistoryWindow).job;
      return { name, job, dag: dagStructure(job).graph, data: dataOf((i) => idx.has(i)) };
    });
  // GED of a validation job to a training DAG, computed once whichever candidate k makes that DAG a medoid.
  const gedMemo = new Map<string, number>();
  const gedTo = (v: number, d: number): number => {
    const key = `${v}:${d}`;
    let x = gedMemo.get(key);
    if (x === undefined) gedMemo.set(key, (x = gedDistance((valJobs[v] as (typeof valJobs)[number]).dag, dags[d] as DagGraph, { gedExactMaxNodes: recipe.gedExactMaxNodes })));
    return x;
  };
  const nearestOf = (cl: KClustering) => valJobs.map((_, v) => nearestMedoid(-1, cl.medoids, (_a, d) => gedTo(v, d)));

  const globalData = dataOf(isTrain);
  const trainWindows = windows.filter((_, i) => isTrain(i)).length;
  progress?.(`global: ${trainWindows} windows (${globalData.length} training graphs)`);
  const g = await trainOne(globalData, trainWindows, recipe, recipe.seed, undefined, valJobs.flatMap((v) => v.data));
  const pw = recipe.posWeight === 'balanced' ? positiveWeight(globalData) : 1;
  const globalLoss = valJobs.map((v) => round4(evaluateModel(g.model, v.data, { posWeight: pw }).loss));

  /** One cluster's model: warm-started from the global one (or not), early stopping on its validation jobs. */
  const trainCluster = async (cl: KClustering, near: readonly { cluster: number }[], k: number) => {
    const inCluster = (i: number) => windowDag[i] !== -1 && cl.assignment[windowDag[i] as number] === k;
    const data = dataOf(inCluster);
    const mine = windows.filter((_, i) => inCluster(i));
    const val = valJobs.filter((_, v) => near[v]?.cluster === k).flatMap((v) => v.data);
    progress?.(`  k = ${cl.k}, cluster ${k}: ${mine.length} windows (${data.length} training graphs, ${val.length} validation graphs)`);
    const { model, train } = await trainOne(data, mine.length, recipe, recipe.seed + 1 + k, recipe.clusterInit === 'global' ? g.model : undefined, val);
    return { model, train, data, members: [...new Set(mine.map((w) => w.job.name))] };
  };
  type Trained = Awaited<ReturnType<typeof trainCluster>>;
  /** A clustering with the clusters that have validation jobs trained, and its validation report. */
  const measure = async (cl: KClustering) => {
    const near = nearestOf(cl);
    const trained: (Trained | undefined)[] = [];
    for (let k = 0; k < cl.k; k++) trained.push(near.some((n) => n.cluster === k) ? await trainCluster(cl, near, k) : undefined);
    const jobs: ValidationJob[] = valJobs.map((v, i) => {
      const { cluster, distance } = near[i] as { cluster: number; distance: number };
      return {
        job: v.name,
        operators: v.job.size,
        cluster,
        distance,
        ratio: round4(distance / v.job.size),
        clusterLoss: round4(evaluateModel((trained[cluster] as Trained).model, v.data, { posWeight: pw }).loss),
        globalLoss: globalLoss[i] as number,
      };
    });
    const perCluster = [...new Set(jobs.map((j) => j.cluster))].sort((a, b) => a - b).map((cluster) => {
      const mine = jobs.filter((j) => j.cluster === cluster);
      const mean = (f: (j: ValidationJob) => number) => round4(mine.reduce((t, j) => t + f(j), 0) / mine.length);
      return { cluster, jobs: mine.length, clusterLoss: mean((j) => j.clusterLoss), globalLoss: mean((j) => j.globalLoss) };
    });
    return { cl, trained, validation: jobs.length > 0 ? { ...chooseFallback(jobs), clusters: perCluster } : undefined };
  };

  // k: given, by silhouette, or (auto) by the validation loss of each candidate's cluster encoders.
  const candidates = kCandidates(dags.length, recipe.kMax);
  const byValidation = recipe.k === 'auto' && valJobs.length > 0 && candidates.length > 0;
  const given = byValidation ? undefined : clusterDags(dags, { k: recipe.k === 'auto' ? 'silhouette' : recipe.k, kMax: recipe.kMax, gedExactMaxNodes: recipe.gedExactMaxNodes });
  const dist: DagDistances = given ?? dagDistances(dags, recipe.gedExactMaxNodes);
  let chosen: Awaited<ReturnType<typeof measure>>;
  let kChosenBy: SetManifest['kChosenBy'];
  let silhouettes: Record<string, number> = {};
  let kMeasured: KCandidate[] | undefined;
  if (byValidation) {
    kMeasured = [];
    const measured: Awaited<ReturnType<typeof measure>>[] = [];
    for (const k of candidates) {
      const m = await measure(clusterAt(dist.distances, k));
      const v = m.validation as ValidationReport;
      const cand: KCandidate = {
        k,
        loss: v.lossChosen,
        lossClusterAlways: v.lossClusterAlways,
        gedFallback: v.gedFallback,
        clusterShare: round4(v.clusterShare),
        clustersWithJobs: m.trained.filter((t) => t !== undefined).length,
        vsGlobal: pairedDifference(v.jobs.map((j) => (j.ratio <= v.gedFallback ? j.clusterLoss : j.globalLoss) - j.globalLoss)),
        jobLosses: v.jobs.map((j) => (j.ratio <= v.gedFallback ? j.clusterLoss : j.globalLoss)),
      };
      kMeasured.push(cand);
      measured.push(m);
      progress?.(
        `k = ${k}: validation loss ${cand.loss} (vs global ${cand.vsGlobal.mean} +- ${cand.vsGlobal.se}; cluster always ${cand.lossClusterAlways}, global ${v.lossGlobalAlways}), gedFallback ${cand.gedFallback}, cluster share ${(100 * cand.clusterShare).toFixed(1)} %`,
      );
    }
    const picked = chooseKByValidation(kMeasured);
    const lowest = [...kMeasured].sort((a, b) => a.loss - b.loss || b.clusterShare - a.clusterShare || a.k - b.k)[0] as KCandidate;
    for (const cand of kMeasured) cand.vsLowest = versus(cand, lowest);
    chosen = measured[kMeasured.indexOf(picked)] as Awaited<ReturnType<typeof measure>>;
    for (const m of measured) if (m !== chosen) for (const t of m.trained) t?.model.dispose();
    kChosenBy = 'validation';
  } else {
    const c = given as DagClustering;
    chosen = await measure(c);
    kChosenBy = c.chosenBy;
    silhouettes = c.silhouettes;
  }
  const c = chosen.cl;
  progress?.(`k-medoids: k = ${c.k} (${kChosenBy}${kChosenBy === 'silhouette' ? `: ${JSON.stringify(silhouettes)}` : ''})`);
  const near = nearestOf(c);
  const clusterModels: BottleneckModel[] = [];
  const clusters: ClusterEntry[] = [];
  const replayClusters: LabelledGraph[][] = [];
  for (let k = 0; k < c.k; k++) {
    // Clusters without validation jobs are trained now (no early stopping: nothing to measure it on).
    const t = chosen.trained[k] ?? (await trainCluster(c, near, k));
    clusterModels.push(t.model);
    replayClusters.push(replaySample(t.data, recipe.replay));
    const medoid = dagJobs[c.medoids[k] as number] as JobGraph;
    clusters.push({
      id: k,
      medoid: medoidSpec(medoid),
      medoidJob: medoid.name,
      members: t.members,
      dags: c.assignment.filter((a) => a === k).length,
      model: `cluster-${k}`,
      scaler: t.model.scaler.toJSON(),
      train: t.train,
    });
  }
  const validation = chosen.validation;
  if (validation)
    progress?.(
      `validation: ${validation.jobs.length} jobs; gedFallback ${validation.gedFallback} (cluster encoders for ${(100 * validation.clusterShare).toFixed(0)} %): loss ${validation.lossChosen} vs cluster always ${validation.lossClusterAlways}, global always ${validation.lossGlobalAlways}`,
    );
  return {
    manifest: {
      format: SET_FORMAT,
      version: SET_FORMAT_VERSION,
      name: meta.name,
      recipe,
      history: meta.history,
      windowsUsed: windows.length,
      backend: meta.backend,
      k: c.k,
      kChosenBy,
      ...(kMeasured ? { kCandidates: kMeasured } : {}),
      silhouettes,
      ged: { dags: dags.length, ...pick(dist.ged) },
      clusters,
      global: { model: 'global', scaler: g.model.scaler.toJSON(), train: g.train },
      ...(validation ? { validation } : {}),
      ...(meta.command ? { command: meta.command } : {}),
    },
    medoids: c.medoids.map((i) => dags[i] as DagGraph),
    clusterModels,
    globalModel: g.model,
    replay: { clusters: replayClusters, global: replaySample(globalData, recipe.replay) },
  };
}

/** `n` graphs evenly spaced through `data` (all of them when fewer). */
export function replaySample(data: readonly LabelledGraph[], n: number): LabelledGraph[] {
  if (n <= 0) return [];
  if (data.length <= n) return [...data];
  return Array.from({ length: n }, (_, i) => data[Math.floor(((i + 0.5) * data.length) / n)] as LabelledGraph);
}

/**
 * The fallback threshold by measurement: over the candidate thresholds (0, each validation job's ratio, never),
 * the one whose assignment (cluster encoder when ratio <= threshold, else global) has the lowest total validation
 * loss; ties go to the larger threshold (cluster encoders are the method's point).
 */
export function chooseFallback(jobs: readonly ValidationJob[]): ValidationReport {
  const NEVER = 1e6;
  const candidates = [...new Set([0, ...jobs.map((j) => j.ratio), NEVER])].sort((a, b) => a - b);
  const total = (t: number) => jobs.reduce((s, j) => s + (j.ratio <= t ? j.clusterLoss : j.globalLoss), 0);
  let best = 0;
  let bestLoss = Infinity;
  for (const t of candidates) {
    const l = total(t);
    if (l <= bestLoss + 1e-9) {
      bestLoss = l;
      best = t;
    }
  }
  const n = Math.max(1, jobs.length);
  return {
    jobs: [...jobs],
    gedFallback: best,
    lossChosen: round4(bestLoss / n),
    lossClusterAlways: round4(total(NEVER) / n),
    lossGlobalAlways: round4(jobs.reduce((s, j) => s + j.globalLoss, 0) / n),
    clusterShare: jobs.length ? jobs.filter((j) => j.ratio <= best).length / jobs.length : 0,
  };
}

function pick(g: { pairs: number; exactMethodPairs: number; approxMethodPairs: number; provenPairs: number; budgetExhausted: number }) {
  return { pairs: g.pairs, exactMethodPairs: g.exactMethodPairs, approxMethodPairs: g.approxMethodPairs, provenPairs: g.provenPairs, budgetExhausted: g.budgetExhausted };
}

/**
 * Writes a set: manifest.json and one model folder per cluster plus global. Over an older set, its cluster model
 * folders (cluster-<n> with a model.json) that this set does not have are removed, so a set with fewer clusters
 * leaves no stale models behind.
 */
export async function saveSet(set: PretrainedSet, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const mine = new Set(set.manifest.clusters.map((c) => c.model));
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory() && /^cluster-\d+$/.test(e.name) && !mine.has(e.name) && existsSync(join(dir, e.name, 'model.json'))) rmSync(join(dir, e.name), { recursive: true });
  for (const [k, m] of set.clusterModels.entries()) await saveModel(m, join(dir, set.manifest.clusters[k]?.model ?? `cluster-${k}`), { set: set.manifest.name, cluster: k });
  await saveModel(set.globalModel, join(dir, set.manifest.global.model), { set: set.manifest.name, cluster: 'global' });
  await writeFile(join(dir, REPLAY), `${JSON.stringify(replayJson(set))}\n`);
  await writeFile(join(dir, MANIFEST), `${JSON.stringify(set.manifest, null, 2)}\n`);
}

/** A set folder given as an absolute path or relative to the project root. */
export function resolveSetDir(path: string): string {
  return isAbsolute(path) ? path : resolve(PROJECT_ROOT, path);
}

/** A history path as stored in a manifest: relative to the project root when inside it. */
export function historyRef(file: string): string {
  const abs = resolve(file);
  const rel = relative(PROJECT_ROOT, abs);
  return rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
}

export function readManifest(dir: string): SetManifest {
  const file = join(dir, MANIFEST);
  if (!existsSync(file)) throw new Error(`no pretrained set at ${dir} (no ${MANIFEST}; run \`npm run pretrain\`)`);
  const m = JSON.parse(readFileSync(file, 'utf8')) as SetManifest;
  if (m.format !== SET_FORMAT) throw new Error(`${file}: not a pretrained set (format '${String(m.format)}')`);
  if (m.version !== SET_FORMAT_VERSION) throw new Error(`${file}: set format version ${m.version} is not supported`);
  return m;
}

/** Loads a set's models. */
export async function loadSet(dir: string): Promise<PretrainedSet> {
  const manifest = readManifest(dir);
  const clusterModels: BottleneckModel[] = [];
  for (const c of manifest.clusters) clusterModels.push(await loadModel(join(dir, c.model)));
  const globalModel = await loadModel(join(dir, manifest.global.model));
  const medoids = manifest.clusters.map((c) => dagStructure(JobGraph.create(c.medoid)).graph);
  const replay = existsSync(join(dir, REPLAY)) ? replayFromJson(JSON.parse(readFileSync(join(dir, REPLAY), 'utf8')) as ReplayJson) : { clusters: manifest.clusters.map(() => []), global: [] };
  return { manifest, medoids, clusterModels, globalModel, replay };
}

/** A replay graph on disk: features rounded to 6 significant digits (float32 keeps about 7). */
interface ReplayGraphJson {
  job: string;
  nodeIds: string[];
  x: number[];
  p: number[];
  maxParallelism: number[];
  edges: [number, number][];
  labels: number[];
  mask: number[];
}
interface ReplayJson {
  featureNames: string[];
  clusters: ReplayGraphJson[][];
  global: ReplayGraphJson[];
}

function replayJson(set: PretrainedSet): ReplayJson {
  const one = (g: LabelledGraph): ReplayGraphJson => ({
    job: g.job,
    nodeIds: [...g.nodeIds],
    x: Array.from(g.x, (v) => Number(v.toPrecision(6))),
    p: Array.from(g.p),
    maxParallelism: Array.from(g.maxParallelism),
    edges: g.edges.map(([a, b]) => [a, b]),
    labels: Array.from(g.labels),
    mask: Array.from(g.mask),
  });
  return { featureNames: [...featureNames(set.manifest.recipe.features)], clusters: set.replay.clusters.map((c) => c.map(one)), global: set.replay.global.map(one) };
}

function replayFromJson(j: ReplayJson): PretrainedSet['replay'] {
  const names = j.featureNames as LabelledGraph['featureNames'];
  const one = (g: ReplayGraphJson): LabelledGraph => ({
    job: g.job,
    nodeIds: g.nodeIds,
    featureNames: names,
    x: Float32Array.from(g.x),
    p: Float32Array.from(g.p),
    maxParallelism: Int32Array.from(g.maxParallelism),
    edges: g.edges,
    labels: Float32Array.from(g.labels),
    mask: Float32Array.from(g.mask),
  });
  return { clusters: j.clusters.map((c) => c.map(one)), global: j.global.map(one) };
}

/** The history files a manifest names, resolved (relative paths against the project root). */
export function historyFiles(m: SetManifest): string[] {
  return m.history.map((h) => (isAbsolute(h.file) ? h.file : resolve(PROJECT_ROOT, h.file)));
}

const cache = new Map<string, Promise<PretrainedSet>>();

/** Where sets re-run for another recipe are cached (git-ignored); STREAMTUNE_PRETRAINED_CACHE overrides it. */
export function recipeCacheRoot(): string {
  return process.env.STREAMTUNE_PRETRAINED_CACHE ?? join(PROJECT_ROOT, 'datasets/pretrained/cache');
}

/** The cache folder of a recipe re-run on a set's history (the set's seed): <root>/<set>-<hash of recipe and history>. */
export function recipeCacheDir(setDir: string, manifest: SetManifest, recipe: PretrainRecipe): string {
  const key = canonical({ recipe: { ...recipe, seed: manifest.recipe.seed }, history: manifest.history, format: SET_FORMAT_VERSION });
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return join(recipeCacheRoot(), `${basename(setDir)}-${hash}`);
}

/** What a recipe needs before the runs: nothing (the set's own, or cached), or training (with an estimate). */
export interface RecipeStatus {
  setDir: string;
  state: 'set' | 'cached' | 'train';
  /** Recipe keys that differ from the set's. */
  differs: string[];
  cacheDir: string;
  /** Rough training time, seconds (from the set's own training times, scaled). */
  estimateSec: number;
}

/**
 * Pre-training time per graph-epoch of the models a set keeps, for estimates: the k sweep's discarded cluster models
 * and the validation passes ride on it (measured: the default set, 413k kept graph-epochs, 422-464 s on this 2-core
 * machine with another job running; wasm backend, hidden 32). `npm run pretrain` prints the real time.
 */
const SECONDS_PER_GRAPH_EPOCH = 1.1e-3;

export function recipeStatus(setPath: string, recipe: PretrainRecipe): RecipeStatus {
  const setDir = resolveSetDir(setPath);
  const m = readManifest(setDir);
  const cacheDir = recipeCacheDir(setDir, m, recipe);
  const differs = differingKeys(m.recipe, recipe);
  const state = differs.length === 0 ? 'set' : existsSync(join(cacheDir, MANIFEST)) ? 'cached' : 'train';
  const own = SECONDS_PER_GRAPH_EPOCH * m.clusters.reduce((t, c) => t + (c.train.graphEpochs ?? 0), m.global.train.graphEpochs ?? 0);
  const windows = recipe.historySize > 0 ? Math.min(recipe.historySize, m.windowsUsed) : m.history.reduce((t, h) => t + h.windows, 0);
  const scale =
    (recipe.epochs / m.recipe.epochs) *
    (windows / Math.max(1, m.windowsUsed)) *
    ((recipe.hidden / m.recipe.hidden) ** 2) *
    (recipe.layers / m.recipe.layers) *
    ((1 + recipe.pairing) / (1 + m.recipe.pairing)) *
    (m.recipe.batchSize / recipe.batchSize) ** 0.5;
  return { setDir, state, differs, cacheDir, estimateSec: Math.max(1, own * scale) };
}

function differingKeys(a: PretrainRecipe, b: PretrainRecipe): string[] {
  const flat = (r: PretrainRecipe): Record<string, string> => {
    const { labels, seed: _seed, ...rest } = r;
    return Object.fromEntries([...Object.entries(rest), ...Object.entries(labels)].map(([k, v]) => [k, canonical(v)]));
  };
  const fa = flat(a);
  const fb = flat(b);
  return [...new Set([...Object.keys(fa), ...Object.keys(fb)])].filter((k) => fa[k] !== fb[k]).sort();
}

/**
 * Re-runs a recipe on a set's history (the set's seed) and saves it in the cache, atomically (a folder renamed
 * into place); returns the cache folder. Nothing to do when it is cached already.
 */
export async function trainRecipe(setPath: string, recipe: PretrainRecipe, backend: string, progress?: PretrainProgress): Promise<string> {
  const status = recipeStatus(setPath, recipe);
  if (status.state !== 'train') return status.state === 'set' ? status.setDir : status.cacheDir;
  const m = readManifest(status.setDir);
  const windows = readHistoryWindows(historyFiles(m));
  const set = await pretrainSet(windows, { ...recipe, seed: m.recipe.seed }, { name: `${m.name} (recipe ${basename(status.cacheDir)})`, history: m.history, backend }, progress);
  const tmp = `${status.cacheDir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    await saveSet(set, tmp);
    if (existsSync(status.cacheDir)) rmSync(tmp, { recursive: true, force: true });
    else renameSync(tmp, status.cacheDir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return status.cacheDir;
}

/**
 * The set to use for a recipe: the saved models when the set's recipe matches, else the recipe's cached re-run
 * (trainRecipe), else the recipe re-run on the set's history in memory (with the set's seed). Cached per process:
 * runs in one worker share the (read-only) models.
 */
export function obtainSet(dirPath: string, recipe: PretrainRecipe, backend: string): Promise<PretrainedSet> {
  const dir = resolveSetDir(dirPath);
  const manifest = readManifest(dir);
  const matches = sameRecipe(manifest.recipe, recipe);
  const cached = matches ? undefined : recipeCacheDir(dir, manifest, recipe);
  const onDisk = cached !== undefined && existsSync(join(cached, MANIFEST));
  const key = matches ? `load:${dir}` : onDisk ? `load:${cached}` : `recipe:${dir}:${canonical({ ...recipe, seed: manifest.recipe.seed })}`;
  let p = cache.get(key);
  if (!p) {
    p = matches
      ? loadSet(dir)
      : onDisk
        ? loadSet(cached as string)
        : (async () => {
            const windows = readHistoryWindows(historyFiles(manifest));
            return pretrainSet(windows, { ...recipe, seed: manifest.recipe.seed }, { name: `${manifest.name} (re-run in memory)`, history: manifest.history, backend });
          })();
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}
