/**
 * The tuner protocol's overhead per decision: the wall time of one decide() through an external tuner (JSON
 * line out, the process's answer back, validation) against the same policy in-process. Three tuners on the same
 * recorded views: a Python tuner that always keeps (the protocol alone: encode, pipe, the runner's parsing into
 * typed values, the answer), the Python DS2 and the built-in DS2, on Nexmark q5 (5 operators) and a synthetic job
 * of 40 operators. Needs python/.venv (pip install './python[dev]').
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Rng } from '../src/core/random.js';
import { SimulatorEngine } from '../src/engines/simulator/simulator.js';
import { loopConfig, runLoop, SLO_DEFAULTS } from '../src/loop/index.js';
import { createTuner } from '../src/tuners/registry.js';
import type { Tuner, TunerView } from '../src/tuners/tuner.js';
import { nexmark } from '../src/workloads/nexmark/templates.js';
import { syntheticJob } from '../src/workloads/synthetic/generator.js';
import type { JobGraph } from '../src/core/job.js';
import { VENV_PYTHON } from '../test/helpers/python.js';
import type { BenchRow } from './simulator.js';

const KEEP = 'from streamtune_tuner import Keep, Tuner, run\nclass K(Tuner):\n    def decide(self, view):\n        return Keep("keep")\nrun(K())\n';

/** Views the built-in DS2 saw on the simulator (so every tuner is timed on the same, realistic windows). */
async function recordedViews(job: JobGraph, unit: number): Promise<TunerView[]> {
  const views: TunerView[] = [];
  const sim = new SimulatorEngine({ seed: 1 });
  await runLoop({
    run: 'bench', sweep: 'base', seed: 1, job, engine: sim, tuner: createTuner('ds2'),
    schedule: [3, 8, 2, 6].map((r) => ({ rate: r * unit, durationSec: 600 })),
    loop: loopConfig.parse({ warmupSec: 20, windowSec: 10 }), slo: SLO_DEFAULTS, keepHistory: false,
    sinks: [{ window: (w) => (w.view ? views.push(w.view) : undefined) }],
  });
  return views;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

async function timeDecides(t: Tuner, job: JobGraph, views: readonly TunerView[], rounds: number): Promise<number[]> {
  await t.prepare?.(job, { rng: new Rng(1), engineKind: 'simulator' });
  const ms: number[] = [];
  try {
    for (let r = 0; r < rounds; r++)
      for (const v of views) {
        const t0 = performance.now();
        await t.decide(v);
        ms.push(performance.now() - t0);
      }
  } finally {
    await t.close?.();
  }
  return ms.slice(views.length); // the first round warms up both sides
}

export async function benchExternal(): Promise<BenchRow[]> {
  if (!existsSync(VENV_PYTHON)) return [{ line: `external: skipped, no ${VENV_PYTHON} (python3 -m venv python/.venv && python/.venv/bin/pip install './python[dev]')` }];
  const rows: BenchRow[] = [];
  const q5 = nexmark('q5');
  const big = syntheticJob({ seed: 11, minOperators: 40, maxOperators: 40 });
  for (const [label, w] of [['nexmark q5 (5 operators)', q5], ['synthetic (40 operators)', big]] as const) {
    const views = await recordedViews(w.job, w.workloadUnit);
    const tuners: [string, () => Tuner][] = [
      ['built-in DS2', () => createTuner('ds2')],
      ['Python DS2 (external)', () => createTuner('external', { command: [VENV_PYTHON, '-m', 'streamtune_tuner.examples.ds2'] }, 'ds2-py')],
      ['Python keep (external: the protocol alone)', () => createTuner('external', { command: [VENV_PYTHON, '-c', KEEP] }, 'keep-py')],
    ];
    const medians: Record<string, number> = {};
    for (const [name, make] of tuners) {
      const ms = await timeDecides(make(), w.job, views, 6);
      medians[name] = quantile(ms, 0.5);
      rows.push({ bench: `${label}: ${name}`, decisions: ms.length, medianMs: quantile(ms, 0.5).toFixed(3), p90Ms: quantile(ms, 0.9).toFixed(3), maxMs: Math.max(...ms).toFixed(2) });
    }
    const overhead = (medians['Python DS2 (external)'] ?? 0) - (medians['built-in DS2'] ?? 0);
    rows.push({ line: `external on ${label}: the protocol costs ${(medians['Python keep (external: the protocol alone)'] ?? 0).toFixed(3)} ms per decision (median, a Python tuner that keeps); the Python DS2 takes ${overhead.toFixed(3)} ms more than the built-in DS2` });
  }
  return rows;
}
