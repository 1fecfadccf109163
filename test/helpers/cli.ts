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

export function startCli(script: string, args: readonly string[], cwd: string): ChildProcess {
  return spawn(process.execPath, cliArgs(script, args), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}
