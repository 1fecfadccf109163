/** Worker thread: executes runs sent by the pool and posts their rows back. */
import { parentPort } from 'node:worker_threads';
import { executeRun, type RunSpec } from './runs.js';

parentPort?.on('message', async (spec: RunSpec) => {
  try {
    const result = await executeRun(spec, () => parentPort?.postMessage({ kind: 'episode', key: spec.key }));
    parentPort?.postMessage({ kind: 'done', key: spec.key, result });
  } catch (e) {
    const partial = (e as { partial?: unknown } | undefined)?.partial;
    parentPort?.postMessage({ kind: 'failed', key: spec.key, error: (e as Error).message ?? String(e), ...(partial ? { partial } : {}) });
  }
});
