/**
 * The tuner seam: a policy over observations. decide() does no I/O, reads no clock and prints nothing; the
 * control loop owns warm-up, windows, intervals and counting. May return a promise (model inference).
 */
import type { Decision } from '../core/decision.js';
import type { JobGraph } from '../core/job.js';
import type { Snapshot } from '../core/metrics.js';
import type { Parallelism } from '../core/parallelism.js';
import type { EngineCapabilities, GroundTruth } from '../engines/engine.js';
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

// The registry's hooks (registry.ts): what the harness asks of a tuner besides decide(), all before the runs.

/** What a tuner's config checks see of the experiment: the engine it runs on. */
export interface TunerCheckContext {
  readonly engineKind: string;
  readonly capabilities: EngineCapabilities;
}

/** A problem a tuner's check finds: the option's key below `tuners.<name>` ('' for the entry) and what is wrong. */
export interface TunerProblem {
  readonly key: string;
  readonly message: string;
}

/** What one decide() costs, for the work estimate: seconds on one core after `observed` valid windows of the run. */
export interface DecideCostContext {
  readonly operators: number;
  readonly observed: number;
}

/**
 * Assets a tuner needs made before the runs (StreamTune's pre-trained models for a recipe that differs from its
 * set's): what to make, how long it takes, and how to make it. `inputs` are files the making reads; a missing one
 * the harness can make is listed with its maker (`makeInputs`), else the plan refuses with `command`.
 */
export interface TunerAsset {
  /** The option that asks for it, below `tuners.<name>`. */
  readonly key: string;
  /** Identifies the asset: two sweep points asking for the same one make it once. */
  readonly id: string;
  readonly describe: string;
  readonly estimateSec: number;
  /** Files the making reads (absolute), each with the command that makes it. */
  readonly inputs: readonly { readonly file: string; readonly command: string }[];
  /** Makes the asset (may do I/O; runs before any run starts). */
  readonly make: (backend: string, step: (what: string) => void) => Promise<void>;
}
