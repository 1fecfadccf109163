/** Which Flink job runs a harness job, and the program arguments of JobMain that run it. */
import { engineWorkload, NEXMARK_ON_REAL_ENGINES, type EngineWorkload } from '../shared/workload.js';
import type { JobGraph } from '../../core/job.js';
import type { Parallelism } from '../../core/parallelism.js';
import type { FlinkConfig } from './config.js';

/** Operator ids of the Nexmark queries the Flink job implements (the same on both real engines). */
export const NEXMARK_ON_FLINK = NEXMARK_ON_REAL_ENGINES;

export type FlinkWorkload = EngineWorkload;

/** Which Flink job runs a harness job: the real Nexmark query for a job named nexmark-qN, else the synthetic job. */
export function workloadOf(job: JobGraph, mode: FlinkConfig['workload'] = 'auto'): FlinkWorkload {
  return engineWorkload('Flink', NEXMARK_ON_FLINK, job, mode);
}

/** Program arguments of JobMain for a job, parallelism and rate. */
export function jobArguments(job: JobGraph, parallelism: Parallelism, rate: number, rateUrl: string | undefined, cfg: FlinkConfig, jobName = job.name): string[] {
  const w = workloadOf(job, cfg.workload);
  const maxP = Math.max(cfg.maxParallelism, ...Object.values(parallelism));
  const args =
    w.kind === 'nexmark'
      ? ['--job', 'nexmark', '--query', w.query]
      : ['--job', 'synthetic', '--spec', JSON.stringify(job.toSpec()), '--wait-fraction', String(cfg.waitFraction), '--keys', String(cfg.keys)];
  args.push(
    '--name',
    jobName,
    '--parallelism',
    JSON.stringify(parallelism),
    '--rate',
    String(rate),
    '--splits',
    String(cfg.splits),
    '--checkpoint-interval-ms',
    String(cfg.checkpointIntervalMs),
    '--max-parallelism',
    String(maxP),
    '--seed',
    String(cfg.seed),
  );
  if (rateUrl) args.push('--rate-url', rateUrl);
  return args;
}
