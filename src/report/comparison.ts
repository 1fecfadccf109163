/**
 * A real engine beside the simulator, per tuner: one run folder whose sweep runs the same schedule on both (or two
 * run folders), read from episodes.csv. Per engine and tuner: reconfigurations per episode, P / oracle over
 * sustained episodes (the measured oracle on a real engine, the ground truth on the simulator, each labelled) and
 * the sustained share, with the spread over seeds; Kendall's tau-b between the engines' rankings of the tuners on
 * each figure. The figure puts the engines side by side per tuner, one panel per figure.
 */
import { join } from 'node:path';
import { readInputJson } from '../io/read.js';
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { toCsv, writeAtomic } from '../io/files.js';
import { engineEntry, type EngineConfig } from '../engines/registry.js';
import { renderPng } from './charts.js';
import { renderSvgMeasured } from './measure.js';
import { renderPdf } from './pdf.js';
import type { TopLevelSpec } from 'vega-lite';
import { readEpisodes, type EpisodeResult } from '../loop/rows.js';

/** Kendall's tau-b between two scorings of the same items (ties counted as neither; NaN when undefined). */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  let c = 0;
  let d = 0;
  let ta = 0;
  let tb = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = i + 1; j < a.length; j++) {
      const x = Math.sign((a[i] as number) - (a[j] as number));
      const y = Math.sign((b[i] as number) - (b[j] as number));
      if (x === 0 && y === 0) continue;
      if (x === 0) ta++;
      else if (y === 0) tb++;
      else if (x === y) c++;
      else d++;
    }
  const den = Math.sqrt((c + d + ta) * (c + d + tb));
  return den > 0 ? (c - d) / den : Number.NaN;
}

export const FIGURES = ['reconfigurations', 'parallelismOverOracle', 'sustainedShare'] as const;
export type Figure = (typeof FIGURES)[number];
const TITLES: Record<Figure, string> = { reconfigurations: 'Reconfigurations / episode', parallelismOverOracle: 'Final total P / oracle (sustained)', sustainedShare: 'Sustained share of episodes' };

export interface EngineTunerFigures {
  engine: string;
  tuner: string;
  seeds: number;
  /** Where the oracle comes from on this engine ('measured', 'ground truth', '' none). */
  oracle: string;
  reconfigurations: number;
  reconfigurationsSd: number;
  parallelismOverOracle: number;
  parallelismOverOracleSd: number;
  sustainedShare: number;
  sustainedShareSd: number;
}

const finite = (xs: number[]): number[] => xs.filter(Number.isFinite);
const avg = (xs: number[]): number => (finite(xs).length > 0 ? mean(finite(xs)) : Number.NaN);
const sd = (xs: number[]): number => (finite(xs).length > 1 ? sampleStandardDeviation(finite(xs)) : Number.NaN);

/** Per engine (named by `engineOf` from a row's sweep label) and tuner: per-seed means, then mean and sd over seeds. */
export function engineFigures(episodes: readonly EpisodeResult[], engineOf: (sweep: string) => string): EngineTunerFigures[] {
  const groups = new Map<string, EpisodeResult[]>();
  for (const e of episodes) {
    const k = `${engineOf(e.sweep)}\u0000${e.tuner}`;
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  return [...groups.entries()].map(([k, rows]) => {
    const [engine, tuner] = k.split('\u0000') as [string, string];
    const seeds = [...new Set(rows.map((r) => r.seed))];
    const per = (f: (xs: EpisodeResult[]) => number): number[] => seeds.map((s) => f(rows.filter((r) => r.seed === s)));
    const reconf = per((xs) => avg(xs.map((r) => r.reconfigurations)));
    const over = per((xs) => avg(xs.flatMap((r) => (r.outcome === 'sustained' && r.parallelismOverOracle !== undefined ? [r.parallelismOverOracle] : []))));
    const share = per((xs) => xs.filter((r) => r.outcome === 'sustained').length / xs.length);
    return {
      engine,
      tuner,
      seeds: seeds.length,
      oracle: [...new Set(rows.map((r) => r.oracleSource).filter((s) => s !== ''))].join(' and '),
      reconfigurations: avg(reconf),
      reconfigurationsSd: sd(reconf),
      parallelismOverOracle: avg(over),
      parallelismOverOracleSd: sd(over),
      sustainedShare: avg(share),
      sustainedShareSd: sd(share),
    };
  });
}

/** Kendall tau between two engines' rankings of the tuners both ran, per figure. */
export function engineTau(figures: readonly EngineTunerFigures[], a: string, b: string): Record<Figure, number> {
  const of = (e: string) => new Map(figures.filter((f) => f.engine === e).map((f) => [f.tuner, f]));
  const [fa, fb] = [of(a), of(b)];
  const tuners = [...fa.keys()].filter((t) => fb.has(t)).sort();
  return Object.fromEntries(FIGURES.map((k) => [k, kendallTau(tuners.map((t) => (fa.get(t) as EngineTunerFigures)[k]), tuners.map((t) => (fb.get(t) as EngineTunerFigures)[k]))])) as Record<Figure, number>;
}

const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '–');
const pm = (x: number, s: number, d = 2): string => (Number.isFinite(s) ? `${fmt(x, d)} ± ${fmt(s, d)}` : fmt(x, d));

/** The table (markdown): one row per tuner, each figure as real / simulator, and the tau line. */
export function comparisonMarkdown(figures: readonly EngineTunerFigures[], real: string, sim: string): string {
  const get = (e: string, t: string) => figures.find((f) => f.engine === e && f.tuner === t);
  const tuners = [...new Set(figures.map((f) => f.tuner))].filter((t) => get(real, t) && get(sim, t)).sort();
  const name = (e: string) => {
    const src = figures.find((f) => f.engine === e && f.oracle !== '')?.oracle ?? '';
    return `${e}${src ? ` (${src === 'measured' ? 'measured oracle' : src})` : ''}`;
  };
  const lines = [
    `| tuner | reconfigurations / episode (${real} / ${sim}) | P / oracle, sustained (${name(real)} / ${name(sim)}) | sustained share | seeds |`,
    '|---|---|---|---|---|',
  ];
  for (const t of tuners) {
    const a = get(real, t) as EngineTunerFigures;
    const b = get(sim, t) as EngineTunerFigures;
    lines.push(
      `| ${t} | ${pm(a.reconfigurations, a.reconfigurationsSd)} / ${pm(b.reconfigurations, b.reconfigurationsSd)} | ${pm(a.parallelismOverOracle, a.parallelismOverOracleSd, 3)} / ${pm(b.parallelismOverOracle, b.parallelismOverOracleSd, 3)} | ${pm(100 * a.sustainedShare, 100 * a.sustainedShareSd, 0)} % / ${pm(100 * b.sustainedShare, 100 * b.sustainedShareSd, 0)} % | ${a.seeds} / ${b.seeds} |`,
    );
  }
  const tau = engineTau(figures, real, sim);
  lines.push('', `Kendall tau (${real} vs ${sim}, ${tuners.length} tuners): reconfigurations ${fmt(tau.reconfigurations)}, P / oracle ${fmt(tau.parallelismOverOracle)}, sustained share ${fmt(tau.sustainedShare)}`);
  return lines.join('\n');
}

/** The figure: per tuner, the engines side by side (bars, ± over seeds), one panel per figure; tau in the title. */
export function comparisonSpec(figures: readonly EngineTunerFigures[], real: string, sim: string, title: string): TopLevelSpec {
  const tau = engineTau(figures, real, sim);
  const label = (f: EngineTunerFigures): string => (f.oracle === 'measured' ? `${f.engine} (measured oracle)` : f.oracle === 'ground truth' ? `${f.engine} (ground truth)` : f.engine);
  const data = figures
    .filter((f) => f.engine === real || f.engine === sim)
    .flatMap((f) =>
      FIGURES.map((k) => {
        const v = f[k];
        const s = f[`${k}Sd` as keyof EngineTunerFigures] as number;
        return { figure: TITLES[k], tuner: f.tuner, engine: label(f), value: Number.isFinite(v) ? v : null, low: Number.isFinite(v) && Number.isFinite(s) ? v - s : null, high: Number.isFinite(v) && Number.isFinite(s) ? v + s : null };
      }),
    );
  const panel = (k: Figure) => {
    // A share stays in [0, 1]: its whiskers are clipped there rather than stretching the axis.
    // A count that is 0 everywhere gets an axis up to 1, not the degenerate [0, 0] (labelled 0.000000).
    const allZero = k === 'reconfigurations' && figures.every((f) => !(f.reconfigurations > 0));
    const share = k === 'sustainedShare' ? { scale: { domain: [0, 1], clamp: true } } : allZero ? { scale: { domain: [0, 1] } } : {};
    return {
    width: 170,
    height: 160,
    title: TITLES[k],
    transform: [{ filter: `datum.figure === '${TITLES[k]}'` }],
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'tuner', type: 'nominal', title: null, axis: { labelAngle: -30 } },
          xOffset: { field: 'engine' },
          y: { field: 'value', type: 'quantitative', title: null, ...share },
          color: { field: 'engine', type: 'nominal', title: null, scale: { range: ['#4c78a8', '#f58518'] }, legend: { orient: 'bottom', direction: 'vertical', labelLimit: 0 } },
        },
      },
      {
        transform: [{ filter: 'isValid(datum.low)' }],
        mark: { type: 'rule', color: '#333' },
        encoding: { x: { field: 'tuner', type: 'nominal' }, xOffset: { field: 'engine' }, y: { field: 'low', type: 'quantitative', ...share }, y2: { field: 'high' } },
      },
      ...(k === 'parallelismOverOracle' ? [{ data: { values: [{ y: 1 }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#333' }, encoding: { y: { field: 'y', type: 'quantitative' } } }] : []),
    ],
    };
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: title,
      // Lines no wider than the panels, so that the figure is as wide as its panels (text measured: measure.ts).
      subtitle: [`Kendall tau (${real} vs ${sim}):`, `reconfigurations ${fmt(tau.reconfigurations)}, P / oracle ${fmt(tau.parallelismOverOracle)}, sustained share ${fmt(tau.sustainedShare)}`, 'no bar: no value (no sustained episode, or no oracle); whiskers: ± sd over seeds'],
    },
    data: { values: data },
    hconcat: FIGURES.map(panel),
    resolve: { legend: { color: 'shared' } },
    config: { font: 'DejaVu Sans', title: { anchor: 'start' }, concat: { spacing: 30 } },
  } as unknown as TopLevelSpec;
}

/** How a run folder's sweep point names its engine: 'timely', 'flink', 'simulator (flink mode, flink-2core)', 'simulator (timely mode, placement, timely-2core)'. */
function engineName(e: { kind: string }): string {
  return engineEntry(e.kind).name(e as EngineConfig);
}

/**
 * `npm run compare -- <run folder> [<run folder>]`: one folder whose sweep runs a real engine and the simulator, or
 * a real engine's folder and the simulator's. Writes comparison.md, comparison.csv and the figure (Vega-Lite spec,
 * SVG, PNG, PDF) into `out`; returns the markdown.
 */
export async function writeComparison(dirs: readonly string[], out: string, title: string): Promise<string> {
  const rows: EpisodeResult[] = [];
  for (const dir of dirs) {
    const resolved = readInputJson(join(dir, 'config.resolved.json')) as { points: { label: string; experiment: { engine: { kind: string; mode?: string; profile?: string; parallelism?: string; timelyProfile?: string } } }[] };
    const names = new Map(resolved.points.map((p) => [p.label, engineName(p.experiment.engine)]));
    for (const e of readEpisodes(join(dir, 'episodes.csv'))) rows.push({ ...e, sweep: names.get(e.sweep) ?? e.sweep });
  }
  const figures = engineFigures(rows, (s) => s);
  const engines = [...new Set(figures.map((f) => f.engine))];
  const real = engines.find((e) => !e.startsWith('simulator'));
  const sim = engines.find((e) => e.startsWith('simulator'));
  if (!real || !sim) throw new Error(`compare: needs a real engine and the simulator; the run folders have ${engines.join(', ')}`);
  const md = comparisonMarkdown(figures, real, sim);
  const spec = comparisonSpec(figures, real, sim, title);
  const svg = await renderSvgMeasured(spec);
  writeAtomic(join(out, 'comparison.md'), `# ${title}\n\n${md}\n`);
  writeAtomic(join(out, 'comparison.csv'), toCsv(Object.keys(figures[0] ?? {}), figures as unknown as Record<string, unknown>[]));
  writeAtomic(join(out, 'comparison.vl.json'), `${JSON.stringify(spec, null, 2)}\n`);
  writeAtomic(join(out, 'comparison.svg'), svg);
  writeAtomic(join(out, 'comparison.png'), renderPng(svg));
  writeAtomic(join(out, 'comparison.pdf'), await renderPdf(svg));
  return md;
}
