/**
 * The Timely Dataflow engine (jobs/timely on timely 0.31).
 *
 *   import { TimelyEngine } from './engines/timely/index.js';
 *   const engine = new TimelyEngine({});                          // worker-count mode, one process
 *   const engine = new TimelyEngine({ parallelism: 'placement' }); // per-operator placement on W workers
 *   const d = await engine.deploy(job, parallelism, rate);  ...  await d.stop(); await engine.close();
 */
export { timelyConfig, TIMELY_DEFAULTS, resolveTimelyConfig, type TimelyConfig, type TimelyEngineOptions } from './config.js';
export {
  TimelyEngine,
  TimelyDeployment,
  TimelyJobFailedError,
  NEXMARK_ON_TIMELY,
  binaryArguments,
  layoutOf,
  parallelismOf,
  processCommand,
  processCount,
  resumeFrom,
  shellQuote,
  workloadOf,
  type SourceResume,
  type TimelyLayout,
  type TimelyRescaleReport,
  type TimelyWorkload,
} from './engine.js';
export { BINARY_NAME, binaryIsStale, binaryPath, cargoAvailable, defaultJobsDir, ensureBinary } from './build.js';
export { computeSnapshot, invalidReason, workerIdle, type SnapshotContext } from './metrics.js';
export { TimelyProcess, TimelyProcessError, type ProcessSample, type ReadyLine, type SourceWorkerSample, type WorkerSample } from './process.js';
export { trackedPids, pidAlive } from '../shared/processes.js';
