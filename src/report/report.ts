/** Writes summary.md, charts/*.vl.json|.svg|.png and index.html for a run folder from its merged CSVs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { writeAtomic } from '../experiment/files.js';
import type { Experiment } from '../experiment/schema.js';
import { renderPng, renderSvg, parallelismSpec, reconfigurationsSpec, timelineSpec } from './charts.js';
import { summarise, summaryMarkdown, type Row } from './summary.js';
import type { TopLevelSpec } from 'vega-lite';

const readRows = (file: string): Row[] => parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Row[];

export async function writeReport(dir: string, x: Experiment, o: { charts: boolean; png: boolean }): Promise<void> {
  const episodes = readRows(join(dir, 'episodes.csv'));
  const timeline = readRows(join(dir, 'timeline.csv'));
  const summary = summarise(episodes);
  const title = `${x.name}: ${x.workload.kind === 'nexmark' ? `Nexmark ${x.workload.query}` : x.workload.kind === 'wordcount' ? 'WordCount' : 'synthetic job'} on ${x.engine.kind}`;
  const md = summaryMarkdown(title, x.description ?? '', summary);
  writeAtomic(join(dir, 'summary.md'), md);
  const charts: { name: string; svg: string }[] = [];
  if (o.charts && episodes.length > 0) {
    const specs: [string, TopLevelSpec][] = [
      ['reconfigurations', reconfigurationsSpec(episodes)],
      ['parallelism', parallelismSpec(episodes)],
    ];
    // One timeline per tuner: its first run (first sweep point, first seed).
    const firstRun = new Map<string, string>();
    for (const t of timeline) if (!firstRun.has(t.tuner as string)) firstRun.set(t.tuner as string, t.run as string);
    for (const [tuner, run] of firstRun) specs.push([`timeline-${tuner}`, timelineSpec(tuner, timeline.filter((t) => t.run === run))]);
    for (const [name, spec] of specs) {
      const svg = await renderSvg(spec);
      writeAtomic(join(dir, 'charts', `${name}.vl.json`), `${JSON.stringify(spec, null, 2)}\n`);
      writeAtomic(join(dir, 'charts', `${name}.svg`), svg);
      if (o.png) writeAtomic(join(dir, 'charts', `${name}.png`), renderPng(svg));
      charts.push({ name, svg });
    }
  }
  writeAtomic(join(dir, 'index.html'), html(title, md, charts));
}

/** A self-contained page (inline SVG, no scripts) that opens offline. */
function html(title: string, md: string, charts: { name: string; svg: string }[]): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:'DejaVu Sans',sans-serif;max-width:1100px;margin:2em auto}pre{white-space:pre-wrap}figure{display:inline-block;margin:1em}</style>
</head><body><h1>${esc(title)}</h1><pre>${esc(md)}</pre>
${charts.map((c) => `<figure>${c.svg}<figcaption>${esc(c.name)} (<a href="charts/${c.name}.vl.json">spec</a>, <a href="charts/${c.name}.png">png</a>)</figcaption></figure>`).join('\n')}
</body></html>
`;
}
