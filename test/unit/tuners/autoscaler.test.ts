import assert from 'node:assert/strict';
import type { Decision } from '../../../src/core/decision.js';
import type { Parallelism } from '../../../src/core/parallelism.js';
import { create, options, resolveConfig } from '../../../src/tuners/autoscaler/index.js';
import { seconds } from '../../../src/tuners/autoscaler/duration.js';
import { targetProcessingCapacity, type EvaluatedVertex } from '../../../src/tuners/autoscaler/evaluator.js';
import { computeScaleTargetParallelism, DelayedScaleDown, observedScalingCoefficient, scale } from '../../../src/tuners/autoscaler/scaler.js';
import type { Tuner } from '../../../src/tuners/tuner.js';
import { chain, snapshot, viewOf, type OpInput } from '../../fixtures/snapshots.js';

const timeScaled = (o: Record<string, unknown> = {}) => create(options.parse({ profile: 'time-scaled', ...o }));
const job = chain('c', 'src:source', 'map:map', 'sink:sink');
const cfg = resolveConfig(options.parse({}));

/** Feeds one 10 s window per call at clock t, with the operators built by ops(t). */
function feed(t: Tuner, p: Parallelism, clocks: number[], ops: (clock: number) => Record<string, OpInput>, lag: (clock: number) => number, target = 1000): Decision[] {
  return clocks.map((clock) => {
    const s = snapshot({ time: clock, windowSeconds: 10, operators: ops(clock), sources: { src: { targetRate: target, lagRecords: lag(clock) } } });
    return t.decide(viewOf({ job, snapshot: s, parallelism: p, clock })) as Decision;
  });
}
const range = (from: number, to: number, step = 10) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

describe('autoscaler options', () => {
  it('keeps Flink key names and defaults; durations parse', () => {
    const o = options.parse({});
    assert.equal(o['job.autoscaler.utilization.target'], 0.7);
    assert.equal(o['job.autoscaler.metrics.window'], '15 min');
    assert.deepEqual([cfg.stabilizationSec, cfg.metricsWindowSec, cfg.scaleDownIntervalSec, cfg.catchUpSec, cfg.restartSec], [300, 900, 3600, 1800, 300]);
    const ts = resolveConfig(options.parse({ profile: 'time-scaled' }));
    assert.deepEqual([ts.stabilizationSec, ts.metricsWindowSec, ts.scaleDownIntervalSec], [30, 60, 120]);
    assert.equal(seconds('300ms'), 0.3);
    assert.equal(seconds('2 min'), 120);
    assert.equal(seconds(45), 45);
    assert.throws(() => options.parse({ 'job.autoscaler.metrics.window': '60' }));
    assert.throws(() => options.parse({ 'job.autoscaler.no.such.key': 1 }));
    assert.equal(resolveConfig(options.parse({ 'job.autoscaler.target.utilization': 0.6 })).targetUtilization, 0.6);
  });
});

describe('autoscaler evaluation and per-vertex formula', () => {
  // map (p=2) saturated: it reads 800/s at busy 1.0 while the source is asked 1000/s and its lag grows 200/s.
  const ops = (): Record<string, OpInput> => ({
    src: { parallelism: 1, recordsIn: 800, busy: 0.16, backpressure: 0.84 },
    map: { parallelism: 2, recordsIn: 800, busy: 1 },
    sink: { parallelism: 1, recordsIn: 800, busy: 0.1 },
  });
  const p = { src: 1, map: 2, sink: 1 };

  it('waits through stabilisation and the metric window, then scales the saturated vertex', () => {
    const t = timeScaled();
    const ds = feed(t, p, range(10, 90), ops, (c) => 200 * c);
    // t < 30: stabilising; 30..80: collecting; 90: the window [30, 90] is full.
    ds.slice(0, -1).forEach((d) => assert.ok(d.kind === 'wait', d.reason));
    const d = ds[ds.length - 1] as Decision;
    // TARGET(src) = 800 + (18000 - 6000)/60 = 1000/s; CATCH_UP = 18000/1800 = 10/s; edge ratio 1 -> map likewise.
    // capacity(0.7, restart) = round(10 + 1000*300/1800 + 1000/0.7) = 1605; TPR(map) = 800/1.0 = 800;
    // factor = 2.00625 -> ceil(2 * 2.00625) = 5. Scale-up threshold round(10 + 1000/1.0) = 1010 > 800: outside.
    // src: factor 1605/5000 -> clamped to 0.4 -> ceil(0.4) = 1; sink: TPR 8000 -> 1. Unchanged.
    assert.equal(d.kind, 'rescale');
    if (d.kind === 'rescale') assert.deepEqual(d.parallelism, { src: 1, map: 5, sink: 1 });
  });

  it('after the rescale it stabilises again from the rescale time', () => {
    const t = timeScaled();
    feed(t, p, range(10, 90), ops, (c) => 200 * c);
    const next = { src: 1, map: 5, sink: 1 };
    const healthy = (): Record<string, OpInput> => ({
      src: { parallelism: 1, recordsIn: 1000, busy: 0.2 },
      // TPR 1000/0.6 = 1667: factor 1595/1667 = 0.957 -> ceil(4.79) = 5, inside the bounds
      map: { parallelism: 5, recordsIn: 1000, busy: 0.6 },
      sink: { parallelism: 1, recordsIn: 1000, busy: 0.125 },
    });
    const ds = feed(t, next, range(100, 180), healthy, () => 0);
    // restart at 90 -> stable at 120 -> window full at 180
    ds.slice(0, -1).forEach((d, i) => assert.ok(d.kind === 'wait', `t=${100 + 10 * i}: ${d.kind} ${d.reason}`));
    assert.equal(ds[ds.length - 1]?.kind, 'keep');
    assert.ok((ds[ds.length - 1] as Decision).kind !== 'wait');
  });

  it('target capacity formula (AutoScalerUtils)', () => {
    const v = { targetDataRate: 1000, catchUpDataRate: 10 };
    assert.equal(targetProcessingCapacity(v, cfg, 0.7, true), 1605);
    assert.equal(targetProcessingCapacity(v, cfg, 1, false), 1010);
    assert.equal(targetProcessingCapacity(v, cfg, 0, true), Infinity);
    assert.ok(Number.isNaN(targetProcessingCapacity({ targetDataRate: NaN, catchUpDataRate: 0 }, cfg, 0.7, true)));
  });

  it('observed TPR replaces a busy-time TPR that is 15 % too high while a source catches up', () => {
    // The source reads 500/s at busy 0.1 (busy-time TPR 5000/s) but is backpressured 0.5 (observed 1000/s); its
    // lag (40000 > 30 s * 500) makes it measure the observed TPR.
    const t = timeScaled({ 'job.autoscaler.catch-up.duration': 0 });
    const src = (): Record<string, OpInput> => ({
      src: { parallelism: 2, recordsIn: 500, busy: 0.1, backpressure: 0.5 },
      map: { parallelism: 1, recordsIn: 500, busy: 0.5 },
      sink: { parallelism: 1, recordsIn: 500, busy: 0.1 },
    });
    const ds = feed(t, { src: 2, map: 1, sink: 1 }, range(30, 90), src, () => 40000, 500);
    const d = ds[ds.length - 1] as Decision;
    // TARGET(src) = 500 (lag constant); capacity(0.7) = round(500/0.7) = 714; TPR = 1000 -> factor 0.714 -> p 2 -> 2.
    // map: TPR = 500/0.5 = 1000, factor 0.714 -> ceil(0.714) = 1. Nothing changes.
    assert.ok(d.kind === 'keep', d.reason);
    const tBusy = timeScaled({ 'job.autoscaler.catch-up.duration': 0, 'job.autoscaler.observed-true-processing-rate.switch-threshold': 100 });
    // Without the switch, the source's TPR is 5000/s: factor 0.143 -> clamped 0.4 -> ceil(0.8) = 1 < 2: a scale-down
    // proposal outside the bounds (5000 > round(500/0.4) = 1250), delayed by scale-down.interval.
    const db = feed(tBusy, { src: 2, map: 1, sink: 1 }, range(30, 90), src, () => 40000, 500);
    assert.match((db[db.length - 1] as Decision).reason, /src: scale-down to 1 delayed/);
  });
});

describe('autoscaler key-group alignment (JobVertexScaler.scale)', () => {
  it('EVENLY_SPREAD rounds a keyed vertex up to a divisor of its max parallelism', () => {
    assert.equal(scale(2, ['hash'], 0, 128, 2.00625, 1, 200, 'EVENLY_SPREAD'), 8);
    assert.equal(scale(2, ['forward'], 0, 128, 2.00625, 1, 200, 'EVENLY_SPREAD'), 5);
    assert.equal(scale(2, ['hash'], 0, 120, 2.00625, 1, 200, 'EVENLY_SPREAD'), 5);
  });
  it('MAXIMIZE_UTILISATION takes the first p with fewer key groups per subtask', () => {
    // 128 / 5 = 25 groups; p = 6 gives 21 < 25.
    assert.equal(scale(2, ['hash'], 0, 128, 2.00625, 1, 200, 'MAXIMIZE_UTILISATION'), 6);
  });
  it('never inverts the scaling direction, and respects the bounds', () => {
    assert.equal(scale(12, ['hash'], 0, 128, 0.8, 1, 200, 'EVENLY_SPREAD'), 10);
    assert.equal(scale(10, ['hash'], 0, 128, 0.75, 1, 200, 'EVENLY_SPREAD'), 8);
    assert.equal(scale(4, ['forward'], 0, 6, 10, 1, 200, 'EVENLY_SPREAD'), 6);
    assert.equal(scale(4, ['forward'], 0, 128, 10, 1, 7, 'EVENLY_SPREAD'), 7);
    assert.equal(scale(4, ['forward'], 0, 128, 0.1, 3, 200, 'EVENLY_SPREAD'), 3);
  });
});

describe('autoscaler scale-down delay', () => {
  const vertex = (p: number, tpr: number): EvaluatedVertex => ({
    parallelism: p,
    maxParallelism: 128,
    isSource: false,
    targetDataRate: 1000,
    catchUpDataRate: 0,
    trueProcessingRate: tpr,
    tprSource: 'busy-time',
    load: 0.1,
    scaleUpRateThreshold: 1000,
    scaleDownRateThreshold: 2667,
  });
  const c = { ...cfg, scaleDownIntervalSec: 120 };

  it('holds proposals for the interval, then scales to the maximum proposed within it', () => {
    const delayed = new DelayedScaleDown();
    const at = (now: number, tpr: number) => computeScaleTargetParallelism({ vertex: 'map', evaluated: vertex(4, tpr), inputShipStrategies: ['forward'], history: [], now }, delayed, c);
    // capacity(0.7, restart) = round(1000*300/1800 + 1000/0.7) = 1595. TPR 10000 -> 0.4 -> 2; TPR 2127 -> 0.75 -> 3.
    assert.equal(at(0, 10000).change, undefined);
    assert.equal(at(30, 2127).change, undefined);
    assert.equal(at(60, 10000).change, undefined);
    assert.equal(at(119, 10000).change, undefined);
    // the window's maximum, 3, with the bound flag recorded with it (TPR 2127 is inside [1000, 2667])
    assert.deepEqual(at(120, 10000).change, { newParallelism: 3, outsideUtilizationBound: false });
  });

  it('a proposal at or above the current parallelism cancels the pending scale-down', () => {
    const delayed = new DelayedScaleDown();
    const at = (now: number, tpr: number) => computeScaleTargetParallelism({ vertex: 'map', evaluated: vertex(4, tpr), inputShipStrategies: ['forward'], history: [], now }, delayed, c);
    at(0, 10000);
    assert.deepEqual(delayed.pending(), ['map']);
    assert.equal(at(60, 1595 / 1.0).change, undefined); // factor 1 -> p stays 4: cleared
    assert.deepEqual(delayed.pending(), []);
    assert.equal(at(130, 10000).change, undefined); // a new timer starts at 130
    assert.deepEqual(at(250, 10000).change, { newParallelism: 2, outsideUtilizationBound: true });
  });

  it('decide(): no scale-down before the interval has passed (time-scaled and default cadences)', () => {
    const low = (): Record<string, OpInput> => ({
      src: { parallelism: 1, recordsIn: 1000, busy: 0.1 },
      map: { parallelism: 4, recordsIn: 1000, busy: 0.1 },
      sink: { parallelism: 1, recordsIn: 1000, busy: 0.1 },
    });
    const p = { src: 1, map: 4, sink: 1 };
    const t = timeScaled();
    // window full at 90: first proposal (map 4 -> 2) starts the 120 s timer; no scale-down before t = 210.
    const ds = feed(t, p, range(10, 210), low, () => 0);
    ds.slice(0, -1).forEach((d, i) => assert.ok(d.kind === 'wait', `t=${10 + 10 * i}: ${d.reason}`));
    const last = ds[ds.length - 1] as Decision;
    assert.equal(last.kind, 'rescale');
    if (last.kind === 'rescale') assert.deepEqual(last.parallelism, { src: 1, map: 2, sink: 1 });

    const slow = create(options.parse({}));
    // default: stabilisation 300 s + window 900 s -> first evaluation at 1200 s, scale-down not before 4800 s.
    const dd = feed(slow, p, range(60, 4800, 60), low, () => 0);
    dd.slice(0, -1).forEach((d) => assert.ok(d.kind === 'wait', d.reason));
    assert.equal(dd[dd.length - 1]?.kind, 'rescale');
  });
});

describe('autoscaler observed scalability coefficient', () => {
  it('least squares over the scaling history, clamped to [coefficient-min, 1], rounded up to 2 decimals', () => {
    const c = { ...cfg, observedScalabilityMinObservations: 3 };
    const h = (p: number, tpr: number) => ({ time: p, currentParallelism: p, newParallelism: p + 1, trueProcessingRate: tpr, expectedProcessingRate: 0 });
    assert.equal(observedScalingCoefficient([h(1, 100), h(2, 200)], c), 1);
    // baseline 100 at p = 1; alpha = (1*100 + 2*150 + 4*240) / ((1 + 4 + 16) * 100) = 1360 / 2100 = 0.6476 -> 0.65
    assert.equal(observedScalingCoefficient([h(1, 100), h(2, 150), h(4, 240)], c), 0.65);
    assert.equal(observedScalingCoefficient([h(1, 100), h(2, 50), h(4, 40)], c), 0.5);
  });
});
