import assert from 'node:assert/strict';
import { measuredOracleNotes, summarise, summaryCells, summaryHeader, summaryMarkdown } from '../../../src/report/summary.js';
import { parallelismSpec, tradeoffSpec } from '../../../src/report/charts.js';
import { parseEpisode } from '../../../src/loop/rows.js';

// The paper figures' test is test/unit/paper/figures.test.ts.
describe('report', () => {
  it('summaries give mean, median and the spread over seeds', () => {
    const row = (seed: string, r: number) => parseEpisode({ sweep: 'base', tuner: 'ds2', seed, reconfigurations: String(r), finalTotalParallelism: '10', parallelismOverOracle: '', outcome: 'sustained', timeToSloSec: '100' });
    const [s] = summarise([row('1', 1), row('1', 3), row('2', 4), row('2', 4)]);
    assert.ok(s);
    assert.equal(s.reconfigMean, 3);
    assert.equal(s.reconfigMedian, 3.5);
    assert.equal(s.reconfigSeedSd, Math.sqrt(2)); // per-seed means 2 and 4
    assert.ok(Number.isNaN(s.overOracle), 'no oracle on a real engine: not a zero');
  });

  it('P / oracle and time to SLO are over sustained episodes only, the sustained share beside them', () => {
    const row = (seed: string, outcome: string, ratio: string, t: string) => parseEpisode({ sweep: 'base', tuner: 'ds2', seed, reconfigurations: '1', outcome, parallelismOverOracle: ratio, timeToSloSec: t, finalTotalParallelism: '9' });
    // A violated episode's row carries no ratio; even if a hand-edited CSV had one (0.9), it must not count.
    const [s] = summarise([row('1', 'sustained', '1.1', '100'), row('1', 'violated', '0.9', ''), row('2', 'sustained', '1.3', '300'), row('2', 'sustained', '1.2', '200')]);
    assert.ok(s);
    assert.equal(s.sustained, 0.75);
    assert.ok(Math.abs(s.overOracle - 1.2) < 1e-12);
    assert.equal(s.timeToSloMedian, 200);
    assert.ok(Math.abs(s.sustainedSeedSd - Math.SQRT1_2 / 2) < 1e-12); // per-seed shares 0.5 and 1
  });
});

describe('report: the measured oracle', () => {
  const row = (sweep: string, source: string, ratio: string) => parseEpisode({ sweep, tuner: 'ds2', seed: '1', reconfigurations: '1', outcome: 'sustained', parallelismOverOracle: ratio, oracleSource: source, finalTotalParallelism: '6' });
  const col = (header: readonly string[]) => header.findIndex((h) => h.startsWith('P / '));

  it('is named "measured oracle" in the header, the notes and the charts when every oracle is measured', () => {
    const s = summarise([row('base', 'measured', '1.5')]);
    assert.equal(summaryHeader(s)[col(summaryHeader(s))], 'P / measured oracle (sustained)');
    assert.equal(summaryCells(s)[0]?.[col(summaryHeader(s))], '1.500');
    assert.match(measuredOracleNotes(s, new Map()), /smallest total parallelism found by `npm run oracle`/);
    const episodes = [row('base', 'measured', '1.5')];
    assert.match(JSON.stringify(parallelismSpec(episodes)), /Final total P \/ measured oracle/);
    assert.match(JSON.stringify(tradeoffSpec(episodes)), /Final total P \/ measured oracle \(sustained\)/);
  });

  it('labels measured cells beside the simulator\'s ground truth, and says why a column is empty', () => {
    const s = summarise([row('engine=sim', 'ground truth', '1.2'), row('engine=timely', 'measured', '1.5'), row('engine=flink', '', '')]);
    const h = summaryHeader(s);
    assert.equal(h[col(h)], 'P / oracle (sustained)');
    const missing = new Map([['engine=flink', 'no measured oracle for this engine and machine at 1 of 1 rates']]);
    const cells = summaryCells(s, missing).map((c) => c[col(h)]);
    assert.deepEqual(cells, ['1.200', '1.500 (measured oracle)', '– (no measured oracle)']);
    assert.match(summaryMarkdown('t', '', s, measuredOracleNotes(s, missing), missing), /No measured oracle for engine=flink: no measured oracle for this engine and machine/);
    assert.doesNotMatch(JSON.stringify(parallelismSpec([row('a', 'ground truth', '1.2'), row('b', 'measured', '1.5')])), /measured oracle/);
  });
});

describe('trade-off chart', () => {
  const episode = (tuner: string, seed: number, reconfigurations: number, pOverOracle: number) => parseEpisode({
    sweep: 'base',
    tuner,
    seed: String(seed),
    outcome: 'sustained',
    reconfigurations: String(reconfigurations),
    parallelismOverOracle: String(pOverOracle),
    finalTotalParallelism: '10',
  });
  it('labels of points close together go to different corners, inside the plot', () => {
    const rows = [1, 2].flatMap((s) => [episode('oracle', s, 1, 1), episode('streamtune', s, 1.05, 1.03), episode('ds2', s, 3, 1.02), episode('autoscaler', s, 0.1, 3)]);
    const spec = tradeoffSpec(rows) as unknown as { data: { values: { tuner: string; spot: string }[] } };
    const spot = Object.fromEntries(spec.data.values.map((p) => [p.tuner, p.spot]));
    assert.notEqual(spot.oracle, spot.streamtune, JSON.stringify(spot));
    for (const s of Object.values(spot)) assert.ok(['ne', 'nw', 'se', 'sw'].includes(s as string));
    // Nothing near it: to the right (up would leave the plot at the top of the y range).
    assert.equal(spot.autoscaler, 'se');
  });
});
