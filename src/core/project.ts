/** The project's root folder (where package.json is) and the committed data folders under it: paths, no I/O. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The simulator's machine profiles, one `<name>.json` each (written by `npm run calibrate`), with the raw
 * measurements it was fitted to (`<name>.measurements.json`) and its held-out fidelity runs (`<name>.fidelity.json`).
 */
export function profilesDir(root = PROJECT_ROOT): string {
  return join(root, 'datasets/calibration/profiles');
}

/**
 * Per-query operator costs measured on one real engine (`npm run calibrate -- --query q`): `<query>.json` under
 * datasets/calibration/costs/<engine>/. The simulator's Nexmark templates read Flink's with `"calibrated": true`.
 */
export function queryCostsDir(engine: 'flink' | 'timely', root = PROJECT_ROOT): string {
  return join(root, 'datasets/calibration/costs', engine);
}
