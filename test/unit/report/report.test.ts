import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFigures } from '../../../src/report/figures.js';
import { summarise } from '../../../src/report/summary.js';

const tiny = {
  name: 'tiny',
  workload: { kind: 'nexmark', query: 'q1' },
  rates: { kind: 'steps', rates: [2, 6], durationSec: 300 },
  tuners: { ds2: {}, oracle: {} },
  seeds: [1, 2],
};

describe('report', () => {
  it('figures run every listed experiment and leave charts as spec, SVG and PNG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fig-'));
    writeFileSync(join(dir, 'tiny.json'), JSON.stringify(tiny));
    writeFileSync(join(dir, 'list.json'), JSON.stringify({ experiments: [join(dir, 'tiny.json')] }));
    const [o] = await runFigures(join(dir, 'list.json'), { out: join(dir, 'out'), jobs: 1 });
    assert.ok(o && o.failed.length === 0);
    for (const name of ['reconfigurations', 'parallelism', 'timeline-ds2', 'timeline-oracle']) {
      const spec = JSON.parse(readFileSync(join(o.dir, 'charts', `${name}.vl.json`), 'utf8')) as { $schema: string };
      assert.match(spec.$schema, /vega-lite/);
      assert.match(readFileSync(join(o.dir, 'charts', `${name}.svg`), 'utf8'), /^<svg/);
      assert.deepEqual([...readFileSync(join(o.dir, 'charts', `${name}.png`)).subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
    }
    const html = readFileSync(join(o.dir, 'index.html'), 'utf8');
    assert.ok(html.includes('<svg') && !html.includes('<script'), 'self-contained page without scripts');
    assert.ok(existsSync(join(o.dir, 'summary.md')));
    await assert.rejects(runFigures(join(dir, 'list.json'), { only: 'nothing-matches' }), /no experiment matches/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('summaries give mean, median and the spread over seeds', () => {
    const row = (seed: string, r: number) => ({ sweep: 'base', tuner: 'ds2', seed, reconfigurations: String(r), finalTotalParallelism: '10', parallelismOverOracle: '', outcome: 'sustained', timeToSloSec: '100' });
    const [s] = summarise([row('1', 1), row('1', 3), row('2', 4), row('2', 4)]);
    assert.ok(s);
    assert.equal(s.reconfigMean, 3);
    assert.equal(s.reconfigMedian, 3.5);
    assert.equal(s.reconfigSeedSd, Math.sqrt(2)); // per-seed means 2 and 4
    assert.ok(Number.isNaN(s.overOracle), 'no oracle on a real engine: not a zero');
  });

  it('P / oracle and time to SLO are over sustained episodes only, the sustained share beside them', () => {
    const row = (seed: string, outcome: string, ratio: string, t: string) => ({ sweep: 'base', tuner: 'ds2', seed, reconfigurations: '1', outcome, parallelismOverOracle: ratio, timeToSloSec: t, finalTotalParallelism: '9' });
    // A violated episode's row carries no ratio; even if a hand-edited CSV had one (0.9), it must not count.
    const [s] = summarise([row('1', 'sustained', '1.1', '100'), row('1', 'violated', '0.9', ''), row('2', 'sustained', '1.3', '300'), row('2', 'sustained', '1.2', '200')]);
    assert.ok(s);
    assert.equal(s.sustained, 0.75);
    assert.ok(Math.abs(s.overOracle - 1.2) < 1e-12);
    assert.equal(s.timeToSloMedian, 200);
    assert.ok(Math.abs(s.sustainedSeedSd - Math.SQRT1_2 / 2) < 1e-12); // per-seed shares 0.5 and 1
  });
});
