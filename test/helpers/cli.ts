/** Runs a CLI entry point in a child process (any working folder) with the project's TypeScript loader. */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../src/experiment/config.js';

const loader = pathToFileURL(join(PROJECT_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export function cliArgs(script: string, args: readonly string[]): string[] {
  return ['--import', loader, join(PROJECT_ROOT, script), ...args];
}

export function runCli(script: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, cliArgs(script, args), { cwd, encoding: 'utf8', ...(env ? { env } : {}) });
}

export function startCli(script: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, cliArgs(script, args), { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
}

/** The experiment CLI in a child process (tsx's cache off: nothing left in the temp folder), its stdout and stderr gathered into one text as they come. */
export function startExperiment(args: readonly string[], cwd = PROJECT_ROOT): { child: ChildProcess; output: () => string } {
  const child = startCli('src/cli/experiment.ts', args, cwd, { ...process.env, TSX_DISABLE_CACHE: '1' });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  return { child, output: () => out };
}

/**
 * Polls `find` every 200 ms until it returns a value; rejects, naming `what` and the child's output so far, when
 * the child exits first.
 */
export function waitWhileRunning<T>(child: ChildProcess, output: () => string, what: string, find: () => T | undefined): Promise<T> {
  return new Promise<T>((ok, fail) => {
    const timer = setInterval(() => {
      const found = find();
      if (found === undefined) return;
      clearInterval(timer);
      ok(found);
    }, 200);
    child.once('exit', (code) => {
      clearInterval(timer);
      fail(new Error(`the harness exited (${code}) before ${what}: ${output()}`));
    });
  });
}

/** SIGKILL, then wait for the exit. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
