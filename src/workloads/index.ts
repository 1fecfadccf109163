import { nexmark } from './nexmark/templates.js';
import { syntheticJob } from './synthetic/generator.js';
import type { Workload } from './workload.js';
import type { WorkloadConfig } from './config.js';

export type { Workload } from './workload.js';

/** Builds the workload a config names. */
export function buildWorkload(c: WorkloadConfig): Workload {
  const unit = c.workloadUnit !== undefined ? { workloadUnit: c.workloadUnit } : {};
  if (c.kind === 'nexmark' || c.kind === 'wordcount')
    return nexmark(c.kind === 'nexmark' ? c.query : 'wordcount', { maxParallelism: c.maxParallelism, ...unit, ...(c.calibrated ? {} : { calibration: null }) });
  const { kind: _kind, workloadUnit: _unit, ...options } = c;
  const w = syntheticJob(options);
  return c.workloadUnit !== undefined ? { ...w, workloadUnit: c.workloadUnit } : w;
}
