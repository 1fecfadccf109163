/**
 * StreamTune decide() latency on a 40-operator synthetic job (target: under 50 ms per decision): each decision
 * records the new window, fine-tunes on the job's windows (mode per row), runs the encoder once and searches every
 * operator's smallest safe parallelism. Snapshots come from the simulator at half the oracle parallelism, so every
 * decision takes the full path (a bottleneck is present). 64 windows at one rate: the fine-tuning set holds the
 * last fineTuneWindows windows, their cross-window pairs, work positives and a slice of the cluster's replay sample,
 * so the steady-state figures are the worst case; fineTuneBudget thins it and cuts the epochs (rows at the default
 * budget and at larger ones).
 *
 * Rows run idle or with the machine busy (a spinning worker thread per core for the whole row, on top of whatever
 * else runs).
 *
 * Run alone: npx tsx bench/streamtune.ts
 */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { clampParallelism } from '../src/core/parallelism.js';
import { Rng } from '../src/core/random.js';
import { SimulatorEngine } from '../src/engines/simulator/simulator.js';
import { chooseBackend } from '../src/learning/backend.js';
import { create, options } from '../src/tuners/streamtune/index.js';
import type { Observation, TunerView } from '../src/tuners/tuner.js';
import { syntheticJob } from '../src/workloads/synthetic/generator.js';

const TARGET_MS = 50;

type Row = Record<string, string | number>;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

export async function benchStreamtune(): Promise<Row[]> {
  const backend = await chooseBackend();
  const w = syntheticJob({ seed: 40, minOperators: 40, maxOperators: 40 });
  const engine = new SimulatorEngine({ seed: 1 });
  const rate = 6 * w.workloadUnit;
  const oracle = engine.groundTruth(w.job).oracle(rate).parallelism;
  const p = clampParallelism(w.job, Object.fromEntries(Object.entries(oracle).map(([id, v]) => [id, Math.max(1, Math.floor(v / 2))])));
  const d = await engine.deploy(w.job, p, rate);
  await d.advance(30);
  const history: Observation[] = [];
  const views: TunerView[] = [];
  for (let i = 0; i < 64; i++) {
    const snapshot = await d.observe(10);
    history.push({ parallelism: p, snapshot, rate });
    views.push({ job: w.job, parallelism: p, snapshot, targetRate: rate, episode: [...history], history: [...history], clock: snapshot.time, sharedWorkers: false });
  }
  await d.stop();
  const rows: Row[] = [];
  // [fineTune, fineTuneWindows, fineTuneBudget (undefined: the default), machine]
  const cases = [
    ['frozen', 16, undefined, 'idle'],
    ['frozen', 16, undefined, 'busy'],
    ['headOnly', 16, undefined, 'idle'],
    ['headOnly', 16, undefined, 'busy'],
    ['headOnly', 16, 20_000, 'busy'],
    ['headOnly', 16, 8_000, 'busy'],
    ['headOnly', 48, undefined, 'busy'],
    // Full fine-tuning trains the encoder too: seconds per decision; 24 windows (8 steady) keep the row short.
    ['full', 16, undefined, 'busy'],
  ] as const;
  for (const [fineTune, fineTuneWindows, fineTuneBudget, machine] of cases) {
    const burners = machine === 'busy' ? Array.from({ length: availableParallelism() }, () => new Worker('for (;;) {}', { eval: true })) : [];
    const tuner = create(options.parse({ fineTune, fineTuneWindows, ...(fineTuneBudget ? { fineTuneBudget } : {}) }));
    await tuner.prepare?.(w.job, { rng: new Rng(1), engineKind: 'simulator', groundTruth: engine.groundTruth(w.job) });
    tuner.startEpisode?.(rate);
    const times: number[] = [];
    for (const v of fineTune === 'full' ? views.slice(0, 24) : views) {
      const t = performance.now();
      await tuner.decide(v);
      times.push(performance.now() - t);
    }
    await Promise.all(burners.map((b) => b.terminate()));
    // Steady state: once the job has more windows than fineTuneWindows (the fine-tuning set stops growing).
    const steady = times.slice(Math.min(times.length - 8, fineTuneWindows));
    rows.push({
      bench: 'streamtune/decide',
      backend,
      fineTune,
      fineTuneWindows,
      fineTuneBudget: fineTuneBudget ?? options.parse({}).fineTuneBudget,
      machine,
      cluster: tuner.assignment?.why ?? '',
      operators: w.job.size,
      windows: times.length,
      msFirst: Number((times[0] as number).toFixed(1)),
      msMedian: Number(quantile(steady, 0.5).toFixed(1)),
      msP95: Number(quantile(steady, 0.95).toFixed(1)),
      targetMs: TARGET_MS,
      ok: quantile(steady, 0.5) < TARGET_MS ? 'yes' : 'no',
    });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.table(await benchStreamtune());
