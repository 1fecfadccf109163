/**
 * The tuner contract: what every tuner behind src/tuners/tuner.ts must do, built in or external (the engine
 * contract's counterpart). One suite, registered per tuner by tuners.contract.test.ts, over a few fixed scenarios
 * run through the project's one control loop on the simulator (it has the ground truth the oracle needs):
 *
 * - deterministic for a seed: two fresh tuners with the same seed decide the same, window by window;
 * - every decision valid: keep, wait or rescale with a reason; a rescale names every operator of the job and no
 *   other, each an integer within [1, its max parallelism];
 * - an invalid window (the engine invalidated it) and a window with no data (every metric 0) are handled: the
 *   run goes on and every decision stays valid;
 * - a rescale that did not take effect is handled: the tuner is shown it (view.lastRescale) and answers validly;
 * - built-in tuners do no I/O in decide(): node:fs and node:child_process throw while decide() runs.
 */
import assert from 'node:assert/strict';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { Decision } from '../../src/core/decision.js';
import type { JobGraph } from '../../src/core/job.js';
import { ZERO_OPERATOR_METRICS, type Snapshot } from '../../src/core/metrics.js';
import { Rng } from '../../src/core/random.js';
import type { Deployment, Engine } from '../../src/engines/engine.js';
import { SimulatorEngine } from '../../src/engines/simulator/simulator.js';
import { loopConfig, runLoop, SLO_DEFAULTS } from '../../src/loop/index.js';
import type { Tuner, TunerView } from '../../src/tuners/tuner.js';
import { nexmark } from '../../src/workloads/nexmark/templates.js';
import { syntheticJob } from '../../src/workloads/synthetic/generator.js';

export interface ContractScenario {
  readonly name: string;
  readonly job: JobGraph;
  readonly mode: 'flink' | 'timely';
  /** Total source rates of the episodes, records/s. */
  readonly rates: readonly number[];
  readonly durationSec: number;
  /** Engine misbehaviour: every n-th window invalid, one window with no data, the first rescale refused. */
  readonly perturb?: { invalidEvery: number; zeroWindow: number; refuseFirstRescale: boolean };
}

const q5 = nexmark('q5');
const q1 = nexmark('q1');
const synthetic = syntheticJob({ seed: 3, minOperators: 8, maxOperators: 10 });

/** The scenarios every tuner is run on (and on which the Python DS2 must decide exactly as the built-in). */
export const CONTRACT_SCENARIOS: readonly ContractScenario[] = [
  { name: 'nexmark q5, rates 3, 8, 2 x W_u', job: q5.job, mode: 'flink', rates: [3, 8, 2].map((r) => r * q5.workloadUnit), durationSec: 400 },
  { name: 'synthetic job (seed 3), rates 6, 2 x W_u', job: synthetic.job, mode: 'flink', rates: [6, 2].map((r) => r * synthetic.workloadUnit), durationSec: 400 },
  { name: 'nexmark q1 on shared workers (Timely), rates 2, 6 x W_u', job: q1.job, mode: 'timely', rates: [2, 6].map((r) => r * q1.workloadUnit), durationSec: 400 },
  {
    name: 'nexmark q5 with invalid windows, a window with no data and a refused rescale',
    job: q5.job,
    mode: 'flink',
    rates: [4, 7].map((r) => r * q5.workloadUnit),
    durationSec: 400,
    perturb: { invalidEvery: 4, zeroWindow: 3, refuseFirstRescale: true },
  },
];

export interface TunerSubject {
  /** Shown in the test titles. */
  readonly name: string;
  /** undefined when the tuner can run here; otherwise why not (a skip, or a failure under REQUIRE_ENGINES=1). */
  available(): string | undefined;
  /** A fresh tuner (prepare() not yet called). */
  make(): Tuner;
  /** Built-in tuners are held to "no I/O in decide()" (an external tuner's decide() talks to its process). */
  readonly builtIn: boolean;
  /** Scenarios this tuner does not apply to, by name, with why (e.g. a tuner for per-operator engines only). */
  readonly skip?: Readonly<Record<string, string>>;
}

export interface RecordedDecision {
  readonly window: number;
  readonly episode: number;
  /** What the loop made of it (rescale, rescale-failed, keep, ...). */
  readonly event: string;
  readonly view: TunerView;
  readonly decision: Decision;
}

/** The engine of a scenario, misbehaving as the scenario says. */
class PerturbedEngine implements Engine {
  readonly kind = 'simulator';
  constructor(
    private readonly inner: SimulatorEngine,
    private readonly p: NonNullable<ContractScenario['perturb']>,
  ) {}
  get capabilities() {
    return this.inner.capabilities;
  }
  groundTruth(job: JobGraph) {
    return this.inner.groundTruth(job);
  }
  async close(): Promise<void> {
    await this.inner.close();
  }
  async deploy(...args: Parameters<Engine['deploy']>): Promise<Deployment> {
    const d = await this.inner.deploy(...args);
    const p = this.p;
    let windows = 0;
    let refused = false;
    return {
      get parallelism() {
        return d.parallelism;
      },
      now: () => d.now(),
      advance: (s) => d.advance(s),
      setRate: (r) => d.setRate(r),
      stop: () => d.stop(),
      async observe(sec): Promise<Snapshot> {
        const s = await d.observe(sec);
        windows++;
        if (windows % p.invalidEvery === 0) return { ...s, valid: false, note: 'invalidated by the contract (a restart)' };
        if (windows === p.zeroWindow)
          return { ...s, operators: Object.fromEntries(Object.entries(s.operators).map(([id, m]) => [id, { ...ZERO_OPERATOR_METRICS, parallelism: m.parallelism }])), note: 'no data' };
        return s;
      },
      async rescale(next) {
        if (p.refuseFirstRescale && !refused) {
          refused = true;
          return { downtimeSeconds: 0, tookEffect: false, parallelism: d.parallelism, requested: next, note: 'refused by the contract' };
        }
        return d.rescale(next);
      },
    };
  }
}

/** Runs a fresh tuner on a scenario through the control loop; every decision with its view, in order. */
export async function runScenario(tuner: Tuner, sc: ContractScenario, seed: number, wrapDecide?: (t: Tuner) => Tuner): Promise<RecordedDecision[]> {
  const sim = new SimulatorEngine({ mode: sc.mode, seed });
  const engine: Engine = sc.perturb ? new PerturbedEngine(sim, sc.perturb) : sim;
  const out: RecordedDecision[] = [];
  try {
    await tuner.prepare?.(sc.job, { rng: new Rng(seed).fork(`tuner:${tuner.name}`), engineKind: 'simulator', groundTruth: sim.groundTruth(sc.job) });
    await runLoop({
      run: 'contract',
      sweep: 'base',
      seed,
      job: sc.job,
      engine,
      tuner: wrapDecide ? wrapDecide(tuner) : tuner,
      schedule: sc.rates.map((rate) => ({ rate, durationSec: sc.durationSec })),
      loop: loopConfig.parse({ warmupSec: 20, windowSec: 10, maxReconfigurations: 8 }),
      slo: SLO_DEFAULTS,
      keepHistory: false,
      sinks: [{ window: (w) => (w.view && w.decision ? out.push({ window: w.window, episode: w.episode, event: w.event, view: w.view, decision: w.decision }) : undefined) }],
    });
  } finally {
    await tuner.close?.();
    await engine.close();
  }
  return out;
}

/** What is wrong with one decision (empty when it is valid). */
export function decisionViolations(job: JobGraph, d: Decision): string[] {
  const bad: string[] = [];
  if (!['keep', 'wait', 'rescale'].includes(d.kind)) bad.push(`unknown decision kind '${String(d.kind)}'`);
  if (typeof d.reason !== 'string' || d.reason.trim() === '') bad.push('no reason');
  if (d.kind !== 'rescale') return bad;
  for (const id of Object.keys(d.parallelism)) if (!job.has(id)) bad.push(`unknown operator '${id}'`);
  for (const id of job.operatorIds) {
    const v = d.parallelism[id];
    const max = job.operator(id).maxParallelism;
    if (v === undefined) bad.push(`operator '${id}' missing`);
    else if (!Number.isInteger(v) || v < 1 || v > max) bad.push(`operator '${id}': ${v} is not an integer within [1, ${max}]`);
  }
  for (const c of d.changes) if (d.parallelism[c.operator] !== c.next) bad.push(`change of '${c.operator}' says ${c.next}, the parallelism ${d.parallelism[c.operator]}`);
  return bad;
}

/** A decision as compared across runs: kind, parallelism and reasons. */
export function comparable(ds: readonly RecordedDecision[]): unknown[] {
  return ds.map((r) => ({
    window: r.window,
    kind: r.decision.kind,
    reason: r.decision.reason,
    ...(r.decision.kind === 'rescale' ? { parallelism: r.decision.parallelism, changes: r.decision.changes } : {}),
  }));
}

// ---- no I/O in decide() -----------------------------------------------------------------------------------------

const require = createRequire(import.meta.url);
const fs = require('node:fs') as Record<string, unknown> & { promises: Record<string, unknown> };
const cp = require('node:child_process') as Record<string, unknown>;
const FS_CALLS = Object.keys(fs).filter((k) => typeof fs[k] === 'function' && /^[a-z]/.test(k) && !/^(Stats|Dirent|constants)$/.test(k));
const FS_PROMISES = Object.keys(fs.promises).filter((k) => typeof fs.promises[k] === 'function');
const CP_CALLS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'];

/** Runs body with every node:fs and node:child_process function throwing (ES-module imports included). */
export async function withoutIo<T>(what: string, body: () => T | Promise<T>): Promise<{ value?: T; calls: string[] }> {
  const calls: string[] = [];
  const saved: [Record<string, unknown>, string, unknown][] = [];
  const stub = (obj: Record<string, unknown>, key: string, label: string): void => {
    saved.push([obj, key, obj[key]]);
    obj[key] = (..._args: unknown[]) => {
      calls.push(label);
      throw new Error(`${what}: I/O in decide(): ${label}`);
    };
  };
  for (const k of FS_CALLS) stub(fs, k, `fs.${k}`);
  for (const k of FS_PROMISES) stub(fs.promises, k, `fs.promises.${k}`);
  for (const k of CP_CALLS) stub(cp, k, `child_process.${k}`);
  syncBuiltinESMExports();
  try {
    return { value: await body(), calls };
  } catch (e) {
    if (calls.length > 0) return { calls };
    throw e;
  } finally {
    for (const [obj, key, v] of saved) obj[key] = v;
    syncBuiltinESMExports();
  }
}

/** The tuner with its decide() run under withoutIo; calls collects every I/O attempt. */
function noIoDecide(t: Tuner, calls: string[]): Tuner {
  return {
    name: t.name,
    ...(t.startEpisode ? { startEpisode: (r: number) => t.startEpisode?.(r) } : {}),
    decide: async (view) => {
      const r = await withoutIo(t.name, () => t.decide(view));
      calls.push(...r.calls);
      if (r.value === undefined) throw new Error(`${t.name}: I/O in decide(): ${r.calls.join(', ')}`);
      return r.value;
    },
  };
}

export function tunerContract(subject: TunerSubject): void {
  describe(`tuner contract: ${subject.name}`, function () {
    before(function () {
      const why = subject.available();
      if (why === undefined) return;
      if (process.env.REQUIRE_ENGINES === '1') throw new Error(`REQUIRE_ENGINES=1 but ${subject.name} cannot run: ${why}`);
      this.skip();
    });

    for (const sc of CONTRACT_SCENARIOS) {
      const skip = subject.skip?.[sc.name];
      describe(sc.name, function () {
        let first: RecordedDecision[] = [];
        let ioCalls: string[] = [];
        before(async function () {
          if (skip) this.skip();
          first = await runScenario(subject.make(), sc, 7, subject.builtIn ? (t) => noIoDecide(t, ioCalls) : undefined);
        });
        after(() => {
          ioCalls = [];
        });

        it('decides at least once, and every decision is valid', () => {
          assert.ok(first.length > 0, 'the tuner was never asked');
          for (const r of first) assert.deepEqual(decisionViolations(sc.job, r.decision), [], `window ${r.window}: ${JSON.stringify(r.decision).slice(0, 300)}`);
        });

        it('is deterministic for a seed: a fresh tuner with the same seed decides the same', async () => {
          const again = await runScenario(subject.make(), sc, 7);
          assert.deepEqual(comparable(again), comparable(first));
        });

        if (subject.builtIn)
          it('does no I/O in decide()', () => {
            assert.deepEqual(ioCalls, []);
          });

        if (sc.perturb)
          it('goes on after invalid windows, a window with no data and a rescale that did not take effect', () => {
            const windows = first.map((r) => r.window);
            assert.ok(windows.every((w) => w % (sc.perturb?.invalidEvery ?? 0) !== 0), 'an invalid window reached decide()');
            assert.ok(windows.includes(sc.perturb?.zeroWindow ?? -1), 'the window with no data was decided on');
            const refused = first.findIndex((r) => r.event === 'rescale-failed');
            assert.ok(refused >= 0 || !first.some((r) => r.event.startsWith('rescale')), 'a rescale was made but none was refused');
            const next = first[refused + 1];
            if (refused >= 0 && next && next.episode === first[refused]?.episode) {
              assert.equal(next.view.lastRescale?.tookEffect, false, 'the refused rescale was not shown to the tuner');
              assert.deepEqual(next.view.lastRescale?.running, first[refused]?.view.parallelism);
            }
          });
      });
    }
  });
}
