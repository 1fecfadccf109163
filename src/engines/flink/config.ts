/**
 * Configuration of the Flink engine. Local mode (no `rest`): the engine builds jobs/flink if needed, starts one
 * MiniCluster JVM per deployment and kills it on stop. Remote mode (`rest` set): the engine drives an existing
 * cluster over REST (jar upload + run, metrics, rescale); the cluster must reach the engine's rate endpoint.
 */
import { z } from 'zod';
import type { EngineCapabilities } from '../engine.js';

export const FLINK_DEFAULTS = {
  slots: 32,
  javaOptions: ['-Xmx1536m', '-XX:MaxDirectMemorySize=768m', '-XX:+UseParallelGC'],
  java: 'java',
  mvn: 'mvn',
  checkpointIntervalMs: 1000,
  metricsIntervalMs: 500,
  rescaleMode: 'auto',
  rescaleTimeoutSec: 120,
  startTimeoutSec: 120,
  recoveryTimeoutSec: 60,
  waitFraction: 0.8,
  splits: 32,
  maxParallelism: 128,
  keys: 1024,
  seed: 42,
  rateHost: '127.0.0.1',
  restTimeoutMs: 10_000,
  restRetries: 4,
  restBackoffMs: 250,
  workload: 'auto',
} as const;

const d = FLINK_DEFAULTS;
export const flinkConfig = z.strictObject({
  kind: z.literal('flink'),
  rest: z.string().url().optional().describe('REST URL of an existing cluster (remote mode); omit to start a local MiniCluster per deployment'),
  jobsDir: z.string().optional().describe('The jobs/flink Maven module (default: the one in this repository)'),
  jar: z.string().optional().describe('A prebuilt job jar to use instead of building jobs/flink (remote mode)'),
  slots: z.number().int().min(1).default(d.slots).describe('Task slots of the local MiniCluster: the largest parallelism any operator can get'),
  javaOptions: z.array(z.string()).default([...d.javaOptions]).describe('JVM options of the local launcher'),
  java: z.string().default(d.java).describe('java executable'),
  mvn: z.string().default(d.mvn).describe('mvn executable (builds the job jar when missing or stale)'),
  checkpointIntervalMs: z.number().int().positive().default(d.checkpointIntervalMs).describe('Checkpoint interval (an in-place rescale waits for the next checkpoint)'),
  metricsIntervalMs: z.number().int().positive().default(d.metricsIntervalMs).describe('metrics.fetcher.update-interval of the local cluster'),
  rescaleMode: z.enum(['auto', 'inPlace', 'savepoint']).default(d.rescaleMode).describe("'inPlace': PUT resource-requirements (adaptive scheduler); 'savepoint': stop with savepoint and resubmit; 'auto': in place when the cluster runs the adaptive scheduler"),
  rescaleTimeoutSec: z.number().positive().default(d.rescaleTimeoutSec).describe('How long a rescale may take before it is reported as not taking effect'),
  startTimeoutSec: z.number().positive().default(d.startTimeoutSec).describe('How long JVM start plus job start may take'),
  recoveryTimeoutSec: z
    .number()
    .positive()
    .default(d.recoveryTimeoutSec)
    .describe('How long the job may be down (failing over, waiting for slots, JobManager not answering) before the run fails'),
  waitFraction: z.number().min(0).max(1).default(d.waitFraction).describe('Synthetic jobs: share of an operator cost spent waiting (parked) rather than spinning'),
  splits: z.number().int().min(1).default(d.splits).describe('Source splits: the most source subtasks that get work'),
  maxParallelism: z.number().int().min(1).default(d.maxParallelism).describe("Flink's max parallelism (key groups) of the job"),
  keys: z.number().int().min(1).default(d.keys).describe('Synthetic jobs: keys on a hash edge besides the hot key'),
  seed: z.number().int().default(d.seed).describe('Generator seed'),
  rateHost: z.string().default(d.rateHost).describe('Address the rate endpoint binds to (the sources poll it)'),
  rateAdvertise: z.string().optional().describe('Base URL the cluster uses to reach the rate endpoint (default http://<rateHost>:<port>)'),
  savepointDir: z.string().optional().describe("Savepoint target directory (default: the cluster's execution.checkpointing.savepoint-dir)"),
  stateDir: z.string().optional().describe('Local mode: where checkpoints, savepoints and launcher logs go (default: a fresh temp folder)'),
  restTimeoutMs: z.number().int().positive().default(d.restTimeoutMs).describe('Timeout of one REST call'),
  restRetries: z.number().int().min(0).default(d.restRetries).describe('Retries of a REST call that timed out or got a 5xx'),
  restBackoffMs: z.number().int().min(0).default(d.restBackoffMs).describe('First retry delay (doubles each retry)'),
  workload: z.enum(['auto', 'nexmark', 'synthetic']).default(d.workload).describe("'auto': a job named nexmark-qN runs the real Nexmark query, any other job runs as the synthetic job"),
});
export type FlinkConfig = z.infer<typeof flinkConfig>;
/** What the constructor takes: the config with every defaulted key optional ("kind" may be left out). */
export type FlinkEngineOptions = Partial<Omit<FlinkConfig, 'kind'>> & { kind?: 'flink' };

export function resolveFlinkConfig(options: FlinkEngineOptions | unknown = {}): FlinkConfig {
  const o = (options ?? {}) as Record<string, unknown>;
  return flinkConfig.parse({ ...o, kind: 'flink' });
}

/** No ground truth; one deployment at a time (a JVM per run on 2 cores would disturb the measurements). */
export function flinkCapabilities(config: FlinkConfig): EngineCapabilities {
  return { groundTruth: false, parallelDeployments: false, inPlaceRescale: config.rescaleMode !== 'savepoint', sharedWorkers: false };
}
