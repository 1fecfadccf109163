/**
 * A local standalone Flink session cluster, as users run one: a JobManager JVM
 * (StandaloneSessionClusterEntrypoint) and N TaskManager JVMs (TaskManagerRunner), each a separate process from
 * the Flink jars that jobs/flink resolves with Maven (target/classpath.txt; there is no flink-dist), on loopback,
 * with the adaptive scheduler. The engine drives it in remote mode (`{"kind": "flink", "rest": <url>}`), exactly
 * as it would drive a multi-machine cluster.
 *
 *   const c = await StandaloneCluster.start({ dir, taskManagers: 2, slots: 2 });  // c.url, c.state
 *   await c.killTaskManager(0);        // kill -9 (fault drills)
 *   await c.addTaskManager();          // a replacement
 *   await c.stop();                    // or StandaloneCluster.attach(dir).stop() from another process
 *
 * The folder holds conf/config.yaml (every key written out, memory sizes included: the distribution's scripts
 * normally compute a TaskManager's memory, TaskManagerRunner alone needs them spelled out), log/ (one file per
 * JVM), checkpoints/, savepoints/, tmp/ (Flink's io.tmp.dirs, blobs, uploads and java.io.tmpdir: nothing goes
 * to /tmp) and cluster.json, the state file through which stop and status find the processes.
 *
 * `detached: true` (the CLI): the JVMs outlive this process. Otherwise they are registered like the MiniCluster
 * JVM and killed when this process exits or is interrupted.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { defaultJobsDir, ensureJobJar, pidAlive, track } from './launcher.js';
import { FlinkRestClient } from './rest.js';

export const JOBMANAGER_CLASS = 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint';
export const TASKMANAGER_CLASS = 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner';
export const STATE_FILE = 'cluster.json';
/** Flink's option naming a TaskManager (its id in REST /taskmanagers); the harness sets it to the process name. */
export const RESOURCE_ID_KEY = 'taskmanager.resource-id';

/** Memory of one TaskManager, in MB (what the distribution's scripts would compute from a process size). */
export interface TaskManagerMemory {
  readonly frameworkHeapMb: number;
  readonly taskHeapMb: number;
  readonly frameworkOffHeapMb: number;
  readonly taskOffHeapMb: number;
  readonly networkMb: number;
  readonly managedMb: number;
  readonly metaspaceMb: number;
  readonly overheadMb: number;
}

/** A TaskManager's memory for `slots` slots: heap grows with the slots, network buffers too. */
export function taskManagerMemory(slots: number): TaskManagerMemory {
  return {
    frameworkHeapMb: 128,
    taskHeapMb: 128 + 64 * slots,
    frameworkOffHeapMb: 128,
    taskOffHeapMb: 0,
    networkMb: 64 + 32 * slots,
    managedMb: 64,
    metaspaceMb: 256,
    overheadMb: 192,
  };
}

/** The JVM flags the distribution's taskmanager.sh derives from the memory sizes. */
export function taskManagerJvmArgs(m: TaskManagerMemory): string[] {
  const heap = m.frameworkHeapMb + m.taskHeapMb;
  return [`-Xmx${heap}m`, `-Xms${heap}m`, `-XX:MaxDirectMemorySize=${m.frameworkOffHeapMb + m.taskOffHeapMb + m.networkMb}m`, `-XX:MaxMetaspaceSize=${m.metaspaceMb}m`];
}

export interface StandaloneClusterOptions {
  /** The cluster's folder (created): conf/, log/, checkpoints/, savepoints/, tmp/, cluster.json. */
  readonly dir: string;
  readonly taskManagers: number;
  /** Task slots per TaskManager. */
  readonly slots: number;
  readonly java?: string;
  readonly mvn?: string;
  readonly jobsDir?: string;
  /** REST port of the JobManager (0 or absent: a free port). */
  readonly restPort?: number;
  /** metrics.fetcher.update-interval (ms). */
  readonly metricsIntervalMs?: number;
  /** How long the JobManager's REST endpoint and the TaskManagers' registration may take. */
  readonly startTimeoutSec?: number;
  /** JVMs outlive this process (the CLI). Otherwise they are killed when this process exits. */
  readonly detached?: boolean;
  /** Extra or overriding Flink configuration. */
  readonly flinkConf?: Readonly<Record<string, string>>;
  readonly jobManagerHeapMb?: number;
}

export interface ProcessInfo {
  readonly role: 'jobmanager' | 'taskmanager';
  /** "jobmanager", "taskmanager-1", ... */
  readonly name: string;
  readonly pid: number;
  readonly log: string;
  /** Wall clock (ms since the epoch) of the spawn. */
  readonly startedAt: number;
}

/** The state file (cluster.json). */
export interface ClusterState {
  readonly version: 1;
  readonly dir: string;
  readonly url: string;
  readonly slotsPerTaskManager: number;
  readonly configFile: string;
  readonly java: string;
  readonly classpath: string;
  readonly detached: boolean;
  readonly jobManager: ProcessInfo;
  readonly taskManagers: readonly ProcessInfo[];
}

export interface ClusterStatus {
  readonly dir: string;
  readonly url: string;
  /** Processes of the state file, with whether each is alive. */
  readonly processes: readonly (ProcessInfo & { alive: boolean })[];
  /** From REST /overview; undefined when the JobManager does not answer. */
  readonly overview?: { taskmanagers: number; slotsTotal: number; slotsAvailable: number; jobsRunning: number; flinkVersion: string };
}

export class ClusterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterError';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on loopback (bound and released; the JVM binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => ok(port));
    });
  });
}

/** Flink's config.yaml (flat keys, every value a quoted string). */
export function configYaml(conf: Readonly<Record<string, string>>): string {
  return `${Object.entries(conf)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join('\n')}\n`;
}

/** The cluster configuration: loopback, adaptive scheduler with zero cooldowns, explicit memory, state in dir. */
export function clusterConfiguration(o: { dir: string; slots: number; rpcPort: number; restPort: number; metricsIntervalMs: number; memory: TaskManagerMemory; jobManagerHeapMb: number }): Record<string, string> {
  const d = o.dir;
  const m = o.memory;
  const mb = (x: number): string => `${x}m`;
  return {
    'jobmanager.rpc.address': '127.0.0.1',
    'jobmanager.rpc.port': String(o.rpcPort),
    'jobmanager.bind-host': '127.0.0.1',
    'taskmanager.bind-host': '127.0.0.1',
    'taskmanager.host': '127.0.0.1',
    'rest.address': '127.0.0.1',
    'rest.bind-address': '127.0.0.1',
    'rest.port': String(o.restPort),
    'jobmanager.memory.heap.size': mb(o.jobManagerHeapMb),
    'jobmanager.memory.process.size': mb(o.jobManagerHeapMb + 512),
    'taskmanager.numberOfTaskSlots': String(o.slots),
    'taskmanager.cpu.cores': String(o.slots),
    'taskmanager.memory.framework.heap.size': mb(m.frameworkHeapMb),
    'taskmanager.memory.task.heap.size': mb(m.taskHeapMb),
    'taskmanager.memory.framework.off-heap.size': mb(m.frameworkOffHeapMb),
    'taskmanager.memory.task.off-heap.size': mb(m.taskOffHeapMb),
    'taskmanager.memory.network.min': mb(m.networkMb),
    'taskmanager.memory.network.max': mb(m.networkMb),
    'taskmanager.memory.managed.size': mb(m.managedMb),
    'taskmanager.memory.jvm-metaspace.size': mb(m.metaspaceMb),
    'taskmanager.memory.jvm-overhead.min': mb(m.overheadMb),
    'taskmanager.memory.jvm-overhead.max': mb(m.overheadMb),
    'jobmanager.scheduler': 'adaptive',
    'jobmanager.adaptive-scheduler.executing.cooldown-after-rescaling': '0 ms',
    'jobmanager.adaptive-scheduler.executing.resource-stabilization-timeout': '0 ms',
    'jobmanager.adaptive-scheduler.submission.resource-stabilization-timeout': '0 ms',
    'metrics.fetcher.update-interval': `${o.metricsIntervalMs} ms`,
    // A lost TaskManager is noticed within a few heartbeats (kill -9 closes its connections at once).
    'heartbeat.interval': '2000',
    'heartbeat.timeout': '20000',
    // The REST metric fetcher asks every registered TaskManager and starts no new fetch until all answered, each
    // ask bounded by web.timeout (default 10 min): a fetch that reached a TaskManager killed but not yet
    // deregistered left the metrics stale that long. 30 s bounds it (and every REST call, jar runs included).
    'web.timeout': '30000',
    'restart-strategy.type': 'fixed-delay',
    'restart-strategy.fixed-delay.attempts': '1000',
    'restart-strategy.fixed-delay.delay': '1 s',
    'execution.checkpointing.dir': `file://${join(d, 'checkpoints')}`,
    'execution.checkpointing.savepoint-dir': `file://${join(d, 'savepoints')}`,
    'io.tmp.dirs': join(d, 'tmp'),
    'web.tmpdir': join(d, 'tmp', 'web'),
    'web.upload.dir': join(d, 'tmp', 'uploads'),
    'blob.storage.directory': join(d, 'tmp', 'blobs'),
    'process.working-dir': join(d, 'tmp', 'work'),
    'rest.flamegraph.enabled': 'false',
    // REST job states are otherwise up to 3 s old (see jobs/flink/README.md).
    'rest.cache.execution-graph.timeout': '200 ms',
    'web.refresh-interval': '1 s',
  };
}

const LOG4J = `# Written by the harness: every JVM logs to stdout, which goes to its file under log/.
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
appender.out.type = Console
appender.out.name = out
appender.out.target = SYSTEM_OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-40c{1.} - %m%n
logger.pekko.name = org.apache.pekko
logger.pekko.level = WARN
logger.netty.name = org.apache.flink.shaded.netty4
logger.netty.level = WARN
logger.zk.name = org.apache.zookeeper
logger.zk.level = WARN
`;

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** The command line of a pid (Linux /proc), or undefined. */
function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** Whether pid is alive and is a JVM of this cluster (its command line names the cluster's config folder). */
function ours(pid: number, confDir: string): boolean {
  if (!pidAlive(pid)) return false;
  const cmd = cmdline(pid);
  return cmd === undefined ? true : cmd.includes(confDir);
}

export class StandaloneCluster {
  private constructor(private st: ClusterState) {}

  /** The state file's content. */
  get state(): ClusterState {
    return this.st;
  }

  get url(): string {
    return this.st.url;
  }

  get dir(): string {
    return this.st.dir;
  }

  private get confDir(): string {
    return join(this.st.dir, 'conf');
  }

  /** Reads the state file of a cluster started earlier (by this or another process). */
  static attach(dir: string): StandaloneCluster {
    const file = join(resolve(dir), STATE_FILE);
    if (!existsSync(file)) throw new ClusterError(`no Flink cluster in ${resolve(dir)} (no ${STATE_FILE}); start one with: npm run flink-cluster -- start`);
    return new StandaloneCluster(JSON.parse(readFileSync(file, 'utf8')) as ClusterState);
  }

  /** Starts a JobManager and `taskManagers` TaskManagers; resolves when all are registered. */
  static async start(o: StandaloneClusterOptions): Promise<StandaloneCluster> {
    if (!(o.taskManagers >= 0 && Number.isInteger(o.taskManagers))) throw new ClusterError(`taskManagers must be an integer >= 0, got ${o.taskManagers}`);
    if (!(o.slots >= 1 && Number.isInteger(o.slots))) throw new ClusterError(`slots must be an integer >= 1, got ${o.slots}`);
    const dir = resolve(o.dir);
    if (existsSync(join(dir, STATE_FILE))) {
      const old = StandaloneCluster.attach(dir);
      if (old.liveProcesses().length > 0) throw new ClusterError(`a Flink cluster is already running in ${dir} (${old.url}); stop it first: npm run flink-cluster -- stop --dir ${dir}`);
      rmSync(join(dir, STATE_FILE), { force: true });
    }
    const java = o.java ?? 'java';
    const jobsDir = resolve(o.jobsDir ?? defaultJobsDir());
    const jar = await ensureJobJar(jobsDir, o.mvn ?? 'mvn');
    for (const sub of ['conf', 'log', 'checkpoints', 'savepoints', 'tmp/web', 'tmp/uploads', 'tmp/blobs', 'tmp/work']) mkdirSync(join(dir, sub), { recursive: true });
    const conf = {
      ...clusterConfiguration({
        dir,
        slots: o.slots,
        rpcPort: await freePort(),
        restPort: o.restPort || (await freePort()),
        metricsIntervalMs: o.metricsIntervalMs ?? 500,
        memory: taskManagerMemory(o.slots),
        jobManagerHeapMb: o.jobManagerHeapMb ?? 512,
      }),
      ...o.flinkConf,
    };
    const configFile = join(dir, 'conf', 'config.yaml');
    writeFileSync(configFile, configYaml(conf));
    writeFileSync(join(dir, 'conf', 'log4j2.properties'), LOG4J);
    const url = `http://127.0.0.1:${conf['rest.port']}`;
    const cluster = new StandaloneCluster({
      version: 1,
      dir,
      url,
      slotsPerTaskManager: o.slots,
      configFile,
      java,
      classpath: jar.flinkClasspath,
      detached: o.detached ?? false,
      jobManager: { role: 'jobmanager', name: 'jobmanager', pid: 0, log: '', startedAt: 0 },
      taskManagers: [],
    });
    const timeoutSec = o.startTimeoutSec ?? 120;
    try {
      const jm = cluster.spawnJvm('jobmanager', 'jobmanager', JOBMANAGER_CLASS, [`-Xmx${o.jobManagerHeapMb ?? 512}m`, '-XX:+UseParallelGC']);
      cluster.st = { ...cluster.st, jobManager: jm };
      cluster.save();
      await cluster.waitForRest(timeoutSec);
      const tms: ProcessInfo[] = [];
      for (let i = 0; i < o.taskManagers; i++) tms.push(await cluster.addTaskManager({ wait: false }));
      await cluster.waitForTaskManagers(tms, timeoutSec);
      return cluster;
    } catch (e) {
      const tail = cluster.logTail();
      await cluster.stop();
      throw new ClusterError(`${(e as Error).message}${tail ? `\n${tail}` : ''}`);
    }
  }

  private save(): void {
    writeAtomic(join(this.st.dir, STATE_FILE), `${JSON.stringify(this.st, null, 2)}\n`);
  }

  private spawnJvm(role: ProcessInfo['role'], name: string, mainClass: string, jvmArgs: readonly string[], dynamic: readonly string[] = []): ProcessInfo {
    const d = this.st.dir;
    const log = join(d, 'log', `${name}.log`);
    const fd = openSync(log, 'a');
    const jobsDir = defaultJobsDir();
    const args = [
      ...jvmArgs,
      '-XX:-UsePerfData', // no /tmp/hsperfdata_<user>/<pid> (left behind by kill -9)
      `@${join(jobsDir, 'conf', 'java17.args')}`,
      `-Djava.io.tmpdir=${join(d, 'tmp')}`,
      `-Dlog4j.configurationFile=${join(d, 'conf', 'log4j2.properties')}`,
      `-Dlog.file=${log}`,
      '-cp',
      this.st.classpath,
      mainClass,
      '--configDir',
      this.confDir,
      ...dynamic,
    ];
    const child = spawn(this.st.java, args, { cwd: d, stdio: ['ignore', fd, fd], detached: this.st.detached });
    closeSync(fd);
    if (this.st.detached) child.unref();
    else track(child);
    if (child.pid === undefined) throw new ClusterError(`could not start ${this.st.java} (${name})`);
    return { role, name, pid: child.pid, log, startedAt: Date.now() };
  }

  private async waitForRest(timeoutSec: number): Promise<void> {
    const client = new FlinkRestClient(this.url, { timeoutMs: 2000, retries: 0 });
    const deadline = performance.now() + timeoutSec * 1000;
    for (;;) {
      if (!pidAlive(this.st.jobManager.pid)) throw new ClusterError(`the JobManager exited during start (log: ${this.st.jobManager.log})`);
      try {
        await client.overview();
        return;
      } catch {
        if (performance.now() > deadline) throw new ClusterError(`the JobManager's REST endpoint ${this.url} did not answer within ${timeoutSec} s (log: ${this.st.jobManager.log})`);
        await sleep(250);
      }
    }
  }

  /**
   * Starts one more TaskManager (a replacement after a failure, or growth); waits until it registered. It runs
   * with its name as Flink resource id, so the wait judges this TaskManager alone: others that died before
   * (a fault drill, a crash) neither fail it nor count for it.
   */
  async addTaskManager(o: { wait?: boolean; timeoutSec?: number } = {}): Promise<ProcessInfo> {
    const name = `taskmanager-${this.st.taskManagers.length + 1}`;
    const conf = readFileSync(this.st.configFile, 'utf8');
    const slots = Number(/taskmanager\.numberOfTaskSlots: "(\d+)"/.exec(conf)?.[1] ?? this.st.slotsPerTaskManager);
    const tm = this.spawnJvm('taskmanager', name, TASKMANAGER_CLASS, [...taskManagerJvmArgs(taskManagerMemory(slots)), '-XX:+UseParallelGC'], [
      `-D${RESOURCE_ID_KEY}=${name}`,
    ]);
    this.st = { ...this.st, taskManagers: [...this.st.taskManagers, tm] };
    this.save();
    if (o.wait ?? true) await this.waitForTaskManagers([tm], o.timeoutSec ?? 120);
    return tm;
  }

  /**
   * Waits until the JobManager lists each of `tms` (by resource id) with all its slots; fails as soon as one of
   * them exits. Only these TaskManagers are judged.
   */
  async waitForTaskManagers(tms: readonly ProcessInfo[], timeoutSec = 120): Promise<void> {
    const client = new FlinkRestClient(this.url, { timeoutMs: 2000, retries: 0 });
    const deadline = performance.now() + timeoutSec * 1000;
    let waiting = [...tms];
    for (;;) {
      const dead = waiting.find((t) => !pidAlive(t.pid));
      if (dead) throw new ClusterError(`TaskManager ${dead.name} exited during start (log: ${dead.log})`);
      try {
        // A TaskManager is listed before its slots are: wait for both (a busy machine shows the gap).
        const listed = await client.taskManagers();
        const ready = new Set(listed.filter((t) => t.slotsNumber >= this.st.slotsPerTaskManager).map((t) => t.id));
        waiting = waiting.filter((t) => !ready.has(t.name));
        if (waiting.length === 0) return;
      } catch {
        // not answering yet
      }
      if (performance.now() > deadline)
        throw new ClusterError(
          `${tms.length - waiting.length} of ${tms.length} TaskManagers registered with ${this.url} within ${timeoutSec} s (waiting for ${waiting.map((t) => t.name).join(', ')})`,
        );
      await sleep(250);
    }
  }

  /** Kills a TaskManager (by index in start order, default the last alive) with a signal (default SIGKILL: kill -9). */
  killTaskManager(index?: number, signal: NodeJS.Signals = 'SIGKILL'): ProcessInfo {
    const alive = this.st.taskManagers.filter((t) => pidAlive(t.pid));
    const tm = index === undefined ? alive[alive.length - 1] : this.st.taskManagers[index];
    if (!tm || !pidAlive(tm.pid)) throw new ClusterError(index === undefined ? 'no TaskManager is alive' : `TaskManager ${index} is not alive`);
    process.kill(tm.pid, signal);
    return tm;
  }

  /** The processes of the state file that are still alive (and are this cluster's JVMs). */
  liveProcesses(): ProcessInfo[] {
    return [this.st.jobManager, ...this.st.taskManagers].filter((p) => p.pid > 0 && ours(p.pid, this.confDir));
  }

  async status(): Promise<ClusterStatus> {
    const processes = [this.st.jobManager, ...this.st.taskManagers].map((p) => ({ ...p, alive: p.pid > 0 && ours(p.pid, this.confDir) }));
    let overview: ClusterStatus['overview'];
    try {
      const client = new FlinkRestClient(this.url, { timeoutMs: 3000, retries: 0 });
      const o = await client.get<{ taskmanagers: number; 'slots-total': number; 'slots-available': number; 'jobs-running': number; 'flink-version': string }>('/overview');
      overview = { taskmanagers: o.taskmanagers, slotsTotal: o['slots-total'], slotsAvailable: o['slots-available'], jobsRunning: o['jobs-running'], flinkVersion: o['flink-version'] };
    } catch {
      overview = undefined;
    }
    return { dir: this.st.dir, url: this.url, processes, ...(overview ? { overview } : {}) };
  }

  /** The last lines of each JVM's log (for error messages). */
  logTail(lines = 12): string {
    return [this.st.jobManager, ...this.st.taskManagers]
      .filter((p) => p.log && existsSync(p.log))
      .map((p) => {
        const text = readFileSync(p.log, 'utf8').trimEnd().split('\n');
        const keep = text.filter((l) => /ERROR|Exception|Caused by/.test(l)).slice(-lines);
        return keep.length > 0 ? `${p.name} (${p.log}):\n  ${keep.join('\n  ')}` : '';
      })
      .filter(Boolean)
      .join('\n');
  }

  /**
   * Stops every JVM of the cluster (TaskManagers first): SIGTERM, then SIGKILL after `graceSec`; resolves once all
   * have exited, and removes the state file. Idempotent. The folder (logs, config) stays.
   */
  async stop(graceSec = 10): Promise<void> {
    const procs = [...this.st.taskManagers, this.st.jobManager].filter((p) => p.pid > 0 && ours(p.pid, this.confDir));
    for (const p of procs) {
      try {
        process.kill(p.pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    const deadline = performance.now() + graceSec * 1000;
    while (procs.some((p) => pidAlive(p.pid)) && performance.now() < deadline) await sleep(100);
    for (const p of procs.filter((q) => pidAlive(q.pid))) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    while (procs.some((p) => pidAlive(p.pid))) await sleep(50);
    rmSync(join(this.st.dir, STATE_FILE), { force: true });
  }
}
