/**
 * One Flink job, driven over REST: windows observed from differenced samples (sampling.ts, metrics.ts), the job
 * watched between them (failovers and restarts by the cluster as events, the recovery bound, the slots it may
 * use), rescales in place (adaptive scheduler) or by savepoint and resubmission, the source rate changed through
 * the rate endpoint, and stop (the local JVM through its handle from launcher.ts).
 */
import { rmSync } from 'node:fs';
import type { JobGraph } from '../../core/job.js';
import type { EngineEvent, Snapshot } from '../../core/metrics.js';
import { sameParallelism, validateParallelism, type Parallelism } from '../../core/parallelism.js';
import type { Deployment, RescaleReport } from '../engine.js';
import { emptySnapshot } from '../shared/metrics.js';
import type { FlinkConfig } from './config.js';
import { jobArguments } from './job.js';
import { allRunning, FlinkJobFailedError, rootCause, sleep, waitUntilRunning } from './job-state.js';
import { JOB_MAIN_CLASS, type LocalCluster } from './launcher.js';
import type { FlinkLeftovers } from './leftovers.js';
import { mapVertices } from './names.js';
import type { RateServer } from './rate-server.js';
import { takeSample, type GaugeNames } from './sampling.js';
import { computeSnapshot, type JobSample } from './metrics.js';
import { clampParallelism, describeOverview, grantableSlots } from './slots.js';
import { FlinkRestError, TERMINAL_STATES, type ClusterOverview, type FlinkRestClient, type JobDetails } from './rest.js';

/** What a deployment needs of its engine. */
export interface DeploymentOwner {
  readonly config: FlinkConfig;
  forget(d: FlinkDeployment): void;
}

export interface FlinkRescaleReport extends RescaleReport {
  readonly mode: 'inPlace' | 'savepoint' | 'none';
  /** Seconds from the request to every subtask running at the new parallelism. */
  readonly totalSeconds: number;
}

export interface DeploymentInit {
  engine: DeploymentOwner;
  job: JobGraph;
  client: FlinkRestClient;
  jarId: string;
  jobId: string;
  /** The Flink job's name (flinkJobName), kept across savepoint resubmissions. */
  jobName: string;
  vertexOf: Record<string, string>;
  parallelism: Parallelism;
  rate: number;
  rateToken: string;
  rateUrl: string;
  rateServer: RateServer;
  cluster?: LocalCluster;
  /** Local mode without a configured stateDir: the temp folder to delete on stop. */
  tempDir?: string;
  mode: 'inPlace' | 'savepoint';
  /** The cluster's metrics.fetcher.update-interval. */
  fetchIntervalMs: number;
  flinkVersion: string;
  /** Epoch ms when the running execution graph was created (Flink's job timestamps: CREATED). */
  graphCreatedAt: number;
  /** Epoch ms of the newest failure in the job's exception history (0: none). */
  lastExceptionAt: number;
}

/** Seconds of a Flink epoch-ms span. */
const secs = (fromMs: number, toMs: number): number => Math.max(0, toMs - fromMs) / 1000;

export class FlinkDeployment implements Deployment {
  readonly job: JobGraph;
  readonly client: FlinkRestClient;
  /** How rescale() works on this cluster unless told otherwise. */
  readonly rescaleMode: 'inPlace' | 'savepoint';
  private current: Parallelism;
  private jobIdNow: string;
  private vertexOf: Record<string, string>;
  private rate: number;
  private readonly startedAt = performance.now();
  /** Date.now() at deploy: converts Flink's epoch-ms timestamps to engine time. */
  private readonly startedAtEpoch = Date.now();
  private readonly gauges = new Map<string, GaugeNames>();
  private stopped = false;
  /** CREATED timestamp of the execution graph we last saw running (a new one = a restart). */
  private graphCreatedAt: number;
  private lastExceptionAt: number;
  /** Epoch ms since when the job has not been fully running (undefined: running). */
  private downSince: number | undefined;
  /** Restarts Flink made on its own, finished since the last snapshot. */
  private pending: EngineEvent[] = [];
  private cap: number | undefined;
  /** Slots allocated to this job at the last look (undefined: the TaskManagers did not say). */
  private heldSlots: number | undefined;
  private lastOverview: ClusterOverview | undefined;

  constructor(private readonly init: DeploymentInit) {
    this.job = init.job;
    this.client = init.client;
    this.rescaleMode = init.mode;
    this.current = { ...init.parallelism };
    this.jobIdNow = init.jobId;
    this.vertexOf = init.vertexOf;
    this.rate = init.rate;
    this.graphCreatedAt = init.graphCreatedAt;
    this.lastExceptionAt = init.lastExceptionAt;
  }

  /** The parallelism running now: updated after every look at the job (a failover may have changed it). */
  get parallelism(): Parallelism {
    return this.current;
  }

  /** The task slots this job can use: the cluster's free slots plus those it holds (slot sharing). */
  get maxOperatorParallelism(): number | undefined {
    return this.cap;
  }

  get jobId(): string {
    return this.jobIdNow;
  }

  /** The cluster's Flink version (from REST /overview). */
  get flinkVersion(): string {
    return this.init.flinkVersion;
  }

  get version(): string {
    return this.init.flinkVersion;
  }

  get restUrl(): string {
    return this.client.baseUrl;
  }

  /** Remote mode: the job and jar this deployment would leave on the cluster if the harness were killed. */
  leftovers(): FlinkLeftovers | undefined {
    if (this.init.cluster) return undefined; // local: the JVM exits with the harness; reclaim removes its folder
    return { engine: 'flink', rest: this.client.baseUrl, jobName: this.init.jobName, jarId: this.init.jarId };
  }

  /** The Flink job's name on the cluster. */
  get jobName(): string {
    return this.init.jobName;
  }

  /** The local MiniCluster's JVM pid (undefined in remote mode). */
  get pid(): number | undefined {
    return this.init.cluster?.pid;
  }

  /** Flink vertex id of each operator. */
  get vertices(): Readonly<Record<string, string>> {
    return this.vertexOf;
  }

  now(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** Engine time of a Flink timestamp (epoch ms). */
  private engineTime(epochMs: number): number {
    return Math.round(((epochMs - this.startedAtEpoch) / 1000) * 1000) / 1000;
  }

  /** Lets time pass, looking at the job every second (failovers, the recovery bound). */
  async advance(seconds: number): Promise<void> {
    this.assertLive();
    await this.watch(seconds * 1000);
  }

  async setRate(rate: number): Promise<void> {
    this.init.rateServer.set(this.init.rateToken, rate);
    this.rate = rate;
  }

  /**
   * Milliseconds a sample waits for fresh metrics: Flink's REST metric fetcher refreshes lazily (a request
   * triggers an asynchronous fetch at most every update-interval and is answered from the previous one).
   */
  get primeMs(): number {
    return this.init.fetchIntervalMs + 300;
  }

  /** Sample of the job (for tools and tests): triggers a metric fetch, waits for it, then reads. */
  async sample(): Promise<JobSample> {
    await this.client.job(this.jobIdNow);
    await sleep(this.primeMs);
    return takeSample(this.client, this.jobIdNow, this.vertexOf, this.job.sources(), this.gauges);
  }

  /** A first sample whose metrics are all present (new subtasks need one metric-fetch interval). */
  private async readySample(maxWaitMs = 5000): Promise<JobSample> {
    const deadline = performance.now() + maxWaitMs;
    for (;;) {
      const s = await this.sample();
      const ready = s.state === 'RUNNING' && Object.values(s.vertices).every((v) => v.subtasks.every((t) => t.complete && t.status === 'RUNNING'));
      if (ready || performance.now() > deadline) return s;
      await this.watch(250);
    }
  }

  /** Sleeps `ms`, looking at the job at least every second. */
  private async watch(ms: number): Promise<void> {
    const end = performance.now() + Math.max(0, ms);
    for (;;) {
      const left = end - performance.now();
      if (left <= 0) return;
      await sleep(Math.min(1000, left));
      await this.check();
    }
  }

  /**
   * One look at the job: fails on a terminal state or when the job has been down longer than recoveryTimeoutSec;
   * when it runs, updates the true parallelism and the slot cap, and turns a restart Flink made on its own (a new
   * execution graph we did not ask for) into an event with Flink's timestamps.
   */
  private async check(): Promise<JobDetails | undefined> {
    let d: JobDetails | undefined;
    let why: string;
    try {
      d = await this.client.job(this.jobIdNow, { retries: 1 });
      if (TERMINAL_STATES.has(d.state)) throw new FlinkJobFailedError(`Flink job ${this.jobIdNow} is ${d.state}: ${await rootCause(this.client, this.jobIdNow)}`);
      if (allRunning(d)) {
        this.downSince = undefined;
        const created = d.timestamps?.CREATED ?? this.graphCreatedAt;
        if (created !== this.graphCreatedAt) await this.recordRestart(d, created);
        this.current = this.actualParallelism(d);
        return d;
      }
      why = `job ${d.state}; ${d.vertices.map((v) => `${operatorIdOfVertexIdOr(this.vertexOf, v.id, v.name)} ${v.tasks?.RUNNING ?? 0}/${v.parallelism} running`).join(', ')}`;
    } catch (e) {
      if (e instanceof FlinkJobFailedError) throw e;
      why = `REST ${this.client.baseUrl} not answering: ${(e as Error).message}`;
    }
    const now = Date.now();
    this.downSince ??= now;
    const downSec = (now - this.downSince) / 1000;
    const bound = this.init.engine.config.recoveryTimeoutSec;
    if (downSec > bound) {
      const o = await this.client.overview({ retries: 0, timeoutMs: 3000 }).catch(() => undefined);
      const cluster = o ? `the cluster has ${describeOverview(o)}` : 'the JobManager does not answer';
      const failure = (await this.client.exceptions(this.jobIdNow, 1).catch(() => []))[0];
      throw new FlinkJobFailedError(
        `Flink job ${this.jobIdNow} did not recover within ${bound} s (engine config 'recoveryTimeoutSec'): down for ${downSec.toFixed(0)} s (${why}); ${cluster}${failure ? `; last failure: ${failure.exceptionName ?? 'unknown'}` : ''}`,
      );
    }
    return d;
  }

  /** A restart we did not ask for, now running again: a failover (new failures in the history) or the cluster's rescale. */
  private async recordRestart(d: JobDetails, created: number): Promise<void> {
    const before = this.current;
    const after = this.actualParallelism(d);
    const failures = (await this.client.exceptions(this.jobIdNow).catch(() => [])).filter((e) => e.timestamp > this.lastExceptionAt);
    const runningAt = (await this.runningSince(d).catch(() => undefined)) ?? Date.now();
    const first = failures.length > 0 ? Math.min(...failures.map((f) => f.timestamp)) : undefined;
    const start = first ?? Math.min(created, this.downSince ?? created);
    const cause =
      failures.length > 0
        ? `${failures.length} failure${failures.length > 1 ? 's' : ''}: ${failures[failures.length - 1]?.exceptionName ?? 'unknown'}${failures[failures.length - 1]?.endpoint ? ` at ${failures[failures.length - 1]?.endpoint}` : ''}`
        : sameParallelism(before, after)
          ? 'restarted by the cluster'
          : 'the cluster rescaled the job (its task slots changed)';
    this.pending.push({
      kind: first !== undefined ? 'failover' : 'clusterRescale',
      at: this.engineTime(start),
      recoverySeconds: secs(start, runningAt),
      downtimeSeconds: secs(start, runningAt),
      parallelismBefore: before,
      parallelismAfter: after,
      cause,
    });
    if (failures.length > 0) this.lastExceptionAt = Math.max(...failures.map((f) => f.timestamp));
    this.graphCreatedAt = created;
  }

  /** Epoch ms when the last subtask of the job's current execution graph started RUNNING (Flink's clock). */
  private async runningSince(d: JobDetails): Promise<number | undefined> {
    const details = await Promise.all(d.vertices.map((v) => this.client.vertex(this.jobIdNow, v.id)));
    let runningAt = 0;
    for (const v of details)
      for (const t of v.subtasks) {
        const dur = t['status-duration'] ?? {};
        runningAt = Math.max(runningAt, t['start-time'] + (dur.DEPLOYING ?? 0) + (dur.INITIALIZING ?? 0));
      }
    return runningAt > 0 ? runningAt : undefined;
  }

  /** Looks at the job and the cluster's slots now (the engine calls it after deploy). */
  async refresh(): Promise<void> {
    await this.refreshCap(await this.check());
  }

  /**
   * Reads the slots Flink would grant this job: the free ones plus those allocated to it. The latter are counted
   * on the TaskManagers (REST allocatedSlots by job id), because after a scale-down the JobMaster keeps the slots
   * it freed until its idle timeout: they are neither free nor in use, yet a scale-up gets them back at once.
   * Without the per-TaskManager answer, the slots the running job uses (its largest parallelism, slot sharing).
   */
  private async refreshCap(d?: JobDetails): Promise<number | undefined> {
    try {
      const o = await this.client.overview({ retries: 1 });
      this.lastOverview = o;
      const inUse = d && allRunning(d) ? Math.max(0, ...d.vertices.map((v) => v.parallelism)) : Math.max(...Object.values(this.current));
      // Only when some slots are neither free nor in use may the job hold idle ones: ask the TaskManagers then.
      const allocated = o['slots-available'] + inUse < o['slots-total'] ? await this.slotsAllocated().catch(() => undefined) : undefined;
      this.heldSlots = allocated;
      this.cap = grantableSlots(o, inUse, allocated);
    } catch {
      // keep the last known cap
    }
    return this.cap;
  }

  /** Slots allocated to this job on all TaskManagers (busy or held idle by its JobMaster). */
  private async slotsAllocated(): Promise<number> {
    const tms = await this.client.taskManagers({ retries: 1 });
    const details = await Promise.all(tms.map((t) => this.client.taskManager(t.id, { retries: 1 })));
    return details.reduce((n, t) => n + (t.allocatedSlots ?? []).filter((a) => a.jobId === this.jobIdNow).length, 0);
  }

  async observe(windowSeconds: number): Promise<Snapshot> {
    this.assertLive();
    const rate = this.rate;
    await this.check();
    let s0: JobSample;
    try {
      s0 = await this.readySample();
    } catch (e) {
      if (e instanceof FlinkJobFailedError) throw e;
      await this.failIfTerminal();
      await this.watch(windowSeconds * 1000);
      return this.finish(this.invalid(windowSeconds, rate, `REST sampling failed: ${(e as Error).message}`));
    }
    await this.watch(windowSeconds * 1000 - (Date.now() - s0.at) - this.primeMs);
    let s1: JobSample;
    try {
      s1 = await this.sample();
    } catch (e) {
      await this.failIfTerminal();
      return this.finish(this.invalid(windowSeconds, rate, `REST sampling failed: ${(e as Error).message}`));
    }
    if (TERMINAL_STATES.has(s1.state)) await this.failIfTerminal();
    const snapshot = computeSnapshot(s0, s1, { job: this.job, time: this.now(), windowSeconds: (s1.at - s0.at) / 1000, targetRate: rate });
    const ran = Object.fromEntries(this.job.operatorIds.map((op) => [op, s1.vertices[op]?.parallelism ?? this.current[op] ?? 1]));
    return this.finish({ ...snapshot, parallelism: ran });
  }

  /** Closes a window: one more look at the job (events, true parallelism, slots, the recovery bound). */
  private async finish(s: Snapshot): Promise<Snapshot> {
    const d = await this.check();
    await this.refreshCap(d);
    const events = this.pending;
    this.pending = [];
    let note = s.note;
    if (!s.valid && this.downSince !== undefined) {
      const o = this.lastOverview;
      note = `${note ?? 'invalid'}; job down for ${secs(this.downSince, Date.now()).toFixed(1)} s${o ? `, cluster has ${describeOverview(o)}` : ''}`;
    }
    return {
      ...s,
      parallelism: s.parallelism ?? { ...this.current },
      ...(note !== undefined ? { note } : {}),
      ...(events.length > 0 ? { events } : {}),
    };
  }

  private async failIfTerminal(): Promise<void> {
    const d = await this.client.job(this.jobIdNow).catch(() => undefined);
    if (d && TERMINAL_STATES.has(d.state))
      throw new FlinkJobFailedError(`Flink job ${this.jobIdNow} is ${d.state}: ${await rootCause(this.client, this.jobIdNow)}`);
  }

  private invalid(windowSeconds: number, rate: number, note: string): Snapshot {
    return emptySnapshot(this.job, this.current, { time: this.now(), windowSeconds, targetRate: rate, note });
  }

  /**
   * Rescales to `parallelism`: in place through the adaptive scheduler's resource requirements (the job keeps its
   * id and restores from its latest checkpoint), or by stop-with-savepoint and resubmission. The cluster's slots
   * are read first: what exceeds them is not asked for (each operator gets at most the slots this job can use),
   * and the report says what was requested and what runs. A request that changes nothing returns at once.
   */
  async rescale(parallelism: Parallelism, options: { mode?: 'inPlace' | 'savepoint' } = {}): Promise<FlinkRescaleReport> {
    this.assertLive();
    validateParallelism(this.job, parallelism);
    const d = await this.check();
    const cap = await this.refreshCap(d);
    const granted = clampParallelism(parallelism, cap);
    const partial = !sameParallelism(granted, parallelism);
    const capNote = partial
      ? `the cluster has ${cap} task slots for this job (${this.lastOverview ? describeOverview(this.lastOverview) : 'slots unknown'}${this.heldSlots !== undefined ? `, ${this.heldSlots} allocated to it` : ''}): granted ${JSON.stringify(granted)} of ${JSON.stringify(parallelism)}`
      : undefined;
    if (sameParallelism(granted, this.current)) {
      return {
        downtimeSeconds: 0,
        tookEffect: !partial,
        parallelism: this.current,
        mode: 'none',
        totalSeconds: 0,
        ...(partial ? { requested: parallelism, note: `${capNote}; nothing changed` } : {}),
      };
    }
    const mode = options.mode ?? this.rescaleMode;
    const r = mode === 'inPlace' ? await this.rescaleInPlace(granted) : await this.rescaleBySavepoint(granted);
    const tookEffect = sameParallelism(r.parallelism, parallelism);
    const notes = [capNote, r.note].filter((n): n is string => !!n);
    return {
      ...r,
      tookEffect,
      ...(tookEffect ? {} : { requested: parallelism }),
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    };
  }

  private expected(parallelism: Parallelism): Record<string, number> {
    return Object.fromEntries(this.job.operatorIds.map((op) => [this.vertexOf[op] as string, parallelism[op] as number]));
  }

  private actualParallelism(d: JobDetails): Parallelism {
    const byVertex = new Map(d.vertices.map((v) => [v.id, v.parallelism]));
    return Object.fromEntries(this.job.operatorIds.map((op) => [op, byVertex.get(this.vertexOf[op] as string) ?? this.current[op] ?? 1]));
  }

  /** After a restart we asked for: the running graph is ours, failures until now are accounted for. */
  private async adopt(d: JobDetails): Promise<void> {
    this.graphCreatedAt = d.timestamps?.CREATED ?? this.graphCreatedAt;
    this.current = this.actualParallelism(d);
    this.downSince = undefined;
    const newest = (await this.client.exceptions(this.jobIdNow, 1).catch(() => []))[0]?.timestamp;
    if (newest !== undefined) this.lastExceptionAt = Math.max(this.lastExceptionAt, newest);
  }

  private async rescaleInPlace(parallelism: Parallelism): Promise<FlinkRescaleReport> {
    const cfg = this.init.engine.config;
    const expect = this.expected(parallelism);
    const createdBefore = this.graphCreatedAt;
    const req = await this.client.resourceRequirements(this.jobIdNow);
    for (const [vid, p] of Object.entries(expect)) req[vid] = { parallelism: { lowerBound: 1, upperBound: p } };
    const t0 = performance.now();
    await this.client.setResourceRequirements(this.jobIdNow, req);
    let downAt: number | undefined;
    let lastPoll = t0;
    let last: JobDetails | undefined;
    /** When a new graph first ran at another parallelism than asked (the cluster could not grant it). */
    let settledShortAt: number | undefined;
    const deadline = t0 + cfg.rescaleTimeoutSec * 1000;
    const result = async (tookEffect: boolean, d: JobDetails, note?: string): Promise<FlinkRescaleReport> => {
      const upAt = performance.now();
      downAt ??= lastPoll; // the restart fell between two polls
      await this.adopt(d);
      // Flink's own clock: from the new execution graph's creation to its last subtask running (a lower bound
      // of the downtime: it misses the cancellation of the old tasks); polling gives an upper bound.
      const created = d.timestamps?.CREATED;
      const runningAt = await this.runningSince(d).catch(() => undefined);
      const flinkSec = created && runningAt && runningAt > created ? secs(created, runningAt) : 0;
      const restarted = created !== createdBefore;
      return {
        downtimeSeconds: restarted ? Math.max((upAt - downAt) / 1000, flinkSec) : 0,
        tookEffect,
        parallelism: this.current,
        mode: 'inPlace',
        totalSeconds: (upAt - t0) / 1000,
        ...(note ? { note } : {}),
      };
    };
    while (performance.now() < deadline) {
      const at = performance.now();
      try {
        last = await this.client.job(this.jobIdNow);
      } catch (e) {
        if (!(e instanceof FlinkRestError)) throw e;
        await sleep(100);
        continue;
      }
      if (TERMINAL_STATES.has(last.state))
        throw new FlinkJobFailedError(`Flink job ${this.jobIdNow} is ${last.state} after a rescale: ${await rootCause(this.client, this.jobIdNow)}`);
      if (allRunning(last, expect)) return result(true, last);
      if (allRunning(last) && (last.timestamps?.CREATED ?? createdBefore) !== createdBefore) {
        // A new graph runs, but not at what was asked: the slots shrank meanwhile. Give it a moment, then report.
        settledShortAt ??= at;
        if (at - settledShortAt > 3000) return result(false, last, 'the job restarted at a lower parallelism than granted (the cluster lost slots)');
      } else settledShortAt = undefined;
      if (downAt === undefined && !allRunning(last)) downAt = at;
      lastPoll = at;
      await sleep(100);
    }
    // Timed out. Downtime only if the job actually restarted (a request that never took effect is not downtime).
    if (last && allRunning(last)) return result(false, last, `not every operator ran at the requested parallelism within ${cfg.rescaleTimeoutSec} s`);
    if (last) this.current = this.actualParallelism(last);
    return {
      downtimeSeconds: downAt !== undefined ? (performance.now() - downAt) / 1000 : 0,
      tookEffect: false,
      parallelism: this.current,
      mode: 'inPlace',
      totalSeconds: (performance.now() - t0) / 1000,
      note: `not every operator ran at the requested parallelism within ${cfg.rescaleTimeoutSec} s`,
    };
  }

  private async rescaleBySavepoint(parallelism: Parallelism): Promise<FlinkRescaleReport> {
    const cfg = this.init.engine.config;
    const t0 = performance.now();
    const oldJob = this.jobIdNow;
    const trigger = await this.client.stopWithSavepoint(oldJob, cfg.savepointDir, false);
    let location: string | undefined;
    const deadline = t0 + cfg.rescaleTimeoutSec * 1000;
    while (performance.now() < deadline) {
      const st = await this.client.savepointStatus(oldJob, trigger);
      if (st.status.id === 'COMPLETED') {
        const failure = st.operation?.['failure-cause'];
        if (failure || !st.operation?.location) {
          const why = failure?.['stack-trace']?.split('\n')[0] ?? 'no savepoint location';
          const d = await this.client.job(oldJob).catch(() => undefined);
          if (d && d.state === 'RUNNING')
            return { downtimeSeconds: 0, tookEffect: false, parallelism: this.current, mode: 'savepoint', totalSeconds: (performance.now() - t0) / 1000, note: `stop-with-savepoint failed: ${why}` };
          throw new FlinkJobFailedError(`stop-with-savepoint of ${oldJob} failed and the job is ${d?.state ?? 'gone'}: ${why}`);
        }
        location = st.operation.location;
        break;
      }
      await sleep(100);
    }
    if (!location) throw new FlinkJobFailedError(`stop-with-savepoint of ${oldJob} did not complete within ${cfg.rescaleTimeoutSec} s`);
    const tStopped = performance.now();
    const args = jobArguments(this.job, parallelism, this.rate, this.init.rateUrl, cfg, this.init.jobName);
    const jobId = await this.client.runJar(this.init.jarId, { entryClass: JOB_MAIN_CLASS, programArgsList: args, savepointPath: location, allowNonRestoredState: false });
    this.jobIdNow = jobId;
    this.gauges.clear();
    this.lastExceptionAt = 0;
    const first = await waitUntilRunning(this.client, jobId, cfg.rescaleTimeoutSec);
    this.vertexOf = mapVertices(this.job, first.vertices);
    const d = await waitUntilRunning(this.client, jobId, cfg.rescaleTimeoutSec, this.expected(parallelism));
    const upAt = performance.now();
    await this.adopt(d);
    return {
      downtimeSeconds: (upAt - t0) / 1000,
      tookEffect: true,
      parallelism: this.current,
      mode: 'savepoint',
      totalSeconds: (upAt - t0) / 1000,
      note: `savepoint ${((tStopped - t0) / 1000).toFixed(1)} s, resubmission ${((upAt - tStopped) / 1000).toFixed(1)} s (${location})`,
    };
  }

  private assertLive(): void {
    if (this.stopped) throw new Error('this Flink deployment was stopped');
  }

  /** Cancels the job and, in local mode, kills the cluster's JVM. Idempotent; never throws. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.init.engine.forget(this);
    this.init.rateServer.unregister(this.init.rateToken);
    if (this.init.cluster) {
      await this.init.cluster.stop(); // the job dies with its MiniCluster
      if (this.init.tempDir) rmSync(this.init.tempDir, { recursive: true, force: true });
      return;
    }
    await this.client.cancel(this.jobIdNow).catch(() => undefined);
    for (const deadline = performance.now() + 15_000; performance.now() < deadline; ) {
      const d = await this.client.job(this.jobIdNow, { retries: 0 }).catch(() => undefined);
      if (!d || TERMINAL_STATES.has(d.state)) break;
      await sleep(200);
    }
    await this.client.deleteJar(this.init.jarId).catch(() => undefined);
  }
}

/** An operator id for a vertex id (for messages), else the vertex name. */
function operatorIdOfVertexIdOr(vertexOf: Readonly<Record<string, string>>, vid: string, name: string): string {
  for (const [op, v] of Object.entries(vertexOf)) if (v === vid) return op;
  return name;
}
