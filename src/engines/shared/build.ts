/**
 * "Build when stale, under a lock" for the job code of a real engine (jobs/flink with Maven, jobs/timely with
 * Cargo): at most one build per folder in this process, serialised across processes and worker threads by a lock
 * file in the folder's target/, skipped when another holder of the lock built it meanwhile.
 */
import { join, resolve } from 'node:path';
import { runCommand, withFileLock } from './processes.js';

export interface BuildStep {
  /** The folder built (the module or crate); builds are shared per folder. */
  readonly dir: string;
  /** What is built, for the log ('the Flink job jar'). */
  readonly what: string;
  /** Whether the output is missing or older than its sources. */
  stale(): boolean;
  /** The build command and its arguments (run in `dir`, never through a shell). */
  readonly command: readonly [string, readonly string[]];
  /** Run after a build that succeeded (e.g. marking the output as current). */
  after?(): void;
}

export interface Built {
  /** Seconds the build took (0 when the output was up to date). */
  readonly buildSeconds: number;
}

const builds = new Map<string, Promise<Built>>();

/** Builds `step.dir` when stale (once per process and folder, under a lock across processes). */
export function buildWhenStale(step: BuildStep, log: (line: string) => void = () => {}): Promise<Built> {
  const key = resolve(step.dir);
  const pending = builds.get(key);
  if (pending) return pending;
  const p = build(key, step, log);
  builds.set(key, p);
  p.catch(() => builds.delete(key));
  return p;
}

async function build(dir: string, step: BuildStep, log: (line: string) => void): Promise<Built> {
  let buildSeconds = 0;
  if (step.stale()) {
    await withFileLock(join(dir, 'target', '.build.lock'), async () => {
      if (!step.stale()) return; // another process built it meanwhile
      const [cmd, args] = step.command;
      log(`building ${dir} with ${cmd} ...`);
      const t0 = performance.now();
      await runCommand(cmd, args, dir);
      buildSeconds = (performance.now() - t0) / 1000;
      step.after?.();
      log(`built ${step.what} in ${buildSeconds.toFixed(1)} s`);
    });
  }
  return { buildSeconds };
}
