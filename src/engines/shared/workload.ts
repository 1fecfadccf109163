/** Which real job runs a harness job on an engine: the engine's own Nexmark query, or the synthetic job. */
import type { JobGraph } from '../../core/job.js';

/**
 * Operator ids of the Nexmark queries the real jobs implement, the same on Flink (jobs/flink .../nexmark/Queries.java)
 * and Timely (jobs/timely/src/plan.rs): the ids of src/workloads/nexmark.
 */
export const NEXMARK_ON_REAL_ENGINES: Readonly<Record<string, readonly string[]>> = {
  q0: ['source', 'bids', 'project', 'sink'],
  q1: ['source', 'bids', 'currency', 'sink'],
  q2: ['source', 'select', 'project', 'sink'],
  q3: ['source', 'persons', 'auctions', 'join', 'sink'],
  q4: ['source', 'bids', 'auctions', 'winningBid', 'average', 'sink'],
  q5: ['source', 'bids', 'hotCount', 'maxCount', 'sink'],
  q6: ['source', 'bids', 'auctions', 'winningBid', 'sellerAvg', 'sink'],
  q7: ['source', 'bids', 'preMax', 'globalMax', 'sink'],
  q8: ['source', 'persons', 'auctions', 'join', 'sink'],
  q11: ['source', 'bids', 'sessions', 'sink'],
};

export type EngineWorkload = { kind: 'nexmark'; query: string } | { kind: 'synthetic' };

/**
 * A job named nexmark-qN runs the engine's real query N when the engine has it (its operators must match), else
 * the synthetic job runs the DAG. mode 'nexmark' insists on the query, 'synthetic' always runs the DAG.
 */
export function engineWorkload(
  engine: string,
  queries: Readonly<Record<string, readonly string[]>>,
  job: JobGraph,
  mode: 'auto' | 'nexmark' | 'synthetic' = 'auto',
): EngineWorkload {
  if (mode === 'synthetic') return { kind: 'synthetic' };
  const m = /^(?:nexmark[-_:])?(q\d+)$/.exec(job.name);
  const query = m?.[1];
  if (query === undefined || (mode === 'auto' && !job.name.startsWith('nexmark'))) {
    if (mode === 'nexmark') throw new Error(`job '${job.name}' is not a Nexmark query (expected a name like nexmark-q5)`);
    return { kind: 'synthetic' };
  }
  const ops = queries[query];
  if (!ops)
    throw new Error(
      `Nexmark ${query} is not implemented on ${engine} (have ${Object.keys(queries).join(', ')}); set workload: 'synthetic' to run its DAG as a synthetic job`,
    );
  const have = [...job.operatorIds].sort().join(',');
  const want = [...ops].sort().join(',');
  if (have !== want) throw new Error(`job '${job.name}' has operators ${have}, but the ${engine} ${query} has ${want}`);
  return { kind: 'nexmark', query };
}
