/** The autoscaler's stages called alone (collector.ts, executor.ts) on hand-built inputs, expected values by hand. */
import assert from 'node:assert/strict';
import type { Decision } from '../../../src/core/decision.js';
import type { Parallelism } from '../../../src/core/parallelism.js';
import { collect, EMPTY_COLLECTOR, type CollectorState } from '../../../src/tuners/autoscaler/collector.js';
import type { EvaluatedMetrics, EvaluatedVertex } from '../../../src/tuners/autoscaler/evaluator.js';
import { instanceEquivalents, scaleWorkers, WORKERS } from '../../../src/tuners/autoscaler/executor.js';
import { options, resolveConfig } from '../../../src/tuners/autoscaler/index.js';
import { DelayedScaleDown } from '../../../src/tuners/autoscaler/scaler.js';
import { chain, snapshot, viewOf } from '../../fixtures/snapshots.js';

// time-scaled: stabilisation 30 s, metric window 60 s, scale-down interval 120 s; utilisation target 0.7.
const cfg = resolveConfig(options.parse({ profile: 'time-scaled' }));
const job = chain('c', 'src:source', 'map:map', 'sink:sink');
const p1: Parallelism = { src: 1, map: 1, sink: 1 };

function viewAt(clock: number, p: Parallelism, sharedWorkers = false) {
  const w = Math.max(...Object.values(p));
  const s = snapshot({
    time: clock,
    operators: { src: { parallelism: p.src ?? w, recordsIn: 100, busy: 0.1 }, map: { parallelism: p.map ?? w, recordsIn: 100, busy: 0.5 }, sink: { parallelism: p.sink ?? w, recordsIn: 100, busy: 0.1 } },
    sources: { src: { targetRate: 100 } },
  });
  return viewOf({ job, snapshot: s, parallelism: p, clock, sharedWorkers });
}

describe('autoscaler collector (metric window and stabilisation), alone', () => {
  it('keeps nothing until 30 s after the start, is full 60 s later, and never changes the state it was given', () => {
    let state: CollectorState = EMPTY_COLLECTOR;
    const first = collect(state, viewAt(10, p1), cfg);
    assert.deepEqual([first.full, first.reason, first.state.samples.length], [false, 'stabilizing until t=30s', 0]);
    state = first.state;
    const at40 = collect(state, viewAt(40, p1), cfg);
    assert.deepEqual([at40.full, at40.reason], [false, 'collecting metrics until t=90s (1 samples)']);
    assert.equal(state.samples.length, 0, 'the previous state is not changed');
    state = at40.state;
    for (const t of [50, 60, 70, 80]) state = collect(state, viewAt(t, p1), cfg).state;
    const at90 = collect(state, viewAt(90, p1), cfg);
    // The window [90 - 60, 90) keeps the samples at 40..80, and the one at 90 joins: 6 samples, full.
    assert.deepEqual([at90.full, at90.reason, at90.state.samples.map((s) => s.time)], [true, '', [40, 50, 60, 70, 80, 90]]);
    assert.equal(state.samples.length, 5);
  });

  it('a new deployment drops the samples and runs from the rescale (or, unasked, from the start of its window)', () => {
    let state: CollectorState = EMPTY_COLLECTOR;
    for (const t of [40, 50]) state = collect(state, viewAt(t, p1), cfg).state;
    const p2 = { src: 1, map: 2, sink: 1 };
    const asked = collect({ ...state, rescaledAt: 55 }, viewAt(60, p2), cfg);
    assert.deepEqual([asked.full, asked.reason, asked.state.runningSince, asked.state.samples.length, asked.state.rescaledAt], [false, 'stabilizing until t=85s', 55, 0, undefined]);
    const unasked = collect(state, viewAt(60, p2), cfg);
    assert.deepEqual([unasked.reason, unasked.state.runningSince], ['stabilizing until t=80s', 50]);
  });
});

function vertex(parallelism: number, targetDataRate: number, trueProcessingRate: number, bounds: [number, number]): EvaluatedVertex {
  return { parallelism, maxParallelism: 128, isSource: false, targetDataRate, catchUpDataRate: 0, trueProcessingRate, tprSource: 'busy-time', load: 0.5, scaleUpRateThreshold: bounds[0], scaleDownRateThreshold: bounds[1] };
}

describe('autoscaler scaling decision on shared workers, alone', () => {
  it('W = ceil(sum p x TARGET / (0.7 x TPR)): 4 x 1000/(0.7 x 2000) + 4 x 1000/(0.7 x 700) + 4 (no TPR) = 15.02 -> 16', () => {
    const evaluated: EvaluatedMetrics = {
      vertices: { src: vertex(4, 1000, 2000, [1010, 3000]), map: vertex(4, 1000, 700, [1010, 3000]), sink: vertex(4, 1000, NaN, [1010, 3000]) },
      processingBacklog: false,
    };
    const view = viewAt(500, { src: 4, map: 4, sink: 4 }, true);
    const raw = instanceEquivalents(view, evaluated, cfg);
    assert.ok(Math.abs((raw.src as number) - 4000 / 1400) < 1e-12 && Math.abs((raw.map as number) - 4000 / 490) < 1e-12 && raw.sink === 4);
    const delayed = new DelayedScaleDown();
    const { decision, scaled } = scaleWorkers(view, evaluated, delayed, cfg);
    assert.equal(decision.kind, 'rescale');
    assert.deepEqual((decision as Extract<Decision, { kind: 'rescale' }>).parallelism, { src: 16, map: 16, sink: 16 });
    assert.equal(decision.reason, 'autoscaler: 4 -> 16 workers');
    assert.deepEqual(scaled, []);
  });

  it('a scale-down waits out the 120 s interval from its first proposal, then takes the window maximum', () => {
    // 8 workers, each vertex 8 x 700 / (0.7 x 4000) = 2, the sink without input (TPR +inf): 0. W = 4, the floor
    // ceil(8 x 0.4) = 4 allows it; TPR 4000 > the scale-down threshold 3000: outside the bounds.
    const evaluated: EvaluatedMetrics = {
      vertices: { src: vertex(8, 700, 4000, [500, 3000]), map: vertex(8, 700, 4000, [500, 3000]), sink: vertex(8, 700, Infinity, [500, 3000]) },
      processingBacklog: false,
    };
    const p8 = { src: 8, map: 8, sink: 8 };
    const delayed = new DelayedScaleDown();
    const first = scaleWorkers(viewAt(1000, p8, true), evaluated, delayed, cfg).decision;
    assert.deepEqual([first.kind, first.reason], ['wait', 'autoscaler: scale-down to 4 workers delayed until t=1120s']);
    assert.equal(delayed.firstTriggerTime(WORKERS), 1000);
    const early = scaleWorkers(viewAt(1110, p8, true), evaluated, delayed, cfg).decision;
    assert.equal(early.kind, 'wait');
    const due = scaleWorkers(viewAt(1130, p8, true), evaluated, delayed, cfg).decision;
    assert.equal(due.kind, 'rescale');
    assert.deepEqual((due as Extract<Decision, { kind: 'rescale' }>).parallelism, { src: 4, map: 4, sink: 4 });
  });
});
