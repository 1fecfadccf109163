/**
 * The jobs/timely binary: built with `cargo build --release --locked` when missing or older than the crate's
 * sources (once per process and crate; across processes under a lock file in target/).
 */
import { existsSync, utimesSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWhenStale } from '../shared/build.js';
import { commandRuns, newestMtime } from '../shared/processes.js';

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

/** Builds jobs/timely when stale (once per process and crate, engines/shared/build.ts); returns the binary. */
export async function ensureBinary(crate = defaultJobsDir(), cargo = 'cargo', log: (line: string) => void = () => {}): Promise<TimelyBinary> {
  const dir = resolve(crate);
  const { buildSeconds } = await buildWhenStale(
    {
      dir,
      what: 'the Timely job',
      stale: () => binaryIsStale(dir),
      command: [cargo, ['build', '--release', '--locked', '--manifest-path', join(dir, 'Cargo.toml')]],
      // cargo does not relink when only timestamps changed: mark the binary as current
      after: () => {
        const now = new Date();
        utimesSync(binaryPath(dir), now, now);
      },
    },
    log,
  );
  return { binary: binaryPath(dir), buildSeconds };
}
