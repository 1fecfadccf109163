/**
 * The Timely Dataflow engine: deploys a harness JobGraph on the jobs/timely binary (the Nexmark query of the same
 * name, or any DAG as the synthetic job), observes windows from timely's own logging (metrics.ts), changes the
 * rate while the job runs, and rescales by restarting the process with the new worker count or placement.
 *
 * Parallelism, two ways (config `parallelism`):
 *  - 'workers' (default): every operator runs on all W workers; W is the largest value of the vector (tuners
 *    reduce their per-operator answer to W, see src/tuners/shared/workers.ts). capabilities.sharedWorkers.
 *  - 'placement': operator v runs on p_v of the W workers (its exchange routes to them), so a per-operator
 *    recommendation is applied as it is; total parallelism is the sum of p_v.
 *
 * A rescale is a restart: the old process reports each source's next event id and pacing cursor, exits, and the
 * new one resumes the generator there (events due during the restart are emitted late, as a backlog). Window and
 * join state is not carried over: windows open at the restart lose the records before it. Up to a batch per
 * worker of events may be emitted twice (the resume point is the smallest next id over the workers).
 */
import { engineWorkload, NEXMARK_ON_REAL_ENGINES, type EngineWorkload } from '../shared/workload.js';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { JobGraph } from '../../core/job.js';
import type { Snapshot } from '../../core/metrics.js';
import { emptySnapshot } from '../shared/metrics.js';
import { validateParallelism, type Parallelism } from '../../core/parallelism.js';
import type { Deployment, Engine, EngineCapabilities, RescaleReport } from '../engine.js';
import { defaultJobsDir, ensureBinary } from './build.js';
import { matchFile } from '../shared/version.js';
import { resolveTimelyConfig, timelyCapabilities, type TimelyConfig, type TimelyEngineOptions } from './config.js';
import { computeSnapshot, workerIdle } from './metrics.js';
import { TimelyProcess, TimelyProcessError, type ProcessSample } from './process.js';

/** Operator ids of the Nexmark queries the Timely job implements (the same on both real engines). */
export const NEXMARK_ON_TIMELY = NEXMARK_ON_REAL_ENGINES;

/** 'timely 0.31.0': the timely crate's version in jobs/timely/Cargo.lock. */
export const TIMELY_VERSION = `timely ${matchFile('jobs/timely/Cargo.lock', /name = "timely"\nversion = "([^"]+)"/)}`;

export class TimelyJobFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimelyJobFailedError';
  }
}

export type TimelyWorkload = EngineWorkload;

/** Which Timely job runs a harness job: the real Nexmark query for a job named nexmark-qN, else the synthetic job. */
export function workloadOf(job: JobGraph, mode: TimelyConfig['workload'] = 'auto'): TimelyWorkload {
  return engineWorkload('Timely', NEXMARK_ON_TIMELY, job, mode);
}

/** What a parallelism vector runs as: W workers and, in placement mode, each operator's k. */
export interface TimelyLayout {
  readonly workers: number;
  readonly placement?: Readonly<Record<string, number>>;
}

/** Processes per deployment. */
export function processCount(cfg: TimelyConfig): number {
  return cfg.hosts ? cfg.hosts.length : cfg.processes;
}

/**
 * What a vector runs as. With several processes W is rounded up to a multiple of their number (each runs the
 * same number of worker threads), so a 2-process deployment of W = 3 runs (and reports) 4 workers.
 */
export function layoutOf(job: JobGraph, parallelism: Parallelism, cfg: TimelyConfig): TimelyLayout {
  const n = processCount(cfg);
  const round = (w: number): number => Math.ceil(w / n) * n;
  const largest = Math.max(1, ...job.operatorIds.map((id) => parallelism[id] ?? 1));
  if (cfg.parallelism === 'workers') return { workers: round(Math.min(cfg.maxWorkers, largest)) };
  const workers = round(Math.min(cfg.maxWorkers, cfg.workers ?? largest));
  return { workers, placement: Object.fromEntries(job.operatorIds.map((id) => [id, Math.min(workers, Math.max(1, parallelism[id] ?? 1))])) };
}

/** The parallelism a layout runs, as a valid vector (worker-count mode: W, clipped to each operator's max). */
export function parallelismOf(job: JobGraph, layout: TimelyLayout): Parallelism {
  return Object.fromEntries(
    job.operators().map((o) => [o.id, Math.min(o.maxParallelism, layout.placement ? (layout.placement[o.id] ?? layout.workers) : layout.workers)]),
  );
}

export interface SourceResume {
  readonly nextId: number;
  readonly cursorMs: number;
}

/** Program arguments of one process (index `process` of `processes`). */
export function binaryArguments(
  job: JobGraph,
  layout: TimelyLayout,
  rate: number,
  cfg: TimelyConfig,
  opts: { process?: number; processes?: number; hosts?: readonly string[]; resume?: Readonly<Record<string, SourceResume>> } = {},
): string[] {
  const w = workloadOf(job, cfg.workload);
  const processes = opts.processes ?? 1;
  // W is split evenly over the processes, rounded up (timely runs the same number of threads in each)
  const threads = Math.ceil(layout.workers / processes);
  const args = w.kind === 'nexmark' ? ['--job', 'nexmark', '--query', w.query] : ['--job', 'synthetic', '--spec', JSON.stringify(job.toSpec())];
  args.push(
    '--workers',
    String(threads),
    '--rate',
    String(rate),
    '--seed',
    String(cfg.seed),
    '--epoch-ms',
    String(cfg.epochMs),
    '--max-in-flight-ms',
    String(cfg.maxInFlightMs),
    '--flush-ms',
    String(cfg.flushMs),
    '--logging',
    cfg.logging ? 'on' : 'off',
    '--wait-fraction',
    String(cfg.waitFraction),
    '--park-threshold-us',
    String(cfg.parkThresholdUs),
    '--keys',
    String(cfg.keys),
  );
  if (layout.placement) args.push('--placement', JSON.stringify(layout.placement));
  if (processes > 1) args.push('--processes', String(processes), '--process', String(opts.process ?? 0), '--hosts', (opts.hosts ?? []).join(','));
  if (opts.resume && Object.keys(opts.resume).length > 0) args.push('--resume', JSON.stringify(opts.resume));
  return args;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** A free TCP port on loopback (for the processes of a multi-process deployment). */
function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

/** The resume point of every source: the smallest next event id and cursor over the workers that emitted. */
export function resumeFrom(last: readonly ProcessSample[]): Record<string, SourceResume> {
  const out: Record<string, SourceResume> = {};
  for (const s of last)
    for (const [src, per] of Object.entries(s.sources))
      for (const x of per) {
        const prev = out[src];
        out[src] = prev ? { nextId: Math.min(prev.nextId, x.nextId), cursorMs: Math.min(prev.cursorMs, x.cursorMs) } : { nextId: x.nextId, cursorMs: x.cursorMs };
      }
  return out;
}

export interface TimelyRescaleReport extends RescaleReport {
  /** Seconds from the stop request to the old process's exit. */
  readonly stopSeconds: number;
  /** Seconds from spawning the new process(es) to every worker built. */
  readonly startSeconds: number;
}

export class TimelyEngine implements Engine {
  readonly kind = 'timely';
  readonly config: TimelyConfig;
  private readonly deployments = new Set<TimelyDeployment>();

  /** Options are the engine config ({"kind":"timely", ...}) with every key optional; see config.ts. */
  constructor(options: TimelyEngineOptions = {}) {
    this.config = resolveTimelyConfig(options);
  }

  static fromConfig(raw: unknown): TimelyEngine {
    return new TimelyEngine(resolveTimelyConfig(raw));
  }

  get capabilities(): EngineCapabilities {
    return timelyCapabilities(this.config);
  }

  /** The binary (built when missing or stale). */
  async binary(): Promise<{ binary: string; buildSeconds: number }> {
    if (this.config.binary) return { binary: resolve(this.config.binary), buildSeconds: 0 };
    return ensureBinary(resolve(this.config.jobsDir ?? defaultJobsDir()), this.config.cargo);
  }

  async deploy(job: JobGraph, parallelism: Parallelism, rate: number): Promise<TimelyDeployment> {
    validateParallelism(job, parallelism);
    workloadOf(job, this.config.workload); // validates the workload before anything starts
    const { binary } = await this.binary();
    const layout = layoutOf(job, parallelism, this.config);
    const group = await startGroup(binary, job, layout, rate, this.config);
    const d = new TimelyDeployment(this, job, binary, layout, group, rate);
    this.deployments.add(d);
    return d;
  }

  /** @internal */
  forget(d: TimelyDeployment): void {
    this.deployments.delete(d);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.deployments].map((d) => d.stop()));
  }
}

/** The processes of one running job. */
interface Group {
  readonly processes: readonly TimelyProcess[];
}

/** Single-quotes an argument for a remote shell (ssh joins its arguments into one command line). */
export function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

/** The command and arguments that start process `i`: the binary here, or through the launcher on its host. */
export function processCommand(binary: string, args: readonly string[], cfg: TimelyConfig, host?: string): [string, string[]] {
  if (!cfg.launcher || cfg.launcher.length === 0) return [binary, [...args]];
  const [cmd, ...rest] = cfg.launcher.map((a) => a.replaceAll('{host}', host ?? 'localhost'));
  return [cmd as string, [...rest, shellQuote(cfg.remoteBinary ?? binary), ...args.map(shellQuote)]];
}

async function startGroup(binary: string, job: JobGraph, layout: TimelyLayout, rate: number, cfg: TimelyConfig, resume?: Record<string, SourceResume>): Promise<Group> {
  const n = processCount(cfg);
  if (n <= 1) {
    const [cmd, args] = processCommand(binary, binaryArguments(job, layout, rate, cfg, { resume }), cfg);
    return { processes: [await TimelyProcess.start(cmd, args, cfg.startTimeoutSec)] };
  }
  const hosts = cfg.hosts ?? (await Promise.all(Array.from({ length: n }, () => freePort()))).map((p) => `127.0.0.1:${p}`);
  const started = await Promise.allSettled(
    hosts.map((address, i) => {
      const [cmd, args] = processCommand(binary, binaryArguments(job, layout, rate, cfg, { process: i, processes: n, hosts, resume }), cfg, address.replace(/:\d+$/, ''));
      return TimelyProcess.start(cmd, args, cfg.startTimeoutSec);
    }),
  );
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map((p) => p.kill()));
    throw failed.reason;
  }
  return { processes: ok };
}

async function stopGroup(g: Group, timeoutSec: number): Promise<ProcessSample[]> {
  const last = await Promise.all(g.processes.map((p) => p.stop(timeoutSec)));
  return last.filter((s): s is ProcessSample => s !== undefined);
}

export class TimelyDeployment implements Deployment {
  private layoutNow: TimelyLayout;
  private current: Parallelism;
  private group: Group;
  private rate: number;
  private readonly startedAt = performance.now();
  private stopped = false;
  private lastSamples: { s0: ProcessSample[]; s1: ProcessSample[] } | undefined;
  /** Restarts so far (rescales). */
  restarts = 0;

  constructor(
    private readonly engine: TimelyEngine,
    readonly job: JobGraph,
    private readonly binary: string,
    layout: TimelyLayout,
    group: Group,
    rate: number,
  ) {
    this.layoutNow = layout;
    this.current = parallelismOf(job, layout);
    this.group = group;
    this.rate = rate;
  }

  get parallelism(): Parallelism {
    return this.current;
  }

  get maxOperatorParallelism(): number {
    return this.engine.config.maxWorkers;
  }

  /** The timely release the binary is built against (jobs/timely/Cargo.lock). */
  get version(): string {
    return TIMELY_VERSION;
  }

  /** W, the worker count running now. */
  get workers(): number {
    return this.layoutNow.workers;
  }

  get layout(): TimelyLayout {
    return this.layoutNow;
  }

  /** Pids of the running processes. */
  get pids(): number[] {
    return this.group.processes.map((p) => p.pid);
  }

  now(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  async advance(seconds: number): Promise<void> {
    this.assertLive();
    await sleep(seconds * 1000);
    this.failIfExited();
  }

  async setRate(rate: number): Promise<void> {
    this.assertLive();
    this.failIfExited();
    for (const p of this.group.processes) p.setRate(rate);
    this.rate = rate;
  }

  private failIfExited(): void {
    const dead = this.group.processes.find((p) => p.exited);
    if (dead) throw new TimelyJobFailedError(`the Timely job (pid ${dead.pid}) ended: ${dead.failure ?? ''}`);
  }

  /** One sample of every process (raw counters, for tools and tests). */
  async sample(): Promise<ProcessSample[]> {
    this.assertLive();
    try {
      return await Promise.all(this.group.processes.map((p) => p.sample()));
    } catch (e) {
      if (e instanceof TimelyProcessError) {
        this.failIfExited();
        throw new TimelyJobFailedError(e.message);
      }
      throw e;
    }
  }

  /** Operator -> the worker indices it runs on (from the placement the binary reported). */
  workersOf(): Record<string, number[]> {
    const ready = this.group.processes[0]?.ready;
    const w = this.layoutNow.workers;
    return Object.fromEntries(
      this.job.operatorIds.map((id) => {
        const [base, k] = ready?.placement[id] ?? [0, w];
        return [id, Array.from({ length: k }, (_, i) => (base + i) % w)];
      }),
    );
  }

  async observe(windowSeconds: number): Promise<Snapshot> {
    this.assertLive();
    const rate = this.rate;
    const generation = this.restarts;
    const t0 = performance.now();
    const s0 = await this.sample();
    await sleep(windowSeconds * 1000 - (performance.now() - t0));
    const s1 = await this.sample();
    this.lastSamples = { s0, s1 };
    if (generation !== this.restarts) return this.invalid(windowSeconds, rate, 'the job restarted during the window');
    return computeSnapshot(s0, s1, {
      job: this.job,
      time: this.now(),
      windowSeconds: (s1[0]?.unixMs ?? 0) / 1000 - (s0[0]?.unixMs ?? 0) / 1000 || windowSeconds,
      targetRate: rate,
      workersOf: this.workersOf(),
      parallelism: this.current,
    });
  }

  /** Per worker, the share of the last observed window it was parked (ms/s): Timely's worker idle time. */
  lastWorkerIdle(): Record<number, number> {
    return this.lastSamples ? workerIdle(this.lastSamples.s0, this.lastSamples.s1) : {};
  }

  private invalid(windowSeconds: number, rate: number, note: string): Snapshot {
    return emptySnapshot(this.job, this.current, { time: this.now(), windowSeconds, targetRate: rate, note });
  }

  /**
   * Rescales by restarting: stop the process(es) (they report each source's next event id), start new ones with
   * the new layout resuming there. Downtime is from the stop request until every new worker is built.
   */
  async rescale(parallelism: Parallelism): Promise<TimelyRescaleReport> {
    this.assertLive();
    validateParallelism(this.job, parallelism);
    const cfg = this.engine.config;
    const layout = layoutOf(this.job, parallelism, cfg);
    const next = parallelismOf(this.job, layout);
    // granted less than asked: W capped at maxWorkers, or (placement) an operator's k capped at W
    const requested = this.job.operatorIds.some((id) => (parallelism[id] ?? 1) > (layout.placement ? (layout.placement[id] ?? layout.workers) : layout.workers));
    const same = layout.workers === this.layoutNow.workers && JSON.stringify(layout.placement ?? {}) === JSON.stringify(this.layoutNow.placement ?? {});
    if (same) return { downtimeSeconds: 0, tookEffect: true, parallelism: this.current, stopSeconds: 0, startSeconds: 0 };
    const t0 = performance.now();
    const last = await stopGroup(this.group, cfg.stopTimeoutSec);
    const resume = resumeFrom(last);
    const tStopped = performance.now();
    this.restarts++;
    try {
      this.group = await startGroup(this.binary, this.job, layout, this.rate, cfg, resume);
    } catch (e) {
      this.stopped = true;
      this.engine.forget(this);
      throw new TimelyJobFailedError(`the Timely job did not restart with ${layout.workers} workers: ${(e as Error).message}`);
    }
    const tUp = performance.now();
    this.layoutNow = layout;
    this.current = next;
    return {
      downtimeSeconds: (tUp - t0) / 1000,
      tookEffect: true,
      parallelism: this.current,
      stopSeconds: (tStopped - t0) / 1000,
      startSeconds: (tUp - tStopped) / 1000,
      ...(requested ? { requested: parallelism, note: `granted up to ${layout.workers} workers (maxWorkers ${cfg.maxWorkers})` } : {}),
    };
  }

  private assertLive(): void {
    if (this.stopped) throw new Error('this Timely deployment was stopped');
  }

  /** Stops the process(es) and waits for them to exit (killing them after stopTimeoutSec). Idempotent; never throws. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.engine.forget(this);
    await stopGroup(this.group, this.engine.config.stopTimeoutSec).catch(() => undefined);
  }
}
