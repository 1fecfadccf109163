/** The simulator passes the engine contract in both modes (per-operator parallelism and Timely's shared workers). */
import { SimulatorEngine } from '../../src/engines/simulator/simulator.js';
import { nexmark } from '../../src/workloads/nexmark/templates.js';
import { engineContract } from './engine-contract.js';

const q5 = nexmark('q5');
const ones = Object.fromEntries(q5.job.operatorIds.map((id) => [id, 1]));
const wider = { ...ones, bids: 3, hotCount: 4 };
for (const mode of ['flink', 'timely'] as const)
  engineContract({
    name: `simulator (${mode} mode)`,
    available: () => undefined,
    engine: async () => new SimulatorEngine({ mode, seed: 3 }),
    job: q5.job,
    parallelism: mode === 'timely' ? { ...ones, bids: 2 } : ones,
    rescaleTo: wider,
    rate: 0.5 * q5.workloadUnit,
    higherRate: 2 * q5.workloadUnit,
    windowSec: 10,
    warmupSec: 10,
  });
