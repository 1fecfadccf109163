/**
 * Measures a whole plan on the real engine, one deployment per block, and keeps the raw measurements (so a fit
 * can be redone without the engine): datasets/calibration/profiles/<profile>.measurements.json.
 */
import { cpus } from 'node:os';
import type { Engine } from '../engines/engine.js';
import type { Plan } from './design.js';
import { defaultMaxLoad, watchLoad, type MachineLoad } from './load.js';
import { measureBlock, type MeasureOptions, type Measurement } from './measure.js';

export interface MeasuredPlan {
  plan: string;
  engine: string;
  measuredAt: string;
  host: { cpus: number; cpuModel: string; loadAverageAtStart: number[] };
  /** The machine's load during the runs (load.ts); absent in measurements recorded before it was kept. */
  load?: MachineLoad;
  /** Wall time of the measurement, seconds. */
  wallSeconds: number;
  timing: MeasureOptions;
  measurements: Measurement[];
}

const MAX_ATTEMPTS = 3;

export async function measurePlan(makeEngine: () => Engine, plan: Plan, o: MeasureOptions & { maxLoad?: number }): Promise<MeasuredPlan> {
  const start = Date.now();
  const watch = watchLoad(o.maxLoad ?? defaultMaxLoad());
  const measurements: Measurement[] = [];
  let kind = '';
  for (const block of plan.blocks) {
    const t0 = Date.now();
    // A fresh engine per block; a block whose engine failed (e.g. a MiniCluster that came up without its slots)
    // is tried again on a new one, at most twice.
    for (let attempt = 1; ; attempt++) {
      const engine = makeEngine();
      kind = engine.kind;
      try {
        measurements.push(...(await measureBlock(engine, block, o)));
        break;
      } catch (e) {
        if (attempt >= MAX_ATTEMPTS) throw e;
        o.log?.(`${block.name}: attempt ${attempt} failed (${(e as Error).message.slice(0, 200)}); again on a new engine`);
      } finally {
        await engine.close();
      }
    }
    o.log?.(`${block.name}: ${block.points.length} points in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const { log: _log, maxLoad: _maxLoad, ...timing } = o;
  const load = watch.stop();
  return {
    plan: plan.name,
    engine: kind,
    measuredAt: new Date(start).toISOString(),
    host: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadAverageAtStart: load.loadAverageAtStart },
    load,
    wallSeconds: Math.round((Date.now() - start) / 100) / 10,
    timing,
    measurements,
  };
}
