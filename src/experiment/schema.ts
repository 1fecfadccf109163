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

export const workloadConfig = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('nexmark'),
    query: z.enum(NEXMARK_QUERIES).describe('Nexmark query template'),
    calibrated: z.boolean().default(false).describe('Use the operator costs and selectivities measured on real Flink (datasets/calibration/<query>.json, `npm run calibrate`); W_u is then rescaled to the machine'),
    maxParallelism: z.int().min(1).default(128).describe('Max parallelism of every operator (the slots available)'),
    workloadUnit: z.number().positive().optional().describe('Override W_u (records/s at the sources): rates are multiples of it; scale it to the machine on a real engine'),
  }),
  z.strictObject({
    kind: z.literal('wordcount').describe("ContTune's WordCount: source, splitter, keyed counter"),
    calibrated: z.boolean().default(false).describe('Use datasets/calibration/wordcount.json costs when present'),
    maxParallelism: z.int().min(1).default(128),
    workloadUnit: z.number().positive().optional().describe('Override W_u (records/s at the sources): rates are multiples of it; scale it to the machine on a real engine'),
  }),
  z.strictObject({
    kind: z.literal('synthetic'),
    seed: z.int().default(S.seed).describe('Seed of the DAG generator (independent of the run seeds)'),
    minOperators: z.int().min(3).max(40).default(S.minOperators),
    maxOperators: z.int().min(3).max(40).default(S.maxOperators),
    costRange: z.tuple([z.number().positive(), z.number().positive()]).default(S.costRange).describe('Per-record CPU cost range, microseconds'),
    maxKeySkew: z.number().min(0).max(1).default(S.maxKeySkew).describe('Largest hot-key share of keyed operators'),
    branchProbability: z.number().min(0).max(1).default(S.branchProbability),
    joinProbability: z.number().min(0).max(1).default(S.joinProbability),
    peakParallelism: z.number().positive().default(S.peakParallelism).describe('Instances the heaviest operator needs at 10 x W_u (sets W_u)'),
    maxParallelism: z.int().min(1).default(S.maxParallelism),
    workloadUnit: z.number().positive().optional().describe('Override W_u (records/s at the sources): rates are multiples of it; scale it to the machine on a real engine'),
  }),
]);

const duration = z.number().positive().default(900).describe('Longest an episode (rate phase) may run, seconds of engine time');
export const ratesConfig = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant'), rate: z.number().min(0).describe('Multiple of W_u'), durationSec: duration }),
  z.strictObject({ kind: z.literal('steps'), rates: z.array(z.number().min(0)).min(1).describe('Multiples of W_u'), durationSec: duration }),
  z.strictObject({
    kind: z.literal('permutation'),
    levels: z.int().min(1).default(10).describe('Rates 1..levels x W_u'),
    repeat: z.int().min(1).default(2).describe('Each permutation is played this many times (ContTune: twice)'),
    permutations: z.int().min(1).default(1).describe('Permutations per run, each drawn from the run seed'),
    durationSec: duration,
  }),
  z.strictObject({ kind: z.literal('square'), low: z.number().min(0), high: z.number().min(0), periods: z.int().min(1).default(2), durationSec: duration }),
  z.strictObject({
    kind: z.literal('sine'),
    low: z.number().min(0),
    high: z.number().min(0),
    steps: z.int().min(2).default(10).describe("Steps per period (Beam's SINE has 10)"),
    periods: z.int().min(1).default(1),
    durationSec: duration,
  }),
  z.strictObject({ kind: z.literal('trace'), file: z.string().describe('CSV with columns time (s), rate (records/s)'), durationSec: duration }),
]);

export const loopConfig = z.strictObject({
  warmupSec: z.number().min(0).default(30).describe('Ignored after a rescale or a rate change, seconds (DS2: 2 epochs)'),
  windowSec: z.number().positive().default(10).describe('Observation window, seconds (DS2 epoch)'),
  policyIntervalSec: z.number().positive().optional().describe('Time between decisions; defaults to the window'),
  activation: z.int().min(1).default(1).describe('Evaluations since the last rescale before a decision is acted on (DS2 activation_time)'),
  maxReconfigurations: z.int().min(1).default(10).describe('Cap on reconfigurations per episode'),
  settleSec: z
    .number()
    .min(0)
    .default(60)
    .describe('After the tuner keeps, go on observing and deciding this long before the next rate phase: a later rescale counts, and the final metrics come from a settled window'),
  initialParallelism: z.union([z.int().min(1), z.record(z.string(), z.int().min(1))]).default(1).describe('Parallelism at deploy: one value for all operators, or per operator'),
  carryOver: z.boolean().default(true).describe('Start each episode from the previous episode\'s parallelism (false: redeploy at the initial one)'),
});

export const outputsConfig = z.strictObject({
  dir: z.string().default('results').describe('Parent folder of results/<name>/<run-id>/'),
  charts: z.boolean().default(true).describe('Write Vega-Lite specs with SVG and PNG renderings'),
  png: z.boolean().default(true).describe('Also render PNGs'),
  history: z.boolean().default(true).describe('Write history.csv (per-operator windows for StreamTune pre-training)'),
});

const tunerShape = Object.fromEntries(
  Object.entries(TUNERS).map(([name, t]) => [name, t.options.optional().describe(t.doc)]),
) as unknown as { [K in keyof typeof TUNERS]: z.ZodOptional<(typeof TUNERS)[K]['options']> };

export const experimentConfig = z.strictObject({
  $schema: z.string().optional().describe('Path of the JSON Schema, for editors'),
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ., _ or -').describe('Names the results folder'),
  description: z.string().optional(),
  engine: engineConfig.default({ kind: 'simulator' } as never).describe(`Engine: ${ENGINE_KINDS.join(', ')}`),
  workload: workloadConfig,
  rates: ratesConfig,
  tuners: z.strictObject(tunerShape).describe('Tuners to compare, each with its options'),
  seeds: z.array(z.int()).min(1).default([1]).describe('One run per tuner and seed'),
  loop: loopConfig.prefault({}),
  outputs: outputsConfig.prefault({}),
  sweep: z
    .record(z.string(), z.array(z.unknown()).min(1))
    .default({})
    .describe('Grid over config keys by dotted path, e.g. {"tuners.ds2.overProvisioning": [0, 0.1]}'),
  jobs: z.int().min(1).optional().describe('Runs in parallel (worker threads); default: the number of cores'),
});

export type ExperimentInput = z.input<typeof experimentConfig>;
export type Experiment = z.output<typeof experimentConfig>;
export type WorkloadConfig = z.output<typeof workloadConfig>;
export type RatesConfig = z.output<typeof ratesConfig>;
export type LoopConfig = z.output<typeof loopConfig>;
export type { TunerName } from '../tuners/registry.js';

export function experimentJsonSchema(): unknown {
  return z.toJSONSchema(experimentConfig, { io: 'input', unrepresentable: 'any' });
}
