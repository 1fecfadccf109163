export type { Workload } from './workload.js';
export { buildWorkload, workloadLabel, workloadProblem, workloadTitle, WORKLOADS, type WorkloadKind } from './registry.js';
