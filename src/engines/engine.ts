/**
 * The engine seam (thin, like a YCSB binding): deploy a job, observe windows, rescale, change the rate, stop.
 * Engines never decide; the control loop in experiment/ owns time and the tuner owns the decision.
 */
import type { JobGraph } from '../core/job.js';
import type { Snapshot } from '../core/metrics.js';
import type { Parallelism } from '../core/parallelism.js';

export interface RescaleReport {
  /** Seconds during which the job processed nothing. */
  readonly downtimeSeconds: number;
  /** Whether every operator now runs at the requested parallelism. */
  readonly tookEffect: boolean;
  /** The parallelism actually running after the rescale. */
  readonly parallelism: Parallelism;
  /**
   * What was asked, when it differs from what runs (a partial rescale: the cluster granted less, e.g. it has
   * fewer slots). Absent when the request was granted as asked.
   */
  readonly requested?: Parallelism;
  /** Why the rescale did not (fully) take effect, or how it went. */
  readonly note?: string;
}

export interface Deployment {
  /** Runs for windowSeconds (virtual time on the simulator) and returns the metrics of that window. */
  observe(windowSeconds: number): Promise<Snapshot>;
  /** Lets time pass without measuring (warm-up after a rescale). */
  advance(seconds: number): Promise<void>;
  rescale(parallelism: Parallelism): Promise<RescaleReport>;
  /** Sets the total source rate (records/s). */
  setRate(rate: number): Promise<void>;
  /** The parallelism currently running (after a failover: what the job restarted with). */
  readonly parallelism: Parallelism;
  /**
   * The largest parallelism any one operator can get now (e.g. the task slots the cluster has for this job: with
   * slot sharing each operator may use every slot); undefined when the engine has no such limit. A rescale
   * beyond it is granted only up to it (RescaleReport.requested says what was asked).
   */
  readonly maxOperatorParallelism?: number;
  /** The engine's release as the running deployment reports it ('2.3.0' from Flink's REST, 'timely 0.31.0'). */
  readonly version?: string;
  /** Engine time in seconds since deploy. */
  now(): number;
  stop(): Promise<void>;
  /**
   * What this deployment would leave behind if the harness were killed (a job on a remote cluster): plain JSON
   * the caller keeps beside the run and hands to Engine.reclaim when it resumes. Absent or undefined: nothing
   * outlives the harness.
   */
  leftovers?(): Leftovers | undefined;
}

/** A description of what a deployment could leave behind, for Engine.reclaim (plain JSON). */
export interface Leftovers {
  /** The engine kind that wrote it. */
  readonly engine: string;
  readonly [key: string]: unknown;
}

export interface OracleAnswer {
  parallelism: Parallelism;
  /** Some configuration within max parallelism (and the cores) sustains the rate. */
  feasible: boolean;
  /** Why not, when infeasible: the operator at its max parallelism and how far short, or the cores. */
  reason?: string;
}

/** Ground truth that only a model of the system can give (the simulator). */
export interface GroundTruth {
  /** Each operator's demanded input rate (records/s) at a total source rate, ignoring backpressure. */
  demandedRates(rate: number): Record<string, number>;
  /** Each operator's capacity (records/s of input) at a parallelism. */
  capacities(parallelism: Parallelism): Record<string, number>;
  /**
   * The minimal parallelism vector that sustains the rate, with whether any configuration within the operators'
   * max parallelism (and a finite machine's cores) does, and why not. `tolerance`: the share of the rate a
   * configuration may fall short by and still meet the SLO (its maxLagTrend: lag growing at most that share of the
   * target rate), so the oracle is the smallest configuration meeting the same SLO the episodes are judged by.
   */
  oracle(rate: number, tolerance?: number): OracleAnswer;
  /** Per-operator bottleneck label: demand above capacity at this parallelism and rate. */
  bottlenecks(parallelism: Parallelism, rate: number): Record<string, boolean>;
}

/** What an engine can do, declared by the engine (experiment code never guesses from its kind). */
export interface EngineCapabilities {
  /** groundTruth() is available: demanded rates, capacities, the exact oracle (a model of the system). */
  readonly groundTruth: boolean;
  /** Many deployments may run at once in one process without disturbing each other's measurements. */
  readonly parallelDeployments: boolean;
  /** rescale() changes parallelism without a full restart of the job. */
  readonly inPlaceRescale: boolean;
  /** All operators share one worker pool (Timely): a tuner's vector is reduced to one worker count. */
  readonly sharedWorkers: boolean;
}

export interface Engine {
  readonly kind: string;
  readonly capabilities: EngineCapabilities;
  deploy(job: JobGraph, parallelism: Parallelism, rate: number): Promise<Deployment>;
  /** Present only on engines that model the system (the simulator). */
  groundTruth?(job: JobGraph): GroundTruth;
  /** Releases engine-wide resources (a JVM, a binary). */
  close(): Promise<void>;
  /**
   * Cleans up after deployments of an interrupted harness (called on resume): the leftovers their runs kept,
   * and whatever else such a harness leaves on this machine (temporary folders). Returns one line per thing
   * found, saying what was done with it. Never throws.
   */
  reclaim?(leftovers: readonly Leftovers[]): Promise<string[]>;
}
