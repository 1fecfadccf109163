/** The measured oracle's section of an experiment file (`measuredOracle`), and what a search reads of a config. */
import { z } from 'zod';
import { BOUNDS as B } from '../core/bounds.js';
import type { EngineConfig } from '../engines/registry.js';
import type { LoopConfig, SloConfig } from '../loop/config.js';
import type { RatesConfig, WorkloadConfig } from '../workloads/config.js';

export const measuredOracleConfig = z.strictObject({
  budget: z.int().min(1).max(B.reconfigurations).default(40).describe('Probes per rate at most (each one SLO check of one configuration), repetitions included'),
  repetitions: z.int().min(1).max(B.repeat).default(3).describe('Runs of each configuration at the boundary (the result and its failing neighbours one below); elsewhere one run'),
  aggregation: z.enum(['all', 'majority']).default('majority').describe("How the runs of a configuration aggregate: 'all' must pass, or more than half ('majority')"),
  probeSec: z.number().positive().max(B.episodeSec).optional().describe('Seconds one probe observes after its warm-up; default: slo.holdSec plus two decision intervals'),
});
export type MeasuredOracleConfig = z.output<typeof measuredOracleConfig>;

/** What the search reads of an experiment (one sweep point): an Experiment is one. */
export interface OracleSetting {
  readonly engine: EngineConfig;
  readonly workload: WorkloadConfig;
  readonly rates: RatesConfig;
  readonly seeds: readonly number[];
  readonly loop: LoopConfig;
  readonly slo: SloConfig;
  readonly measuredOracle: MeasuredOracleConfig;
  readonly outputs: { readonly dir: string };
}
