/** Flink's row of the engine table (registry.ts). */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EngineEntry } from '../entry.js';
import { hashFiles, matchFile } from '../shared/version.js';
import { flinkCapabilities, flinkConfig, type FlinkConfig } from './config.js';
import { FlinkEngine, NEXMARK_ON_FLINK } from './engine.js';
import { commandWorks, defaultJobsDir, JAR_NAME } from './launcher.js';

export const FLINK = {
  schema: flinkConfig,
  create: (config) => new FlinkEngine(config),
  capabilities: flinkCapabilities,
  label: () => 'real Flink',
  name: () => 'flink',
  available: (config) => {
    const jar = config.jar ?? join(resolve(config.jobsDir ?? defaultJobsDir()), 'target', JAR_NAME);
    const built = existsSync(jar);
    // remote mode needs no JVM here; a local MiniCluster does
    if (config.rest === undefined && !commandWorks(config.java)) return { runs: false, built, reason: `'${config.java} -version' does not run` };
    if (!built && !commandWorks(config.mvn)) return { runs: false, built, reason: `no job jar at ${jar} and '${config.mvn} -version' does not run` };
    return { runs: true, built, ...(built ? {} : { reason: `the first deploy builds ${jar} with ${config.mvn}` }) };
  },
  version: () => `flink ${matchFile('jobs/flink/pom.xml', /<flink\.version>([^<]+)</)}, jobs ${hashFiles(['jobs/flink/src', 'jobs/flink/pom.xml'])}`,
  operatorLimit: (config) => config.slots,
  // a MiniCluster JVM and a job submission per deploy
  costs: () => ({ deploySec: 20, speedup: 1, rescaleSec: 60 }),
  nexmark: NEXMARK_ON_FLINK,
} satisfies EngineEntry<FlinkConfig>;
