import assert from 'node:assert/strict';
import type { OperatorMetrics, Snapshot } from '../../../src/core/metrics.js';
import { fitCosts } from '../../../src/cli/calibrate.js';

function op(busyMsPerSecond: number, recordsInPerSecond: number, recordsOutPerSecond: number, parallelism = 1): OperatorMetrics {
  return {
    parallelism,
    busyMsPerSecond,
    busyMsPerSecondMax: busyMsPerSecond,
    idleMsPerSecond: 1000 - busyMsPerSecond,
    backPressuredMsPerSecond: 0,
    backPressuredMsPerSecondMax: 0,
    recordsInPerSecond,
    recordsOutPerSecond,
    trueProcessingRate: 0,
    trueOutputRate: 0,
  };
}

function snap(operators: Record<string, OperatorMetrics>): Snapshot {
  return { time: 0, windowSeconds: 10, operators, sources: {}, targetRate: 0, achievedRate: 0, valid: true };
}

describe('calibrate: per-record cost as the slope of busy time over input rate', () => {
  const types = { source: 'source', work: 'map', rare: 'window', sink: 'sink' };
  // work: 2 ms/s fixed + 5 us per record, at parallelism 2 (busy is per subtask)
  const low = snap({ source: op(10, 1000, 1000), work: op((2 + 5) / 2, 1000, 500, 2), rare: op(5, 1, 0.1), sink: op(1, 500, 0) });
  const high = snap({ source: op(30, 3000, 3000), work: op((2 + 15) / 2, 3000, 1500, 2), rare: op(6, 1.2, 0.1), sink: op(0.5, 1500, 0) });
  const fit = fitCosts([low], [high], types);
  it('separates the fixed busy time from the per-record cost', () => {
    assert.equal(fit.work?.cost, 5);
    assert.equal(fit.work?.fixedMsPerSecond, 2);
    assert.equal(fit.work?.selectivity, 0.5);
    assert.equal(fit.source?.cost, 10);
    assert.equal(fit.source?.selectivity, 1);
  });
  it('leaves the cost out where it cannot be measured', () => {
    assert.equal(fit.rare?.cost, undefined);
    assert.match(fit.rare?.note ?? '', /not measurable/);
    assert.equal(fit.sink?.cost, undefined, 'busy time fell as the rate rose: noise');
    assert.equal(fit.sink?.selectivity, 0);
  });
});
