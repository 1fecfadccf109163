/**
 * `npm run fidelity [-- --quick] [--profile flink-2core] [--from real.json] [--out dir]` (a bench, never a test):
 * how far the simulator is from real Flink on held-out runs (src/calibration/design.ts fidelityPlan: parallelisms
 * and rates the calibration did not use). The real runs go through the control loop on a local Flink
 * (one MiniCluster per block); the simulator runs the same points through the same loop, twice:
 *   before: the `linear` profile (the uncalibrated model) with Nexmark costs read from the calibration runs
 *           the way they were before (busy slope between two rates at p = 1);
 *   after:  the calibrated profile with its measured Nexmark costs.
 * Scored: per operator the busy ratio (points whose real busy is >= 50 ms/s, unsaturated) and per configuration the
 * largest sustainable source rate (overload points). Writes fidelity.csv, fidelity.vl.json/.svg/.png (simulated
 * against real, identity line) and real.json (the measurements; `--from` reuses them) under
 * results/fidelity/<time>/, and fidelity.json (the figures, the largest p and channels scored, the machine's load);
 * the last line is
 *   fidelity: median busy error X%, p90 Y%, sustainable-rate error Z% over N points, p up to P, channels up to C
 * (Z: median over the overload points the job could not keep up with; N: busy pairs + those points). Run it
 * alone on the machine:
 * `flock /work/cpu.lock npm run fidelity`; above `--max-load` (default: the cores) it refuses unless `--force`,
 * and a forced run is marked as measured on a loaded machine. `--quick`: q5, the synthetic ranking job and the
 * held-out points at scale (design.ts scaleBlocks: 16 to 24 subtasks per operator, Nexmark q1 at 30,000-50,000/s).
 *
 * `--ranking <flink run folder> <simulator run folder>` (of experiments/configs/fidelity-flink.json and
 * fidelity-sim.json): per tuner, reconfigurations, final total parallelism and SLO figures side by side, and the
 * Kendall tau between the two engines' rankings of the tuners on each figure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { readEpisodes } from '../src/loop/rows.js';
import { join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { TopLevelSpec } from 'vega-lite';
import { kendallTau } from '../src/report/comparison.js';
import { fidelityPlan } from '../src/calibration/design.js';
import { compare, quantile, simulatePlan, type Errors } from '../src/calibration/fit.js';
import { readMeasurements, readProfileFile, measurePlan, type MeasuredPlan } from '../src/calibration/index.js';
import { REAL_TIMING } from '../src/calibration/measure.js';
import { checkLoad, loadLine } from '../src/calibration/load.js';
import { command, EXIT, guard } from '../src/cli/common.js';
import { PROJECT_ROOT } from '../src/core/project.js';
import { FlinkEngine } from '../src/engines/flink/index.js';
import { loadProfile } from '../src/engines/simulator/profile.js';
import { loadTimelyProfile } from '../src/engines/simulator/timely-physics.js';
import { TimelyEngine } from '../src/engines/timely/index.js';
import { simulateTimelyPlan, timelyFidelityPlan, TIMELY_TIMING } from '../src/calibration/timely.js';
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

/** The largest parallelism and channels per sender among the points scored. */
export function scale(e: Errors): { p: number; channels: number } {
  let p = 0;
  let channels = 0;
  for (const x of e.pairs) {
    p = Math.max(p, x.maxParallelism);
    channels = Math.max(channels, x.maxChannels);
  }
  return { p, channels };
}

export function fidelityLine(f: FidelityFigures, s?: { p: number; channels: number }): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  return `fidelity: median busy error ${pct(f.medianBusy)}, p90 ${pct(f.p90Busy)}, sustainable-rate error ${Number.isFinite(f.sustainable) ? pct(f.sustainable) : 'not measured (no held-out point fell behind its rate)'} over ${f.points} points${s ? `, p up to ${s.p}, channels up to ${s.channels}` : ''}`;
}

/** The identity line over the panel's range. */
function identity(rows: readonly Record<string, unknown>[]): { v: number }[] {
  const xs = rows.flatMap((r) => [Number(r.real), Number(r.simulated)]).filter((x) => x > 0);
  return xs.length ? [{ v: Math.min(...xs) / 1.2 }, { v: Math.max(...xs) * 1.2 }] : [];
}

function scatterSpec(rows: Record<string, unknown>[], engine = 'Flink', loaded = false): TopLevelSpec {
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
    title: `Simulator against real ${engine} on held-out runs (dashed: identity)${loaded ? ' - MEASURED ON A LOADED MACHINE' : ''}`,
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
  const rows = readEpisodes(join(runDir, 'episodes.csv'));
  const out = new Map<string, TunerFigures>();
  for (const r of rows) {
    const t = r.tuner;
    const f = out.get(t) ?? { reconfigurations: 0, finalTotalP: 0, lastFinalTotalP: 0, sustained: 0, lagIntegral: 0, episodes: 0 };
    f.reconfigurations += r.reconfigurations;
    f.finalTotalP += r.finalTotalParallelism;
    f.lastFinalTotalP = r.finalTotalParallelism;
    f.sustained += r.outcome === 'sustained' ? 1 : 0;
    f.lagIntegral += r.lagIntegralRecordSec;
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
    .option('quick', { type: 'boolean', default: false, describe: 'q5, the synthetic ranking job and the points at scale only (about 10 minutes)' })
    .option('engine', { choices: ['flink', 'timely'] as const, default: 'flink' as const, describe: "real engine: 'timely' compares the simulator's Timely mode, uncalibrated and with the Timely profile, on held-out W and rates" })
    .option('profile', { type: 'string', describe: 'calibrated profile (datasets/calibration/profiles/<profile>.json; default flink-2core, or timely-2core with --engine timely)' })
    .option('from', { type: 'string', describe: 'reuse real measurements (a real.json of an earlier run)' })
    .option('out', { type: 'string', describe: 'output folder (default results/fidelity/<time>)' })
    .option('max-load', { type: 'number', describe: "refuse to measure when the 1-minute load average is above this (default: this machine's cores)" })
    .option('force', { type: 'boolean', default: false, describe: 'measure even above --max-load; the figures are marked as measured on a loaded machine' })
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
  const { maxLoad, refused } = checkLoad({ maxLoad: argv['max-load'], force: argv.force, reusing: Boolean(argv.from), log: (l) => console.log(l) });
  if (refused) {
    console.error(`error: ${refused}`);
    return EXIT.badInput;
  }
  if (argv.engine === 'timely') return timelyFidelity(argv.profile ?? 'timely-2core', argv.from, argv.out);
  const profile = argv.profile ?? 'flink-2core';
  const started = Date.now();
  const terms = loadProfile(profile);
  const file = readProfileFile(profile);
  const plan = fidelityPlan(argv.quick);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const out = resolve(argv.out ?? join(PROJECT_ROOT, 'results/fidelity', `${stamp}${argv.quick ? '-quick' : ''}`));
  mkdirSync(out, { recursive: true });
  let real: MeasuredPlan;
  if (argv.from) {
    real = readMeasurements(resolve(argv.from));
  } else {
    real = await measurePlan(() => new FlinkEngine({ slots: 32 }), plan, { ...REAL_TIMING, maxLoad, log: (s) => console.log(s) });
    writeFileSync(join(out, 'real.json'), `${JSON.stringify(real, null, 1)}\n`);
  }
  // Only the blocks of this plan (a full real.json also serves --quick).
  const names = new Set(plan.blocks.map((b) => b.name));
  const measured = real.measurements.filter((m) => names.has(m.block));
  const before = compare(measured, await simulatePlan(plan, loadProfile('linear'), file.linearWorkloads), plan);
  const after = compare(measured, await simulatePlan(plan, terms, file.workloads), plan);
  const rows: Record<string, unknown>[] = [];
  for (const [model, e] of [['before (linear)', before], [`after (${profile})`, after]] as const)
    for (const p of e.pairs) rows.push({ model, kind: p.kind, block: p.block, point: p.point, parallelism: p.parallelism, rate: p.rate, operator: p.operator, real: round(p.real), simulated: round(p.simulated), error: round(Math.abs(p.simulated - p.real) / p.real) });
  writeFileSync(join(out, 'fidelity.csv'), stringify(rows, { header: true }));
  const spec = scatterSpec(rows, 'Flink', real.load?.loaded === true);
  writeFileSync(join(out, 'fidelity.vl.json'), `${JSON.stringify(spec, null, 2)}\n`);
  const svg = await renderSvg(spec);
  writeFileSync(join(out, 'fidelity.svg'), svg);
  writeFileSync(join(out, 'fidelity.png'), renderPng(svg));
  const load = real.host.loadAverageAtStart.join(' ');
  const loaded = real.load?.loaded === true;
  writeFileSync(
    join(out, 'fidelity.json'),
    `${JSON.stringify({ profile: argv.profile, measuredAt: real.measuredAt, load: real.load ?? null, measuredOnLoadedMachine: loaded, before: figures(before), after: figures(after), scale: scale(after) }, null, 2)}\n`,
  );
  console.log(`real runs: ${real.wallSeconds.toFixed(0)} s${argv.from ? ' (reused)' : ''}, load average at start ${load}; this command ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(real.load ? loadLine(real.load) : 'machine load: not recorded with these measurements (load average at start only)');
  console.log(`wrote ${out}/fidelity.csv, fidelity.png`);
  console.log(`before (linear, today's model): ${fidelityLine(figures(before), scale(before)).replace('fidelity: ', '')}`);
  console.log(`${fidelityLine(figures(after), scale(after))}${loaded ? ' (MEASURED ON A LOADED MACHINE)' : ''}`);
  return EXIT.ok;
}

/** The Timely fidelity: held-out W and rates on real Timely against the simulator's Timely mode, before and after. */
async function timelyFidelity(profile: string, from: string | undefined, outDir: string | undefined): Promise<number> {
  const started = Date.now();
  const terms = loadTimelyProfile(profile);
  const reused = from ? readMeasurements(resolve(from)) : undefined;
  // Reused measurements are scored at their own held-out rates.
  const heldRates = reused ? [...new Set(reused.measurements.filter((m) => !m.overload).map((m) => m.rate))].sort((a, b) => a - b) : undefined;
  const plan = timelyFidelityPlan(undefined, heldRates);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const out = resolve(outDir ?? join(PROJECT_ROOT, 'results/fidelity', `${stamp}-timely`));
  mkdirSync(out, { recursive: true });
  let real: MeasuredPlan;
  if (reused) {
    real = reused;
  } else {
    real = await measurePlan(() => new TimelyEngine({}), plan, { ...TIMELY_TIMING, log: (s) => console.log(s) });
    writeFileSync(join(out, 'real.json'), `${JSON.stringify({ ...real, loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) }, null, 1)}\n`);
  }
  const names = new Set(plan.blocks.map((b) => b.name));
  const measured = real.measurements.filter((m) => names.has(m.block));
  const before = compare(measured, await simulateTimelyPlan(plan, null));
  const after = compare(measured, await simulateTimelyPlan(plan, terms));
  const rows: Record<string, unknown>[] = [];
  for (const [model, e] of [['before (Timely mode, template costs)', before], [`after (${profile})`, after]] as const)
    for (const p of e.pairs) rows.push({ model, kind: p.kind, block: p.block, point: p.point, parallelism: p.parallelism, rate: p.rate, operator: p.operator, real: round(p.real), simulated: round(p.simulated), error: round(Math.abs(p.simulated - p.real) / p.real) });
  writeFileSync(join(out, 'fidelity.csv'), stringify(rows, { header: true }));
  const spec = scatterSpec(rows, 'Timely');
  writeFileSync(join(out, 'fidelity.vl.json'), `${JSON.stringify(spec, null, 2)}\n`);
  const svg = await renderSvg(spec);
  writeFileSync(join(out, 'fidelity.svg'), svg);
  writeFileSync(join(out, 'fidelity.png'), renderPng(svg));
  console.log(`real runs: ${real.wallSeconds.toFixed(0)} s${from ? ' (reused)' : ''}, load average at start ${real.host.loadAverageAtStart.join(' ')}; this command ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`wrote ${out}/fidelity.csv, fidelity.png`);
  console.log(`before (uncalibrated Timely mode): ${fidelityLine(figures(before)).replace('fidelity: ', '')}`);
  console.log(fidelityLine(figures(after)));
  return EXIT.ok;
}

function round(x: number): number {
  return Number(x.toPrecision(5));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) await guard(main);
