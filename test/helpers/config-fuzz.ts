/**
 * A seeded fuzzer of experiment configs: mutated copies of the committed configs (experiments/configs and
 * experiments/sweeps, as written and shortened) go through validation, the whole-config checks and the work
 * estimate in process; a sample of them runs end to end through the CLI under a time limit. Used by
 * test/unit/experiment/fuzz.test.ts (a few hundred configs) and `npm run bench fuzz` (1,000).
 *
 * Counted as failures: an exception other than ConfigError (a stack trace), a refusal that is not bounded lines
 * naming the file or flag, a CLI exit other than 0 and 2, a run past its time limit, a file written outside
 * the results folder.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { Rng } from '../../src/core/random.js';
import { ConfigError, MAX_LINE, MAX_LINES, PROJECT_ROOT } from '../../src/experiment/config.js';
import { overLimits } from '../../src/experiment/estimate.js';
import { planExperiment } from '../../src/experiment/plan.js';
import { cliArgs } from './cli.js';

export interface FuzzOptions {
  seed: number;
  configs: number;
  /** Configs run end to end through the CLI. */
  runs: number;
  /** Limit of one end-to-end run, seconds (the process is killed and the run counted as past its limit). */
  runTimeoutSec: number;
  /** Accepted configs run end to end only when their CPU estimate is below this (keeps the sample short). */
  maxRunCpuSec: number;
  /** A fresh folder the fuzzer may fill (configs, fixtures, results). */
  dir: string;
}

export interface FuzzReport {
  configs: number;
  accepted: number;
  refused: number;
  /** Of the refused: by the work estimate, and for needing StreamTune pre-training (as with --no-train). */
  refusedByEstimate: number;
  refusedForTraining: number;
  /** Exceptions other than ConfigError, with the config. */
  crashes: string[];
  /** Refusals breaking the bounded-lines rule. */
  badLines: string[];
  runs: { started: number; exit0: number; exit2: number; otherExit: string[]; pastLimit: string[]; stackTraces: string[]; strayFiles: string[] };
  seconds: number;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const FIXTURES: Record<string, string> = {
  'trace.csv': 'time,rate\n0,50000\n60,150000\n120,80000\n',
  'empty.csv': '',
  'garbage.csv': '\u0000\u0001 not, a "trace\n1,2,3\n',
  'backwards.csv': 'time,rate\n10,5\n0,6\n',
  'file.txt': 'not a folder\n',
};

/** Curated values for keys that measured cases came from. */
const KNOWN: [string, Json[]][] = [
  ['loop.windowSec', [1e9, 2 ** 53 + 1, 0, -1, 5, 1000, 3600]],
  ['loop.warmupSec', [0, 1e9, 5]],
  ['slo.holdSec', [0, 1e12]],
  ['loop.maxReconfigurations', [0, 1, 1e9]],
  ['loop.policyIntervalSec', [20, 1e9, 0]],
  ['loop.initialParallelism', [{ nosuchop: 3 }, 1e6, 200, { source: 200 }, { source: 2 }, 0, 3, 2 ** 53 + 1]],
  [
    'rates',
    [
      { kind: 'permutation', repeat: 1e9 },
      { kind: 'permutation', levels: 100000 },
      { kind: 'permutation', levels: 1e6 },
      { kind: 'permutation', levels: 3, repeat: 1, durationSec: 60 },
      { kind: 'trace', file: 'missing.csv' },
      { kind: 'trace', file: 'empty.csv' },
      { kind: 'trace', file: 'garbage.csv' },
      { kind: 'trace', file: 'backwards.csv' },
      { kind: 'trace', file: 'trace.csv', durationSec: 60 },
      { kind: 'trace', file: '/proc/self/status' },
      { kind: 'sine', low: 5, high: 1 },
      { kind: 'square', low: 1, high: 3, periods: 1, durationSec: 60 },
      { kind: 'steps', rates: [1e9] },
      { kind: 'constant', rate: 0, durationSec: 30 },
    ],
  ],
  [
    'workload',
    [
      { kind: 'synthetic', minOperators: 20, maxOperators: 5 },
      { kind: 'synthetic', costRange: [5, 1] },
      { kind: 'synthetic', seed: 2 ** 53 + 1 },
      { kind: 'synthetic', minOperators: 3, maxOperators: 4, peakParallelism: 1e9 },
      { kind: 'nexmark', query: 'q5', maxParallelism: 4 },
      { kind: 'nexmark', query: 'q9' },
      { kind: 'wordcount', maxParallelism: 1e9 },
    ],
  ],
  ['name', ['..', '.', 'a/b', 'x'.repeat(300), '', 'ok-name', '../../etc', 'a\u0000b', '-rf']],
  ['outputs.dir', ['/proc/x', '/proc', 'results/sub', 'file.txt', '', 'x'.repeat(5000)]],
  ['outputs.charts', [true]],
  ['seeds', [[1, 1], [], [-1], [2 ** 53 + 1], [1, 2, 3], [0.5]]],
  ['tuners.streamtune', [{ pretrainLr: 0.002 }, { pretrained: 'nope' }, {}, { labelRule: 'groundTruth' }, { fineTuneEpochs: 1e9 }, { hidden: 1e9 }]],
  ['tuners.ds2', [{}, { overProvisioning: 1e9 }, { overProvisioning: -1 }]],
  ['tuners.oracle', [{}]],
  ['engine', [{ kind: 'simulator', dt: 1e-9 }, { kind: 'simulator', dt: 0.05 }, { kind: 'simulator', mode: 'timely' }, { kind: 'flink', slots: 0 }, { kind: 'storm' }]],
  ['sweep', [{ 'loop.windowSec': [5, 10] }, { seeds: [[1], [2]] }, { 'x.y': [1] }, { name: ['..'] }, { '__proto__.x': [1] }, { 'rates.levels': [1, 2, 3] }, { 'a.b': Array.from({ length: 1000 }, (_, i) => i), 'c.d': Array.from({ length: 1000 }, (_, i) => i) }]],
  ['jobs', [0, 1e6, 2, 'abc']],
];

const NUMBERS: Json[] = [0, -1, 1, 0.5, 2, 1e9, 2 ** 53 + 1, 1e308, -1e308, 1e-300];
const OTHERS: Json[] = ['', 'x', 'x'.repeat(100_000), '..', '/proc/x', null, true, [], {}, [1, 1], { nosuch: 1 }];

function leaves(x: Json, path: string[] = [], out: string[][] = []): string[][] {
  if (x !== null && typeof x === 'object') {
    const entries = Array.isArray(x) ? x.map((v, i) => [String(i), v] as const) : Object.entries(x);
    if (entries.length === 0) out.push(path);
    for (const [k, v] of entries) leaves(v, [...path, k], out);
  } else out.push(path);
  return out;
}

function objects(x: Json, path: string[] = [], out: string[][] = []): string[][] {
  if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
    out.push(path);
    for (const [k, v] of Object.entries(x)) objects(v, [...path, k], out);
  }
  return out;
}

function get(x: Json, path: readonly string[]): Json | undefined {
  let cur: Json | undefined = x;
  for (const p of path) cur = cur !== null && typeof cur === 'object' && Object.hasOwn(cur, p) ? (cur as Record<string, Json>)[p] : undefined;
  return cur;
}

function set(x: Obj, path: readonly string[], value: Json | undefined): void {
  let cur: Json = x;
  for (const p of path.slice(0, -1)) {
    const next: Json | undefined = Object.hasOwn(cur as object, p) ? (cur as Record<string, Json>)[p] : undefined;
    if (next === null || next === undefined || typeof next !== 'object') Object.defineProperty(cur, p, { value: {}, enumerable: true, writable: true, configurable: true });
    cur = (cur as Record<string, Json>)[p] as Json;
  }
  const last = path[path.length - 1] as string;
  if (value === undefined) {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete (cur as Record<string, Json>)[last];
  }
  else Object.defineProperty(cur, last, { value, enumerable: true, writable: true, configurable: true });
}

function mutate(rng: Rng, x: Obj): string {
  const kind = rng.int(0, 5);
  if (kind === 0) {
    const [path, values] = rng.pick(KNOWN);
    const v = rng.pick(values);
    set(x, path.split('.'), structuredClone(v));
    return `${path}=${JSON.stringify(v).slice(0, 60)}`;
  }
  if (kind === 1 || kind === 2) {
    const nums = leaves(x).filter((p) => typeof get(x, p) === 'number');
    const path = nums.length > 0 ? rng.pick(nums) : rng.pick(leaves(x));
    const cur = get(x, path);
    const v: Json =
      typeof cur === 'number' && rng.next() < 0.6
        ? cur * rng.pick([1e-9, 1e-3, 0.5, 2, 10, 1e3, 1e6, 1e9])
        : rng.pick(NUMBERS);
    set(x, path, v);
    return `${path.join('.')}=${v}`;
  }
  if (kind === 3) {
    const path = rng.pick(leaves(x));
    const v = rng.pick(OTHERS);
    set(x, path, structuredClone(v));
    return `${path.join('.')}=${JSON.stringify(v).slice(0, 40)}`;
  }
  if (kind === 4) {
    const path = rng.pick(leaves(x));
    if (path.length === 0) return 'delete nothing';
    set(x, path, undefined);
    return `delete ${path.join('.')}`;
  }
  const path = rng.pick(objects(x));
  const key = rng.pick(['nosuch', 'colour', 'windowsec', '__proto__', 'constructor', 'k'.repeat(1000)]);
  set(x, [...path, key], 1);
  return `add ${[...path, key.slice(0, 20)].join('.')}`;
}

function bases(): { name: string; raw: Obj }[] {
  const out: { name: string; raw: Obj }[] = [];
  for (const d of ['experiments/configs', 'experiments/sweeps'])
    for (const f of readdirSync(join(PROJECT_ROOT, d)).filter((f) => f.endsWith('.json'))) {
      const raw = JSON.parse(readFileSync(join(PROJECT_ROOT, d, f), 'utf8')) as Obj;
      delete raw.$schema;
      out.push({ name: f, raw });
    }
  return out;
}

/** A committed config made short: the simulator, two rate steps of 2 minutes, one seed, no sweep, no charts. */
function shorten(rng: Rng, raw: Obj): Obj {
  const tuners = Object.keys((raw.tuners as Obj | undefined) ?? {});
  const kept = rng.shuffle(tuners).slice(0, 2);
  return {
    ...raw,
    engine: { kind: 'simulator' },
    rates: { kind: 'steps', rates: [2, 6], durationSec: 120 },
    seeds: [1],
    sweep: {},
    tuners: Object.fromEntries(kept.map((t) => [t, (raw.tuners as Obj)[t] as Json])),
    outputs: { dir: 'results', charts: false },
  };
}

function writeFixtures(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [f, body] of Object.entries(FIXTURES)) writeFileSync(join(dir, f), body);
}

function files(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

const inside = (root: string, p: string): boolean => {
  const rel = relative(root, p);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep);
};

/** Checks a refusal message: bounded lines, the first naming the config file or a flag. */
/**
 * What a refusal line must carry besides the file and the path: what was expected (a form, a range, the accepted
 * values) or what to do instead. 'Invalid input' alone fails.
 */
export const EXPECTATION = /expected|must|at (?:most|least)|takes no|give it|run without|run `|make it with|pass --|is (?:above|below|longer|shorter|not)|needs|no such|differs|holds another|outside|would lie|only|at the|of at|none|name at least/i;

function lineProblem(message: string, file: string): string | undefined {
  const lines = message.split('\n');
  if (lines.length > MAX_LINES + 1) return `${lines.length} lines`;
  const long = lines.find((l) => l.length > MAX_LINE);
  if (long !== undefined) return `a line of ${long.length} characters`;
  const first = lines[0] ?? '';
  if (!(first.startsWith(`${file}`) || first.startsWith('--'))) return `does not start with the file or a flag: ${first.slice(0, 120)}`;
  if (!/: \S/.test(first.slice(file.length))) return `names no JSON path: ${first.slice(0, 120)}`;
  const vague = lines.find((l) => l !== '' && !EXPECTATION.test(l));
  if (vague !== undefined) return `says what is wrong but not what was expected: ${vague.slice(0, 160)}`;
  return undefined;
}

export function fuzzConfigs(o: FuzzOptions): FuzzReport {
  const t0 = performance.now();
  const rng = new Rng(o.seed).fork('config-fuzz');
  const all = bases();
  const report: FuzzReport = {
    configs: 0,
    accepted: 0,
    refused: 0,
    refusedByEstimate: 0,
    refusedForTraining: 0,
    crashes: [],
    badLines: [],
    runs: { started: 0, exit0: 0, exit2: 0, otherExit: [], pastLimit: [], stackTraces: [], strayFiles: [] },
    seconds: 0,
  };
  const work = join(o.dir, 'validate');
  writeFixtures(work);
  const file = join(work, 'fuzz.json');
  const small: { raw: Obj; what: string }[] = [];
  const refused: { raw: Obj; what: string }[] = [];
  for (let i = 0; i < o.configs; i++) {
    const base = rng.pick(all);
    const raw = rng.next() < 0.5 ? shorten(rng, structuredClone(base.raw)) : structuredClone(base.raw);
    const steps = Array.from({ length: rng.int(1, 3) }, () => mutate(rng, raw));
    const what = `#${i} ${base.name}: ${steps.join('; ')}`;
    writeFileSync(file, JSON.stringify(raw));
    report.configs++;
    try {
      const plan = planExperiment({ config: file, cwd: work, runId: 'r' });
      if (overLimits(plan.estimate)) {
        report.refused++;
        report.refusedByEstimate++;
        refused.push({ raw, what });
      } else if (plan.pretraining.length > 0) {
        report.refused++;
        report.refusedForTraining++;
        refused.push({ raw, what });
      } else {
        report.accepted++;
        if (plan.points.every((p) => p.experiment.engine.kind === 'simulator') && plan.estimate.cpuSec <= o.maxRunCpuSec) small.push({ raw, what });
      }
    } catch (e) {
      if (e instanceof ConfigError) {
        report.refused++;
        refused.push({ raw, what });
        const problem = lineProblem(e.message, file);
        if (problem) report.badLines.push(`${what}: ${problem}`);
      } else {
        report.crashes.push(`${what}: ${String((e as Error).stack ?? e).split('\n').slice(0, 3).join(' | ')}`);
      }
    }
  }

  const nAccepted = Math.min(small.length, Math.ceil(o.runs * 0.75));
  const sample = [...rng.shuffle(small).slice(0, nAccepted), ...rng.shuffle(refused).slice(0, o.runs - nAccepted)];
  const repoResults = join(PROJECT_ROOT, 'results');
  const before = existsSync(repoResults) ? readdirSync(repoResults).length : 0;
  for (const [k, { raw, what }] of sample.entries()) {
    const sandbox = join(o.dir, `run-${k}`);
    writeFixtures(sandbox);
    writeFileSync(join(sandbox, 'fuzz.json'), JSON.stringify(raw));
    const existing = new Set(files(sandbox));
    report.runs.started++;
    const r = spawnSync(process.execPath, cliArgs('src/cli/experiment.ts', ['fuzz.json', '--no-train']), {
      cwd: sandbox,
      encoding: 'utf8',
      timeout: o.runTimeoutSec * 1000,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, STREAMTUNE_DEBUG: '' },
    });
    const lastLine = (r.stderr ?? '').trim().split('\n').pop()?.slice(0, 200) ?? '';
    if (r.status === null) report.runs.pastLimit.push(`${what}: killed after ${o.runTimeoutSec} s (${r.signal})`);
    else if (r.status === 0) report.runs.exit0++;
    else if (r.status === 2) report.runs.exit2++;
    else report.runs.otherExit.push(`${what}: exit ${r.status}: ${lastLine}`);
    if (/\n\s+at \S/.test(r.stderr ?? '')) report.runs.stackTraces.push(`${what}: ${lastLine}`);
    const outDir = (raw.outputs as Obj | undefined)?.dir;
    const resultsRoot = resolve(sandbox, typeof outDir === 'string' && outDir !== '' ? outDir : 'results');
    for (const f of files(sandbox))
      if (!existing.has(f) && !inside(resultsRoot, f)) report.runs.strayFiles.push(`${what}: ${relative(o.dir, f)}`);
    if (existsSync(resultsRoot) && statSync(resultsRoot).isDirectory() && !inside(sandbox, resultsRoot) && resultsRoot !== sandbox)
      report.runs.strayFiles.push(`${what}: results folder ${resultsRoot} outside the sandbox`);
  }
  const after = existsSync(repoResults) ? readdirSync(repoResults).length : 0;
  if (after !== before) report.runs.strayFiles.push(`${after - before} new entries in ${repoResults}`);
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}
