/**
 * `npm run fidelity [-- --quick] [--profile flink-2core] [--from real.json] [--out dir]` (a bench, never a test):
 * how far the simulator is from real Flink on held-out runs (src/calibration/design.ts fidelityPlan: parallelisms
 * and rates the calibration did not use). The real runs go through the control loop on a local Flink
 * (one MiniCluster per block); the simulator runs the same points through the same loop, twice:
 *   before: the `linear` profile (the model before issue 13) with Nexmark costs read from the calibration runs
 *           the way they were before (busy slope between two rates at p = 1);
 *   after:  the calibrated profile with its measured Nexmark costs.
 * Scored: per operator the busy ratio (points whose real busy is >= 50 ms/s, unsaturated) and per configuration the
 * largest sustainable source rate (overload points). Writes fidelity.csv, fidelity.vl.json/.svg/.png (simulated
 * against real, identity line) and real.json (the measurements; `--from` reuses them) under
 * results/fidelity/<time>/; the last line is
 *   fidelity: median busy error X%, p90 Y%, sustainable-rate error Z% over N points
 * (Z: median over the overload points the job could not keep up with; N: busy pairs + those points). Run it
 * alone on the machine:
 * `flock /work/cpu.lock npm run fidelity`. `--quick`: q5 and the synthetic ranking job only, under 5 minutes.
 *
 * `--ranking <flink run folder> <simulator run folder>` (of experiments/configs/fidelity-flink.json and
 * fidelity-sim.json): per tuner, reconfigurations, final total parallelism and SLO figures side by side, and the
 * Kendall tau between the two engines' rankings of the tuners on each figure.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { TopLevelSpec } from 'vega-lite';
import { kendallTau } from '../src/report/comparison.js';
import { fidelityPlan } from '../src/calibration/design.js';
import { compare, quantile, simulatePlan, type Errors } from '../src/calibration/fit.js';
import { readMeasurements, readProfileFile, measurePlan, type MeasuredPlan } from '../src/calibration/index.js';
import { REAL_TIMING } from '../src/calibration/measure.js';
import { command, EXIT, guard } from '../src/cli/common.js';
import { PROJECT_ROOT } from '../src/core/project.js';
import { FlinkEngine } from '../src/engines/flink/index.js';
import { loadProfile } from '../src/engines/simulator/profile.js';
import { renderPng, renderSvg, SCHEMA } from '../src/report/charts.js';

export interface FidelityFigures {
  medianBusy: number;
  p90Busy: number;
  sustainable: number;
  points: number;
}

export function figures(e: Errors): FidelityFigures {
  return { medianBusy: quantile(e.busy, 0.5), p90Busy: quantile(e.busy, 0.9), sustainable: quantile(e.sustainable, 0.5), points: e.busy.length + e.sustainable.length };
}

export function fidelityLine(f: FidelityFigures): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  return `fidelity: median busy error ${pct(f.medianBusy)}, p90 ${pct(f.p90Busy)}, sustainable-rate error ${pct(f.sustainable)} over ${f.points} points`;
}

/** The identity line over the panel's range. */
function identity(rows: readonly Record<string, unknown>[]): { v: number }[] {
  const xs = rows.flatMap((r) => [Number(r.real), Number(r.simulated)]).filter((x) => x > 0);
  return xs.length ? [{ v: Math.min(...xs) / 1.2 }, { v: Math.max(...xs) * 1.2 }] : [];
}

function scatterSpec(rows: Record<string, unknown>[]): TopLevelSpec {
  const panel = (kind: string, title: string, unit: string) => ({
    title,
    width: 300,
    height: 300,
    layer: [
      {
        data: { values: rows.filter((r) => r.kind === kind) },
        mark: { type: 'point' as const, filled: true, size: 40, opacity: 0.8 },
        encoding: {
          x: { field: 'real', type: 'quantitative' as const, title: `real (${unit})`, scale: { type: 'log' as const } },
          y: { field: 'simulated', type: 'quantitative' as const, title: `simulated (${unit})`, scale: { type: 'log' as const } },
          color: { field: 'model', type: 'nominal' as const, title: 'simulator' },
          shape: { field: 'block', type: 'nominal' as const },
        },
      },
      {
        data: { values: identity(rows.filter((r) => r.kind === kind)) },
        mark: { type: 'line' as const, color: '#888', strokeDash: [4, 4] },
        encoding: { x: { field: 'v', type: 'quantitative' as const }, y: { field: 'v', type: 'quantitative' as const } },
      },
    ],
  });
  return {
    $schema: SCHEMA,
    title: 'Simulator against real Flink on held-out runs (dashed: identity)',
    hconcat: [panel('busy', 'busy time per operator', 'ms/s'), panel('sustainable', 'largest sustainable source rate', 'events/s')],
  } as TopLevelSpec;
}

export { kendallTau };

interface TunerFigures {
  reconfigurations: number;
  finalTotalP: number;
  lastFinalTotalP: number;
  sustained: number;
  lagIntegral: number;
  episodes: number;
}

function tunerFigures(runDir: string): Map<string, TunerFigures> {
  const rows = parse(readFileSync(join(runDir, 'episodes.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  const out = new Map<string, TunerFigures>();
  for (const r of rows) {
    const t = r.tuner as string;
    const f = out.get(t) ?? { reconfigurations: 0, finalTotalP: 0, lastFinalTotalP: 0, sustained: 0, lagIntegral: 0, episodes: 0 };
    f.reconfigurations += Number(r.reconfigurations);
    f.finalTotalP += Number(r.finalTotalParallelism);
    f.lastFinalTotalP = Number(r.finalTotalParallelism);
    f.sustained += r.outcome === 'sustained' ? 1 : 0;
    f.lagIntegral += Number(r.lagIntegralRecordSec);
    f.episodes++;
    out.set(t, f);
  }
  for (const f of out.values()) {
    f.finalTotalP /= f.episodes;
    f.sustained /= f.episodes;
  }
  return out;
}

export function rankingReport(flinkDir: string, simDir: string): string {
  const real = tunerFigures(flinkDir);
  const sim = tunerFigures(simDir);
  const tuners = [...real.keys()].filter((t) => sim.has(t));
  const lines = ['| tuner | reconfigurations (Flink / sim) | mean final total P | sustained episodes | lag integral, record-s |', '|---|---|---|---|---|'];
  const fmt = (x: number, d = 1): string => x.toFixed(d);
  for (const t of tuners) {
    const a = real.get(t) as TunerFigures;
    const b = sim.get(t) as TunerFigures;
    lines.push(`| ${t} | ${a.reconfigurations} / ${b.reconfigurations} | ${fmt(a.finalTotalP)} / ${fmt(b.finalTotalP)} | ${fmt(100 * a.sustained, 0)} % / ${fmt(100 * b.sustained, 0)} % | ${a.lagIntegral.toExponential(2)} / ${b.lagIntegral.toExponential(2)} |`);
  }
  const tau = (k: keyof TunerFigures): string => fmt(kendallTau(tuners.map((t) => (real.get(t) as TunerFigures)[k]), tuners.map((t) => (sim.get(t) as TunerFigures)[k])), 2);
  lines.push('', `Kendall tau (Flink vs simulator, ${tuners.length} tuners): reconfigurations ${tau('reconfigurations')}, mean final total P ${tau('finalTotalP')}, sustained share ${tau('sustained')}, lag integral ${tau('lagIntegral')}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const argv = await command('fidelity', '$0 [--quick] [--profile flink-2core] [--from real.json] [--out dir]\n\nSimulator vs real Flink on held-out runs: CSV, scatter chart, and the fidelity line.')
    .option('quick', { type: 'boolean', default: false, describe: 'q5 and the synthetic ranking job only (under 5 minutes)' })
    .option('profile', { type: 'string', default: 'flink-2core', describe: 'calibrated machine profile (datasets/calibration/<profile>.json)' })
    .option('from', { type: 'string', describe: 'reuse real measurements (a real.json of an earlier run)' })
    .option('out', { type: 'string', describe: 'output folder (default results/fidelity/<time>)' })
    .option('ranking', { type: 'string', array: true, describe: 'two run folders (fidelity-flink, fidelity-sim): the ranking comparison only' })
    .strict()
    .help()
    .parse();
  if (argv.ranking) {
    if (argv.ranking.length !== 2) {
      console.error('error: --ranking takes two run folders: <fidelity-flink run> <fidelity-sim run>');
      return EXIT.badInput;
    }
    const report = rankingReport(resolve(argv.ranking[0] as string), resolve(argv.ranking[1] as string));
    console.log(report);
    return EXIT.ok;
  }
  const started = Date.now();
  const terms = loadProfile(argv.profile);
  const file = readProfileFile(argv.profile);
  const plan = fidelityPlan(argv.quick);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const out = resolve(argv.out ?? join(PROJECT_ROOT, 'results/fidelity', `${stamp}${argv.quick ? '-quick' : ''}`));
  mkdirSync(out, { recursive: true });
  let real: MeasuredPlan;
  if (argv.from) {
    real = readMeasurements(resolve(argv.from));
  } else {
    real = await measurePlan(() => new FlinkEngine({ slots: 16 }), plan, { ...REAL_TIMING, log: (s) => console.log(s) });
    writeFileSync(join(out, 'real.json'), `${JSON.stringify(real, null, 1)}\n`);
  }
  // Only the blocks of this plan (a full real.json also serves --quick).
  const names = new Set(plan.blocks.map((b) => b.name));
  const measured = real.measurements.filter((m) => names.has(m.block));
  const before = compare(measured, await simulatePlan(plan, loadProfile('linear'), file.linearWorkloads));
  const after = compare(measured, await simulatePlan(plan, terms, file.workloads));
  const rows: Record<string, unknown>[] = [];
  for (const [model, e] of [['before (linear)', before], [`after (${argv.profile})`, after]] as const)
    for (const p of e.pairs) rows.push({ model, kind: p.kind, block: p.block, point: p.point, parallelism: p.parallelism, rate: p.rate, operator: p.operator, real: round(p.real), simulated: round(p.simulated), error: round(Math.abs(p.simulated - p.real) / p.real) });
  writeFileSync(join(out, 'fidelity.csv'), stringify(rows, { header: true }));
  const spec = scatterSpec(rows);
  writeFileSync(join(out, 'fidelity.vl.json'), `${JSON.stringify(spec, null, 2)}\n`);
  const svg = await renderSvg(spec);
  writeFileSync(join(out, 'fidelity.svg'), svg);
  writeFileSync(join(out, 'fidelity.png'), renderPng(svg));
  const load = real.host.loadAverageAtStart.join(' ');
  console.log(`real runs: ${real.wallSeconds.toFixed(0)} s${argv.from ? ' (reused)' : ''}, load average at start ${load}; this command ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`wrote ${out}/fidelity.csv, fidelity.png`);
  console.log(`before (linear, today's model): ${fidelityLine(figures(before)).replace('fidelity: ', '')}`);
  console.log(fidelityLine(figures(after)));
  return EXIT.ok;
}

function round(x: number): number {
  return Number(x.toPrecision(5));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) await guard(main);
