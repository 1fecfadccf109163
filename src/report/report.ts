/** Writes summary.md, charts/*.vl.json|.svg|.png and index.html for a run folder from its merged CSVs. */
import { join } from 'node:path';
import { readInputJson } from '../io/read.js';
import { writeAtomic } from '../io/files.js';
import type { Experiment } from '../experiment/schema.js';
import { renderPng, renderSvg, parallelismSpec, reconfigurationsSpec, timelineSpec, tradeoffSpec } from './charts.js';
import { existsSync } from 'node:fs';
import { measuredOracleNotes, summarise, summaryCells, summaryHeader, summaryMarkdown, summaryNotes, type FailedRun, type OracleMissing } from './summary.js';
import { readEpisodes, readTimeline, type EpisodeResult, type TimelineResult } from '../loop/rows.js';
import type { TopLevelSpec } from 'vega-lite';
import { engineOf } from '../engines/registry.js';
import { buildWorkload, workloadTitle } from '../workloads/index.js';

/** The run folder's file of extrapolation notices (read by npm run figures for its manifest). */
export const EXTRAPOLATION_FILE = 'extrapolation.json';

/**
 * Where an experiment on the simulator drove it beyond the range its profile was measured on: the configurations
 * each episode ended in (every tuner's, the oracle's included) at its target rate, against the profile's
 * measuredRange (src/engines/simulator/range.ts). Timely mode: only parallelism, total rate, cores, load.
 */
export function experimentExtrapolations(x: Experiment, episodes: readonly EpisodeResult[]): string[] {
  const engine = engineOf(x.engine);
  if (engine.profile() === undefined) return [];
  const job = buildWorkload(x.workload).job;
  const points = episodes.map((e) => ({ parallelism: Object.fromEntries(e.finalParallelism.split(';').filter(Boolean).map((kv) => kv.split('=') as [string, string]).map(([k, v]) => [k, Number(v)])), rate: e.targetRate }));
  return engine.extrapolations(job, points);
}

export async function writeReport(dir: string, x: Experiment, o: { charts: boolean; png: boolean; failed?: readonly FailedRun[] }): Promise<string[]> {
  const episodes = readEpisodes(join(dir, 'episodes.csv'));
  const timeline = readTimeline(join(dir, 'timeline.csv'));
  const summary = summarise(episodes);
  const title = `${x.name}: ${workloadTitle(x.workload)} on ${x.engine.kind}`;
  const missing = readMissing(dir);
  const notes = [summaryNotes(x.slo), measuredOracleNotes(summary, missing)].filter((s) => s !== '').join('\n');
  const beyond = experimentExtrapolations(x, episodes);
  const profile = engineOf(x.engine).profile() ?? '';
  const beyondMd = beyond.length ? `\n## Beyond the measurements of profile '${profile}'\n\nThe simulator extrapolates these terms past the range its profile was measured on:\n\n${beyond.map((b) => `- ${b}`).join('\n')}\n` : '';
  const md = summaryMarkdown(title, x.description ?? '', summary, notes, missing, o.failed ?? []) + beyondMd;
  writeAtomic(join(dir, EXTRAPOLATION_FILE), `${JSON.stringify({ profile, notices: beyond }, null, 2)}\n`);
  writeAtomic(join(dir, 'summary.md'), md);
  const charts: { name: string; svg: string }[] = [];
  if (o.charts && episodes.length > 0) {
    const specs: [string, TopLevelSpec][] = [
      ['reconfigurations', reconfigurationsSpec(episodes)],
      ['parallelism', parallelismSpec(episodes)],
      ['tradeoff', tradeoffSpec(episodes)],
    ];
    // One timeline per tuner: its first run (first sweep point, first seed); the title names the seed.
    const firstRun = new Map<string, TimelineResult>();
    for (const t of timeline) if (!firstRun.has(t.tuner)) firstRun.set(t.tuner, t);
    for (const [tuner, t] of firstRun) specs.push([`timeline-${tuner}`, timelineSpec(tuner, String(t.seed), timeline.filter((r) => r.run === t.run))]);
    for (const [name, spec] of specs) {
      const svg = await renderSvg(spec);
      writeAtomic(join(dir, 'charts', `${name}.vl.json`), `${JSON.stringify(spec, null, 2)}\n`);
      writeAtomic(join(dir, 'charts', `${name}.svg`), svg);
      if (o.png) writeAtomic(join(dir, 'charts', `${name}.png`), renderPng(svg));
      charts.push({ name, svg });
    }
  }
  writeAtomic(join(dir, 'index.html'), html(title, x.description ?? '', notes, summaryHeader(summary), summaryCells(summary, missing), charts, beyond.length ? { profile, notices: beyond } : null));
  return beyond;
}

/** Per sweep point, why the measured oracle is missing (measured-oracle.json, written by the experiment). */
function readMissing(dir: string): OracleMissing {
  const f = join(dir, 'measured-oracle.json');
  if (!existsSync(f)) return new Map();
  const m = readInputJson(f) as { points?: { sweep: string; missing: string }[] };
  return new Map((m.points ?? []).map((p) => [p.sweep, p.missing]));
}

/** A self-contained page (inline SVG, no scripts) that opens offline; the summary as an HTML table. */
function html(title: string, description: string, notes: string, header: readonly string[], cells: string[][], charts: { name: string; svg: string }[], beyond: { profile: string; notices: string[] } | null): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const row = (tag: string, xs: readonly string[]) => `<tr>${xs.map((x) => `<${tag}>${esc(x)}</${tag}>`).join('')}</tr>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:'DejaVu Sans',sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}th{background:#f3f3f3}td:nth-child(-n+2){text-align:left}figure{display:inline-block;margin:1em}</style>
</head><body><h1>${esc(title)}</h1>${description ? `<p>${esc(description)}</p>` : ''}
<table id="summary"><thead>${row('th', header)}</thead><tbody>
${cells.map((c) => row('td', c)).join('\n')}
</tbody></table>
<p>${esc(notes)}</p>
${beyond ? `<div id="extrapolation"><h2>Beyond the measurements of profile '${esc(beyond.profile)}'</h2><p>The simulator extrapolates these terms past the range its profile was measured on:</p><ul>${beyond.notices.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></div>\n` : ''}${charts.map((c) => `<figure>${c.svg}<figcaption>${esc(c.name)} (<a href="charts/${c.name}.vl.json">spec</a>, <a href="charts/${c.name}.png">png</a>)</figcaption></figure>`).join('\n')}
</body></html>
`;
}
