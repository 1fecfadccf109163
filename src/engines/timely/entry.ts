/** Timely's row of the engine table (registry.ts). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EngineEntry } from '../entry.js';
import { hashFiles } from '../shared/version.js';
import { binaryPath, cargoAvailable, defaultJobsDir } from './build.js';
import { timelyCapabilities, timelyConfig, type TimelyConfig } from './config.js';
import { NEXMARK_ON_TIMELY, TIMELY_VERSION, TimelyEngine } from './engine.js';

export const TIMELY = {
  schema: timelyConfig,
  create: (config) => new TimelyEngine(config),
  capabilities: timelyCapabilities,
  label: () => 'real Timely',
  name: () => 'timely',
  available: (config) => {
    const binary = config.binary ? resolve(config.binary) : binaryPath(resolve(config.jobsDir ?? defaultJobsDir()));
    const built = existsSync(binary);
    if (config.binary) return built ? { runs: true, built } : { runs: false, built, reason: `no binary at ${binary}` };
    if (!built && !cargoAvailable(config.cargo)) return { runs: false, built, reason: `no binary at ${binary} and '${config.cargo} --version' does not run` };
    return { runs: true, built, ...(built ? {} : { reason: `the first deploy builds ${binary} with ${config.cargo}` }) };
  },
  version: () => `${TIMELY_VERSION}, jobs ${hashFiles(['jobs/timely/src', 'jobs/timely/Cargo.toml', 'jobs/timely/Cargo.lock'])}`,
  operatorLimit: (config) => config.maxWorkers,
  // one process start per deploy
  costs: () => ({ deploySec: 3, speedup: 1, rescaleSec: 60 }),
  nexmark: NEXMARK_ON_TIMELY,
} satisfies EngineEntry<TimelyConfig>;
