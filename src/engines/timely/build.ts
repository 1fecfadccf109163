/**
 * The jobs/timely binary: built with `cargo build --release --locked` when missing or older than the crate's
 * sources (once per process and crate; across processes under a lock file in target/).
 */
import { existsSync, utimesSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandRuns, newestMtime, runCommand, withFileLock } from '../shared/processes.js';

export const BINARY_NAME = 'streamtune-timely';

/** The jobs/timely crate of this repository. */
export function defaultJobsDir(): string {
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../jobs/timely');
}

export function binaryPath(dir = defaultJobsDir()): string {
  return join(dir, 'target', 'release', BINARY_NAME);
}

/** True when `cargo --version` runs. */
export function cargoAvailable(cargo = 'cargo'): boolean {
  return commandRuns(cargo, ['--version']);
}

/** Whether the binary is missing or older than Cargo.toml, Cargo.lock or any source file. */
export function binaryIsStale(dir = defaultJobsDir()): boolean {
  const bin = binaryPath(dir);
  if (!existsSync(bin)) return true;
  const built = newestMtime(bin);
  return ['Cargo.toml', 'Cargo.lock', 'src'].some((p) => existsSync(join(dir, p)) && newestMtime(join(dir, p)) > built);
}

export interface TimelyBinary {
  readonly binary: string;
  /** Seconds the build took (0 when it was up to date). */
  readonly buildSeconds: number;
}

const builds = new Map<string, Promise<TimelyBinary>>();

/** Builds jobs/timely when stale (once per process and crate); returns the binary. */
export function ensureBinary(dir = defaultJobsDir(), cargo = 'cargo', log: (line: string) => void = () => {}): Promise<TimelyBinary> {
  const key = resolve(dir);
  const pending = builds.get(key);
  if (pending) return pending;
  const p = buildIfStale(key, cargo, log);
  builds.set(key, p);
  p.catch(() => builds.delete(key));
  return p;
}

async function buildIfStale(dir: string, cargo: string, log: (line: string) => void): Promise<TimelyBinary> {
  let buildSeconds = 0;
  if (binaryIsStale(dir)) {
    await withFileLock(join(dir, 'target', '.build.lock'), async () => {
      if (!binaryIsStale(dir)) return; // another process built it meanwhile
      log(`building ${dir} with ${cargo} ...`);
      const t0 = performance.now();
      await runCommand(cargo, ['build', '--release', '--locked', '--manifest-path', join(dir, 'Cargo.toml')], dir);
      buildSeconds = (performance.now() - t0) / 1000;
      // cargo does not relink when only timestamps changed: mark the binary as current
      const now = new Date();
      utimesSync(binaryPath(dir), now, now);
      log(`built the Timely job in ${buildSeconds.toFixed(1)} s`);
    });
  }
  return { binary: binaryPath(dir), buildSeconds };
}
