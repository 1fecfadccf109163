/**
 * What the control loop hands its recorders: one record per observed window and per finished episode, and the
 * sink interface a recorder implements. Types only: the loop (loop.ts) produces them, recorders consume them.
 */
import type { Decision } from '../core/decision.js';
import type { JobGraph } from '../core/job.js';
import type { EngineEvent, Snapshot } from '../core/metrics.js';
import type { Parallelism } from '../core/parallelism.js';
import type { RateSchedule } from '../core/rates.js';
import type { Engine, GroundTruth } from '../engines/engine.js';
import type { Tuner, TunerView } from '../tuners/tuner.js';
import type { LoopConfig, SloConfig } from './config.js';
import type { Outcome } from './rows.js';
import type { SloVerdict } from './slo.js';

/** What the loop did with one window (the timeline's `event`). */
export type LoopEvent =
  | 'invalid' // the engine invalidated the window: recorded, never decided on
  | 'wait' // the tuner's own cadence: observe again
  | 'keep' // the tuner keeps, the SLO does not hold yet: observe again
  | 'same' // the tuner asked for the configuration already running (or all the cap allows): a keep
  | 'pending' // a rescale before `activation` evaluations: not acted on
  | 'sustained' // the tuner keeps and the SLO holds: the episode ends
  | 'capped' // the tuner wants a rescale beyond the cap: the episode ends
  | 'rescale' // a rescale that ran as asked (counted)
  | 'rescale-partial' // granted in part (counted: the configuration changed)
  | 'rescale-failed' // nothing changed (not counted; the tuner is told)
  | 'failed'; // the run stopped with an error (the engine's job failed): the last row of a failed run

/** One observed window with what the loop made of it; every recorder sees these. */
export interface WindowRecord {
  readonly episode: number;
  /** Run-wide window index, from 1. */
  readonly window: number;
  readonly rate: number;
  readonly snapshot: Snapshot;
  /** The parallelism that ran during the window. */
  readonly parallelism: Parallelism;
  /** Total parallelism as the paper counts it (worker count on shared workers). */
  readonly size: number;
  readonly verdict: SloVerdict;
  readonly event: LoopEvent;
  readonly reason: string;
  /** Present when the tuner was asked. */
  readonly view?: TunerView;
  readonly decision?: Decision;
  /** On a rescale: what the tuner asked for, and what the engine granted (runs now). */
  readonly rescale?: { readonly requested: Parallelism; readonly granted: Parallelism };
}

/** One finished episode, as the loop judged it. */
export interface EpisodeRecord {
  readonly episode: number;
  readonly rate: number;
  readonly outcome: Outcome;
  readonly violation: string;
  readonly reconfigurations: number;
  readonly failedRescales: number;
  /** Seconds from the rate change until the SLO held for the final configuration (sustained episodes). */
  readonly timeToSloSec?: number;
  readonly durationSec: number;
  readonly final: Parallelism;
  readonly finalSize: number;
  readonly oracleSize?: number;
  /** Where oracleSize comes from: the simulator's ground truth, or the measured oracle's cache (real engines). */
  readonly oracleSource?: 'ground truth' | 'measured';
  readonly verdict: SloVerdict;
  readonly lagStart: number;
  readonly lagEnd: number;
  readonly lagPeak: number;
  /** Record-seconds, trapezoid over the lag at the start and at each valid window's end. */
  readonly lagIntegral: number;
  readonly downtimeSec: number;
  readonly failovers: number;
  readonly invalidWindows: number;
}

/** A recorder: the loop pushes every window, engine event and finished episode to each sink, in order. */
export interface LoopSink {
  window?(w: WindowRecord): void;
  engineEvent?(episode: number, e: EngineEvent, at: Snapshot): void;
  episode?(e: EpisodeRecord): void;
  /** The run stopped with an error during `episode`, at engine time `time` (nothing follows). */
  failure?(episode: number, time: number, rate: number, error: string): void;
}

export interface LoopInput {
  run: string;
  sweep: string;
  seed: number;
  job: JobGraph;
  engine: Engine;
  tuner: Tuner;
  schedule: RateSchedule;
  loop: LoopConfig;
  slo: SloConfig;
  /** The engine's ground truth for this job, when the caller already has it (else the loop asks the engine). */
  truth?: GroundTruth;
  /** The measured oracle's total parallelism per rate (core/rates.ts rateKey), for an engine without ground truth. */
  measuredOracle?: Readonly<Record<string, number>>;
  /** The recorders, in order: the caller chooses them (run.ts builds the timeline, history and episode ones). */
  sinks: readonly LoopSink[];
  /** Called after each episode (progress). */
  onEpisode?: () => void;
}
