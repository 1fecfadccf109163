/**
 * Measures a block of designed points (design.ts) on any engine through the project's one control loop
 * (src/loop/loop.ts runLoop): a scripted tuner asks for each point's configuration, a LoopSink records the
 * windows observed under it once it runs, and each point becomes one Measurement (averages over its windows).
 * Each point is one rate phase (episode): rescale if needed, warm up, then observe until the SLO holds for two
 * windows (unsaturated) or the phase's time is up (overload: the sources achieve what the job sustains).
 */
import { keep, rescale } from '../core/decision.js';
import type { JobGraph } from '../core/job.js';
import { sameParallelism, type Parallelism } from '../core/parallelism.js';
import type { Snapshot } from '../core/metrics.js';
import type { Engine } from '../engines/engine.js';
import { driveLoop, type LoopSink, type WindowRecord } from '../loop/index.js';
import { SLO_DEFAULTS } from '../loop/config.js';
import type { Tuner, TunerView } from '../tuners/tuner.js';
import type { Block, Point } from './design.js';

export interface OperatorMeasure {
  p: number;
  /** Average busy ms/s of a subtask. */
  busy: number;
  /** Busy ms/s of the busiest subtask. */
  busyMax: number;
  /** Backpressured ms/s, average of subtasks. */
  bp: number;
  /** Records/s in (emitted, for a source), summed over subtasks. */
  recordsIn: number;
  recordsOut: number;
}

export interface Measurement {
  block: string;
  job: string;
  parallelism: Parallelism;
  rate: number;
  overload: boolean;
  /** Windows averaged (0: the point could not be measured). */
  windows: number;
  /** Total source rate achieved, events/s. */
  achieved: number;
  operators: Record<string, OperatorMeasure>;
}

export interface MeasureOptions {
  warmupSec: number;
  windowSec: number;
  /** Seconds a rescale may take on this engine (phase time budget). */
  rescaleSec: number;
  log?: (line: string) => void;
}

/** Flink on this machine: short windows, a rescale takes a checkpoint interval plus a restart. */
export const REAL_TIMING: MeasureOptions = { warmupSec: 6, windowSec: 4, rescaleSec: 15 };
/** The simulator: time is free, so long enough for buffers and backpressure to settle. */
export const SIM_TIMING: MeasureOptions = { warmupSec: 40, windowSec: 10, rescaleSec: 10 };

/** Asks for each point's configuration in turn; keeps once it runs. A policy: no I/O, no clock. */
export class ScriptedTuner implements Tuner {
  readonly name = 'scripted';
  private k = -1;
  constructor(private readonly points: readonly Point[]) {}
  startEpisode(): void {
    this.k++;
  }
  /** The configuration of the current point. */
  get target(): Parallelism {
    return (this.points[this.k] ?? this.points[this.points.length - 1] ?? { parallelism: {} }).parallelism as Parallelism;
  }
  decide(view: TunerView) {
    const target = this.target;
    return sameParallelism(view.parallelism, target) ? keep('designed point') : rescale(view.parallelism, target, 'designed point');
  }
}

/** Averages a point's snapshots into one measurement. */
export function summarise(block: Block, point: Point, snaps: readonly Snapshot[]): Measurement {
  const T = snaps.reduce((s, x) => s + x.windowSeconds, 0);
  const avg = (f: (s: Snapshot) => number): number => (T > 0 ? snaps.reduce((s, x) => s + f(x) * x.windowSeconds, 0) / T : 0);
  const operators: Record<string, OperatorMeasure> = {};
  for (const id of block.job.operatorIds) {
    operators[id] = {
      p: point.parallelism[id] ?? 1,
      busy: avg((s) => s.operators[id]?.busyMsPerSecond ?? 0),
      busyMax: avg((s) => s.operators[id]?.busyMsPerSecondMax ?? 0),
      bp: avg((s) => s.operators[id]?.backPressuredMsPerSecond ?? 0),
      recordsIn: avg((s) => s.operators[id]?.recordsInPerSecond ?? 0),
      recordsOut: avg((s) => s.operators[id]?.recordsOutPerSecond ?? 0),
    };
  }
  return { block: block.name, job: block.job.name, parallelism: point.parallelism, rate: point.rate, overload: point.overload, windows: snaps.length, achieved: avg((s) => s.achievedRate), operators };
}

/** Runs one block on the engine (one deployment) and returns a measurement per point, in order. */
export async function measureBlock(engine: Engine, block: Block, o: MeasureOptions, job: JobGraph = block.job): Promise<Measurement[]> {
  const points = block.points;
  const first = points[0];
  if (!first) return [];
  const tuner = new ScriptedTuner(points);
  const windows: Snapshot[][] = points.map(() => []);
  const sink: LoopSink = {
    window(w: WindowRecord) {
      // Windows observed under the point's own configuration, once it was running (a rescale's first window is not).
      const target = points[w.episode]?.parallelism;
      if (!target || !w.snapshot.valid || w.decision?.kind !== 'keep' || !sameParallelism(w.parallelism, target)) return;
      windows[w.episode]?.push(w.snapshot);
    },
    episode(e) {
      const p = points[e.episode] as Point;
      const got = windows[e.episode] ?? [];
      o.log?.(`${block.name}: point ${e.episode + 1}/${points.length} ${Object.values(p.parallelism).join('/')} at ${p.overload ? 'overload' : p.rate}/s: ${got.length} window(s), achieved ${got.length ? (got.reduce((s, x) => s + x.achievedRate, 0) / got.length).toFixed(0) : '-'}/s`);
    },
  };
  const schedule = points.map((p, k) => {
    const changes = k === 0 ? false : !sameParallelism(p.parallelism, (points[k - 1] as Point).parallelism);
    const settle = changes ? o.warmupSec + o.windowSec + o.rescaleSec : 0;
    return { rate: p.rate, durationSec: settle + o.warmupSec + (p.overload ? 2 : 3) * o.windowSec + 1 };
  });
  await driveLoop({
    run: `calibration-${block.name}`,
    sweep: 'base',
    seed: 1,
    job,
    engine,
    tuner,
    schedule,
    loop: { warmupSec: o.warmupSec, windowSec: o.windowSec, activation: 1, maxReconfigurations: 5, initialParallelism: first.parallelism, carryOver: true },
    slo: { ...SLO_DEFAULTS, holdSec: o.windowSec },
    sinks: [sink],
  });
  return points.map((p, k) => summarise(block, p, windows[k] ?? []));
}
