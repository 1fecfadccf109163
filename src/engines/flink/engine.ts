/**
 * The Flink engine: deploys a harness JobGraph on real Flink (the Nexmark query of the same name, or any DAG as
 * the synthetic job) and hands back a deployment that drives it (deployment.ts).
 *
 * Local mode starts one MiniCluster JVM per deployment (launcher.ts) and kills it on stop; remote mode drives an
 * existing cluster at `rest`. Both submit by uploading the job jar and running it over REST.
 * Beside it: job.ts (which job, its program arguments), deployment.ts (observing, rescaling, stopping one job over
 * REST), rest.ts (the REST client), job-state.ts (waiting for a job, its failure), sampling.ts (REST samples of
 * a job), metrics.ts (snapshots from samples), slots.ts (what a parallelism needs and Flink would grant),
 * leftovers.ts (a killed harness's debris), launcher.ts (the local JVM and the job jar's build).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { JobGraph } from '../../core/job.js';
import { validateParallelism, type Parallelism } from '../../core/parallelism.js';
import type { Engine, EngineCapabilities, Leftovers } from '../engine.js';
import { flinkCapabilities, resolveFlinkConfig, type FlinkConfig, type FlinkEngineOptions } from './config.js';
import { FlinkDeployment } from './deployment.js';
import { jobArguments } from './job.js';
import { parseDurationMs, waitUntilRunning } from './job-state.js';
import { defaultJobsDir, ensureJobJar, JOB_MAIN_CLASS, startLocalCluster, type LocalCluster } from './launcher.js';
import { flinkJobName, LOCAL_TEMP_PREFIX, reclaimFlink } from './leftovers.js';
import { mapVertices } from './names.js';
import { RateServer } from './rate-server.js';
import { describeOverview, FlinkCapacityError, slotsNeeded } from './slots.js';
import { FlinkRestClient } from './rest.js';

export { jobArguments, NEXMARK_ON_FLINK, workloadOf, type FlinkWorkload } from './job.js';
export { FlinkDeployment, type FlinkRescaleReport } from './deployment.js';

export class FlinkEngine implements Engine {
  readonly kind = 'flink';
  readonly config: FlinkConfig;
  private readonly rateServer: RateServer;
  private readonly deployments = new Set<FlinkDeployment>();
  private counter = 0;

  /** Options are the engine config ({"kind":"flink", ...}) with every key optional; see config.ts. */
  constructor(options: FlinkEngineOptions = {}) {
    this.config = resolveFlinkConfig(options);
    this.rateServer = new RateServer(this.config.rateHost, this.config.rateAdvertise);
  }

  /** Validates a raw config object (e.g. from an experiment file) and builds the engine. */
  static fromConfig(raw: unknown): FlinkEngine {
    return new FlinkEngine(resolveFlinkConfig(raw));
  }

  get capabilities(): EngineCapabilities {
    return flinkCapabilities(this.config);
  }

  get remote(): boolean {
    return this.config.rest !== undefined;
  }

  async deploy(job: JobGraph, parallelism: Parallelism, rate: number): Promise<FlinkDeployment> {
    const cfg = this.config;
    validateParallelism(job, parallelism);
    const need = slotsNeeded(parallelism);
    if (!this.remote && need.slots > cfg.slots)
      throw new FlinkCapacityError(
        `cannot deploy '${job.name}': operator ${need.operator} at parallelism ${need.slots} needs ${need.slots} task slots, but the local cluster has ${cfg.slots} (engine config 'slots')`,
      );
    jobArguments(job, parallelism, rate, undefined, cfg); // validates the workload before anything starts
    const jobName = flinkJobName(job);

    const jobsDir = resolve(cfg.jobsDir ?? defaultJobsDir());
    const built = cfg.jar ? { jar: cfg.jar, classpath: cfg.jar, buildSeconds: 0 } : await ensureJobJar(jobsDir, cfg.mvn);
    const { token, url: rateUrl } = await this.rateServer.register(rate);
    let cluster: LocalCluster | undefined;
    let client: FlinkRestClient | undefined;
    let jarId: string | undefined;
    let jobId: string | undefined;
    let tempDir: string | undefined;
    try {
      let restUrl = cfg.rest as string;
      if (!this.remote) {
        const base = cfg.stateDir ? resolve(cfg.stateDir) : (tempDir = mkdtempSync(join(tmpdir(), `${LOCAL_TEMP_PREFIX}${process.pid}-`)));
        cluster = await startLocalCluster({
          java: cfg.java,
          javaOptions: cfg.javaOptions,
          jobsDir,
          classpath: built.classpath,
          slots: cfg.slots,
          stateDir: cfg.stateDir ? join(base, `deploy-${process.pid}-${++this.counter}`) : base,
          metricsIntervalMs: cfg.metricsIntervalMs,
          startTimeoutSec: cfg.startTimeoutSec,
        });
        restUrl = cluster.url;
      }
      client = new FlinkRestClient(restUrl, { timeoutMs: cfg.restTimeoutMs, retries: cfg.restRetries, backoffMs: cfg.restBackoffMs });
      // Slots first: a deployment the cluster cannot hold is refused with the numbers, before anything is submitted.
      // A local MiniCluster answers REST before its TaskManager has registered its slots: wait for them (bounded).
      let overview = await client.overview();
      for (const until = performance.now() + cfg.startTimeoutSec * 1000; !this.remote && overview['slots-total'] < cfg.slots && performance.now() < until; ) {
        await new Promise((r) => setTimeout(r, 200));
        overview = await client.overview();
      }
      if (need.slots > overview['slots-available'])
        throw new FlinkCapacityError(
          `cannot deploy '${job.name}': operator ${need.operator} at parallelism ${need.slots} needs ${need.slots} task slots (slot sharing: the largest operator's parallelism), but the cluster at ${restUrl} has ${describeOverview(overview)}; lower the initial parallelism or add TaskManagers`,
        );
      jarId = await client.uploadJar(built.jar);
      jobId = await client.runJar(jarId, { entryClass: JOB_MAIN_CLASS, programArgsList: jobArguments(job, parallelism, rate, rateUrl, cfg, jobName) });
      const details = await waitUntilRunning(client, jobId, cfg.startTimeoutSec);
      const vertexOf = mapVertices(job, details.vertices);
      const expected = Object.fromEntries(job.operatorIds.map((op) => [vertexOf[op] as string, parallelism[op] as number]));
      await waitUntilRunning(client, jobId, cfg.startTimeoutSec, expected);
      const clusterConfig = await client.config();
      const flinkVersion = (await client.overview().catch(() => undefined))?.['flink-version'] ?? cluster?.flinkVersion ?? 'unknown';
      const mode = cfg.rescaleMode !== 'auto' ? cfg.rescaleMode : clusterConfig['jobmanager.scheduler'] === 'adaptive' ? 'inPlace' : 'savepoint';
      const fetchIntervalMs = parseDurationMs(clusterConfig['metrics.fetcher.update-interval']) ?? 10_000;
      const lastException = (await client.exceptions(jobId).catch(() => []))[0]?.timestamp ?? 0;
      const deployment = new FlinkDeployment({
        engine: this,
        job,
        client,
        jarId,
        jobId,
        jobName,
        vertexOf,
        parallelism,
        rate,
        rateToken: token,
        rateUrl,
        rateServer: this.rateServer,
        cluster,
        tempDir,
        mode,
        fetchIntervalMs,
        flinkVersion,
        graphCreatedAt: (await client.job(jobId)).timestamps?.CREATED ?? 0,
        lastExceptionAt: lastException,
      });
      this.deployments.add(deployment);
      await deployment.refresh();
      return deployment;
    } catch (e) {
      this.rateServer.unregister(token);
      if (cluster) await cluster.stop(); // local: the job dies with its cluster
      else if (client && this.remote) {
        // remote: leave nothing behind on the cluster
        if (jobId) await client.cancel(jobId).catch(() => undefined);
        if (jarId) await client.deleteJar(jarId).catch(() => undefined);
      }
      // A failed start's message carries the launcher log's tail; the temporary folder goes (nothing left in /tmp).
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      throw e;
    }
  }

  /** @internal */
  forget(d: FlinkDeployment): void {
    this.deployments.delete(d);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.deployments].map((d) => d.stop()));
    await this.rateServer.close();
  }

  /**
   * After an interrupted harness: cancels the remote jobs its runs left (found by name, still running) and deletes
   * their jars; removes the temporary folders of killed local runs. One line per thing found.
   */
  async reclaim(leftovers: readonly Leftovers[]): Promise<string[]> {
    return reclaimFlink(this.config, leftovers);
  }
}
