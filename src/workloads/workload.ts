/** A workload: a job DAG plus its workload unit W_u (total source records/s), as ContTune defines it. */
import type { JobGraph } from '../core/job.js';

export interface Workload {
  readonly job: JobGraph;
  /** ContTune's workload unit: schedules are written in multiples of it (records/s at the sources). */
  readonly workloadUnit: number;
  /** Where the workload came from, for the results: 'nexmark:q5', 'synthetic:seed=3,ops=12'. */
  readonly description: string;
}
