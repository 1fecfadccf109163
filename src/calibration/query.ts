/**
 * Per-query calibration (`npm run calibrate -- --query q5`): measures each operator's per-record cost of a Nexmark
 * query on real Flink (a local MiniCluster) into datasets/calibration/costs/flink/<query>.json, which the simulator's Nexmark
 * templates read as per-operator overrides; with engine 'timely' on real Timely Dataflow (jobs/timely, one
 * worker) into datasets/calibration/costs/timely/<query>.json (a worker's busy microseconds per record, for the
 * simulator's Timely mode):
 *
 *   { "query": "q5", "flinkVersion": "2.3.0", "measuredAt": "<ISO time>",
 *     "operators": { "<id>": { "cost": <microseconds of busy time per input record (per emitted record for a
 *                                       source); absent when not measurable>,
 *                             "selectivity": <records out per record in>,
 *                             "fixedMsPerSecond", "costAtHighRate", "recordsInPerSecond", "busyMsPerSecond", "note" } },
 *     "rates": [low, high], "windowSeconds", "windows", "parallelism", "host" }
 *
 * The job runs at a low and then a high source rate (one deployment); per operator, busy time summed over
 * subtasks is fitted as fixed + cost x input rate. Busy time is wall time a subtask spent neither idle nor
 * backpressured, so on an oversubscribed machine it includes waiting for a CPU: calibrate well below saturation
 * (the defaults are), with nothing else running. The machine profile (profile.ts) is the fuller calibration.
 * Moved here unchanged from src/cli/calibrate.ts (the CLI re-exports it).
 */
import { cpus } from 'node:os';
import type { Snapshot } from '../core/metrics.js';
import { uniformParallelism } from '../core/parallelism.js';
import type { Deployment, Engine } from '../engines/engine.js';
import { FlinkEngine, type FlinkDeployment } from '../engines/flink/index.js';
import { TimelyEngine, type TimelyDeployment } from '../engines/timely/index.js';
import { nexmark, type NexmarkQuery } from '../workloads/nexmark/templates.js';

export interface OperatorCalibration {
  /** Per-record cost (microseconds of busy time per input record): the slope of busy time over input rate
   *  between the two rates. Absent when the input rate barely changes (e.g. a sink fed once per window):
   *  the template's default then stays. */
  cost?: number;
  selectivity: number;
  /** Busy time not explained by records (timers, watermarks, checkpoints), ms per second summed over subtasks. */
  fixedMsPerSecond?: number;
  /** Busy time / records at the high rate (includes the fixed part). */
  costAtHighRate: number;
  recordsInPerSecond: [number, number];
  busyMsPerSecond: [number, number];
  note?: string;
}

export interface CalibrationResult {
  query: string;
  /** The engine measured on (absent: flink). */
  engine?: 'flink' | 'timely';
  /** Flink's version, or the Timely job's ('timely 0.31.0'). */
  flinkVersion: string;
  measuredAt: string;
  /** The two total source rates (events/s) the costs were fitted between. */
  rates: [number, number];
  windowSeconds: number;
  windows: number;
  parallelism: Record<string, number>;
  host: { cpus: number; cpuModel: string };
  operators: Record<string, OperatorCalibration>;
}

interface Totals {
  /** Busy ms per second summed over subtasks. */
  busy: number;
  recordsIn: number;
  recordsOut: number;
}

/** Per operator, averages over windows of busy time (summed over subtasks) and record rates. */
export function totals(snapshots: readonly Snapshot[], id: string): Totals {
  let busy = 0;
  let recordsIn = 0;
  let recordsOut = 0;
  let seconds = 0;
  for (const s of snapshots) {
    const m = s.operators[id];
    if (!m) continue;
    busy += m.busyMsPerSecond * m.parallelism * s.windowSeconds;
    recordsIn += m.recordsInPerSecond * s.windowSeconds;
    recordsOut += m.recordsOutPerSecond * s.windowSeconds;
    seconds += s.windowSeconds;
  }
  return seconds > 0 ? { busy: busy / seconds, recordsIn: recordsIn / seconds, recordsOut: recordsOut / seconds } : { busy: 0, recordsIn: 0, recordsOut: 0 };
}

/**
 * Fits busy = fixed + cost x input rate per operator between windows at a low and a high rate. Busy time has
 * a fixed part (timers, watermarks, checkpoints) that dominates operators fed a few records per second, so the
 * slope, not busy/records, is the per-record cost the simulator needs.
 */
export function fitCosts(low: readonly Snapshot[], high: readonly Snapshot[], types: Readonly<Record<string, string>>): Record<string, OperatorCalibration> {
  const out: Record<string, OperatorCalibration> = {};
  for (const id of Object.keys(types)) {
    const a = totals(low, id);
    const b = totals(high, id);
    const dr = b.recordsIn - a.recordsIn;
    const op: OperatorCalibration = {
      selectivity: types[id] === 'source' ? 1 : types[id] === 'sink' ? 0 : b.recordsIn > 0 ? round(b.recordsOut / b.recordsIn) : 0,
      costAtHighRate: b.recordsIn > 0 ? round((1000 * b.busy) / b.recordsIn) : 0,
      recordsInPerSecond: [round(a.recordsIn), round(b.recordsIn)],
      busyMsPerSecond: [round(a.busy), round(b.busy)],
    };
    if (dr < Math.max(5, 0.1 * b.recordsIn)) {
      op.note = 'input rate barely changes with the source rate: per-record cost not measurable';
    } else {
      const slope = (b.busy - a.busy) / dr; // ms per record
      if (slope > 0) {
        op.cost = round(1000 * slope);
        op.fixedMsPerSecond = round(Math.max(0, a.busy - slope * a.recordsIn));
      } else {
        op.note = 'busy time did not grow with the input rate (below the measurement noise)';
      }
    }
    out[id] = op;
  }
  return out;
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

export async function calibrate(
  query: NexmarkQuery,
  o: {
    rates: [number, number];
    warmupSec: number;
    windowSec: number;
    windows: number;
    parallelism?: Record<string, number>;
    slots: number;
    log: (s: string) => void;
    engine?: 'flink' | 'timely';
  },
): Promise<CalibrationResult> {
  const { job } = nexmark(query, { calibration: null });
  const parallelism = { ...uniformParallelism(job, 1), ...(o.parallelism ?? {}) };
  const timely = o.engine === 'timely';
  const engine: Engine = timely ? new TimelyEngine({}) : new FlinkEngine({ slots: o.slots });
  try {
    const d: Deployment = await engine.deploy(job, parallelism, o.rates[0]);
    let version: string;
    if (timely) {
      const t = d as TimelyDeployment;
      version = 'timely 0.31.0';
      o.log(`${query}: running on Timely (${t.workers} worker(s), build ${t.timings.buildSeconds.toFixed(1)} s, start ${t.timings.startSeconds.toFixed(2)} s)`);
    } else {
      const f = d as FlinkDeployment;
      version = f.flinkVersion;
      o.log(`${query}: running on Flink ${f.flinkVersion} (JVM ${f.timings.clusterStartSeconds.toFixed(1)} s, job ${f.timings.submitSeconds.toFixed(1)} s)`);
    }
    const measured: Snapshot[][] = [];
    for (const [k, rate] of o.rates.entries()) {
      await d.setRate(rate);
      await d.advance(k === 0 ? o.warmupSec : Math.min(o.warmupSec, 8));
      const valid: Snapshot[] = [];
      for (let tries = 0; valid.length < o.windows && tries < o.windows + 3; tries++) {
        const s = await d.observe(o.windowSec);
        if (!s.valid) {
          o.log(`${query}: window skipped (${s.note})`);
          continue;
        }
        const lag = Object.values(s.sources).reduce((a, m) => a + m.lagRecords, 0);
        o.log(`${query}: ${rate}/s window ${valid.length + 1}/${o.windows}: achieved ${s.achievedRate.toFixed(0)} events/s, lag ${lag}`);
        valid.push(s);
      }
      if (valid.length === 0) throw new Error(`${query}: no valid measurement window at ${rate} events/s`);
      measured.push(valid);
    }
    const types = Object.fromEntries(job.operators().map((op) => [op.id, op.type]));
    return {
      query,
      ...(timely ? { engine: 'timely' as const } : {}),
      flinkVersion: version,
      measuredAt: new Date().toISOString(),
      rates: o.rates,
      windowSeconds: o.windowSec,
      windows: o.windows,
      parallelism,
      host: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' },
      operators: fitCosts(measured[0] as Snapshot[], measured[1] as Snapshot[], types),
    };
  } finally {
    await engine.close();
  }
}
