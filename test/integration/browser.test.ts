/**
 * The HTML reports in a real browser: headless Chromium (Debian's chromium package) driven by playwright-core opens
 * a run's index.html and the paper figures' index.html from disk: no console error or page error, every chart
 * visible with a non-zero size, the run's summary an HTML table with a row per tuner. Skipped without a Chromium,
 * unless REQUIRE_ENGINES=1 (CI), which makes its absence a failure.
 */
import { writeReport } from '../../src/report/report.js';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runExperiment } from '../../src/experiment/experiment.js';
import { runFigures } from '../../src/paper/figures.js';

const REQUIRED = process.env.REQUIRE_ENGINES === '1';
/** Debian's chromium, or one named by CHROMIUM. */
export const CHROMIUM = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => p !== undefined && p !== '' && existsSync(p));

interface PageCheck {
  errors: string[];
  charts: { width: number; height: number; visible: boolean }[];
}

/** Opens a file in the page and collects console errors, page errors, failed requests and each chart's box. */
async function open(page: Page, file: string, charts: string): Promise<PageCheck> {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  const response = await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  assert.ok(response === null || response.ok(), `${file} loaded`);
  const boxes = [];
  for (const chart of await page.locator(charts).all()) {
    const box = await chart.boundingBox();
    boxes.push({ width: box?.width ?? 0, height: box?.height ?? 0, visible: await chart.isVisible() });
  }
  return { errors, charts: boxes };
}

describe('HTML reports in headless Chromium', function () {
  this.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'browser-'));
  let browser: Browser | undefined;
  let runIndex = '';
  let figuresIndex = '';

  before(async function () {
    if (!CHROMIUM) {
      if (REQUIRED) throw new Error('REQUIRE_ENGINES=1 but there is no Chromium (apt-get install chromium; .ci/run does)');
      this.skip();
    }
    const config = {
      name: 'browser',
      workload: { kind: 'nexmark', query: 'q1' },
      rates: { kind: 'permutation', levels: 4, repeat: 1, durationSec: 300 },
      tuners: { ds2: {}, dhalion: {}, oracle: {} },
      seeds: [1, 2],
    };
    writeFileSync(join(dir, 'browser.json'), JSON.stringify(config));
    const run = await runExperiment({ config: join(dir, 'browser.json'), out: join(dir, 'results'), jobs: 1, runId: 'r', report: writeReport });
    runIndex = join(run.dir, 'index.html');
    writeFileSync(
      join(dir, 'figures.json'),
      JSON.stringify({
        experiments: { q1: { config: join(dir, 'browser.json') } },
        figures: [
          { name: 'reconfigurations', kind: 'reconfigurations-by-workload', experiments: ['q1'], caption: 'r' },
          { name: 'tradeoff', kind: 'tradeoff-by-workload', experiments: ['q1'], caption: 't' },
          { name: 'timelines', kind: 'episode-timelines', experiments: ['q1'], episode: 2, caption: 'tl' },
          { name: 'fidelity', kind: 'fidelity-scatter', csv: join(dir, 'none.csv'), caption: 'skipped' },
        ],
      }),
    );
    figuresIndex = join((await runFigures(join(dir, 'figures.json'), { out: join(dir, 'paper'), jobs: 1 })).dir, 'index.html');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  });

  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a run's index.html: no console errors, every chart visible with a non-zero size, the summary a table", async () => {
    const page = await (browser as Browser).newPage();
    const check = await open(page, runIndex, 'figure svg');
    assert.deepEqual(check.errors, []);
    assert.ok(check.charts.length >= 6, `charts: ${check.charts.length}`); // reconfigurations, parallelism, trade-off, a timeline per tuner
    for (const c of check.charts) assert.ok(c.visible && c.width > 50 && c.height > 50, JSON.stringify(c));
    const header = await page.locator('table#summary thead th').allTextContents();
    assert.ok(header.includes('tuner') && header.some((h) => h.startsWith('sustained')), header.join('|'));
    const tuners = await page.locator('table#summary tbody tr td:nth-child(2)').allTextContents();
    assert.deepEqual([...tuners].sort(), ['dhalion', 'ds2', 'oracle']);
    await page.close();
  });

  it("the figures' index.html: no console errors, every figure visible with a non-zero size, a skipped one said so", async () => {
    const page = await (browser as Browser).newPage();
    const check = await open(page, figuresIndex, 'figure.chart svg');
    assert.deepEqual(check.errors, []);
    assert.equal(check.charts.length, 3);
    for (const c of check.charts) assert.ok(c.visible && c.width > 50 && c.height > 50, JSON.stringify(c));
    assert.match(await page.locator('#fidelity .skipped').innerText(), /Skipped: .*none\.csv/);
    assert.ok((await page.locator('table#experiments tbody tr').count()) === 1);
    await page.close();
  });
});
