/**
 * Engine names -> config schema and factory. One entry per engine folder; the experiment schema is built from
 * this table, so a new engine is one folder plus one entry here.
 */
import { z } from 'zod';
import type { Engine, EngineCapabilities } from './engine.js';
import { SIMULATOR_DEFAULTS, SimulatorEngine } from './simulator/simulator.js';
import { PHYSICS_DOCS, type PhysicsTerms } from './simulator/physics.js';
import { DEFAULT_PROFILE, loadProfile, PROFILE_NAME, ProfileError } from './simulator/profile.js';
import { loadTimelyProfile } from './simulator/timely-physics.js';
import { PARTITIONINGS } from '../core/operators.js';
import { FlinkEngine, flinkConfig } from './flink/index.js';
import { TimelyEngine, timelyConfig } from './timely/index.js';

const d = SIMULATOR_DEFAULTS;
const us = z.number().min(0).max(1e6);
const exchangeCost = z.strictObject({
  serializeUs: us.default(0).describe('sender CPU per record sent, microseconds'),
  perBufferUs: us.default(0).describe('sender CPU per buffer handed on, microseconds (broadcast: per channel)'),
  deserializeUs: us.default(0).describe('receiver CPU per record received, microseconds'),
  receivePerBufferUs: us.default(0).describe('receiver CPU per buffer received, microseconds'),
  perChannelUs: us.default(0).describe('channel-linear model of older profiles: per record per channel beyond the first, microseconds'),
});
const timelyExchange = z.strictObject({
  perRecordUs: us.describe('CPU per record pushed into a container, microseconds'),
  perBatchUs: us.describe('CPU per container pushed to another worker, microseconds'),
  batchBytes: z.number().min(1).max(1 << 30).describe("bytes of a container (timely's BUFFER_SIZE_BYTES: 8192)"),
  stepMs: z.number().min(0).max(60_000).describe('input drained per activation, milliseconds'),
});
/** Physics terms (src/engines/simulator/physics.ts): each optional here, overriding the profile's. */
const physics = {
  profile: z
    .string()
    .regex(PROFILE_NAME)
    .default(DEFAULT_PROFILE)
    .describe("Machine profile of the physics terms: 'linear' (built in: the uncalibrated model) or datasets/calibration/profiles/<name>.json written by npm run calibrate (e.g. 'flink-2core'); a key below overrides the profile's term"),
  coordinationOverhead: z.number().min(0).max(0.5).optional().describe(`Term: ${PHYSICS_DOCS.coordinationOverhead}`),
  subtaskOverheadMs: z.number().min(0).max(500).optional().describe(`Term: ${PHYSICS_DOCS.subtaskOverheadMs}`),
  exchange: z.partialRecord(z.enum(PARTITIONINGS), exchangeCost).optional().describe(`Term: ${PHYSICS_DOCS.exchange}`),
  bufferBytes: z.number().min(1).max(1 << 30).optional().describe(`Term: ${PHYSICS_DOCS.bufferBytes}`),
  bufferTimeoutMs: z.number().min(0).max(3_600_000).optional().describe(`Term: ${PHYSICS_DOCS.bufferTimeoutMs}`),
  recordBytes: z.number().min(1).max(1 << 30).optional().describe(`Term: ${PHYSICS_DOCS.recordBytes}`),
  timelyExchange: timelyExchange.optional().describe(`Term: ${PHYSICS_DOCS.timelyExchange}`),
  cores: z.number().min(0.1).max(100_000).nullable().optional().describe(`Term: ${PHYSICS_DOCS.cores}`),
  backgroundCores: z.number().min(0).max(1024).optional().describe(`Term: ${PHYSICS_DOCS.backgroundCores}`),
  cpuQueueing: z.boolean().optional().describe(`Term: ${PHYSICS_DOCS.cpuQueueing}`),
  waitFraction: z.number().min(0).max(1).optional().describe(`Term: ${PHYSICS_DOCS.waitFraction}`),
  keySkew: z.boolean().optional().describe(`Term: ${PHYSICS_DOCS.keySkew}`),
  measuredSkew: z.record(z.string(), z.number().min(0).max(1)).optional().describe(`Term: ${PHYSICS_DOCS.measuredSkew}`),
};
export const simulatorConfig = z.strictObject({
  kind: z.literal('simulator'),
  mode: z.enum(['flink', 'timely']).default(d.mode).describe("'flink': per-operator parallelism; 'timely': all operators share W workers"),
  parallelism: z
    .enum(['workers', 'placement'])
    .default(d.parallelism)
    .describe(
      "Timely mode, as the real Timely engine's key: 'workers': every operator runs on all W workers, W = the largest value (tuners reduce their answer to W; total parallelism is W); 'placement': operator v is confined to p_v of the W workers through its exchange, every worker's time shared by the operators on it (W = the largest p_v unless 'workers' is set; total parallelism is the sum of p_v)",
    ),
  workers: z.number().int().min(1).max(100_000).optional().describe("'placement': the worker count W (default: the largest p_v); every p_v is clipped to it"),
  ...physics,
  timelyProfile: z
    .string()
    .regex(PROFILE_NAME)
    .optional()
    .describe("Timely mode: a Timely profile (datasets/calibration/profiles/<name>.json written by npm run calibrate -- --engine timely, e.g. 'timely-2core'): measured per-operator costs and their growth with the rate, exchange and progress costs as W grows, the cores; without it Timely mode uses kappa alone"),
  dt: z.number().min(0.001).max(1).default(d.dt).describe('Fluid-model step, seconds'),
  bufferSeconds: z.number().positive().max(3600).default(d.bufferSeconds).describe('Input buffer per instance, seconds of its processing'),
  noise: z.number().min(0).max(0.5).default(d.noise).describe('Relative std of multiplicative measurement noise'),
  rescaleBaseSec: z.number().min(0).max(3600).default(d.rescaleBaseSec).describe('Fixed downtime of a rescale, seconds'),
  rescaleSecPerMb: z.number().min(0).max(1000).default(d.rescaleSecPerMb).describe('Downtime per MB of state of the operators that change'),
}).superRefine((c, ctx) => {
  if (c.parallelism === 'placement' && c.mode !== 'timely') ctx.addIssue({ code: 'custom', path: ['parallelism'], message: "'placement' needs \"mode\": \"timely\" (per-operator placement on Timely's workers)" });
  if (c.workers !== undefined && c.parallelism !== 'placement') ctx.addIssue({ code: 'custom', path: ['workers'], message: "'workers' is placement mode's worker count: it needs \"parallelism\": \"placement\"" });
  // A profile that does not exist or lacks a term is refused with the config, before any run.
  try {
    loadProfile(c.profile);
  } catch (e) {
    if (!(e instanceof ProfileError)) throw e;
    ctx.addIssue({ code: 'custom', path: ['profile'], message: e.message });
  }
  if (c.timelyProfile === undefined) return;
  if (c.mode !== 'timely') ctx.addIssue({ code: 'custom', path: ['timelyProfile'], message: "a Timely profile needs mode 'timely'" });
  try {
    loadTimelyProfile(c.timelyProfile);
  } catch (e) {
    if (!(e instanceof ProfileError)) throw e;
    ctx.addIssue({ code: 'custom', path: ['timelyProfile'], message: e.message });
  }
});
export type SimulatorConfig = z.infer<typeof simulatorConfig>;

/** The physics terms of a simulator config: its profile's, overridden by the keys the config sets. */
export function simulatorTerms(config: Omit<SimulatorConfig, 'kind' | 'mode' | 'timelyProfile' | 'parallelism' | 'workers' | 'dt' | 'bufferSeconds' | 'noise' | 'rescaleBaseSec' | 'rescaleSecPerMb'>): PhysicsTerms {
  const { profile, exchange, ...rest } = config;
  // A config defaulted as a whole ({kind: 'simulator'}) was not parsed: its profile is the default one.
  const terms = loadProfile(profile ?? DEFAULT_PROFILE);
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) (terms as unknown as Record<string, unknown>)[k] = v;
  if (exchange) for (const [s, e] of Object.entries(exchange)) if (e) terms.exchange[s as keyof PhysicsTerms['exchange']] = e;
  return terms;
}

export const ENGINE_CONFIGS = [simulatorConfig, flinkConfig, timelyConfig] as const;
export const engineConfig = z.discriminatedUnion('kind', [...ENGINE_CONFIGS]);
export type EngineConfig = z.infer<typeof engineConfig>;
export const ENGINE_KINDS = ENGINE_CONFIGS.map((c) => c.shape.kind.value);

/** Builds the engine of a run. `seed` seeds the simulator's noise. */
export async function createEngine(config: EngineConfig, seed: number): Promise<Engine> {
  switch (config.kind) {
    case 'simulator': {
      const { kind: _kind, profile: _profile, timelyProfile, coordinationOverhead: _k, subtaskOverheadMs: _f, exchange: _x, bufferBytes: _bb, bufferTimeoutMs: _bt, recordBytes: _rb, timelyExchange: _tx, cores: _c, backgroundCores: _b, cpuQueueing: _q, waitFraction: _w, keySkew: _s, measuredSkew: _m, ...engine } = config;
      const set = Object.fromEntries(Object.entries(engine).filter(([, v]) => v !== undefined));
      const { timelyProfile: _t, ...forTerms } = config;
      return new SimulatorEngine({ ...simulatorTerms(forTerms), ...set, seed, timely: timelyProfile === undefined ? null : loadTimelyProfile(timelyProfile) });
    }
    case 'flink':
      return new FlinkEngine(config);
    case 'timely':
      return new TimelyEngine(config);
  }
}

/** An engine's capabilities from its config alone (no engine is started). */
export function engineCapabilities(config: EngineConfig): EngineCapabilities {
  switch (config.kind) {
    case 'simulator':
      return new SimulatorEngine({ mode: config.mode, parallelism: config.parallelism }).capabilities;
    case 'flink':
      return new FlinkEngine(config).capabilities;
    case 'timely':
      return new TimelyEngine(config).capabilities;
  }
}
