/**
 * The simulator's placement mode (Timely, each operator confined to p_v of the W workers) passes the engine
 * contract, as the real Timely engine's placement mode does (timely.contract.test.ts).
 */
import { SimulatorEngine } from '../../src/engines/simulator/simulator.js';
import { nexmark } from '../../src/workloads/nexmark/templates.js';
import { engineContract } from './engine-contract.js';

const q5 = nexmark('q5');
const ones = Object.fromEntries(q5.job.operatorIds.map((id) => [id, 1]));
engineContract({
  name: 'simulator (Timely mode, placement)',
  available: () => undefined,
  engine: async () => new SimulatorEngine({ mode: 'timely', parallelism: 'placement', seed: 3 }),
  job: q5.job,
  parallelism: { ...ones, hotCount: 2 },
  rescaleTo: { ...ones, bids: 2, hotCount: 4 },
  rate: 0.5 * q5.workloadUnit,
  higherRate: 2 * q5.workloadUnit,
  windowSec: 10,
  warmupSec: 10,
});
