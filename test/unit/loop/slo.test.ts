import assert from 'node:assert/strict';
import { judgeSlo, slope, type LagPoint } from '../../../src/loop/slo.js';
import { SLO_DEFAULTS } from '../../../src/loop/config.js';

const windows = (lags: number[], o: { start?: number; window?: number; invalidAt?: number } = {}): LagPoint[] =>
  lags.map((lag, i) => ({ time: (o.start ?? 0) + (i + 1) * (o.window ?? 10), windowSeconds: o.window ?? 10, lag, valid: i !== o.invalidAt, ...(i === o.invalidAt ? { note: 'restart' } : {}) }));

describe('SLO (lag trend)', () => {
  it('least-squares slope, computed by hand', () => {
    assert.equal(slope([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 5 }]), 2);
    assert.ok(Number.isNaN(slope([{ x: 1, y: 1 }])));
  });

  it('holds over 60 s of flat lag, fails when the lag grows faster than 1 % of the rate', () => {
    const rate = 1000;
    assert.equal(judgeSlo(windows([500, 500, 500, 500, 500, 500]), rate, SLO_DEFAULTS).holds, true);
    // +5 records per 10 s = 0.5 records/s = 0.05 % of the rate: within tolerance.
    assert.equal(judgeSlo(windows([0, 5, 10, 15, 20, 25]), rate, SLO_DEFAULTS).holds, true);
    // 10 % of the rate (an operator at 0.9 of its demand): violated, and the row says by how much.
    const v = judgeSlo(windows([0, 1000, 2000, 3000, 4000, 5000]), rate, SLO_DEFAULTS);
    assert.equal(v.holds, false);
    assert.ok(Math.abs(v.lagTrend - 0.1) < 1e-12);
    assert.match(v.violation, /lag grows at 0\.100 of the target rate/);
  });

  it('a draining backlog passes; maxLagSec turns the backlog into a requirement', () => {
    const draining = windows([60_000, 50_000, 40_000, 30_000, 20_000, 10_000]);
    assert.equal(judgeSlo(draining, 1000, SLO_DEFAULTS).holds, true);
    const bounded = { ...SLO_DEFAULTS, maxLagSec: 5 };
    const v = judgeSlo(draining, 1000, bounded);
    assert.equal(v.holds, false);
    assert.match(v.violation, /lag 10\.0 s of input/);
    assert.equal(judgeSlo(windows([9000, 7000, 5000, 3000, 1000, 0]), 1000, bounded).holds, true);
  });

  it('needs holdSec of observation, and no invalid window in the hold', () => {
    const short = judgeSlo(windows([0, 0, 0]), 1000, SLO_DEFAULTS);
    assert.equal(short.holds, false);
    assert.match(short.violation, /observed 30\.0 s of the 60 s hold/);
    const broken = judgeSlo(windows([0, 0, 0, 0, 0, 0, 0], { invalidAt: 3 }), 1000, SLO_DEFAULTS);
    assert.equal(broken.holds, false);
    assert.match(broken.violation, /invalid window in the hold \(restart\)/);
    // Only the last holdSec count: an old invalid window no longer matters.
    assert.equal(judgeSlo(windows([0, 0, 0, 0, 0, 0, 0, 0], { invalidAt: 0 }), 1000, SLO_DEFAULTS).holds, true);
  });
});
