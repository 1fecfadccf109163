/**
 * Vector PDF of a chart's SVG for LaTeX (\includegraphics): pdfkit draws the page, svg-to-pdfkit turns the SVG's
 * paths and text into PDF operators (no rasterising), with DejaVu Sans embedded (subset) as in the PNGs. The page is
 * the SVG's size at 100 px per inch (charts.ts sizes charts for a paper column at that density), and the file is
 * deterministic: a fixed creation date, no random document id.
 */
import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';

/** Points per SVG pixel: 72 pt per inch over 100 px per inch. */
export const PT_PER_PX = 0.72;

const FONT_DIR = '/usr/share/fonts/truetype/dejavu';
const FONTS = { regular: `${FONT_DIR}/DejaVuSans.ttf`, bold: `${FONT_DIR}/DejaVuSans-Bold.ttf` };

/** The SVG's width and height in pixels (its width/height attributes, else its viewBox). */
export function svgSize(svg: string): { width: number; height: number } {
  const open = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const attr = (name: string): number => Number(new RegExp(`\\s${name}="([\\d.]+)`).exec(open)?.[1] ?? Number.NaN);
  let width = attr('width');
  let height = attr('height');
  if (!(width > 0 && height > 0)) {
    const box = /viewBox="([^"]+)"/.exec(open)?.[1]?.split(/[\s,]+/).map(Number) ?? [];
    width = box[2] ?? Number.NaN;
    height = box[3] ?? Number.NaN;
  }
  if (!(width > 0 && height > 0)) throw new Error('renderPdf: the SVG has no size (width/height or viewBox)');
  return { width, height };
}

export function renderPdf(svg: string): Promise<Buffer> {
  const { width, height } = svgSize(svg);
  const size: [number, number] = [width * PT_PER_PX, height * PT_PER_PX];
  const doc = new PDFDocument({ size, margin: 0, compress: true, info: { Producer: 'StreamTune Lab (pdfkit, svg-to-pdfkit)', Creator: 'npm run figures', CreationDate: new Date(0) } });
  const embedded = existsSync(FONTS.regular) && existsSync(FONTS.bold);
  if (embedded) {
    doc.registerFont('sans', FONTS.regular);
    doc.registerFont('sans-bold', FONTS.bold);
  }
  const warnings: string[] = [];
  SVGtoPDF(doc, svg, 0, 0, {
    width: size[0],
    height: size[1],
    preserveAspectRatio: 'xMinYMin meet',
    // Every family as DejaVu Sans (the charts use nothing else); the built-in Helvetica where the font is missing.
    fontCallback: (_family: string, bold: boolean) => (embedded ? (bold ? 'sans-bold' : 'sans') : bold ? 'Helvetica-Bold' : 'Helvetica'),
    warningCallback: (w: string) => warnings.push(w),
  });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.end();
  });
}
