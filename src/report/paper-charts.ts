/**
 * The paper's figure kinds: Vega-Lite specs over several experiments (workload x tuner), with the look of the run
 * report (charts.ts: CONFIG, one colour per tuner from tunerColors) and sized for one paper column (about 3.4 in at
 * 100 px per inch; pdf.ts prints them at that density). Each kind turns rows into the values it plots (`data`,
 * written beside the figure as CSV, and what the notebooks recompute) and a spec with those values inline.
 *
 * Per-seed values: a figure's bar is the mean over seeds of a per-seed mean over episodes, its error bar the
 * standard deviation over seeds, as in the run report.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, SCHEMA, TUNER_ORDER, tunerColors } from './charts.js';
import type { EpisodeResult, TimelineResult } from '../loop/rows.js';

/** A row of another CSV (the fidelity CSV), as text cells. */
export type TextRow = Record<string, string>;

export type Datum = Record<string, string | number | null>;
export interface Figure {
  spec: TopLevelSpec;
  /** The plotted values, one object per row (the figure's CSV). */
  data: Datum[];
  columns: string[];
  /** Files read besides run folders (absolute; the fidelity CSV). */
  inputs?: string[];
}

/** Episodes of one experiment with the label it has in a cross-workload figure. */
export interface Labelled {
  label: string;
  episodes: EpisodeResult[];
}

const num = (x: string | undefined): number => (x === undefined || x === '' ? Number.NaN : Number(x));
const mean = (xs: number[]): number => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const sd = (xs: number[]): number => (xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)) : Number.NaN);
const meanOf = (rows: EpisodeResult[], value: (r: EpisodeResult) => number | undefined): number => mean(rows.map((r) => value(r) ?? Number.NaN).filter(Number.isFinite));
const sustained = (rows: EpisodeResult[]): EpisodeResult[] => rows.filter((r) => r.outcome === 'sustained');
/** Infeasible episodes (no configuration meets the SLO) are counted in their own column, never averaged. */
const feasible = (rows: EpisodeResult[]): EpisodeResult[] => rows.filter((r) => r.outcome !== 'infeasible');
const share = (rows: EpisodeResult[]): number | null => (feasible(rows).length ? sustained(rows).length / feasible(rows).length : null);

/**
 * Tuners in the fixed order, the order of every legend and bar group: the known tuners of TUNER_ORDER, each
 * followed by its named variants (names starting with it and '-': ds2, ds2-op10, ds2-py), then every other name.
 */
export function tunerOrder(tuners: Iterable<string>): string[] {
  const all = [...new Set(tuners)];
  const known: readonly string[] = TUNER_ORDER;
  const extra = all.filter((t) => !known.includes(t)).sort();
  const variants = (k: string): string[] => extra.filter((t) => t.startsWith(`${k}-`));
  const placed = known.flatMap((k) => [...(all.includes(k) ? [k] : []), ...variants(k)]);
  return [...placed, ...extra.filter((t) => !placed.includes(t))];
}

function groupBy<T>(rows: T[], key: (r: T) => string[]): Map<string, { key: string[]; rows: T[] }> {
  const m = new Map<string, { key: string[]; rows: T[] }>();
  for (const r of rows) {
    const k = key(r);
    const id = JSON.stringify(k);
    const g = m.get(id) ?? { key: k, rows: [] };
    g.rows.push(r);
    m.set(id, g);
  }
  return m;
}

/** Per (workload, tuner, seed): reconfigurations per episode and P / oracle over sustained episodes. */
export function perSeedByWorkload(sets: Labelled[]): Datum[] {
  const out: Datum[] = [];
  for (const s of sets)
    for (const { key, rows } of groupBy(s.episodes, (e) => [e.tuner, String(e.seed)]).values()) {
      const [tuner, seed] = key as [string, string];
      const over = meanOf(sustained(rows), (r) => r.parallelismOverOracle);
      out.push({
        workload: s.label,
        tuner,
        seed: Number(seed),
        episodes: rows.length,
        infeasible: rows.length - feasible(rows).length,
        sustainedShare: share(rows),
        reconfigurations: meanOf(feasible(rows), (r) => r.reconfigurations),
        parallelismOverOracle: Number.isFinite(over) ? over : null,
      });
    }
  return out;
}
const subtitleConfig = { ...CONFIG, title: { ...CONFIG.title, subtitleFontSize: 9 } };
const BY_WORKLOAD_COLUMNS = ['workload', 'tuner', 'seed', 'episodes', 'infeasible', 'sustainedShare', 'reconfigurations', 'parallelismOverOracle'];

const legendBelow = { orient: 'bottom', columns: 4, symbolType: 'square', title: null, columnPadding: 6, symbolSize: 60 } as const;

/** Grouped bars (workload x tuner) of one per-seed column, error bars over seeds, an optional reference line. */
function groupedBars(title: string, data: Datum[], field: string, yTitle: string, workloads: string[], rule?: { y: number; subtitle: string }): TopLevelSpec {
  const values = data.filter((d) => d[field] !== null && Number.isFinite(d[field] as number));
  const tuners = tunerOrder(values.map((v) => String(v.tuner)));
  const x = { field: 'workload', type: 'nominal', sort: workloads, title: 'Workload', axis: { labelAngle: 0 } } as const;
  const xOffset = { field: 'tuner', type: 'nominal', sort: tuners } as const;
  return {
    $schema: SCHEMA,
    title: rule ? { text: title, subtitle: rule.subtitle } : title,
    width: 250,
    height: 150,
    config: subtitleConfig,
    data: { values },
    layer: [
      {
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x,
          xOffset,
          y: { aggregate: 'mean', field, type: 'quantitative', title: yTitle },
          color: { field: 'tuner', type: 'nominal', sort: tuners, scale: tunerColors(tuners), legend: legendBelow },
        },
      },
      {
        mark: { type: 'errorbar', extent: 'stdev', ticks: false, color: 'black', thickness: 1 },
        encoding: { x, xOffset, y: { field, type: 'quantitative', title: yTitle } },
      },
      ...(rule
        ? [
            { mark: { type: 'rule', color: '#333', strokeDash: [4, 3] }, encoding: { y: { datum: rule.y, type: 'quantitative' } } },
          ]
        : []),
    ],
  } as TopLevelSpec;
}

export function reconfigurationsByWorkload(sets: Labelled[]): Figure {
  const data = perSeedByWorkload(sets);
  const spec = groupedBars('Reconfigurations per tuning episode', data, 'reconfigurations', 'Reconfigurations / episode', sets.map((s) => s.label));
  return { spec, data, columns: BY_WORKLOAD_COLUMNS };
}

export function parallelismByWorkload(sets: Labelled[]): Figure {
  const data = perSeedByWorkload(sets);
  const spec = groupedBars('Parallelism / oracle (sustained episodes)', data, 'parallelismOverOracle', 'Final total P / oracle', sets.map((s) => s.label), { y: 1, subtitle: 'dashed: the oracle (1); no bar: no sustained episode' });
  return { spec, data, columns: BY_WORKLOAD_COLUMNS };
}

/** Per (workload, tuner): mean reconfigurations against mean P / oracle over seeds, ± one standard deviation. */
export function tradeoffByWorkload(sets: Labelled[]): Figure {
  const seeds = perSeedByWorkload(sets);
  const data: Datum[] = [];
  for (const { key, rows } of groupBy(seeds, (d) => [String(d.workload), String(d.tuner)]).values()) {
    const xs = rows.map((r) => r.reconfigurations as number).filter(Number.isFinite);
    const ys = rows.map((r) => r.parallelismOverOracle).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (ys.length === 0) continue;
    const [workload, tuner] = key as [string, string];
    const [mx, my, sx, sy] = [mean(xs), mean(ys), sd(xs), sd(ys)];
    const lo = (m: number, s: number) => (Number.isFinite(s) ? m - s : m);
    const hi = (m: number, s: number) => (Number.isFinite(s) ? m + s : m);
    data.push({ workload, tuner, seeds: rows.length, reconfigurations: mx, reconfigurationsLow: lo(mx, sx), reconfigurationsHigh: hi(mx, sx), parallelismOverOracle: my, parallelismOverOracleLow: lo(my, sy), parallelismOverOracleHigh: hi(my, sy) });
  }
  const tuners = tunerOrder(data.map((d) => String(d.tuner)));
  const workloads = sets.map((s) => s.label);
  // One colour legend (the same definition on every layer, so vega-lite merges them) and one shape legend.
  const color = { field: 'tuner', type: 'nominal', sort: tuners, scale: tunerColors(tuners), legend: { ...legendBelow, columns: 4 } } as const;
  const x = { field: 'reconfigurations', type: 'quantitative', title: 'Reconfigurations / episode', scale: { zero: true } } as const;
  const y = { field: 'parallelismOverOracle', type: 'quantitative', title: 'Final total P / oracle', scale: { zero: false } } as const;
  const spec = {
    $schema: SCHEMA,
    title: { text: 'Trade-off: reconfigurations vs parallelism', subtitle: ['one point per workload (shape) and tuner (colour),', '± one standard deviation over seeds'] },
    width: 250,
    height: 180,
    config: subtitleConfig,
    data: { values: data },
    layer: [
      { mark: { type: 'rule', strokeWidth: 1, opacity: 0.7 }, encoding: { x: { field: 'reconfigurationsLow', type: 'quantitative' }, x2: { field: 'reconfigurationsHigh' }, y, color } },
      { mark: { type: 'rule', strokeWidth: 1, opacity: 0.7 }, encoding: { y: { field: 'parallelismOverOracleLow', type: 'quantitative' }, y2: { field: 'parallelismOverOracleHigh' }, x, color } },
      {
        mark: { type: 'point', filled: true, size: 55, opacity: 0.9, tooltip: true },
        encoding: { x, y, color, shape: { field: 'workload', type: 'nominal', sort: workloads, legend: { orient: 'top', columns: 5, title: null } } },
      },
      { mark: { type: 'rule', color: '#333', strokeDash: [4, 3] }, encoding: { y: { datum: 1, type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
  return { spec, data, columns: ['workload', 'tuner', 'seeds', 'reconfigurations', 'reconfigurationsLow', 'reconfigurationsHigh', 'parallelismOverOracle', 'parallelismOverOracleLow', 'parallelismOverOracleHigh'] };
}

/**
 * Timely Nexmark: final total parallelism (workers) per rate step and tuner, one panel per engine (the real
 * engine and the simulator's Timely mode, each labelled); the simulator's oracle as a black tick where known.
 */
export function timelyParallelism(sets: { engine: string; episodes: EpisodeResult[]; workloadUnit: number }[]): Figure {
  const data: Datum[] = [];
  for (const s of sets)
    for (const { key, rows } of groupBy(s.episodes, (e) => [e.tuner, String(e.episode)]).values()) {
      const [tuner, episode] = key as [string, string];
      const rate = rows[0]?.targetRate ?? Number.NaN;
      const finals = rows.map((r) => r.finalTotalParallelism).filter(Number.isFinite);
      const oracle = meanOf(rows, (r) => r.oracleTotalParallelism);
      data.push({
        engine: s.engine,
        tuner,
        episode: Number(episode),
        rate: `${+(rate / s.workloadUnit).toFixed(1)}×`,
        seeds: rows.length,
        finalTotalParallelism: mean(finals),
        finalTotalParallelismSd: Number.isFinite(sd(finals)) ? sd(finals) : null,
        infeasible: rows.length - feasible(rows).length,
        sustainedShare: share(rows),
        oracleTotalParallelism: Number.isFinite(oracle) ? oracle : null,
      });
    }
  data.sort((a, b) => String(a.engine).localeCompare(String(b.engine)) || (a.episode as number) - (b.episode as number));
  const tuners = tunerOrder(data.map((d) => String(d.tuner)));
  const rates = [...new Set(data.map((d) => String(d.rate)))];
  const x = { field: 'rate', type: 'nominal', sort: rates, title: 'Source rate (× W_u, episode order)', axis: { labelAngle: 0 } } as const;
  const y = { field: 'finalTotalParallelism', type: 'quantitative', title: 'Final workers (total P)', axis: { tickMinStep: 1 } } as const;
  const spec = {
    $schema: SCHEMA,
    title: { text: 'Timely Dataflow, Nexmark q5', subtitle: 'workers each tuner settles on, per rate step; ticks: oracle' },
    config: subtitleConfig,
    data: { values: data },
    facet: { column: { field: 'engine', type: 'nominal', title: null, header: { labelFontSize: 10 } } },
    spec: {
      width: 115,
      height: 130,
      layer: [
        { mark: { type: 'bar', tooltip: true }, encoding: { x, xOffset: { field: 'tuner', type: 'nominal', sort: tuners }, y, color: { field: 'tuner', type: 'nominal', sort: tuners, scale: tunerColors(tuners), legend: legendBelow } } },
        {
          transform: [{ filter: 'isValid(datum.oracleTotalParallelism)' }],
          mark: { type: 'tick', color: 'black', thickness: 1.5 },
          encoding: { x, y: { field: 'oracleTotalParallelism', type: 'quantitative' } },
        },
      ],
    },
  } as TopLevelSpec;
  return { spec, data, columns: ['engine', 'tuner', 'episode', 'rate', 'seeds', 'finalTotalParallelism', 'finalTotalParallelismSd', 'infeasible', 'sustainedShare', 'oracleTotalParallelism'] };
}

/**
 * A short name for a StreamTune ablation sweep point: `tuners.streamtune={"head":"unconstrained","pretrained":
 * "..."}` -> 'head=unconstrained' (the pretrained set that goes with a variant is implied), `{}` -> 'full',
 * `{"pretrained":""}` -> 'no pre-training'.
 */
export function ablationLabel(sweep: string): string {
  const at = sweep.indexOf('=');
  const value = at >= 0 ? sweep.slice(at + 1) : sweep;
  let o: unknown;
  try {
    o = JSON.parse(value);
  } catch {
    return sweep === 'base' ? 'full' : sweep;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return sweep;
  const entries = Object.entries(o as Record<string, unknown>);
  if (entries.length === 0) return 'full';
  const rest = entries.filter(([k]) => k !== 'pretrained');
  if (rest.length === 0) return entries[0]?.[1] === '' ? 'no pre-training' : `pretrained=${String(entries[0]?.[1])}`;
  return rest.map(([k, v]) => `${SHORT[k] ?? k}=${typeof v === 'string' ? (SHORT[v] ?? v) : JSON.stringify(v)}`).join(', ');
}
/** Shorter names of long option keys and values, so the labels fit a column. */
const SHORT: Record<string, string> = { clusterAssignment: 'cluster', labelRule: 'labels', groundTruth: 'ground truth', fineTuneWindows: 'fineTune windows' };

/** StreamTune ablations: per variant, reconfigurations per episode and P / oracle (sustained), ± over seeds. */
export function ablations(episodes: EpisodeResult[], sweeps: string[]): Figure {
  const data: Datum[] = [];
  for (const { key, rows } of groupBy(episodes, (e) => [e.sweep, String(e.seed)]).values()) {
    const [sweep, seed] = key as [string, string];
    const over = meanOf(sustained(rows), (r) => r.parallelismOverOracle);
    data.push({ variant: ablationLabel(sweep), sweep, seed: Number(seed), episodes: rows.length, infeasible: rows.length - feasible(rows).length, sustainedShare: share(rows), reconfigurations: meanOf(feasible(rows), (r) => r.reconfigurations), parallelismOverOracle: Number.isFinite(over) ? over : null });
  }
  const variants = sweeps.map(ablationLabel);
  const colour = tunerColors(['streamtune']).range[0] as string;
  const full = (field: string): number => mean(data.filter((d) => d.variant === 'full' && typeof d[field] === 'number').map((d) => d[field] as number));
  const panel = (field: string, title: string, labels: boolean) => ({
    width: 72,
    height: 14 * variants.length,
    layer: [
      {
        mark: { type: 'bar', color: colour, tooltip: true },
        encoding: {
          y: { field: 'variant', type: 'nominal', sort: variants, title: null, axis: labels ? { labelLimit: 160, labelFontSize: 9 } : { labels: false, ticks: false, title: null } },
          x: { aggregate: 'mean', field, type: 'quantitative', title, axis: { tickCount: 3 } },
        },
      },
      { mark: { type: 'errorbar', extent: 'stdev', ticks: false, color: 'black', thickness: 1 }, encoding: { y: { field: 'variant', type: 'nominal', sort: variants }, x: { field, type: 'quantitative', title } } },
      ...(Number.isFinite(full(field)) ? [{ mark: { type: 'rule', color: '#333', strokeDash: [4, 3] }, encoding: { x: { datum: full(field), type: 'quantitative' } } }] : []),
    ],
  });
  const spec = {
    $schema: SCHEMA,
    title: { text: 'StreamTune ablations', subtitle: 'one choice switched per row; dashed: full design' },
    config: subtitleConfig,
    data: { values: data.filter((d) => d.reconfigurations !== null) },
    hconcat: [panel('reconfigurations', 'Reconfig. / episode', true), { ...panel('parallelismOverOracle', 'P / oracle (sust.)', false), transform: [{ filter: 'isValid(datum.parallelismOverOracle)' }] }],
    spacing: 8,
  } as TopLevelSpec;
  return { spec, data, columns: ['variant', 'sweep', 'seed', 'episodes', 'infeasible', 'sustainedShare', 'reconfigurations', 'parallelismOverOracle'] };
}

/**
 * One episode of one seed, every tuner: total parallelism over the episode (seconds from its rate change), one
 * row per tuner in its colour, the oracle's total as a dashed line, rescales as ticks.
 */
export function episodeTimelines(timeline: TimelineResult[], episodes: EpisodeResult[], o: { seed: number; episode: number; workload: string }): Figure {
  const ep = String(o.episode);
  const rows = timeline.filter((t) => t.seed === o.seed && t.episode === o.episode && t.window !== undefined);
  const start = new Map<string, number>();
  for (const r of rows) start.set(r.tuner, Math.min(start.get(r.tuner) ?? Infinity, r.time));
  const oracle = new Map(episodes.filter((e) => e.seed === o.seed && e.episode === o.episode).map((e) => [e.tuner, e.oracleTotalParallelism ?? Number.NaN]));
  // Each window's parallelism is drawn from its start: time - window length; the first point at the rate change.
  const data: Datum[] = rows.map((r) => ({
    tuner: r.tuner,
    timeSec: r.time - (start.get(r.tuner) ?? 0),
    totalParallelism: r.totalParallelism ?? Number.NaN,
    event: r.event,
    oracleTotalParallelism: Number.isFinite(oracle.get(r.tuner) ?? Number.NaN) ? (oracle.get(r.tuner) as number) : null,
  }));
  const tuners = tunerOrder(data.map((d) => String(d.tuner)));
  const rate = episodes.find((e) => e.seed === o.seed && e.episode === o.episode)?.targetRate ?? Number.NaN;
  const x = { field: 'timeSec', type: 'quantitative', title: 'Time since the rate change (s)' } as const;
  const spec = {
    $schema: SCHEMA,
    title: {
      text: `${o.workload}, episode ${ep} of seed ${o.seed}: total parallelism`,
      subtitle: [`${Number.isFinite(rate) ? `target rate ${Math.round(rate).toLocaleString('en-US')} records/s; ` : ''}y: total P (own scale per tuner);`, 'dashed: the oracle; red ticks: rescales'],
    },
    config: subtitleConfig,
    data: { values: data },
    facet: { row: { field: 'tuner', type: 'nominal', sort: tuners, title: null, header: { labelAngle: 0, labelAlign: 'left', labelFontSize: 9 } } },
    spacing: 6,
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 200,
      height: 30,
      layer: [
        {
          mark: { type: 'line', interpolate: 'step-before', strokeWidth: 1.5 },
          encoding: { x, y: { field: 'totalParallelism', type: 'quantitative', title: null, scale: { zero: true }, axis: { tickCount: 2, labelFontSize: 9 } }, color: { field: 'tuner', type: 'nominal', sort: tuners, scale: tunerColors(tuners), legend: null } },
        },
        { transform: [{ filter: 'isValid(datum.oracleTotalParallelism)' }], mark: { type: 'rule', color: '#333', strokeDash: [3, 2], strokeWidth: 1 }, encoding: { y: { aggregate: 'mean', field: 'oracleTotalParallelism', type: 'quantitative' } } },
        { transform: [{ filter: "datum.event === 'rescale' || datum.event === 'rescale-partial'" }], mark: { type: 'tick', orient: 'vertical', color: '#d62728', thickness: 1 }, encoding: { x, y: { field: 'totalParallelism', type: 'quantitative' } } },
      ],
    },
  } as TopLevelSpec;
  return { spec, data, columns: ['tuner', 'timeSec', 'totalParallelism', 'event', 'oracleTotalParallelism'] };
}

/**
 * The columns a fidelity CSV must have: `real`, `simulated`, and the metric in `metric` or `kind` (npm run
 * fidelity writes `kind`: busy ratio or sustainable rate); an optional `model` (the simulator's profile: before /
 * after calibration) colours the points. Other columns are kept in the data.
 */
export const FIDELITY_COLUMNS = ['real', 'simulated'] as const;
export const FIDELITY_METRIC = ['metric', 'kind'] as const;
/** Panel titles of npm run fidelity's kinds. */
const METRIC_NAMES: Record<string, string> = { busy: 'busy ratio (per operator)', rate: 'sustainable rate (records/s)' };

/** Simulated against real, one panel per metric (own scales), colour by simulator model, with the identity line. */
export function fidelityScatter(rows: TextRow[]): Figure {
  const metricColumn = FIDELITY_METRIC.find((c) => c in (rows[0] ?? {})) ?? 'metric';
  const data: Datum[] = rows
    .map((r) => ({ ...r, metric: METRIC_NAMES[r[metricColumn] ?? ''] ?? r[metricColumn] ?? '', model: r.model ?? 'simulator', real: num(r.real), simulated: num(r.simulated) }))
    .filter((r) => Number.isFinite(r.real) && Number.isFinite(r.simulated))
    .map((r) => ({ ...r, lo: Math.min(r.real, r.simulated), hi: Math.max(r.real, r.simulated) }));
  const models = [...new Set(data.map((d) => String(d.model)))];
  const extra = Object.keys(rows[0] ?? {}).filter((k) => !['metric', 'model', 'real', 'simulated', metricColumn].includes(k));
  const spec = {
    $schema: SCHEMA,
    title: { text: 'Simulator fidelity', subtitle: 'simulated against real on held-out runs; dashed: identity' },
    config: subtitleConfig,
    data: { values: data },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: 120,
      height: 120,
      layer: [
        {
          transform: [{ joinaggregate: [{ op: 'min', field: 'lo', as: 'min' }, { op: 'max', field: 'hi', as: 'max' }], groupby: ['metric'] }],
          mark: { type: 'rule', color: '#999', strokeDash: [4, 3] },
          encoding: { x: { field: 'min', type: 'quantitative' }, y: { field: 'min', type: 'quantitative' }, x2: { field: 'max' }, y2: { field: 'max' } },
        },
        {
          mark: { type: 'point', filled: true, size: 18, opacity: 0.7, tooltip: true },
          encoding: {
            x: { field: 'real', type: 'quantitative', title: 'Real engine', axis: { format: '~s', tickCount: 3 } },
            y: { field: 'simulated', type: 'quantitative', title: 'Simulator', axis: { format: '~s', tickCount: 3 } },
            color: { field: 'model', type: 'nominal', sort: models, scale: { domain: models, range: ['#bab0ac', '#4c78a8', '#e45756', '#54a24b'].slice(0, Math.max(1, models.length)) }, legend: { ...legendBelow, columns: 2 } },
          },
        },
      ],
    },
  } as TopLevelSpec;
  return { spec, data: data.map(({ lo: _lo, hi: _hi, ...d }) => d), columns: ['metric', 'model', 'real', 'simulated', ...extra] };
}
