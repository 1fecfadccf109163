/**
 * Text measured with the font the figures are drawn in. Without a canvas, vega estimates a text's width as 0.8 x
 * font size per character, which for these labels is about a third too wide: it pads layouts (a band above every
 * chart with a long rotated axis title) and truncates labels that would fit. The paper figures render with the
 * widths of DejaVu Sans itself (fontkit, which pdfkit uses to embed it), set for the duration of one render only,
 * so the run report (charts.ts) keeps vega's estimate.
 */
import { existsSync } from 'node:fs';
import * as fontkit from 'fontkit';
import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './charts.js';

const DIR = '/usr/share/fonts/truetype/dejavu';
type Font = { unitsPerEm: number; layout(text: string): { advanceWidth: number } };
let fonts: { regular: Font; bold: Font } | null | undefined;

function load(): { regular: Font; bold: Font } | null {
  if (fonts !== undefined) return fonts;
  const open = (f: string) => fontkit.openSync(`${DIR}/${f}`) as unknown as Font;
  fonts = existsSync(`${DIR}/DejaVuSans.ttf`) && existsSync(`${DIR}/DejaVuSans-Bold.ttf`) ? { regular: open('DejaVuSans.ttf'), bold: open('DejaVuSans-Bold.ttf') } : null;
  return fonts;
}

type Item = { text?: unknown; fontSize?: number; fontWeight?: string | number; limit?: number };
type Metrics = { width: (item: Item, text?: unknown) => number; estimateWidth: (item: Item, text?: unknown) => number };

/** Renders a spec to SVG with the font's own text widths (vega's estimate where DejaVu Sans is missing). */
export async function renderSvgMeasured(spec: TopLevelSpec): Promise<string> {
  const f = load();
  if (!f) return renderSvg(spec);
  const metrics = (vega as unknown as { textMetrics: Metrics }).textMetrics;
  const before = metrics.width;
  metrics.width = (item: Item, text?: unknown) => {
    const value = text ?? item.text;
    const s = Array.isArray(value) ? value.join(' ') : String(value ?? '');
    const bold = item.fontWeight === 'bold' || (typeof item.fontWeight === 'number' && item.fontWeight >= 600);
    const font = bold ? f.bold : f.regular;
    return (font.layout(s).advanceWidth / font.unitsPerEm) * (item.fontSize ?? 11);
  };
  try {
    return await renderSvg(spec);
  } finally {
    metrics.width = before;
  }
}
