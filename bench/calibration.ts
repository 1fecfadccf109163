/**
 * Simulated vs real busy ratios of Nexmark q5's operators after calibration, at two parallelisms and one rate
 * (needs Java and Maven; run `npm run calibrate -- --query q5` first).
 */
import { FlinkEngine } from '../src/engines/flink/index.js';
import { SimulatorEngine } from '../src/engines/simulator/simulator.js';
import { nexmark } from '../src/workloads/nexmark/templates.js';
import type { Parallelism } from '../src/core/parallelism.js';
import type { BenchRow } from './simulator.js';

export async function benchCalibration(rate = 12_000): Promise<BenchRow[]> {
  const w = nexmark('q5');
  if (!w.description.includes('calibrated')) return [{ bench: 'calibration', note: 'no datasets/calibration/costs/flink/q5.json: run npm run calibrate -- --query q5' }];
  const sim = new SimulatorEngine({ noise: 0 });
  const flink = new FlinkEngine({});
  const rows: BenchRow[] = [];
  const configs: Parallelism[] = [
    { source: 1, bids: 1, hotCount: 1, maxCount: 1, sink: 1 },
    { source: 1, bids: 2, hotCount: 3, maxCount: 1, sink: 1 },
  ];
  try {
    for (const p of configs) {
      const ds = await sim.deploy(w.job, p, rate);
      await ds.advance(20);
      const s = await ds.observe(15);
      const df = await flink.deploy(w.job, p, rate);
      try {
        await df.advance(10);
        const f = await df.observe(15);
        for (const id of w.job.operatorIds)
          rows.push({
            parallelism: Object.values(p).join('/'),
            operator: id,
            simulatedBusyMsPerS: (s.operators[id]?.busyMsPerSecond ?? 0).toFixed(1),
            realBusyMsPerS: (f.operators[id]?.busyMsPerSecond ?? 0).toFixed(1),
            realRecordsInPerS: (f.operators[id]?.recordsInPerSecond ?? 0).toFixed(0),
          });
      } finally {
        await df.stop();
      }
    }
  } finally {
    await flink.close();
  }
  return rows;
}
