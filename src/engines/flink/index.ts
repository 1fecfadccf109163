/**
 * The Flink engine (real Apache Flink 2.3 through its REST API).
 *
 *   import { FlinkEngine } from './engines/flink/index.js';
 *   const engine = new FlinkEngine({});                                  // local MiniCluster per deployment
 *   const engine = FlinkEngine.fromConfig({ kind: 'flink', rest: 'http://host:8081' }); // existing cluster
 *   const d = await engine.deploy(job, parallelism, rate);  ...  await d.stop(); await engine.close();
 */
export { flinkConfig, FLINK_DEFAULTS, resolveFlinkConfig, type FlinkConfig, type FlinkEngineOptions } from './config.js';
export {
  FlinkEngine,
  FlinkDeployment,
  NEXMARK_ON_FLINK,
  jobArguments,
  workloadOf,
  type FlinkRescaleReport,
  type FlinkWorkload,
} from './engine.js';
export { FlinkJobFailedError, parseDurationMs, waitUntilRunning } from './job-state.js';
export { flinkJobName, LOCAL_TEMP_PREFIX, reclaimFlink, staleLocalTempDirs, type FlinkLeftovers } from './leftovers.js';
export { clampParallelism, describeOverview, FlinkCapacityError, grantableSlots, slotsNeeded } from './slots.js';
export { FlinkRestClient, FlinkRestError, type RestOptions, type ClusterOverview, type ExceptionEntry } from './rest.js';
export {
  StandaloneCluster,
  ClusterError,
  clusterConfiguration,
  configYaml,
  taskManagerMemory,
  taskManagerJvmArgs,
  type ClusterState,
  type ClusterStatus,
  type StandaloneClusterOptions,
  type TaskManagerMemory,
} from './cluster.js';
export { commandWorks, defaultJobsDir, ensureJobJar, jarIsStale, livePids, pidAlive, startLocalCluster, type LocalCluster } from './launcher.js';
export { computeSnapshot, operatorMetrics, invalidReason, type JobSample, type VertexSample, type SubtaskSample } from './metrics.js';
export { mapVertices, operatorIdOfVertexName } from './names.js';
export { RateServer } from './rate-server.js';
