/**
 * `npm run bench exchange`: one operator's exchange cost and capacity as its consumers grow from 1 to 128 at a
 * fixed total rate, under two profiles (BENCH_EXCHANGE_OLD, default flink-2core: the channel-linear model;
 * BENCH_EXCHANGE_NEW, default flink-2core-channels: the buffer model). Operator `a` (10 us per record, 4 instances)
 * hashes to `b` at p_down instances, 20,000 records/s in total, on an unbounded machine with no coordination or
 * per-subtask overhead (the exchange alone): the table of src/engines/simulator/README.md.
 */
import { JobGraph } from '../src/core/job.js';
import { capacity } from '../src/engines/simulator/model.js';
import { instanceBusy, timing, type PhysicsTerms } from '../src/engines/simulator/physics.js';
import { loadProfile } from '../src/engines/simulator/profile.js';
import type { BenchRow } from './simulator.js';

export async function benchExchange(): Promise<BenchRow[]> {
  const job = JobGraph.create({
    name: 'nexmark-x',
    operators: [
      { id: 'src', type: 'source', cost: 0, maxParallelism: 128 },
      { id: 'a', type: 'map', cost: 10, maxParallelism: 128 },
      { id: 'b', type: 'map', cost: 0, maxParallelism: 128 },
    ],
    edges: [
      { from: 'src', to: 'a', ship: 'rebalance' },
      { from: 'a', to: 'b', ship: 'hash' },
    ],
  });
  const alone = (t: PhysicsTerms): PhysicsTerms => ({ ...t, cores: null, coordinationOverhead: 0, cpuQueueing: false, subtaskOverheadMs: 0 });
  const oldName = process.env.BENCH_EXCHANGE_OLD ?? 'flink-2core';
  const newName = process.env.BENCH_EXCHANGE_NEW ?? 'flink-2core-channels';
  const old = alone(loadProfile(oldName));
  const neu = alone(loadProfile(newName));
  const pa = 4;
  const r = 20_000 / pa;
  const a = job.operator('a');
  return [1, 2, 4, 8, 16, 32, 64, 128].map((pd) => {
    const p = { src: 1, a: pa, b: pd };
    const xn = timing(job, a, p, neu);
    return {
      bench: `exchange: a (4 instances) -> b at ${pd}`,
      [`${oldName} us/record`]: (timing(job, a, p, old).cpu * 1e6 - a.cost).toFixed(2),
      [`${oldName} capacity/s`]: Math.round(capacity(job, a, pa, old, p)),
      [`${newName} us/record at 20,000/s`]: ((instanceBusy(xn, r) / r) * 1e6 - a.cost).toFixed(2),
      [`${newName} busy ms/s`]: (1000 * instanceBusy(xn, r)).toFixed(1),
      [`${newName} capacity/s`]: Math.round(capacity(job, a, pa, neu, p)),
    };
  });
}
