/**
 * Chart specs as data (Vega-Lite), compiled with vega-lite, rendered to SVG by vega in Node and to PNG by
 * @resvg/resvg-js. Sized for a paper column (about 3.3 in at 100 dpi), fonts the machine has (DejaVu Sans).
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Row } from './summary.js';

const FONT = 'DejaVu Sans';
const CONFIG = {
  font: FONT,
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11 },
  title: { fontSize: 12 },
  view: { stroke: null },
};

export function reconfigurationsSpec(episodes: Row[]): TopLevelSpec {
  const values = episodes.map((e) => ({ tuner: e.tuner, seed: e.seed, sweep: e.sweep, reconfigurations: Number(e.reconfigurations) }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Reconfigurations per tuning episode',
    width: 300,
    height: 180,
    config: CONFIG,
    data: { values },
    transform: [{ aggregate: [{ op: 'mean', field: 'reconfigurations', as: 'perSeed' }], groupby: ['sweep', 'tuner', 'seed'] }],
    layer: [
      {
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'tuner', type: 'nominal', title: 'Tuner', axis: { labelAngle: 0 } },
          y: { aggregate: 'mean', field: 'perSeed', type: 'quantitative', title: 'Reconfigurations / episode' },
          color: { field: 'tuner', type: 'nominal', legend: null },
          ...(new Set(values.map((v) => v.sweep)).size > 1 ? { xOffset: { field: 'sweep' } } : {}),
        },
      },
      {
        mark: { type: 'errorbar', extent: 'stdev', ticks: false, color: 'black', thickness: 1.5 },
        encoding: {
          x: { field: 'tuner', type: 'nominal' },
          y: { field: 'perSeed', type: 'quantitative', title: 'Reconfigurations / episode' },
        },
      },
    ],
  } as TopLevelSpec;
}

export function parallelismSpec(episodes: Row[]): TopLevelSpec {
  const values = episodes.map((e) => ({ who: e.tuner, seed: e.seed, total: Number(e.finalTotalParallelism) }));
  const oracle = episodes.filter((e) => e.oracleTotalParallelism !== '' && e.tuner === episodes[0]?.tuner);
  for (const e of oracle) values.push({ who: 'oracle (minimum)', seed: e.seed, total: Number(e.oracleTotalParallelism) });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Final total parallelism per episode',
    width: 300,
    height: 180,
    config: CONFIG,
    data: { values },
    layer: [
      {
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'who', type: 'nominal', title: 'Tuner', axis: { labelAngle: 0 } },
          y: { aggregate: 'mean', field: 'total', type: 'quantitative', title: 'Total parallelism (instances)' },
          color: { field: 'who', type: 'nominal', legend: null },
        },
      },
      {
        mark: { type: 'errorbar', extent: 'stdev', ticks: false, color: 'black', thickness: 1.5 },
        encoding: { x: { field: 'who', type: 'nominal' }, y: { field: 'total', type: 'quantitative', title: 'Total parallelism (instances)' } },
      },
    ],
  } as TopLevelSpec;
}

/** Source rate, achieved rate and total parallelism over time, reconfigurations marked. */
export function timelineSpec(tuner: string, timeline: Row[]): TopLevelSpec {
  const rows = timeline.map((t) => ({ event: t.event, time: Number(t.time), targetRate: Number(t.targetRate), achievedRate: Number(t.achievedRate), totalParallelism: Number(t.totalParallelism) }));
  const rates = rows.flatMap((r) => [
    { time: r.time, series: 'target rate', rate: r.targetRate },
    { time: r.time, series: 'achieved rate', rate: r.achievedRate },
  ]);
  const rescales = rows.filter((r) => r.event === 'rescale').map((r) => ({ time: r.time }));
  const x = { field: 'time', type: 'quantitative', title: 'Time (s)' } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${tuner}: rates and parallelism over time`,
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
              color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top' } },
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
            mark: { type: 'line', interpolate: 'step-after', color: '#444' },
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
