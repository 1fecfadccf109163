/** The Timely calibration's design and fit, on simulated measurements of known terms (no real engine). */
import assert from 'node:assert/strict';
import { capacityPoints, collapsed, fitTimely, fitTimelyLinear, simulateTimelyPlan, timelyCalibrationPlan, timelyFidelityPlan, workersOf, loggingOverheadOf } from '../../../src/calibration/timely.js';
import type { Measurement } from '../../../src/calibration/measure.js';
import { checkTimelyTerms, type TimelyTerms } from '../../../src/engines/simulator/timely-physics.js';

const truth: TimelyTerms = {
  progress: { baseMs: 2, perWorkerMs: 1 },
  exchange: { baseUs: 0, perWorkerUs: 0.3 },
  cores: 2,
  backgroundCores: 0.3,
  loggingOverhead: 0.1,
  costs: {
    'nexmark-q1': { source: 0.2, bids: 0.1, currency: 0.15, sink: 0.1 },
    'nexmark-q5': { source: 0.2, bids: 0.1, hotCount: 1.5, maxCount: 2, sink: 0.5 },
  },
  growth: { 'nexmark-q5': { hotCount: 0.01 } },
};

describe('Timely calibration', function () {
  this.timeout(60_000);
  const plan = timelyCalibrationPlan(['q1', 'q5']);

  it('holds out W = 3 and rates the calibration does not use', () => {
    const key = (p: { parallelism: Record<string, number>; rate: number; overload: boolean }): string => `${workersOf(p.parallelism)}@${p.overload ? 'overload' : p.rate}`;
    const cal = new Set(plan.blocks.flatMap((b) => b.points.map(key)));
    const held = timelyFidelityPlan(['q1', 'q5']).blocks.flatMap((b) => b.points.map(key));
    assert.ok(held.length >= 5);
    for (const k of held) assert.equal(cal.has(k), false, `${k} is held out`);
    assert.ok(held.some((k) => k.startsWith('3@')), 'W = 3 is held out');
  });

  it('recovers known costs, their growth with the rate and the machine from simulated runs', async () => {
    const measured = await simulateTimelyPlan(plan, truth);
    const lin = fitTimelyLinear(plan, measured);
    const near = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol * Math.abs(b), `${what}: ${a} vs ${b}`);
    near(lin.costs['nexmark-q5']?.hotCount ?? 0, 1.5, 0.1, 'hotCount cost');
    near(lin.costs['nexmark-q1']?.currency ?? 0, 0.15, 0.1, 'currency cost');
    near(lin.growth['nexmark-q5']?.hotCount ?? 0, 0.01, 0.15, 'hotCount growth');
    const fit = await fitTimely(plan, measured, 2, 0.1);
    checkTimelyTerms(fit.terms, 'fitted');
    assert.ok(Math.abs(fit.terms.backgroundCores - 0.3) <= 0.2, `background cores ${fit.terms.backgroundCores}`);
    assert.ok(fit.diagnostics.busyError < 0.1, `busy error on the calibration points ${fit.diagnostics.busyError}`);
    assert.ok(fit.diagnostics.sustainableRateError < 0.1, `sustainable-rate error ${fit.diagnostics.sustainableRateError}`);
  });

  it('an overload point is a capacity only when the job fell behind and did not collapse below what it sustained', () => {
    // As measured on real Timely (q5): at W = 1, 230,563/s under the 10M/s overload against 257,362/s sustained at
    // 250,000/s (collapsed); at W = 2, 8,764,721/s (a capacity); q1 kept up with the overload rate (censored).
    const m = (block: string, w: number, rate: number, achieved: number, overload: boolean): Measurement => ({
      block,
      job: block,
      parallelism: { source: w, op: w },
      rate,
      overload,
      windows: 2,
      achieved,
      operators: { op: { p: w, busy: 100, busyMax: 100, bp: 0, recordsIn: achieved, recordsOut: achieved } },
    });
    const q5w1 = m('q5', 1, 10_000_000, 230_563, true);
    const q5w2 = m('q5', 2, 10_000_000, 8_764_721, true);
    const q1w1 = m('q1', 1, 10_000_000, 10_000_149, true);
    const all = [m('q5', 1, 250_000, 257_362, false), q5w1, m('q5', 2, 250_000, 250_058, false), q5w2, m('q1', 1, 250_000, 250_025, false), q1w1];
    assert.deepEqual([...collapsed(all)], [q5w1]);
    assert.deepEqual(capacityPoints(all), [q5w2]);
    // Without the unsaturated point of its configuration an overload point cannot be told collapsed.
    assert.deepEqual(capacityPoints([q5w1]), [q5w1]);
  });

  it('logging overhead is the share of the sustainable rate logging costs', () => {
    const m = { job: 'nexmark-q1', workers: 1, seconds: 6, sustainedOn: 900_000, sustainedOff: 1_000_000, loadAverage: [1, 1, 1] };
    assert.ok(Math.abs(loggingOverheadOf(m) - 0.1) < 1e-9);
    assert.equal(loggingOverheadOf({ ...m, sustainedOn: 1_100_000 }), 0, 'never negative');
  });
});
