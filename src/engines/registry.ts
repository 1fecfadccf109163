/**
 * Engine names -> config schema and factory. One entry per engine folder; the experiment schema is built from
 * this table, so a new engine is one folder plus one entry here.
 */
import { z } from 'zod';
import type { Engine, EngineCapabilities } from './engine.js';
import { SIMULATOR_DEFAULTS, SimulatorEngine } from './simulator/simulator.js';
import { FlinkEngine, flinkConfig } from './flink/index.js';
import { TimelyEngine, timelyConfig } from './timely/index.js';

const d = SIMULATOR_DEFAULTS;
export const simulatorConfig = z.strictObject({
  kind: z.literal('simulator'),
  mode: z.enum(['flink', 'timely']).default(d.mode).describe("'flink': per-operator parallelism; 'timely': all operators share W workers"),
  coordinationOverhead: z.number().min(0).max(0.5).default(d.coordinationOverhead).describe('kappa: capacity per instance is mu / (1 + kappa (p - 1))'),
  dt: z.number().min(0.001).max(1).default(d.dt).describe('Fluid-model step, seconds'),
  bufferSeconds: z.number().positive().max(3600).default(d.bufferSeconds).describe('Input buffer per instance, seconds of its processing'),
  noise: z.number().min(0).max(0.5).default(d.noise).describe('Relative std of multiplicative measurement noise'),
  rescaleBaseSec: z.number().min(0).max(3600).default(d.rescaleBaseSec).describe('Fixed downtime of a rescale, seconds'),
  rescaleSecPerMb: z.number().min(0).max(1000).default(d.rescaleSecPerMb).describe('Downtime per MB of state of the operators that change'),
});
export type SimulatorConfig = z.infer<typeof simulatorConfig>;

export const ENGINE_CONFIGS = [simulatorConfig, flinkConfig, timelyConfig] as const;
export const engineConfig = z.discriminatedUnion('kind', [...ENGINE_CONFIGS]);
export type EngineConfig = z.infer<typeof engineConfig>;
export const ENGINE_KINDS = ENGINE_CONFIGS.map((c) => c.shape.kind.value);

/** Builds the engine of a run. `seed` seeds the simulator's noise. */
export async function createEngine(config: EngineConfig, seed: number): Promise<Engine> {
  switch (config.kind) {
    case 'simulator': {
      const { kind: _kind, ...options } = config;
      return new SimulatorEngine({ ...options, seed });
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
      return new SimulatorEngine({ mode: config.mode }).capabilities;
    case 'flink':
      return new FlinkEngine(config).capabilities;
    case 'timely':
      return new TimelyEngine(config).capabilities;
  }
}
