/** Simulator speed: operator-seconds simulated per wall second, the oracle's time, a full 10-minute episode. */
import { SLO_DEFAULTS } from '../src/loop/config.js';
import { performance } from 'node:perf_hooks';
import { SimulatorEngine } from '../src/engines/simulator/simulator.js';
import { syntheticJob } from '../src/workloads/synthetic/generator.js';
import { runLoop } from '../src/loop/index.js';
import { keep, wait } from '../src/core/decision.js';
import type { Tuner } from '../src/tuners/tuner.js';

export type BenchRow = Record<string, string | number>;

function best(reps: number, f: () => void): number {
  let b = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    f();
    b = Math.min(b, performance.now() - t);
  }
  return b;
}

export async function benchSimulator(): Promise<BenchRow[]> {
  const w = syntheticJob({ seed: 11, minOperators: 40, maxOperators: 40 });
  const engine = new SimulatorEngine({ seed: 1 });
  const truth = engine.groundTruth(w.job);
  const rate = 5 * w.workloadUnit;
  const p = truth.oracle(rate).parallelism;
  const rows: BenchRow[] = [];
  // Raw stepping: 600 simulated seconds.
  const d = await engine.deploy(w.job, p, rate);
  await d.observe(600); // warm the JIT
  let wall = Infinity;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await d.observe(600);
    wall = Math.min(wall, performance.now() - t);
  }
  rows.push({ bench: 'simulator: 40 operators, 600 s simulated (dt 0.1 s)', wallMs: wall.toFixed(2), operatorSecondsPerWallSecond: ((40 * 600) / (wall / 1000)).toExponential(2) });
  rows.push({ bench: 'oracle: 40 operators', wallMs: best(20, () => truth.oracle(rate)).toFixed(3) });
  // A whole tuning episode through the control loop: 10 minutes, one observation window after another.
  const observer: Tuner = { name: 'observer', decide: (v) => (v.clock < 600 ? wait('observing') : keep('done')) };
  let ep = Infinity;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await runLoop({
      run: 'bench',
      sweep: 'base',
      seed: 1,
      job: w.job,
      engine,
      tuner: observer,
      schedule: [{ rate, durationSec: 600 }],
      loop: { warmupSec: 30, windowSec: 10, activation: 1, maxReconfigurations: 10, initialParallelism: p, carryOver: true },
      slo: SLO_DEFAULTS,
      keepHistory: false,
    });
    ep = Math.min(ep, performance.now() - t);
  }
  rows.push({ bench: 'episode: 40 operators, 10 simulated minutes through the control loop (target < 50 ms)', wallMs: ep.toFixed(2) });
  return rows;
}
