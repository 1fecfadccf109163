/**
 * The Timely engine passes the engine contract in both parallelism modes: worker count (every operator on W
 * shared workers) and per-operator placement (an operator confined to p_v of the workers). Skipped where cargo
 * is missing (a failure under REQUIRE_ENGINES=1).
 */
import { cargoAvailable, TimelyEngine, trackedPids } from '../../src/engines/timely/index.js';
import { nexmark } from '../../src/workloads/nexmark/templates.js';
import { engineContract } from './engine-contract.js';

const q5 = nexmark('q5').job;
const ones = Object.fromEntries(q5.operatorIds.map((id) => [id, 1]));

for (const parallelism of ['workers', 'placement'] as const)
  engineContract({
    name: `timely (${parallelism} mode)`,
    available: () => (cargoAvailable() ? undefined : 'cargo cannot run (needed to build jobs/timely)'),
    engine: async () => new TimelyEngine({ parallelism }),
    job: q5,
    parallelism: parallelism === 'workers' ? { ...ones, bids: 2 } : ones,
    rescaleTo: { ...ones, bids: 2, hotCount: 3 },
    rate: 20_000,
    higherRate: 60_000,
    windowSec: 2,
    warmupSec: 1,
    leftovers: async () => trackedPids().map((pid) => `streamtune-timely pid ${pid}`),
  });
