/**
 * Chart specs as data (Vega-Lite), compiled with vega-lite, rendered to SVG by vega in Node and to PNG by
 * @resvg/resvg-js. Sized for a paper column (about 3.3 in at 100 dpi), fonts the machine has (DejaVu Sans).
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { isTunerName, TUNER_NAMES, TUNERS } from '../tuners/registry.js';
import type { EpisodeResult, TimelineResult } from '../loop/rows.js';

const FONT = 'DejaVu Sans';
/** The chart look shared by the run report and the paper figures (paper-charts.ts). */
export const CONFIG = {
  font: FONT,
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11 },
  title: { fontSize: 12 },
  view: { stroke: null },
};

/**
 * One colour per tuner in every chart (and every run and notebook): each registered tuner's own colour (the
 * registry's `color`, Tableau-10); any other name (a variant, an external tuner) takes the next palette colour no
 * registered tuner uses, in name order. TUNER_ORDER is the order of legends and bar groups.
 */
export const TUNER_ORDER = ['streamtune', 'ds2', 'conttune', 'autoscaler', 'dhalion', 'static', 'oracle'] as const;
const PALETTE = [
  ...['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#e45756', '#9d755d', '#72b7b2', '#eeca3b', '#ff9da6', '#bab0ac'],
  ...['#9ecae9', '#ffbf79', '#88d27a', '#d6a5c9', '#ff9d98', '#d8b5a5', '#83bcb6', '#f2cf5b', '#fcbfd2', '#79706e'],
];

export function tunerColors(tuners: readonly string[]): { domain: string[]; range: string[] } {
  const known: readonly string[] = TUNER_ORDER;
  const extra = [...new Set(tuners.filter((t) => !known.includes(t)))].sort();
  const domain = [...known, ...extra].filter((t) => tuners.includes(t));
  const own = (t: string): string | undefined => (isTunerName(t) ? TUNERS[t].color : undefined);
  const free = PALETTE.filter((c) => !TUNER_NAMES.some((t) => TUNERS[t].color === c));
  return { domain, range: domain.map((t) => own(t) ?? (free[extra.indexOf(t) % free.length] as string)) };
}

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Per (sweep, tuner, seed): the seed's mean of a column over some of its episodes (NaN cells left out). */
function perSeed(episodes: EpisodeResult[], value: (rows: EpisodeResult[]) => number): { sweep: string; tuner: string; seed: string; value: number }[] {
  const groups = new Map<string, EpisodeResult[]>();
  for (const e of episodes) {
    const k = JSON.stringify([e.sweep, e.tuner, String(e.seed)]);
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  return [...groups.entries()]
    .map(([k, rows]) => {
      const [sweep, tuner, seed] = JSON.parse(k) as [string, string, string];
      return { sweep, tuner, seed, value: value(rows) };
    })
    .filter((r) => Number.isFinite(r.value));
}

/** The mean of one column over some episodes (missing and NaN cells left out). */
const meanOf = (rows: EpisodeResult[], value: (r: EpisodeResult) => number | undefined): number => {
  const xs = rows.map((r) => value(r) ?? Number.NaN).filter(Number.isFinite);
  return xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
};
const sustainedOnly = (rows: EpisodeResult[]): EpisodeResult[] => rows.filter((r) => r.outcome === 'sustained');
/** Episodes at rates some configuration sustains: infeasible ones are counted in the titles, never averaged. */
const feasibleOnly = (rows: EpisodeResult[]): EpisodeResult[] => rows.filter((r) => r.outcome !== 'infeasible');
const infeasibleNote = (rows: EpisodeResult[]): string => {
  const n = rows.length - feasibleOnly(rows).length;
  return n > 0 ? ` (${n} infeasible episode${n === 1 ? '' : 's'} left out)` : '';
};

/** Bars of a per-seed value by tuner, error bars over seeds; an optional reference line. */
function barsBySeed(title: string, yTitle: string, values: ReturnType<typeof perSeed>, rule?: { y: number; label: string }): TopLevelSpec {
  const sweeps = new Set(values.map((v) => v.sweep)).size > 1;
  const color = { field: 'tuner', type: 'nominal', legend: null, scale: tunerColors(values.map((v) => v.tuner)) };
  return {
    $schema: SCHEMA,
    title,
    width: 300,
    height: 180,
    config: CONFIG,
    layer: [
      {
        data: { values },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'tuner', type: 'nominal', title: 'Tuner', axis: { labelAngle: -35, labelAlign: 'right' } },
          y: { aggregate: 'mean', field: 'value', type: 'quantitative', title: yTitle },
          color,
          ...(sweeps ? { xOffset: { field: 'sweep' } } : {}),
        },
      },
      {
        data: { values },
        mark: { type: 'errorbar', extent: 'stdev', ticks: false, color: 'black', thickness: 1.5 },
        encoding: { x: { field: 'tuner', type: 'nominal' }, y: { field: 'value', type: 'quantitative', title: yTitle }, ...(sweeps ? { xOffset: { field: 'sweep' } } : {}) },
      },
      ...(rule
        ? [
            { data: { values: [{ y: rule.y }] }, mark: { type: 'rule', color: '#333', strokeDash: [4, 3] }, encoding: { y: { field: 'y', type: 'quantitative' } } },
            {
              data: { values: [{ y: rule.y, label: rule.label }] },
              mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -2, fontSize: 9, x: 'width' },
              encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
            },
          ]
        : []),
    ],
  } as TopLevelSpec;
}

export function reconfigurationsSpec(episodes: EpisodeResult[]): TopLevelSpec {
  return barsBySeed(`Reconfigurations per tuning episode${infeasibleNote(episodes)}`, 'Reconfigurations / episode', perSeed(feasibleOnly(episodes), (rows) => meanOf(rows, (r) => r.reconfigurations)));
}

/**
 * Final total parallelism over sustained episodes only: over the oracle's where the engine has one (with the
 * oracle's line at 1), else in instances.
 */
export function parallelismSpec(episodes: EpisodeResult[]): TopLevelSpec {
  const hasOracle = episodes.some((e) => e.parallelismOverOracle !== undefined);
  const oracle = oracleName(episodes);
  if (hasOracle)
    return barsBySeed(
      `Parallelism / ${oracle} (sustained episodes)`,
      `Final total P / ${oracle}`,
      perSeed(episodes, (rows) => meanOf(sustainedOnly(rows), (r) => r.parallelismOverOracle)),
      { y: 1, label: oracle },
    );
  return barsBySeed('Final total parallelism (sustained episodes)', 'Total parallelism', perSeed(episodes, (rows) => meanOf(sustainedOnly(rows), (r) => r.finalTotalParallelism)));
}

/**
 * What the oracle of these episodes is called: 'measured oracle' when every episode with one has a measured one
 * (a real engine, npm run oracle), else 'oracle' (the simulator's ground truth, or a mix).
 */
export function oracleName(episodes: readonly EpisodeResult[]): string {
  const sources = new Set(episodes.map((e) => e.oracleSource).filter((s) => s !== ''));
  return sources.size === 1 && sources.has('measured') ? 'measured oracle' : 'oracle';
}

/** The trade-off: reconfigurations per episode against P / oracle (sustained), one point per tuner, ± over seeds. */
export function tradeoffSpec(episodes: EpisodeResult[]): TopLevelSpec {
  const hasOracle = episodes.some((e) => e.parallelismOverOracle !== undefined);
  const yOf = (r: EpisodeResult): number | undefined => (hasOracle ? r.parallelismOverOracle : r.finalTotalParallelism);
  const yTitle = hasOracle ? `Final total P / ${oracleName(episodes)} (sustained)` : 'Final total P (sustained)';
  const seeds = perSeed(feasibleOnly(episodes), (rows) => meanOf(rows, (r) => r.reconfigurations)).map((r) => ({
    ...r,
    x: r.value,
    y: meanOf(sustainedOnly(episodes.filter((e) => e.sweep === r.sweep && e.tuner === r.tuner && String(e.seed) === r.seed)), yOf),
  }));
  const byTuner = new Map<string, { x: number[]; y: number[] }>();
  for (const r of seeds) {
    const k = JSON.stringify([r.sweep, r.tuner]);
    const g = byTuner.get(k) ?? { x: [], y: [] };
    g.x.push(r.x);
    if (Number.isFinite(r.y)) g.y.push(r.y);
    byTuner.set(k, g);
  }
  const m = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const s = (xs: number[]): number => (xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m(xs)) ** 2, 0) / (xs.length - 1)) : 0);
  const points = [...byTuner.entries()]
    .filter(([, g]) => g.y.length > 0)
    .map(([k, g]) => {
      const [sweep, tuner] = JSON.parse(k) as [string, string];
      // A sweep point reads as what it changes: 'streamtune {"theta":0.3}', the base point as the tuner alone.
      const point = sweep.replace(/^tuners\.[^=]+=/, '');
      const label = new Set(seeds.map((r) => r.sweep)).size > 1 && point !== '{}' && point !== 'base' ? `${tuner} ${point}` : tuner;
      return { tuner, label, x: m(g.x), y: m(g.y), x0: m(g.x) - s(g.x), x1: m(g.x) + s(g.x), y0: m(g.y) - s(g.y), y1: m(g.y) + s(g.y), spot: 'ne' as LabelSpot };
    });
  // Domains fixed from the data (error bars included, a margin), so the labels can be placed in pixels.
  const [width, height] = [300, 200];
  const lo = (xs: number[]) => Math.min(...xs);
  const hi = (xs: number[]) => Math.max(...xs);
  const yPad = 0.08 * Math.max(1e-6, hi(points.map((p) => p.y1)) - lo(points.map((p) => p.y0)));
  const xDomain: [number, number] = [0, 1.05 * Math.max(1e-6, hi(points.map((p) => p.x1)))];
  const yDomain: [number, number] = [lo(points.map((p) => p.y0)) - yPad, hi(points.map((p) => p.y1)) + yPad];
  placeLabels(points, xDomain, yDomain, width, height);
  const color = { field: 'tuner', type: 'nominal', title: 'Tuner', scale: tunerColors(points.map((p) => p.tuner)) };
  const x = { field: 'x', type: 'quantitative', title: 'Reconfigurations / episode', scale: { domain: xDomain, nice: false } } as const;
  const y = { field: 'y', type: 'quantitative', title: yTitle, scale: { domain: yDomain, nice: false } } as const;
  return {
    $schema: SCHEMA,
    title: 'Trade-off: reconfigurations vs parallelism',
    width,
    height,
    config: CONFIG,
    data: { values: points },
    layer: [
      { mark: { type: 'rule', strokeWidth: 1 }, encoding: { x: { field: 'x0', type: 'quantitative' }, x2: { field: 'x1' }, y, color } },
      { mark: { type: 'rule', strokeWidth: 1 }, encoding: { y: { field: 'y0', type: 'quantitative' }, y2: { field: 'y1' }, x, color } },
      { mark: { type: 'point', filled: true, size: 60, tooltip: true }, encoding: { x, y, color } },
      ...(['ne', 'nw', 'se', 'sw'] as const).map((spot) => ({
        transform: [{ filter: `datum.spot === '${spot}'` }],
        mark: { type: 'text', align: spot[1] === 'e' ? 'left' : 'right', dx: spot[1] === 'e' ? 6 : -6, dy: spot[0] === 'n' ? -6 : 12, fontSize: 9 },
        encoding: { x, y, text: { field: 'label' } },
      })),
    ],
  } as TopLevelSpec;
}

type LabelSpot = 'ne' | 'nw' | 'se' | 'sw' | 'none';

/**
 * Each label goes to the corner of its point (up-right, up-left, down-right, down-left, in that preference) that
 * overlaps least with the labels and points already placed and stays inside the plot (boxes in the plot's pixels,
 * the label's width from its length). Points close on both axes (the oracle and a tuner near it) otherwise print
 * their names over each other. With more than six points (a sweep) a label that fits nowhere is left out.
 */
function placeLabels(
  points: { x: number; y: number; label: string; spot: LabelSpot }[],
  [x0, x1]: [number, number],
  [y0, y1]: [number, number],
  width: number,
  height: number,
): void {
  type Box = [number, number, number, number];
  const px = (p: { x: number; y: number }) => [((p.x - x0) / (x1 - x0)) * width, height - ((p.y - y0) / (y1 - y0)) * height] as const;
  const overlap = (a: Box, b: Box) => Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const placed: Box[] = points.map((p) => {
    const [x, y] = px(p);
    return [x - 5, y - 5, x + 5, y + 5];
  });
  for (const p of [...points].sort((a, b) => a.x - b.x || a.y - b.y)) {
    const [x, y] = px(p);
    const w = 5.5 * p.label.length;
    const spots = (['ne', 'nw', 'se', 'sw'] as const).map((spot) => {
      const [east, north] = [spot[1] === 'e', spot[0] === 'n'];
      const box: Box = [east ? x + 6 : x - 6 - w, north ? y - 16 : y + 4, east ? x + 6 + w : x - 6, north ? y - 4 : y + 16];
      const outside = box[0] < 0 || box[2] > width || box[1] < 0 || box[3] > height;
      return { spot, box, cost: placed.reduce((t, q) => t + overlap(box, q), 0) + (outside ? 1e6 : 0) };
    });
    const best = spots.reduce((a, b) => (b.cost < a.cost ? b : a));
    // Many points (a sweep): a label that would overlap another is left out rather than printed over it.
    if (points.length > 6 && best.cost > 0) {
      p.spot = 'none';
      continue;
    }
    p.spot = best.spot;
    placed.push(best.box);
  }
}

/** Source rate, achieved rate and total parallelism over time of one run (tuner and seed in the title), rescales marked. */
export function timelineSpec(tuner: string, seed: string, timeline: TimelineResult[]): TopLevelSpec {
  const windows = timeline.filter((t) => t.window !== undefined);
  const rows = windows.map((t) => ({ event: t.event, time: t.time, targetRate: t.targetRate, achievedRate: t.achievedRate ?? 0, totalParallelism: t.totalParallelism ?? 0 }));
  const rates = rows.flatMap((r) => [
    { time: r.time, series: 'target rate', rate: r.targetRate },
    { time: r.time, series: 'achieved rate', rate: r.achievedRate },
  ]);
  const rescales = rows.filter((r) => r.event === 'rescale' || r.event === 'rescale-partial').map((r) => ({ time: r.time }));
  const colour = tunerColors([tuner]);
  const x = { field: 'time', type: 'quantitative', title: 'Time (s)' } as const;
  return {
    $schema: SCHEMA,
    title: `${tuner}, seed ${seed}: rates and parallelism over time`,
    config: CONFIG,
    vconcat: [
      {
        width: 300,
        height: 110,
        layer: [
          {
            data: { values: rates },
            mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
            encoding: {
              x,
              y: { field: 'rate', type: 'quantitative', title: 'Source rate (records/s)', axis: { format: '~s' } },
              color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top' }, scale: { domain: ['target rate', 'achieved rate'], range: ['#333', colour.range[colour.domain.indexOf(tuner)] as string] } },
              strokeDash: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top' } },
            },
          },
        ],
      },
      {
        width: 300,
        height: 80,
        layer: [
          {
            data: { values: rows },
            mark: { type: 'line', interpolate: 'step-after', color: colour.range[colour.domain.indexOf(tuner)] },
            encoding: { x, y: { field: 'totalParallelism', type: 'quantitative', title: 'Total parallelism' } },
          },
          {
            data: { values: rescales.length > 0 ? rescales : [{ time: null }] },
            mark: { type: 'rule', color: '#d62728', strokeDash: [3, 2], opacity: rescales.length > 0 ? 0.8 : 0 },
            encoding: { x },
          },
        ],
      },
    ],
  } as TopLevelSpec;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { spec: vg } = compile(spec);
  const view = new vega.View(vega.parse(vg), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export function renderPng(svg: string): Uint8Array {
  const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: 3 }, font: { loadSystemFonts: true, defaultFontFamily: FONT }, background: 'white' });
  return r.render().asPng();
}

/** notebooks/tuners.json: the notebooks' colour table, generated from the registry (`npm run schema` writes it). */
export function tunerTableText(): string {
  const tuners = [...TUNER_ORDER, ...TUNER_NAMES.filter((t) => !(TUNER_ORDER as readonly string[]).includes(t))].map((name) => ({ name, color: TUNERS[name].color }));
  return `${JSON.stringify({ order: TUNER_ORDER, tuners, palette: PALETTE }, null, 2)}\n`;
}
