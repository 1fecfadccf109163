/**
 * The history generator (streamtune.md §4 "Generating history"): no production history is
 * available, so a pre-training corpus is made on the simulator, shaped like a production history: *families* of
 * jobs (src/corpus/families.ts). A family is a base — a Nexmark query, or a synthetic template drawn from the
 * synthetic generator — and the corpus holds its *variants*: each 0..maxEdits seeded structural edits of the base
 * (an operator inserted, removed or retyped) and costs and selectivities drifted (costSpread). Job i is a Nexmark
 * variant when i is a multiple of 1/nexmarkShare (queries cycled), else a variant of synthetic template
 * (i mod syntheticFamilies). The bases themselves are not in the corpus (a tuned Nexmark query has only its
 * variants' history), and the held-out evaluation (bench/streamtune-model.ts) draws further variants and whole
 * synthetic families the corpus never saw (`heldOutJobs`).
 *
 * Each job is observed at `windows` (parallelism, rate) points in episodes of `episodeLength` windows at one rate,
 * uniform in [rateRange] x W_u, the way a past tuning session visits a few configurations at one rate. Every
 * episode runs through the project's one control loop (src/loop/loop.ts runLoop) on a new deployment (no
 * backlog carried over between episodes) with a scripted tuner: the loop deploys the episode's first
 * configuration, warms up, observes; the scripted tuner answers each window with the next configuration (the loop
 * rescales, warms up and observes again: the catch-up after a rescale is in the corpus) and keeps after the last.
 * A recorder (LoopSink) writes the first `episodeLength` decided windows of the episode in the history.csv
 * format. The first configuration is around the simulator's minimal sustaining parallelism (the oracle):
 * p_v = round(oracle_v x 2^(g + e_v)), e_v ~ N(0, spread / 2) per operator, with the log2-factor g drawn from a
 * mixture: N(0, spread) (near the answer), U(lowRange) (far under-provisioned, as a job deployed at a default
 * parallelism is), or every operator at 1 (share `onesShare`). Each later configuration's factor shrinks towards
 * the answer, g_k = g_0 x shrink^k + N(0, spread / 2). An operator's parallelism is drawn uniformly in
 * [1, 2 oracle_v + 2] instead with probability `uniformShare`.
 * The oracle only places the samples; the labels come from the metrics (and, with labels 'groundTruth', the
 * simulator's own demand/capacity columns are filled in as well).
 */
import type { JobGraph } from '../core/job.js';
import { clampParallelism, uniformParallelism, type Parallelism } from '../core/parallelism.js';
import { Rng } from '../core/random.js';
import { SimulatorEngine, type SimulatorOptions } from '../engines/simulator/simulator.js';
import { keep, rescale, wait, type Decision } from '../core/decision.js';
import { driveLoop, type LoopSink, type WindowRecord } from '../loop/index.js';
import { loopConfig, SLO_DEFAULTS } from '../loop/config.js';
import type { Tuner } from '../tuners/tuner.js';
import { workloadVariant } from './families.js';
import { NEXMARK_QUERIES, nexmark, type NexmarkQuery } from '../workloads/nexmark/templates.js';
import { syntheticJob } from '../workloads/synthetic/generator.js';
import type { Workload } from '../workloads/workload.js';
import { LABEL_RULES, metricLabels, type LabelRule } from '../history/labels.js';
import { HISTORY_COLUMNS, historyRows, type HistoryRow } from '../history/record.js';
import { parseCorpusName } from '../history/corpus-name.js';
import { loadProfile } from '../engines/simulator/profile.js';
import { writeCsv } from '../io/files.js';

export interface HistoryGenOptions {
  /** Jobs in the corpus. */
  jobs: number;
  /** Observed windows per job (one random configuration and rate each). */
  windows: number;
  seed: number;
  /**
   * 'metric': only the metric label column is filled (what a real engine's history holds); 'groundTruth': the
   * simulator's truth columns (labelTruth, demandTruth, capacityTruth) are filled as well.
   */
  labels: LabelRule;
  /** Share of the jobs that are variants of Nexmark queries (the rest are variants of synthetic templates). */
  nexmarkShare: number;
  /** Nexmark queries whose families are drawn from (cycled). */
  queries: readonly NexmarkQuery[];
  /** Synthetic template families (0: every synthetic job is a fresh random DAG, its own family). */
  syntheticFamilies: number;
  /** Operator count range of the synthetic templates. */
  minOperators: number;
  maxOperators: number;
  /** Structural edits per variant: uniform in [0, maxEdits]. */
  maxEdits: number;
  /** Standard deviation of the log2 cost drift per operator of a variant. */
  costSpread: number;
  /** Rates, in multiples of each job's W_u. */
  rateRange: readonly [number, number];
  /** Standard deviation of the log2 factor around the oracle parallelism. */
  spread: number;
  /** Windows per episode (one rate; the first from a fresh deployment, the others rescale it). */
  episodeLength: number;
  /** Range of the log2 factor of a far under-provisioned episode start, and the share of such starts. */
  lowRange: readonly [number, number];
  lowShare: number;
  /** Share of episodes that start with every operator at parallelism 1. */
  onesShare: number;
  /** Factor by which an episode's log2 distance to the oracle shrinks per window; negative: every window draws its
   *  factor afresh from the start mixture (wider coverage of parallelism at one rate). */
  shrink: number;
  /** Probability that an operator's parallelism is drawn uniformly instead. */
  uniformShare: number;
  warmupSec: number;
  windowSec: number;
  /** Simulator options (noise, coordination overhead, ...). */
  simulator: Partial<Omit<SimulatorOptions, 'seed'>>;
}

/** The recipe of the full corpus (`npm run history` without flags); the default pretrained set is trained on it. */
export const HISTORY_GEN_DEFAULTS: HistoryGenOptions = {
  jobs: 320,
  windows: 12,
  seed: 1,
  labels: 'metric',
  nexmarkShare: 1 / 3,
  queries: NEXMARK_QUERIES,
  syntheticFamilies: 16,
  minOperators: 4,
  maxOperators: 24,
  maxEdits: 3,
  costSpread: 0.3,
  rateRange: [1, 10],
  spread: 0.8,
  episodeLength: 4,
  lowRange: [-5, -1],
  lowShare: 0.3,
  onesShare: 0.15,
  shrink: 0.4,
  uniformShare: 0.1,
  warmupSec: 30,
  windowSec: 10,
  simulator: {},
};

export interface GeneratedJob {
  /** Run id of the job's rows ('gen-<seed>-<index>'). */
  run: string;
  workload: Workload;
  kind: 'synthetic' | 'nexmark';
  /** The family: 'nexmark-<q>' or 'template-<t>' (or 'random-<i>' without template families). */
  family: string;
}

/** A family's base workload. */
export interface Family {
  name: string;
  kind: 'synthetic' | 'nexmark';
  base: Workload;
}

/**
 * The recipe's families: one per Nexmark query, then `syntheticFamilies` synthetic templates. Template seeds are
 * drawn (neighbouring generator seeds give similar first draws) far from the small seeds the experiment configs use,
 * so a tuned synthetic job is never a family of its own history. `salt` draws another set (held-out families).
 */
export function historyFamilies(o: HistoryGenOptions, salt = ''): Family[] {
  const rng = new Rng(o.seed).fork(`history-families${salt}`);
  const out: Family[] = salt === '' ? o.queries.map((q) => ({ name: `nexmark-${q}`, kind: 'nexmark' as const, base: nexmark(q) })) : [];
  for (let t = 0; t < o.syntheticFamilies; t++) {
    const seed = rng.int(100_000, 2_000_000_000);
    const base = syntheticJob({ seed, minOperators: o.minOperators, maxOperators: o.maxOperators, joinProbability: rng.uniform(0.1, 0.4) });
    out.push({ name: `template${salt}-${t}`, kind: 'synthetic', base });
  }
  return out;
}

/** Variant `k` of a family, drawn from the recipe's seed (the same family and k give the same job). */
export function familyVariant(f: Family, k: number, o: HistoryGenOptions): Workload {
  const rng = new Rng(o.seed).fork(`variant:${f.name}:${k}`);
  return workloadVariant(f.base, `${f.name}-v${k}`, { edits: rng.int(0, o.maxEdits), costSpread: o.costSpread }, rng);
}

/**
 * The corpus's jobs: every 1/nexmarkShare-th a variant of a Nexmark query (cycled), the others variants of the
 * synthetic templates (cycled); variant numbers count per family from 0.
 */
export function historyJobs(o: HistoryGenOptions): GeneratedJob[] {
  const families = historyFamilies(o);
  const nex = families.filter((f) => f.kind === 'nexmark');
  const syn = families.filter((f) => f.kind === 'synthetic');
  const rng = new Rng(o.seed).fork('history-jobs');
  const count = new Map<string, number>();
  const out: GeneratedJob[] = [];
  const every = o.nexmarkShare > 0 ? Math.max(1, Math.round(1 / o.nexmarkShare)) : Infinity;
  let q = 0;
  let t = 0;
  for (let i = 0; i < o.jobs; i++) {
    const run = `gen-${o.seed}-${i}`;
    const useNexmark = nex.length > 0 && (i % every === 0 || syn.length === 0 && o.syntheticFamilies > 0);
    if (!useNexmark && o.syntheticFamilies === 0) {
      const seed = rng.int(100_000, 2_000_000_000);
      const workload = syntheticJob({ seed, minOperators: o.minOperators, maxOperators: o.maxOperators, joinProbability: rng.uniform(0.1, 0.4) });
      out.push({ run, workload, kind: 'synthetic', family: `random-${i}` });
      continue;
    }
    const f = (useNexmark ? nex[q++ % nex.length] : syn[t++ % syn.length]) as Family;
    const k = count.get(f.name) ?? 0;
    count.set(f.name, k + 1);
    out.push({ run, workload: familyVariant(f, k, o), kind: f.kind, family: f.name });
  }
  return out;
}

/**
 * Held-out jobs for evaluation (never in the corpus of the same options): `variants` further variants of each of
 * the corpus's families (numbers after the corpus's own), and `families` whole synthetic families drawn apart
 * (their bases and `variants` variants each).
 */
export function heldOutJobs(o: HistoryGenOptions, n: { variants: number; families: number }): (GeneratedJob & { heldOut: 'variant' | 'family' })[] {
  const used = new Map<string, number>();
  for (const j of historyJobs(o)) used.set(j.family, (used.get(j.family) ?? 0) + 1);
  const out: (GeneratedJob & { heldOut: 'variant' | 'family' })[] = [];
  for (const f of historyFamilies(o)) {
    const from = used.get(f.name) ?? 0;
    for (let k = from; k < from + n.variants; k++) out.push({ run: `held-${f.name}-v${k}`, workload: familyVariant(f, k, o), kind: f.kind, family: f.name, heldOut: 'variant' });
  }
  const unseen = historyFamilies({ ...o, syntheticFamilies: n.families }, '-unseen');
  for (const f of unseen) {
    out.push({ run: `held-${f.name}-base`, workload: f.base, kind: f.kind, family: f.name, heldOut: 'family' });
    for (let k = 0; k < n.variants; k++) out.push({ run: `held-${f.name}-v${k}`, workload: familyVariant(f, k, o), kind: f.kind, family: f.name, heldOut: 'family' });
  }
  return out;
}

/** A configuration around the oracle answer at log2-factor g (see the module comment). */
export function sampleParallelism(job: JobGraph, oracle: Parallelism, g: number, rng: Rng, o: Pick<HistoryGenOptions, 'spread' | 'uniformShare'>): Parallelism {
  const raw: Record<string, number> = {};
  for (const id of job.operatorIds) {
    const base = oracle[id] ?? 1;
    raw[id] = rng.next() < o.uniformShare ? rng.int(1, 2 * base + 2) : Math.max(1, Math.round(base * 2 ** (g + (o.spread / 2) * rng.normal())));
  }
  return clampParallelism(job, raw);
}

/** The log2-factor an episode starts from; undefined: every operator at 1. */
function startFactor(rng: Rng, o: HistoryGenOptions): number | undefined {
  const u = rng.next();
  if (u < o.onesShare) return undefined;
  if (u < o.onesShare + o.lowShare) return rng.uniform(o.lowRange[0], o.lowRange[1]);
  return o.spread * rng.normal();
}

export interface GenerateProgress {
  (done: number, total: number): void;
}

/** Generates the corpus: rows in job order, then window order. Deterministic for the options. */
export async function generateHistory(partial: Partial<HistoryGenOptions> = {}, progress?: GenerateProgress): Promise<HistoryRow[]> {
  const o: HistoryGenOptions = { ...HISTORY_GEN_DEFAULTS, ...partial };
  validate(o);
  const rows: HistoryRow[] = [];
  const jobs = historyJobs(o);
  for (const [i, gen] of jobs.entries()) {
    rows.push(...(await observeJob(gen, i, o)));
    progress?.(i + 1, jobs.length);
  }
  return rows;
}

/**
 * One job's windows: one loop run per episode (a new deployment each), configurations from the recipe's mixture,
 * the tuner scripted. Exported for the held-out evaluation, which observes held-out jobs the same way.
 */
export async function observeJob(gen: Pick<GeneratedJob, 'run' | 'workload'>, index: number, o: HistoryGenOptions): Promise<HistoryRow[]> {
  const { job, workloadUnit } = gen.workload;
  const rng = new Rng(o.seed).fork(`history:${gen.run}`);
  const rows: HistoryRow[] = [];
  const episodes = Math.ceil(o.windows / o.episodeLength);
  const truth = new SimulatorEngine({ ...o.simulator, seed: o.seed }).groundTruth(job);
  for (let e = 0; e < episodes; e++) {
    const length = Math.min(o.episodeLength, o.windows - e * o.episodeLength);
    const rate = rng.uniform(o.rateRange[0], o.rateRange[1]) * workloadUnit;
    const oracle = truth.oracle(rate).parallelism;
    const g0 = startFactor(rng, o);
    const plan: Parallelism[] = [g0 === undefined ? uniformParallelism(job, 1) : sampleParallelism(job, oracle, g0, rng, o)];
    for (let k = 1; k < length; k++) {
      const gk = o.shrink >= 0 ? (g0 ?? o.lowRange[0]) * o.shrink ** k + (o.spread / 2) * rng.normal() : startFactor(rng, o);
      plan.push(gk === undefined ? uniformParallelism(job, 1) : sampleParallelism(job, oracle, gk, rng, o));
    }
    const engine = new SimulatorEngine({ ...o.simulator, seed: o.seed * 1_000_003 + index * 1009 + e });
    const recorder = new WindowSink(length);
    await driveLoop({
      run: gen.run,
      sweep: '',
      seed: o.seed,
      job,
      engine,
      tuner: scriptedTuner(plan),
      // Time for every planned window (warm-up, window, a rescale's downtime) and no more than a few spare windows.
      schedule: [{ rate, durationSec: length * (o.warmupSec + o.windowSec) + 60 }],
      loop: loopConfig.parse({ warmupSec: o.warmupSec, windowSec: o.windowSec, maxReconfigurations: Math.max(1, length), initialParallelism: plan[0], activation: 1 }),
      slo: SLO_DEFAULTS,
      sinks: [recorder],
    });
    await engine.close();
    for (const [k, w] of recorder.windows.entries()) {
      rows.push(
        ...historyRowsRounded({
          job,
          run: gen.run,
          seed: o.seed,
          episode: e,
          window: e * o.episodeLength + k,
          snapshot: w.snapshot,
          parallelism: w.parallelism,
          labelMetric: metricLabels(job, w.snapshot),
          ...(o.labels === 'groundTruth'
            ? { truth: { labels: truth.bottlenecks(w.parallelism, rate), demand: truth.demandedRates(rate), capacity: truth.capacities(w.parallelism) } }
            : {}),
        }),
      );
    }
  }
  return rows;
}

/** The history generator's tuner: the planned configurations in order (one per decided window), then keep. */
function scriptedTuner(plan: readonly Parallelism[]): Tuner {
  let k = 0;
  return {
    name: 'history-script',
    decide(view): Decision {
      k++;
      const next = plan[k];
      if (!next) return keep('history: episode planned to its end');
      const d = rescale(view.parallelism, next, `history: planned configuration ${k + 1} of ${plan.length}`);
      // The planned configuration is the one running: observe it again (a keep could end the episode early).
      return d.kind === 'keep' ? wait(`history: planned configuration ${k + 1} of ${plan.length} is running`) : d;
    },
  };
}

/** Records the first `limit` windows the tuner decided on (the planned ones; later ones are spare). */
class WindowSink implements LoopSink {
  readonly windows: WindowRecord[] = [];
  constructor(private readonly limit: number) {}
  window(w: WindowRecord): void {
    if (w.decision && this.windows.length < this.limit) this.windows.push(w);
  }
}

/** historyRows with numbers at 6 significant digits (the CSV stays small; the corpus in memory equals the file). */
function historyRowsRounded(w: Parameters<typeof historyRows>[0]): HistoryRow[] {
  return historyRows(w).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && Number.isFinite(v) ? Number(v.toPrecision(6)) : v])) as HistoryRow);
}

function validate(o: HistoryGenOptions): void {
  const int = (name: string, v: number, min: number) => {
    if (!(Number.isInteger(v) && v >= min)) throw new RangeError(`history: ${name} must be an integer >= ${min}, got ${v}`);
  };
  int('jobs', o.jobs, 1);
  int('windows', o.windows, 1);
  int('seed', o.seed, 0);
  int('episodeLength', o.episodeLength, 1);
  if (!(LABEL_RULES as readonly string[]).includes(o.labels)) throw new RangeError(`history: labels must be one of ${LABEL_RULES.join(', ')}, got '${o.labels}'`);
  if (!(o.nexmarkShare >= 0 && o.nexmarkShare <= 1)) throw new RangeError(`history: nexmarkShare must be in [0, 1], got ${o.nexmarkShare}`);
  if (!(o.rateRange[0] > 0 && o.rateRange[1] >= o.rateRange[0])) throw new RangeError(`history: rateRange must be 0 < lo <= hi, got [${o.rateRange.join(', ')}]`);
  int('syntheticFamilies', o.syntheticFamilies, 0);
  int('maxEdits', o.maxEdits, 0);
  if (!(o.costSpread >= 0 && o.costSpread <= 4)) throw new RangeError(`history: costSpread must be in [0, 4], got ${o.costSpread}`);
  if (!(o.minOperators >= 3 && o.maxOperators <= 40 && o.minOperators <= o.maxOperators))
    throw new RangeError(`history: operator range [${o.minOperators}, ${o.maxOperators}] must lie within [3, 40]`);
}

/**
 * Makes a corpus file from its name alone (history/corpus-name.ts), the generator's defaults for the rest: what
 * `npm run history` with those flags writes. The plan uses it for a pretrained set's history that is not on disk.
 */
export async function makeNamedCorpus(file: string, progress?: GenerateProgress): Promise<void> {
  const c = parseCorpusName(file);
  if (!c) throw new Error(`${file}: not a generated corpus name (j<jobs>-w<windows>-s<seed>-<labels>[-<profile>].csv)`);
  const rows = await generateHistory({ jobs: c.jobs, windows: c.windows, seed: c.seed, labels: c.labels, simulator: loadProfile(c.profile) }, progress);
  writeCsv(file, HISTORY_COLUMNS, rows);
}
