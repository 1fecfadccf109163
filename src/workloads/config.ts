/** The workload and rate-schedule sections of an experiment file (zod, every field documented and defaulted). */
import { z } from 'zod';
import { BOUNDS as B } from '../core/bounds.js';

/** The workload section: one entry per workload in registry.ts. */
export { workloadConfig, type WorkloadConfig } from './registry.js';

const rate = z.number().min(0).max(B.rateUnits);

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

export type RatesConfig = z.output<typeof ratesConfig>;
