/**
 * Checks of the whole config, made before the first run: what the schema alone cannot see (cross-field rules,
 * files that must exist and parse, per-operator keys against the workload's DAG, what the engine can do).
 * Each problem is one ConfigError line naming the file and the JSON path; nothing here starts an engine.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError, clip } from './config.js';
import type { Experiment } from './schema.js';
import { buildWorkload, workloadProblem, type Workload } from '../workloads/index.js';
import { readTrace } from '../workloads/rates.js';
import { BOUNDS } from '../core/bounds.js';
import { engineCapabilities } from '../engines/registry.js';
import { tunerEntry, tunerOptions } from '../tuners/registry.js';
import { tunerEntries } from '../tuners/variants.js';

export { MAX_TRACE_BYTES } from '../workloads/rates.js';

export interface CheckContext {
  /** Prefix of every line: the config file (and the sweep point). */
  where: string;
  /** The config file (relative trace paths are resolved against its folder first). */
  file: string;
  cwd: string;
}

/**
 * Checks one validated sweep point; returns it with the trace path made absolute. Throws ConfigError on the
 * first problem.
 */
export function checkExperiment(x: Experiment, ctx: CheckContext): { experiment: Experiment; workload: Workload } {
  const fail = (path: string, what: string): never => {
    throw new ConfigError(`${ctx.where}: ${path}: ${what}`);
  };
  const problem = workloadProblem(x.workload);
  if (problem) fail(`workload.${problem.path}`, problem.what);
  const r = x.rates;
  if ((r.kind === 'square' || r.kind === 'sine') && r.low > r.high) fail('rates.high', `${r.high} is below rates.low ${r.low}`);
  let workload: Workload;
  try {
    workload = buildWorkload(x.workload);
  } catch (e) {
    return fail('workload', (e as Error).message);
  }
  let experiment = x;
  if (r.kind === 'trace') {
    const file = resolveTrace(r.file, ctx);
    if (!file) fail('rates.file', `no such file '${clip(r.file)}' (looked beside the config and in the current folder)`);
    const f = file as string;
    try {
      readTrace(f, r.durationSec, BOUNDS.rateUnits * workload.workloadUnit);
    } catch (e) {
      fail('rates.file', (e as Error).message);
    }
    experiment = { ...x, rates: { ...r, file: f } };
  } else if (x.loop.windowSec > r.durationSec) {
    fail('loop.windowSec', `${x.loop.windowSec} s is longer than rates.durationSec ${r.durationSec} s (an episode would end after its first window)`);
  }

  const job = workload.job;
  const maxOf = (id: string) => job.operator(id).maxParallelism;
  const largest = Math.max(...job.operatorIds.map(maxOf));
  const ip = x.loop.initialParallelism;
  if (typeof ip === 'number') {
    if (ip > largest) fail('loop.initialParallelism', `${ip} is above every operator's max parallelism (at most ${largest} in ${job.name})`);
  } else {
    for (const [id, p] of Object.entries(ip)) {
      if (!job.has(id)) fail(`loop.initialParallelism.${clip(id, 40)}`, `no operator '${clip(id, 40)}' in ${job.name} (expected one of ${clip(job.operatorIds.join(', '), 200)})`);
      if (p > maxOf(id)) fail(`loop.initialParallelism.${id}`, `${p} is above the operator's max parallelism ${maxOf(id)}`);
    }
  }

  const caps = engineCapabilities(x.engine);
  for (const t of tunerEntries(x.tuners)) {
    const at = `tuners.${t.name}`;
    let parsed: unknown;
    try {
      parsed = tunerOptions(t.kind, t.options, t.name);
      tunerEntry(t.kind).create(parsed, t.name);
    } catch (e) {
      fail(at, (e as Error).message.split('\n').join(' '));
      continue;
    }
    for (const p of tunerEntry(t.kind).check?.(parsed, { engineKind: x.engine.kind, capabilities: caps }) ?? []) fail(p.key ? `${at}.${p.key}` : at, p.message);
  }
  return { experiment, workload };
}

/** A trace path: absolute, else beside the config, else in the current folder. */
function resolveTrace(file: string, ctx: CheckContext): string | undefined {
  const candidates = isAbsolute(file) ? [file] : [resolve(dirname(ctx.file), file), resolve(ctx.cwd, file)];
  return candidates.find((c) => existsSync(c));
}
