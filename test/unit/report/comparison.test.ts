import assert from 'node:assert/strict';
import { parseEpisode } from '../../../src/loop/rows.js';
import { comparisonMarkdown, comparisonSpec, engineFigures, engineTau, kendallTau } from '../../../src/report/comparison.js';
import { renderSvgMeasured } from '../../../src/report/measure.js';

describe('engine comparison', () => {
  it("Kendall's tau-b: identical order 1, reversed -1, ties count as neither", () => {
    assert.equal(kendallTau([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(kendallTau([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    // a: 1 < 2 = 2; b: 1 < 2 < 3. Pairs (0,1) and (0,2) concordant, (1,2) tied in a only: 2 / sqrt(2 * 3).
    assert.ok(Math.abs(kendallTau([1, 2, 2], [1, 2, 3]) - 2 / Math.sqrt(6)) < 1e-12);
    assert.ok(Number.isNaN(kendallTau([1, 1], [2, 2])));
  });

  const row = (engine: string, tuner: string, seed: string, outcome: string, reconf: number, over: string, source: string) => parseEpisode({ sweep: engine, tuner, seed, outcome, reconfigurations: String(reconf), parallelismOverOracle: over, oracleSource: source });
  const rows = [
    // timely: ds2 1.2 then 1.4 over seeds, 1 reconfiguration; conttune 2.0, 3 reconfigurations; one violated episode.
    row('timely', 'ds2', '1', 'sustained', 1, '1.2', 'measured'),
    row('timely', 'ds2', '2', 'sustained', 1, '1.4', 'measured'),
    row('timely', 'conttune', '1', 'sustained', 3, '2.0', 'measured'),
    row('timely', 'conttune', '1', 'violated', 5, '', 'measured'),
    row('sim', 'ds2', '1', 'sustained', 1, '1.0', 'ground truth'),
    row('sim', 'conttune', '1', 'sustained', 2, '1.5', 'ground truth'),
  ];

  it('per engine and tuner: per-seed means, the spread over seeds, P / oracle over sustained episodes only', () => {
    const f = engineFigures(rows, (s) => s);
    const ds2 = f.find((x) => x.engine === 'timely' && x.tuner === 'ds2');
    const ct = f.find((x) => x.engine === 'timely' && x.tuner === 'conttune');
    assert.ok(ds2 && ct);
    assert.ok(Math.abs(ds2.parallelismOverOracle - 1.3) < 1e-12);
    assert.ok(Math.abs(ds2.parallelismOverOracleSd - Math.sqrt(0.02)) < 1e-12);
    assert.equal(ct.parallelismOverOracle, 2);
    assert.equal(ct.reconfigurations, 4);
    assert.equal(ct.sustainedShare, 0.5);
    assert.equal(ds2.oracle, 'measured');
    const tau = engineTau(f, 'timely', 'sim');
    assert.equal(tau.parallelismOverOracle, 1);
    assert.equal(tau.reconfigurations, 1);
    // Sustained share: timely ranks ds2 above conttune, the simulator ties them: no ranking to agree with.
    assert.ok(Number.isNaN(tau.sustainedShare));
  });

  it('labels the measured oracle in the table and the figure', () => {
    const f = engineFigures(rows, (s) => s);
    const md = comparisonMarkdown(f, 'timely', 'sim');
    assert.match(md, /timely \(measured oracle\) \/ sim \(ground truth\)/);
    assert.match(md, /Kendall tau \(timely vs sim, 2 tuners\): reconfigurations 1\.00, P \/ oracle 1\.00/);
    const spec = JSON.stringify(comparisonSpec(f, 'timely', 'sim', 't'));
    assert.match(spec, /timely \(measured oracle\)/);
    assert.match(spec, /sim \(ground truth\)/);
  });
  it('the figure is as wide as its panels: the title and subtitle lines fit above them', async () => {
    const f = engineFigures(rows, (s) => s);
    const spec = comparisonSpec(f, 'simulator (timely mode, placement, timely-2core)', 'timely', 'A long title of the comparison figure, as the configs give it');
    const svg = await renderSvgMeasured(spec);
    const width = Number(/<svg[^>]* width="([\d.]+)"/.exec(svg)?.[1]);
    const panels = (spec as unknown as { hconcat: { width: number }[] }).hconcat;
    const inner = panels.reduce((a, p) => a + p.width, 0);
    // Panels, their y axes and the spacing between them; no empty band beside them.
    assert.ok(width > inner && width < inner + panels.length * 70, `svg width ${width} for ${panels.length} panels of ${inner} in all`);
  });
});
