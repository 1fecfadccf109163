/**
 * Configuration of the Timely Dataflow engine: the jobs/timely binary, built when missing or stale, run as one
 * process (or `processes` processes on loopback) per deployment.
 */
import { z } from 'zod';
import type { EngineCapabilities } from '../engine.js';

export const TIMELY_DEFAULTS = {
  parallelism: 'workers',
  cargo: 'cargo',
  processes: 1,
  logging: true,
  epochMs: 100,
  maxInFlightMs: 1000,
  flushMs: 100,
  waitFraction: 0.8,
  parkThresholdUs: 1000,
  keys: 1024,
  seed: 42,
  maxWorkers: 64,
  startTimeoutSec: 60,
  stopTimeoutSec: 10,
  workload: 'auto',
} as const;

const d = TIMELY_DEFAULTS;
export const timelyConfig = z.strictObject({
  kind: z.literal('timely'),
  parallelism: z
    .enum(['workers', 'placement'])
    .default(d.parallelism)
    .describe(
      "'workers': every operator runs on all W workers, W = the largest value of the parallelism vector (tuners reduce their answer to W; total parallelism is W); 'placement': operator v is confined to p_v of the W workers by its exchange function (W = max p_v unless 'workers' is set; total parallelism is the sum of p_v)",
    ),
  workers: z.number().int().min(1).optional().describe("'placement' mode: the worker count W (default: the largest p_v)"),
  maxWorkers: z.number().int().min(1).default(d.maxWorkers).describe('The most workers a deployment may get (a rescale beyond is granted up to it)'),
  processes: z.number().int().min(1).max(16).default(d.processes).describe('Timely processes per deployment, on loopback (-n, -p, --hosts); W is rounded up to a multiple of them (each runs W / processes worker threads)'),
  hosts: z
    .array(z.string().regex(/^[^\s,]+:\d+$/))
    .min(2)
    .optional()
    .describe("Multi-machine: one 'host:port' per process (timely's addresses); with 'launcher' each process is started on its host. Default: 'processes' processes on loopback ports"),
  launcher: z
    .array(z.string())
    .optional()
    .describe("Multi-machine: the command that runs a process on its host, '{host}' replaced by the host of 'hosts', e.g. [\"ssh\", \"-T\", \"{host}\"]; the binary's arguments are single-quoted for the remote shell. stdin is forwarded, so a closed connection stops the remote process"),
  remoteBinary: z.string().optional().describe("Multi-machine: the streamtune-timely binary's path on the hosts (default: this machine's path)"),
  binary: z.string().optional().describe('A prebuilt streamtune-timely binary to use instead of building jobs/timely'),
  jobsDir: z.string().optional().describe('The jobs/timely Cargo crate (default: the one in this repository)'),
  cargo: z.string().default(d.cargo).describe('cargo executable (builds the binary when missing or stale: cargo build --release --locked)'),
  logging: z.boolean().default(d.logging).describe("Register timely's logging (off only to measure its overhead: no operator metrics then)"),
  epochMs: z.number().int().min(1).max(10_000).default(d.epochMs).describe('Timestamp granularity in event-time ms (progress updates per second = 1000 / epochMs)'),
  maxInFlightMs: z.number().int().min(0).default(d.maxInFlightMs).describe("Flow control: a source waits while the job's output frontier is more than this far (event ms) behind it"),
  flushMs: z.number().int().min(1).default(d.flushMs).describe('How often a worker flushes its logging buffer (bounds metric staleness)'),
  waitFraction: z.number().min(0).max(1).default(d.waitFraction).describe('Synthetic jobs: share of an operator cost spent waiting (the worker sleeps) rather than spinning'),
  parkThresholdUs: z.number().positive().default(d.parkThresholdUs).describe('Synthetic jobs: a wait debt is paid by sleeping once it exceeds this many microseconds'),
  keys: z.number().int().min(1).default(d.keys).describe('Synthetic jobs: keys on a hash edge besides the hot key'),
  seed: z.number().int().default(d.seed).describe('Generator seed'),
  startTimeoutSec: z.number().positive().default(d.startTimeoutSec).describe('How long a start (spawn to every worker built) may take'),
  stopTimeoutSec: z.number().positive().default(d.stopTimeoutSec).describe('How long a process may take to exit before it is killed'),
  workload: z.enum(['auto', 'nexmark', 'synthetic']).default(d.workload).describe("'auto': a job named nexmark-qN runs the real Nexmark query, any other job runs as the synthetic job"),
});
export type TimelyConfig = z.infer<typeof timelyConfig>;
/** What the constructor takes: the config with every defaulted key optional ("kind" may be left out). */
export type TimelyEngineOptions = Partial<Omit<TimelyConfig, 'kind'>> & { kind?: 'timely' };

export function resolveTimelyConfig(options: TimelyEngineOptions | unknown = {}): TimelyConfig {
  const o = (options ?? {}) as Record<string, unknown>;
  return timelyConfig.parse({ ...o, kind: 'timely' });
}

/** No ground truth; one deployment at a time (two would share the cores); a rescale is a restart. */
export function timelyCapabilities(config: TimelyConfig): EngineCapabilities {
  return { groundTruth: false, parallelDeployments: false, inPlaceRescale: false, sharedWorkers: config.parallelism === 'workers' };
}
