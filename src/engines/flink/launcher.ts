/**
 * Local mode: builds the job jar (jobs/flink) when it is missing or older than its sources, and starts the
 * MiniCluster launcher JVM. Every process gets an argument array (never a shell string). Every JVM started here
 * is registered, and killed on stop, on failure, and when this Node process exits or gets SIGINT/SIGTERM/SIGHUP:
 * a run never leaves a JVM behind. The launcher also exits by itself when its stdin (a pipe from us) closes.
 */
import { buildWhenStale } from '../shared/build.js';
import { newestMtime, pidAlive, track, trackedPids } from '../shared/processes.js';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const LAUNCHER_CLASS = 'lab.streamtune.flink.Launcher';
export const JOB_MAIN_CLASS = 'lab.streamtune.flink.JobMain';
export const JAR_NAME = 'streamtune-flink-jobs.jar';

/** The jobs/flink module of this repository. */
export function defaultJobsDir(): string {
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../jobs/flink');
}

/** True when `cmd -version` runs (java, mvn). */
export function commandWorks(cmd: string): boolean {
  const r = spawnSync(cmd, ['-version'], { stdio: 'ignore', timeout: 60_000 });
  return r.status === 0;
}

export interface JobJar {
  /** The job jar (our classes only; Flink is on the cluster's classpath). */
  readonly jar: string;
  /** Launcher classpath: the jar plus Flink's jars from the local Maven repository. */
  readonly classpath: string;
  /** Flink's jars alone (a standalone cluster's classpath: the job jar is uploaded, as to any cluster). */
  readonly flinkClasspath: string;
  /** Seconds the build took (0 when the jar was up to date). */
  readonly buildSeconds: number;
}

/** Whether the jar or its classpath file is missing or older than pom.xml or any source file. */
export function jarIsStale(dir: string): boolean {
  const jar = join(dir, 'target', JAR_NAME);
  const cp = join(dir, 'target', 'classpath.txt');
  if (!existsSync(jar) || !existsSync(cp)) return true;
  // classpath.txt is only rewritten when its content changes, so the jar's time is the build time.
  const built = statSync(jar).mtimeMs;
  return newestMtime(join(dir, 'pom.xml')) > built || newestMtime(join(dir, 'src')) > built;
}

/** Builds jobs/flink with Maven when stale (once per process and folder, engines/shared/build.ts); returns the jar and classpath. */
export async function ensureJobJar(folder = defaultJobsDir(), mvn = 'mvn', log: (line: string) => void = () => {}): Promise<JobJar> {
  const dir = resolve(folder);
  const { buildSeconds } = await buildWhenStale(
    { dir, what: 'the Flink job jar', stale: () => jarIsStale(dir), command: [mvn, ['-q', '-B', '-f', join(dir, 'pom.xml'), 'package', '-DskipTests']] },
    log,
  );
  const jar = join(dir, 'target', JAR_NAME);
  const deps = readFileSync(join(dir, 'target', 'classpath.txt'), 'utf8').trim();
  return { jar, classpath: deps ? `${jar}:${deps}` : jar, flinkClasspath: deps, buildSeconds };
}

// The child process registry is shared with the Timely engine (one set of signal handlers for the harness).
export { pidAlive, track };
export const livePids = trackedPids;

// ---------------------------------------------------------------------------------------------------------

export interface LaunchOptions {
  java: string;
  javaOptions: readonly string[];
  jobsDir: string;
  classpath: string;
  slots: number;
  stateDir: string;
  metricsIntervalMs: number;
  scheduler?: 'adaptive' | 'default';
  startTimeoutSec: number;
  /** Extra Flink configuration for the cluster. */
  flinkConf?: Record<string, string>;
}

export interface LocalCluster {
  readonly url: string;
  readonly pid: number;
  readonly flinkVersion: string;
  /** Seconds from spawn to the REST endpoint being up. */
  readonly startSeconds: number;
  readonly logFile: string;
  /** Kills the JVM (politely, then SIGKILL) and resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
  readonly exited: boolean;
}

/** The java argument array of the launcher (no shell). */
export function launcherArgs(o: LaunchOptions): string[] {
  const args = [
    ...o.javaOptions,
    `@${join(o.jobsDir, 'conf', 'java17.args')}`,
    `-Dlog4j.configurationFile=${join(o.jobsDir, 'conf', 'log4j2.properties')}`,
    '-cp',
    o.classpath,
    LAUNCHER_CLASS,
    '--slots',
    String(o.slots),
    '--state-dir',
    o.stateDir,
    '--metrics-interval-ms',
    String(o.metricsIntervalMs),
    '--scheduler',
    o.scheduler ?? 'adaptive',
  ];
  if (o.flinkConf && Object.keys(o.flinkConf).length > 0) args.push('--flink-conf', JSON.stringify(o.flinkConf));
  return args;
}

/** Starts the MiniCluster JVM and waits for its REST URL (first JSON line on stdout). */
export function startLocalCluster(o: LaunchOptions): Promise<LocalCluster> {
  mkdirSync(o.stateDir, { recursive: true });
  const logFile = join(o.stateDir, 'launcher.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const t0 = performance.now();
  const child = spawn(o.java, launcherArgs(o), { stdio: ['pipe', 'pipe', 'pipe'] });
  track(child);
  child.stderr?.pipe(log);
  let exited = false;
  const exitPromise = new Promise<void>((r) => child.on('exit', () => ((exited = true), r())));

  const stop = async (): Promise<void> => {
    if (exited) return;
    try {
      child.stdin?.end();
    } catch {
      // pipe already closed
    }
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exitPromise;
    clearTimeout(timer);
    log.end();
  };

  return new Promise<LocalCluster>((ok, fail) => {
    let settled = false;
    const failWith = (msg: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      void stop().then(() => {
        let tail = '';
        try {
          tail = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
        } catch {
          // no log
        }
        fail(new Error(`${msg}${tail ? `\nlauncher log (${logFile}):\n${tail}` : ''}`));
      });
    };
    const timeout = setTimeout(() => failWith(`the Flink launcher did not report its REST URL within ${o.startTimeoutSec} s`), o.startTimeoutSec * 1000);
    child.on('error', (e) => failWith(`could not start ${o.java}: ${e.message}`));
    child.on('exit', (code, signal) => failWith(`the Flink launcher exited early (${signal ?? `exit ${code}`})`));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      log.write(`[stdout] ${line}\n`);
      let msg: { event?: string; url?: string; flinkVersion?: string };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        return;
      }
      if (msg.event === 'rest' && msg.url && !settled) {
        settled = true;
        clearTimeout(timeout);
        ok({
          url: msg.url,
          pid: child.pid as number,
          flinkVersion: msg.flinkVersion ?? 'unknown',
          startSeconds: (performance.now() - t0) / 1000,
          logFile,
          stop,
          get exited() {
            return exited;
          },
        });
      }
    });
  });
}
