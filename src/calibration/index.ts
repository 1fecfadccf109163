/**
 * Calibration of the simulator against real Flink: designed runs (design.ts) measured through the
 * project's control loop (measure.ts, run.ts), the physics terms fitted to them (fit.ts) and written as a machine
 * profile datasets/calibration/profiles/<profile>.json that an experiment selects with
 * `"engine": {"kind": "simulator", "profile": "<profile>"}` (src/engines/simulator/profile.ts reads it).
 *
 *   measurePlan(real engine, calibrationPlan()) -> MeasuredPlan (kept as <profile>.measurements.json)
 *     -> fitProfile -> terms + measured Nexmark costs -> writeProfile
 *
 * The per-query cost calibration of before (`--query`) is query.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { profilesDir } from '../core/project.js';
import type { Engine } from '../engines/engine.js';
import { PHYSICS_TERMS, type PhysicsTerms } from '../engines/simulator/physics.js';
import { checkTerms, profilePath } from '../engines/simulator/profile.js';
import { writeAtomic } from '../io/files.js';
import { calibrationPlan, CALIBRATION_QUERIES, type Plan } from './design.js';
import { fitProfile, type FitResult } from './fit.js';
import type { MachineLoad } from './load.js';
import { measuredRange } from './range.js';
import type { MeasuredRange } from '../engines/simulator/profile.js';
import { REAL_TIMING, type MeasureOptions } from './measure.js';
import { measurePlan, type MeasuredPlan } from './run.js';
import type { NexmarkQuery } from '../workloads/nexmark/templates.js';

export { calibrationPlan, fidelityPlan, type Plan } from './design.js';
export { measurePlan, type MeasuredPlan } from './run.js';
export { compare, fitProfile, quantile, simulatePlan, BUSY_FLOOR } from './fit.js';

export interface ProfileFile {
  profile: string;
  description: string;
  engine: string;
  measuredAt: string;
  host: MeasuredPlan['host'];
  /** Wall time of the real runs, seconds (the fit takes a few more). */
  calibrationWallSeconds: number;
  terms: PhysicsTerms;
  /** Measured per-operator costs (us per input record, net of the exchange terms), per Nexmark job. */
  workloads: Record<string, Record<string, number>>;
  /** The same runs read the way the linear model was calibrated before (busy slope at p = 1), for comparisons. */
  linearWorkloads: Record<string, Record<string, number>>;
  fit: FitResult['diagnostics'];
  /** The range the measurements covered: beyond it an experiment is told which term it extrapolates. */
  measuredRange: MeasuredRange;
  /** The machine's load during the real runs (absent: not recorded with those measurements). */
  load?: MachineLoad;
  /** The real runs were measured on a loaded machine (load.ts): their figures carry other work. */
  measuredOnLoadedMachine?: boolean;
  /** The raw measurements, next to the profile. */
  measurements: string;
}

export function measurementsPath(profile: string, dir = profilesDir()): string {
  return join(dir, `${profile}.measurements.json`);
}

export interface CalibrateOptions {
  profile: string;
  queries?: readonly NexmarkQuery[];
  /** Cores of the machine the profile describes (default: this machine's). */
  cores: number;
  timing?: MeasureOptions;
  /** Refit from these saved measurements instead of running the real engine. */
  from?: MeasuredPlan;
  dir?: string;
  log?: (line: string) => void;
  /** Load average above which the measurement is marked loaded (the CLI refuses to start above it unless forced). */
  maxLoad?: number;
}

/** Runs (or reuses) the designed real runs, fits the terms and writes the profile and the raw measurements. */
export async function calibrateMachine(makeEngine: () => Engine, o: CalibrateOptions): Promise<{ file: string; profile: ProfileFile }> {
  const plan: Plan = calibrationPlan(o.queries ?? CALIBRATION_QUERIES);
  const measured = o.from ?? (await measurePlan(makeEngine, plan, { ...(o.timing ?? REAL_TIMING), ...(o.log ? { log: o.log } : {}), ...(o.maxLoad !== undefined ? { maxLoad: o.maxLoad } : {}) }));
  if (!o.from) writeAtomic(measurementsPath(o.profile, o.dir), `${JSON.stringify(measured, null, 1)}\n`);
  const t0 = Date.now();
  const fit = await fitProfile(plan, measured.measurements, o.cores);
  o.log?.(`fit: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // The profile must be readable by the simulator: the same check the loader applies.
  checkTerms(fit.terms, `profile '${o.profile}'`);
  const profile: ProfileFile = {
    profile: o.profile,
    description: `Physics terms of real Flink 2.3.0 (local MiniCluster, synthetic jobs at --wait-fraction 0.8) on ${measured.host.cpus} cores (${measured.host.cpuModel}), fitted by npm run calibrate (src/calibration) from ${measured.measurements.length} designed points${measured.load?.loaded ? `; MEASURED ON A LOADED MACHINE (load average ${measured.load.loadAverageAtStart[0]} at start, other processes ${measured.load.otherCores ?? '?'} cores)` : ''}`,
    engine: measured.engine,
    measuredAt: measured.measuredAt,
    host: measured.host,
    calibrationWallSeconds: measured.wallSeconds,
    terms: Object.fromEntries(PHYSICS_TERMS.map((k) => [k, fit.terms[k]])) as unknown as PhysicsTerms,
    workloads: fit.costs,
    linearWorkloads: fit.linearCosts,
    fit: fit.diagnostics,
    measuredRange: measuredRange(plan, measured.measurements, measured.host.cpus),
    ...(measured.load ? { load: measured.load, measuredOnLoadedMachine: measured.load.loaded } : {}),
    measurements: `${o.profile}.measurements.json`,
  };
  const file = profilePath(o.profile, o.dir);
  writeAtomic(file, `${JSON.stringify(profile, null, 2)}\n`);
  return { file, profile };
}

/** A profile file's measured Nexmark costs (and the linear model's), for the simulator's side of a comparison. */
export function readProfileFile(name: string, dir?: string): ProfileFile {
  return JSON.parse(readFileSync(profilePath(name, dir), 'utf8')) as ProfileFile;
}

export function readMeasurements(file: string): MeasuredPlan {
  return JSON.parse(readFileSync(file, 'utf8')) as MeasuredPlan;
}
