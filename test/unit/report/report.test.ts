import assert from 'node:assert/strict';
import { summarise } from '../../../src/report/summary.js';
import { tradeoffSpec } from '../../../src/report/charts.js';

// The paper figures' test is test/unit/paper/figures.test.ts.
describe('report', () => {
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

describe('trade-off chart', () => {
  const episode = (tuner: string, seed: number, reconfigurations: number, pOverOracle: number) => ({
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
