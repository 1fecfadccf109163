/** The workload and rate-schedule sections of an experiment file (zod, every field documented and defaulted). */
import { z } from 'zod';
import { BOUNDS as B, MAX_PARALLELISM } from '../core/bounds.js';
import { NEXMARK_QUERIES } from './nexmark/templates.js';
import { SYNTHETIC_DEFAULTS as S } from './synthetic/generator.js';

const maxParallelism = (d: number) => z.int().min(1).max(B.parallelism).default(d).describe('Max parallelism of every operator (the slots available)');
const workloadUnit = z.number().positive().max(1e12).optional().describe('Override W_u (records/s at the sources): rates are multiples of it; scale it to the machine on a real engine');
const rate = z.number().min(0).max(B.rateUnits);

export const workloadConfig = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('nexmark'),
    query: z.enum(NEXMARK_QUERIES).describe('Nexmark query template'),
    calibrated: z.boolean().default(false).describe('Use the operator costs and selectivities measured on real Flink (datasets/calibration/costs/flink/<query>.json, `npm run calibrate`); W_u is then rescaled to the machine'),
    maxParallelism: maxParallelism(128),
    workloadUnit,
  }),
  z.strictObject({
    kind: z.literal('wordcount').describe("ContTune's WordCount: source, splitter, keyed counter"),
    calibrated: z.boolean().default(false).describe('Use datasets/calibration/costs/flink/wordcount.json costs when present'),
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

export type WorkloadConfig = z.output<typeof workloadConfig>;
export type RatesConfig = z.output<typeof ratesConfig>;
