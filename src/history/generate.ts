/**
 * The history generator (streamtune.md §4 "Generating history"): no production history is available, so a
 * pre-training corpus is made on the simulator. Jobs are random synthetic DAGs (src/workloads/synthetic) and
 * Nexmark templates; each job is observed at `windows` random (parallelism, rate) points, every window from a fresh
 * deployment (no backlog carried over), and written with historyRows() in the format experiment runs write as
 * history.csv.
 *
 * Where the points lie: each job's windows come in episodes of `episodeLength` windows at one rate, uniform in
 * [rateRange] x W_u, the way a past tuning session visits a few configurations at one rate. An episode starts from
 * a fresh deployment at a configuration around the simulator's minimal sustaining parallelism (the oracle):
 * p_v = round(oracle_v x 2^(g + e_v)), e_v ~ N(0, spread / 2) per operator, with the log2-factor g drawn from a
 * mixture: N(0, spread) (near the answer), U(lowRange) (far under-provisioned, as a job deployed at a default
 * parallelism is), or every operator at 1 (share `onesShare`). Each later window of the episode rescales the running
 * deployment (its backlog is carried over, so the catch-up after a rescale is in the corpus as well) to a
 * configuration whose factor shrinks towards the answer, g_k = g_0 x shrink^k + N(0, spread / 2). An operator's
 * parallelism is drawn uniformly in [1, 2 oracle_v + 2] instead with probability `uniformShare`.
 * The oracle only places the samples; the labels come from the metrics (and, with labels 'groundTruth', the
 * simulator's own demand/capacity columns are filled in as well).
 */
import type { JobGraph } from '../core/job.js';
import { clampParallelism, uniformParallelism, type Parallelism } from '../core/parallelism.js';
import { Rng } from '../core/random.js';
import type { Deployment } from '../engines/engine.js';
import { SimulatorEngine, type SimulatorOptions } from '../engines/simulator/simulator.js';
import { NEXMARK_QUERIES, nexmark, type NexmarkQuery } from '../workloads/nexmark/templates.js';
import { syntheticJob } from '../workloads/synthetic/generator.js';
import type { Workload } from '../workloads/workload.js';
import { LABEL_RULES, metricLabels, type LabelRule } from './labels.js';
import { historyRows, type HistoryRow } from './record.js';

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
  /** Share of the jobs that are Nexmark templates (the rest are synthetic). */
  nexmarkShare: number;
  /** Nexmark templates to draw from (cycled). */
  queries: readonly NexmarkQuery[];
  /** Operator count range of the synthetic jobs. */
  minOperators: number;
  maxOperators: number;
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

export const HISTORY_GEN_DEFAULTS: HistoryGenOptions = {
  jobs: 40,
  windows: 20,
  seed: 1,
  labels: 'metric',
  nexmarkShare: 1 / 3,
  queries: NEXMARK_QUERIES,
  minOperators: 4,
  maxOperators: 16,
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
}

/** The corpus's jobs: every 1/nexmarkShare-th a Nexmark template (cycled), the others seeded synthetic DAGs. */
export function historyJobs(o: HistoryGenOptions): GeneratedJob[] {
  const rng = new Rng(o.seed).fork('history-jobs');
  const out: GeneratedJob[] = [];
  const every = o.nexmarkShare > 0 ? Math.max(1, Math.round(1 / o.nexmarkShare)) : Infinity;
  let q = 0;
  for (let i = 0; i < o.jobs; i++) {
    const run = `gen-${o.seed}-${i}`;
    if (o.queries.length > 0 && i % every === 0) {
      const query = o.queries[q++ % o.queries.length] as NexmarkQuery;
      out.push({ run, workload: nexmark(query), kind: 'nexmark' });
    } else {
      // Drawn (neighbouring generator seeds give similar first draws), and far from the small seeds the experiment
      // configs use, so a tuned job is never in its own history.
      const seed = rng.int(100_000, 2_000_000_000);
      out.push({ run, workload: syntheticJob({ seed, minOperators: o.minOperators, maxOperators: o.maxOperators, joinProbability: rng.uniform(0.1, 0.4) }), kind: 'synthetic' });
    }
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
    const { job, workloadUnit } = gen.workload;
    const engine = new SimulatorEngine({ ...o.simulator, seed: o.seed * 1_000_003 + i });
    const truth = engine.groundTruth(job);
    const rng = new Rng(o.seed).fork(`history:${gen.run}`);
    let deployment: Deployment | undefined;
    let rate = 0;
    let g0: number | undefined;
    let oracle: Parallelism = {};
    try {
      for (let w = 0; w < o.windows; w++) {
        const k = w % o.episodeLength;
        let p: Parallelism;
        if (k === 0) {
          await deployment?.stop();
          rate = rng.uniform(o.rateRange[0], o.rateRange[1]) * workloadUnit;
          oracle = truth.oracle(rate).parallelism;
          g0 = startFactor(rng, o);
          p = g0 === undefined ? uniformParallelism(job, 1) : sampleParallelism(job, oracle, g0, rng, o);
          deployment = await engine.deploy(job, p, rate);
        } else {
          const gk = o.shrink >= 0 ? (g0 ?? o.lowRange[0]) * o.shrink ** k + (o.spread / 2) * rng.normal() : startFactor(rng, o);
          p = gk === undefined ? uniformParallelism(job, 1) : sampleParallelism(job, oracle, gk, rng, o);
          await (deployment as Deployment).rescale(p);
        }
        const d = deployment as Deployment;
        await d.advance(o.warmupSec);
        const snapshot = await d.observe(o.windowSec);
        rows.push(
          ...historyRowsRounded({
            job,
            run: gen.run,
            seed: o.seed,
            episode: Math.floor(w / o.episodeLength),
            window: w,
            snapshot,
            parallelism: d.parallelism,
            labelMetric: metricLabels(job, snapshot),
            ...(o.labels === 'groundTruth'
              ? { truth: { labels: truth.bottlenecks(d.parallelism, rate), demand: truth.demandedRates(rate), capacity: truth.capacities(d.parallelism) } }
              : {}),
          }),
        );
      }
    } finally {
      await deployment?.stop();
    }
    await engine.close();
    progress?.(i + 1, jobs.length);
  }
  return rows;
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
  if (!(o.minOperators >= 3 && o.maxOperators <= 40 && o.minOperators <= o.maxOperators))
    throw new RangeError(`history: operator range [${o.minOperators}, ${o.maxOperators}] must lie within [3, 40]`);
}
