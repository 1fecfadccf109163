/**
 * The tuner seam: a policy over observations. decide() does no I/O, reads no clock and prints nothing; the
 * control loop owns warm-up, windows, intervals and counting. May return a promise (model inference).
 */
import type { Decision } from '../core/decision.js';
import type { JobGraph } from '../core/job.js';
import type { Snapshot } from '../core/metrics.js';
import type { Parallelism } from '../core/parallelism.js';
import type { GroundTruth } from '../engines/engine.js';
import type { Rng } from '../core/random.js';

export interface Observation {
  readonly parallelism: Parallelism;
  readonly snapshot: Snapshot;
  /** Target total source rate during this observation. */
  readonly rate: number;
}

export interface TunerView {
  readonly job: JobGraph;
  readonly parallelism: Parallelism;
  readonly snapshot: Snapshot;
  /** The target total source rate of this episode. */
  readonly targetRate: number;
  /** This episode's valid observations, oldest first, the latest included. */
  readonly episode: readonly Observation[];
  /** Every valid observation of this run so far (all episodes), oldest first. */
  readonly history: readonly Observation[];
  /** Seconds of engine time since the run started (the loop's clock, virtual on the simulator). */
  readonly clock: number;
  /** True when the engine runs all operators on one worker pool (Timely). */
  readonly sharedWorkers: boolean;
  /** The largest parallelism any one operator can get now (e.g. the cluster's task slots); absent: no limit. */
  readonly maxOperatorParallelism?: number;
  /** This episode's last rescale that did not run as asked (not granted, or granted in part); absent otherwise. */
  readonly lastRescale?: RescaleOutcome;
}

/** What became of a requested rescale: the loop tells the tuner when it did not run as asked. */
export interface RescaleOutcome {
  readonly requested: Parallelism;
  /** What runs now. */
  readonly running: Parallelism;
  /** False when nothing changed (not counted as a reconfiguration). */
  readonly tookEffect: boolean;
  readonly note?: string;
}

export interface TunerContext {
  readonly rng: Rng;
  /** Present on the simulator only; the oracle tuner needs it. */
  readonly groundTruth?: GroundTruth;
  readonly engineKind: string;
}

export interface Tuner {
  readonly name: string;
  /** Optional set-up before the run: load models, pick an encoder. May do I/O. */
  prepare?(job: JobGraph, context: TunerContext): Promise<void>;
  /** Called when a new rate phase (episode) begins. */
  startEpisode?(targetRate: number): void;
  decide(view: TunerView): Decision | Promise<Decision>;
  /** Optional: release what prepare() took (an external tuner's process). Called once the run ends, however it ends. */
  close?(): Promise<void>;
}

export class TunerSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TunerSetupError';
  }
}
