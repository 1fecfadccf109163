import assert from 'node:assert/strict';
import { summarise } from '../../../src/report/summary.js';

// The paper figures' test is test/unit/report/figures.test.ts.
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
