/**
 * Child processes of real engines: every process started through spawnTracked() is registered and killed
 * (SIGKILL) when this Node process exits or gets SIGINT/SIGTERM/SIGHUP, so a run never leaves an engine process
 * behind; the engines' processes also exit by themselves when their stdin (a pipe from us) closes, which covers a
 * SIGKILLed harness. Processes get argument arrays, never a shell string. Plus a cross-process build lock and the
 * newest modification time of a source tree (to rebuild a job binary when stale).
 *
 * The Flink launcher (src/engines/flink/launcher.ts) has its own copy of the registry and the lock; it can move
 * onto this module.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const live = new Set<ChildProcess>();
let handlersInstalled = false;

function killAllNow(): void {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  // Restore the default behaviour when nobody else handles the signal: die by it.
  if (process.listenerCount(signal) <= 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
}

/** Registers a child so that it is killed when this process goes away; it leaves the registry when it exits. */
export function track(child: ChildProcess): ChildProcess {
  installHandlers();
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

/** spawn() with an argument array, registered with track(). */
export function spawnTracked(cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return track(spawn(cmd, [...args], options));
}

/** Pids of the tracked processes that are still running. */
export function trackedPids(): number[] {
  return [...live].map((c) => c.pid).filter((p): p is number => typeof p === 'number');
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `cmd ...args` runs and exits 0 (e.g. `cargo --version`). */
export function commandRuns(cmd: string, args: readonly string[] = ['--version']): boolean {
  const r = spawnSync(cmd, [...args], { stdio: 'ignore', timeout: 60_000 });
  return r.status === 0;
}

/** Runs a command to completion (tracked); rejects with its last output when it fails. */
export function runCommand(cmd: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawnTracked(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    let out = '';
    const keep = (b: Buffer): void => {
      out = (out + b.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (e) => fail(new Error(`${cmd} could not start: ${e.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) ok();
      else fail(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${out.trim()}`));
    });
  });
}

/** The newest modification time (ms) of a file or of any file under a folder. */
export function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Runs body while holding a lock file (across processes and worker threads); a dead holder's lock is taken over. */
export async function withFileLock<T>(lock: string, body: () => Promise<T>, staleMs = 10 * 60_000): Promise<T> {
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + staleMs;
  for (;;) {
    try {
      writeFileSync(lock, `${process.pid}\n${Date.now()}\n`, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let held: number[] | undefined;
      try {
        held = readFileSync(lock, 'utf8').split('\n').map(Number);
      } catch {
        continue; // removed meanwhile
      }
      const [pid = 0, since = 0] = held;
      if (!pidAlive(pid) || Date.now() - since > staleMs) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lock}`, { cause: e });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { force: true });
  }
}
