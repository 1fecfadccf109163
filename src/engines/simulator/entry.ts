/** The simulator's row of the engine table (registry.ts). */
import { createHash } from 'node:crypto';
import { canonical } from '../../core/canonical.js';
import type { EngineEntry } from '../entry.js';
import { hashFiles } from '../shared/version.js';
import { simulatorConfig, simulatorOptions, simulatorTerms, type SimulatorConfig } from './config.js';
import { profileExtrapolations } from './range.js';
import { SIMULATOR_DEFAULTS, SimulatorEngine } from './simulator.js';

/** The profile a label names: in Timely mode its Timely profile when it has one. */
const profileOf = (c: SimulatorConfig): string => (c.mode === 'timely' ? c.timelyProfile : undefined) ?? c.profile ?? 'linear';

export const SIMULATOR = {
  schema: simulatorConfig,
  create: (config, seed) => new SimulatorEngine(simulatorOptions(config, seed)),
  capabilities: (config) => new SimulatorEngine({ mode: config.mode, parallelism: config.parallelism }).capabilities,
  label: (config, o = {}) => {
    const mode = config.mode === 'timely' ? 'Timely mode' : '';
    const profile = o.profile ? (profileOf(config) === 'linear' ? 'uncalibrated' : profileOf(config)) : '';
    const detail = [mode, profile].filter((s) => s !== '').join(', ');
    return detail === '' ? 'simulator' : `simulator (${detail})`;
  },
  name: (config) => {
    const mode = config.mode === 'timely' ? `timely mode${config.parallelism === 'placement' ? ', placement' : ''}` : 'flink mode';
    const profile = config.mode === 'timely' ? config.timelyProfile : config.profile;
    return `simulator (${mode}${profile && profile !== 'linear' ? `, ${profile}` : ''})`;
  },
  available: () => ({ runs: true, built: true }),
  version: () => `simulator ${hashFiles(['src/engines/simulator'])}`,
  operatorLimit: () => undefined,
  // about 2000 engine seconds per wall second on one core (npm run bench)
  costs: (config) => ({ deploySec: 0.05, speedup: 2000, rescaleSec: config.rescaleBaseSec ?? SIMULATOR_DEFAULTS.rescaleBaseSec, stepSec: config.dt ?? SIMULATOR_DEFAULTS.dt }),
  profile: profileOf,
  physicsFingerprint: (config) => `${profileOf(config)} sha256:${createHash('sha256').update(canonical(simulatorTerms(config))).digest('hex').slice(0, 12)}`,
  extrapolations: (config, job, driven) => {
    const notices = profileExtrapolations(profileOf(config), job, driven, simulatorTerms(config).cores);
    // Timely mode has no channels: its exchange terms are not the profile's
    const timely = config.mode === 'timely';
    return notices.filter((n) => !timely || (n.term !== 'exchange' && n.term !== 'channel rate')).map((n) => n.text);
  },
} satisfies EngineEntry<SimulatorConfig>;
