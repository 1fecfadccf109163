/**
 * TF.js backend choice. Tried in order: @tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node (both optional
 * dependencies, loaded by dynamic import so a missing or broken native build is skipped), the WebAssembly backend
 * (its .wasm binaries loaded from node_modules, never from a CDN), and the pure-JS cpu backend.
 *
 * The choice is made once per process: later calls return the same name (pass `force` to choose again).
 * `STREAMTUNE_TF_BACKEND` (tensorflow-gpu | tensorflow | wasm | cpu) narrows the order to one candidate and the
 * cpu fallback.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Candidates, in the default order of preference. */
export const BACKEND_CANDIDATES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendCandidate = (typeof BACKEND_CANDIDATES)[number];

export interface ChooseBackendOptions {
  /** Order to try; default BACKEND_CANDIDATES (or the STREAMTUNE_TF_BACKEND override). */
  prefer?: readonly BackendCandidate[];
  /** Silence TF.js's console hints (sets the PROD flag; it only affects warnings and logs). Default true. */
  quiet?: boolean;
  /** Choose again even if a backend was chosen before. */
  force?: boolean;
}

export interface BackendInfo {
  /** TF.js backend name as tf.getBackend() reports it: 'tensorflow' (tfjs-node / -gpu), 'wasm' or 'cpu'. */
  name: string;
  /** The candidate that won, e.g. 'tensorflow-gpu' when the GPU build loaded. */
  candidate: BackendCandidate;
  /** Candidates tried before it and why each was skipped. */
  skipped: { candidate: BackendCandidate; reason: string }[];
}

let chosen: Promise<BackendInfo> | undefined;
let wasmPathsSet = false;
const nativeLoaded = new Set<string>();

function envOrder(): readonly BackendCandidate[] | undefined {
  const v = process.env.STREAMTUNE_TF_BACKEND;
  if (!v) return undefined;
  if (!(BACKEND_CANDIDATES as readonly string[]).includes(v))
    throw new Error(`STREAMTUNE_TF_BACKEND='${v}' is not one of ${BACKEND_CANDIDATES.join(', ')}`);
  return v === 'cpu' ? ['cpu'] : [v as BackendCandidate, 'cpu'];
}

/** Chooses (once) and activates a backend; resolves to the TF.js backend name, for the CLI to print. */
export async function chooseBackend(opts: ChooseBackendOptions = {}): Promise<string> {
  return (await chooseBackendInfo(opts)).name;
}

/** Like chooseBackend, with the skipped candidates and reasons. */
export function chooseBackendInfo(opts: ChooseBackendOptions = {}): Promise<BackendInfo> {
  if (opts.quiet ?? true) tf.env().set('PROD', true);
  if (chosen && !opts.force) return chosen;
  const order = opts.prefer ?? envOrder() ?? BACKEND_CANDIDATES;
  chosen = (async () => {
    const skipped: BackendInfo['skipped'] = [];
    for (const candidate of order) {
      const reason = await activate(candidate);
      if (reason === undefined) return { name: tf.getBackend(), candidate, skipped };
      skipped.push({ candidate, reason });
    }
    throw new Error(`no TF.js backend could be loaded: ${skipped.map((s) => `${s.candidate}: ${s.reason}`).join('; ')}`);
  })();
  chosen.catch(() => {
    chosen = undefined;
  });
  return chosen;
}

/**
 * Activates one candidate now (for benches that compare backends); resolves to undefined on success or the
 * reason it could not be used. Does not change what chooseBackend remembers.
 */
export async function activate(candidate: BackendCandidate): Promise<string | undefined> {
  try {
    let name: string;
    if (candidate === 'tensorflow-gpu' || candidate === 'tensorflow') {
      const pkg = candidate === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      // Both register the 'tensorflow' backend; once one loaded, the other cannot be loaded as well.
      if (nativeLoaded.size > 0 && !nativeLoaded.has(pkg)) return `${[...nativeLoaded][0]} is already loaded`;
      const spec: string = pkg; // a variable, so TypeScript does not require the optional package at compile time
      await import(spec);
      nativeLoaded.add(pkg);
      name = 'tensorflow';
    } else if (candidate === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (!wasmPathsSet && typeof process !== 'undefined' && process.versions?.node) {
        const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
        wasm.setWasmPaths(path.dirname(main) + path.sep);
        wasmPathsSet = true;
      }
      name = 'wasm';
    } else {
      name = 'cpu';
    }
    if (!tf.findBackendFactory(name)) return `backend '${name}' was not registered`;
    if (!(await tf.setBackend(name))) return `backend '${name}' failed to initialise`;
    await tf.ready();
    const ok = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]);
    if (ok !== 11) return `backend '${name}' computed a wrong result (${ok})`;
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
}

/** The candidates that load here (activates each in turn, then restores the active backend). */
export async function availableBackends(candidates: readonly BackendCandidate[] = BACKEND_CANDIDATES): Promise<BackendCandidate[]> {
  await chooseBackend();
  const before = tf.getBackend();
  const ok: BackendCandidate[] = [];
  for (const c of candidates) if ((await activate(c)) === undefined) ok.push(c);
  await tf.setBackend(before);
  return ok;
}
