import { nexmark } from './nexmark/templates.js';
import { syntheticJob } from './synthetic/generator.js';
import type { Workload } from './workload.js';
import type { WorkloadConfig } from '../experiment/schema.js';

export type { Workload } from './workload.js';

/** Builds the workload a config names. */
export function buildWorkload(c: WorkloadConfig): Workload {
  if (c.kind === 'nexmark') return nexmark(c.query, { maxParallelism: c.maxParallelism, ...(c.calibrated ? {} : { calibration: null }) });
  const { kind: _kind, ...options } = c;
  return syntheticJob(options);
}
