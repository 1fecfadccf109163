/**
 * The experiment file: types with documented defaults (declared once, here) -> JSON Schema
 * (schema/experiment.schema.json, `npm run schema`) -> validated at load, unknown keys rejected.
 */
import { z } from 'zod';
import { ENGINE_KINDS, engineConfig } from '../engines/registry.js';
import { NEXMARK_QUERIES } from '../workloads/nexmark/templates.js';
import { SYNTHETIC_DEFAULTS } from '../workloads/synthetic/generator.js';
import { TUNERS } from '../tuners/registry.js';

const S = SYNTHETIC_DEFAULTS;

/**
 * Bounds on work: every numeric key has a range a real experiment can need (the work estimate in estimate.ts
 * bounds their product). Widen a bound here when an experiment needs more; `--allow-large` lifts the estimate's.
 */
export const BOUNDS = {
  /** Flink's largest max parallelism (key groups). */
  parallelism: 32_768,
  /** Seconds of engine time: one episode, a window, a warm-up. */
  episodeSec: 7 * 86_400,
  windowSec: 3_600,
  /** Rate as a multiple of W_u. */
  rateUnits: 10_000,
  /** Phases a schedule shape may list or generate. */
  phases: 10_000,
  levels: 1_000,
  repeat: 100,
  seeds: 1_000,
  sweepValues: 1_000,
  reconfigurations: 1_000,
  jobs: 256,
  /** Longest name: one path segment, well under the 255 bytes of common filesystems. */
  nameLength: 100,
  pathLength: 4_096,
  textLength: 10_000,
} as const;
const B = BOUNDS;
export const MAX_PARALLELISM = B.parallelism;

const maxParallelism = (d: number) => z.int().min(1).max(B.parallelism).default(d).describe('Max parallelism of every operator (the slots available)');
const workloadUnit = z.number().positive().max(1e12).optional().describe('Override W_u (records/s at the sources): rates are multiples of it; scale it to the machine on a real engine');
const rate = z.number().min(0).max(B.rateUnits);

export const workloadConfig = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('nexmark'),
    query: z.enum(NEXMARK_QUERIES).describe('Nexmark query template'),
    calibrated: z.boolean().default(false).describe('Use the operator costs and selectivities measured on real Flink (datasets/calibration/<query>.json, `npm run calibrate`); W_u is then rescaled to the machine'),
    maxParallelism: maxParallelism(128),
    workloadUnit,
  }),
  z.strictObject({
    kind: z.literal('wordcount').describe("ContTune's WordCount: source, splitter, keyed counter"),
    calibrated: z.boolean().default(false).describe('Use datasets/calibration/wordcount.json costs when present'),
    maxParallelism: maxParallelism(128),
    workloadUnit,
  }),
  z.strictObject({
    kind: z.literal('synthetic'),
    seed: z.int().default(S.seed).describe('Seed of the DAG generator (independent of the run seeds)'),
    minOperators: z.int().min(3).max(40).default(S.minOperators),
    maxOperators: z.int().min(3).max(40).default(S.maxOperators).describe('At least minOperators'),
    costRange: z.tuple([z.number().positive().max(1e6), z.number().positive().max(1e6)]).default(S.costRange).describe('Per-record CPU cost range [low, high], microseconds'),
    maxKeySkew: z.number().min(0).max(1).default(S.maxKeySkew).describe('Largest hot-key share of keyed operators'),
    branchProbability: z.number().min(0).max(1).default(S.branchProbability),
    joinProbability: z.number().min(0).max(1).default(S.joinProbability),
    peakParallelism: z.number().positive().max(MAX_PARALLELISM).default(S.peakParallelism).describe('Instances the heaviest operator needs at 10 x W_u (sets W_u)'),
    maxParallelism: maxParallelism(S.maxParallelism),
    workloadUnit,
  }),
]);

const duration = z.number().positive().max(B.episodeSec).default(900).describe('Longest an episode (rate phase) may run, seconds of engine time');
export const ratesConfig = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant'), rate: rate.describe('Multiple of W_u'), durationSec: duration }),
  z.strictObject({ kind: z.literal('steps'), rates: z.array(rate).min(1).max(B.phases).describe('Multiples of W_u'), durationSec: duration }),
  z.strictObject({
    kind: z.literal('permutation'),
    levels: z.int().min(1).max(B.levels).default(10).describe('Rates 1..levels x W_u'),
    repeat: z.int().min(1).max(B.repeat).default(2).describe('Each permutation is played this many times (ContTune: twice)'),
    permutations: z.int().min(1).max(B.repeat).default(1).describe('Permutations per run, each drawn from the run seed'),
    durationSec: duration,
  }),
  z.strictObject({ kind: z.literal('square'), low: rate, high: rate, periods: z.int().min(1).max(B.phases / 2).default(2), durationSec: duration }),
  z.strictObject({
    kind: z.literal('sine'),
    low: rate,
    high: rate,
    steps: z.int().min(2).max(B.levels).default(10).describe("Steps per period (Beam's SINE has 10)"),
    periods: z.int().min(1).max(B.levels).default(1),
    durationSec: duration,
  }),
  z.strictObject({ kind: z.literal('trace'), file: z.string().min(1).max(B.pathLength).describe('CSV with columns time (s), rate (records/s); relative to the config file\'s folder, else the current folder'), durationSec: duration }),
]);

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

export const measuredOracleConfig = z.strictObject({
  budget: z.int().min(1).max(B.reconfigurations).default(40).describe('Probes per rate at most (each one SLO check of one configuration), repetitions included'),
  repetitions: z.int().min(1).max(B.repeat).default(3).describe('Runs of each configuration at the boundary (the result and its failing neighbours one below); elsewhere one run'),
  aggregation: z.enum(['all', 'majority']).default('majority').describe("How the runs of a configuration aggregate: 'all' must pass, or more than half ('majority')"),
  probeSec: z.number().positive().max(B.episodeSec).optional().describe('Seconds one probe observes after its warm-up; default: slo.holdSec plus two decision intervals'),
});

export const outputsConfig = z.strictObject({
  dir: z.string().min(1).max(B.pathLength).default('results').describe('Parent folder of results/<name>/<run-id>/'),
  charts: z.boolean().default(true).describe('Write Vega-Lite specs with SVG and PNG renderings'),
  png: z.boolean().default(true).describe('Also render PNGs'),
  history: z.boolean().default(true).describe('Write history.csv (per-operator windows for StreamTune pre-training)'),
});

const tunerShape = Object.fromEntries(
  Object.entries(TUNERS).map(([name, t]) => [name, t.options.optional().describe(t.doc)]),
) as unknown as { [K in keyof typeof TUNERS]: z.ZodOptional<(typeof TUNERS)[K]['options']> };

export const experimentConfig = z.strictObject({
  $schema: z.string().max(B.pathLength).optional().describe('Path of the JSON Schema, for editors'),
  name: z
    .string()
    .max(B.nameLength)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'one folder name: a letter or digit, then letters, digits, ., _ or -')
    .describe(`Names the results folder (one path segment, at most ${B.nameLength} characters)`),
  description: z.string().max(B.textLength).optional(),
  engine: engineConfig.default({ kind: 'simulator' } as never).describe(`Engine: ${ENGINE_KINDS.join(', ')}`),
  workload: workloadConfig,
  rates: ratesConfig,
  tuners: z.strictObject(tunerShape).describe('Tuners to compare, each with its options'),
  seeds: z
    .array(z.int().min(-(2 ** 31)).max(2 ** 32 - 1))
    .min(1)
    .max(B.seeds)
    .default([1])
    .superRefine(noDuplicates)
    .describe('One run per tuner and seed; no seed twice'),
  loop: loopConfig.prefault({}),
  slo: sloConfig.prefault({}).describe('The service-level objective every episode is judged by (the same for every tuner)'),
  measuredOracle: measuredOracleConfig
    .prefault({})
    .describe('The measured oracle on an engine without ground truth (`npm run oracle`): the smallest total parallelism found that passes the SLO at each rate, by a search of SLO checks'),
  outputs: outputsConfig.prefault({}),
  sweep: z
    .record(z.string().max(B.pathLength), z.array(z.unknown()).min(1).max(B.sweepValues))
    .default({})
    .describe('Grid over config keys by dotted path, e.g. {"tuners.ds2.overProvisioning": [0, 0.1]}'),
  jobs: z.int().min(1).max(B.jobs).optional().describe('Runs in parallel (worker threads); default: the number of cores'),
});

function noDuplicates(xs: readonly unknown[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  xs.forEach((x, i) => {
    const k = JSON.stringify(x);
    if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate value ${k} (each may appear once)` });
    seen.add(k);
  });
}

export type ExperimentInput = z.input<typeof experimentConfig>;
export type Experiment = z.output<typeof experimentConfig>;
export type WorkloadConfig = z.output<typeof workloadConfig>;
export type RatesConfig = z.output<typeof ratesConfig>;
export type LoopConfig = z.output<typeof loopConfig>;
export type SloConfig = z.output<typeof sloConfig>;
export type MeasuredOracleConfig = z.output<typeof measuredOracleConfig>;
/** The documented defaults (for code that builds a loop without a config file: tests, benches, generators). */
export const SLO_DEFAULTS: SloConfig = sloConfig.parse({});
export type { TunerName } from '../tuners/registry.js';

/** The committed file's exact text (`npm run schema` writes it; a test checks it is not stale). */
export function experimentJsonSchemaText(): string {
  return `${JSON.stringify(experimentJsonSchema(), null, 2)}\n`;
}

export function experimentJsonSchema(): unknown {
  return z.toJSONSchema(experimentConfig, { io: 'input', unrepresentable: 'any' });
}
