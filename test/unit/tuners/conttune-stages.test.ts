/** ContTune's stages called alone (big.ts, small.ts, controller.ts) on hand-built inputs, expected values by hand. */
import assert from 'node:assert/strict';
import type { Decision } from '../../../src/core/decision.js';
import { big } from '../../../src/tuners/conttune/big.js';
import { catchUpGate } from '../../../src/tuners/conttune/controller.js';
import { options } from '../../../src/tuners/conttune/index.js';
import { avoidBottlenecked } from '../../../src/tuners/conttune/small.js';
import { configurationKey } from '../../../src/tuners/conttune/state.js';
import { chain, snapshot, viewOf } from '../../fixtures/snapshots.js';

const opts = options.parse({});
const job = chain('c', 'src:source', 'map:map', 'sink:sink');
const small4 = chain('s', { id: 'src', type: 'source', maxParallelism: 4 }, { id: 'map', type: 'map', maxParallelism: 4 }, { id: 'sink', type: 'sink', maxParallelism: 4 });
const parallelismOf = (d: Decision) => (d.kind === 'rescale' ? d.parallelism : undefined);

function viewWith(j: typeof job, p: Record<string, number>, rate = 1000) {
  const s = snapshot({
    operators: { src: { parallelism: p.src ?? 1, recordsIn: rate, busy: 0.1 }, map: { parallelism: p.map ?? 1, recordsIn: rate, busy: 0.9 }, sink: { parallelism: p.sink ?? 1, recordsIn: rate, busy: 0.1 } },
    sources: { src: { targetRate: rate } },
  });
  return viewOf({ job: j, snapshot: s, parallelism: p });
}

describe('ContTune Big (Algorithm 1), alone', () => {
  it('every operator to p_max; p_max doubles once every operator is there', () => {
    const up = big(viewWith(job, { src: 1, map: 2, sink: 1 }), { pMax: 2, bottlenecked: new Map(), shared: false });
    assert.deepEqual([parallelismOf(up.decision), up.pMax, up.started], [{ src: 2, map: 2, sink: 2 }, 2, true]);
    const doubled = big(viewWith(job, { src: 2, map: 2, sink: 2 }), { pMax: 2, bottlenecked: new Map(), shared: false });
    assert.deepEqual([parallelismOf(doubled.decision), doubled.pMax], [{ src: 4, map: 4, sink: 4 }, 4]);
  });

  it('doubles past a p_max seen under-provisioned at this rate (2 -> 4 seen -> 8), not at another rate', () => {
    const seen = new Map([[configurationKey(1000, { src: 4, map: 4, sink: 4 }, false), ['map']]]);
    const r = big(viewWith(job, { src: 2, map: 2, sink: 2 }), { pMax: 2, bottlenecked: seen, shared: false });
    assert.deepEqual([parallelismOf(r.decision), r.pMax], [{ src: 8, map: 8, sink: 8 }, 8]);
    const other = big(viewWith(job, { src: 2, map: 2, sink: 2 }, 2000), { pMax: 2, bottlenecked: seen, shared: false });
    assert.equal(other.pMax, 4);
  });

  it('at the limit (max parallelism 4, every operator at 4) it keeps: infeasible, and the tuning does not start', () => {
    const r = big(viewWith(small4, { src: 4, map: 4, sink: 4 }), { pMax: 4, bottlenecked: new Map(), shared: false });
    assert.deepEqual([r.decision.kind, r.pMax, r.started], ['keep', 4, false]);
    assert.match(r.decision.reason, /p_max = 4 \(the limit\)/);
  });
});

describe('ContTune Small: moving off configurations seen under-provisioned, alone', () => {
  it("raises that observation's busiest raisable bottleneck by one, and again while the result was seen too", () => {
    const seen = new Map<string, readonly string[]>([
      [configurationKey(1000, { src: 1, map: 2, sink: 1 }, false), ['map']],
      [configurationKey(1000, { src: 1, map: 3, sink: 1 }, false), ['sink', 'map']],
    ]);
    assert.deepEqual(avoidBottlenecked(job, 1000, { src: 1, map: 2, sink: 1 }, seen, false), { src: 1, map: 3, sink: 2 });
    assert.deepEqual(avoidBottlenecked(job, 1000, { src: 1, map: 5, sink: 1 }, seen, false), { src: 1, map: 5, sink: 1 });
    // Every operator at its max (4) and seen: nothing reachable.
    const full = new Map([[configurationKey(1000, { src: 4, map: 4, sink: 4 }, false), ['map']]]);
    assert.equal(avoidBottlenecked(small4, 1000, { src: 4, map: 4, sink: 4 }, full, false), undefined);
  });
});

describe('ContTune catch-up gate, alone', () => {
  const draining = (achieved: number, lag: number) =>
    snapshot({ operators: { src: { parallelism: 1, recordsIn: achieved, busy: 0.4, backpressure: 0.5 }, map: { parallelism: 1, recordsIn: achieved, busy: 0.95 } }, sources: { src: { targetRate: 1000, achievedRate: achieved, lagRecords: lag } } });

  it('waits while a backlog drains: 5000 records at a surplus of 100/s = 50 s <= maxCatchUpSec 300', () => {
    const g = catchUpGate(draining(1100, 5000), 0, 'big', job, opts, false);
    assert.deepEqual(g, { kind: 'wait', reason: 'ContTune: draining a backlog (1100/s for a target of 1000/s, ~50 s to go)', settling: 6 });
  });

  it('in the Big phase a drain of 100000 / 100 = 1000 s > 300 s, backpressured with the CPU stressed (map 0.95), goes on with Big; after Small it waits', () => {
    assert.deepEqual(catchUpGate(draining(1100, 100_000), 0, 'big', job, opts, false), { kind: 'big', settling: 0 });
    assert.equal(catchUpGate(draining(1100, 100_000), 0, 'small', job, opts, false).kind, 'wait');
  });

  it('after the drain: one window fewer to wait while backpressured with the sources keeping up; classify otherwise', () => {
    const bp = snapshot({ operators: { src: { parallelism: 1, recordsIn: 1000, busy: 0.2, backpressure: 0.5 }, map: { parallelism: 1, recordsIn: 1000, busy: 0.7 } }, sources: { src: { targetRate: 1000 } } });
    assert.deepEqual(catchUpGate(bp, 6, 'small', job, opts, false), { kind: 'wait', reason: 'ContTune: the sources caught up; the in-flight buffers still drain', settling: 5 });
    const calm = snapshot({ operators: { src: { parallelism: 1, recordsIn: 1000, busy: 0.2 }, map: { parallelism: 1, recordsIn: 1000, busy: 0.7 } }, sources: { src: { targetRate: 1000 } } });
    assert.deepEqual(catchUpGate(calm, 6, 'small', job, opts, false), { kind: 'classify', settling: 0 });
  });
});
