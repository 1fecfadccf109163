import assert from 'node:assert/strict';
import { workerCount } from '../../../src/core/parallelism.js';
import { backpressureShare, maxBusyFraction } from '../../../src/tuners/shared/metrics.js';
import { deployedWorkers, maxWorkers, reduceToWorkers, workersDecision, workersParallelism } from '../../../src/tuners/shared/workers.js';
import { chain, op } from '../../fixtures/snapshots.js';

describe('tuners/shared: Timely reduction', () => {
  const job = chain('t', 'src:source', { id: 'map', type: 'map', maxParallelism: 16 }, 'sink:sink');

  it('W = ceil(sum of un-rounded per-operator values), every operator at W', () => {
    const p = reduceToWorkers(job, { src: 0.4, map: 2.25, sink: 1.3 });
    assert.equal(workerCount({ src: 0.4, map: 2.25, sink: 1.3 }), 4);
    assert.deepEqual(p, { src: 4, map: 4, sink: 4 });
  });

  it('an exact sum is not rounded up by float noise, and missing operators count 0', () => {
    assert.deepEqual(reduceToWorkers(job, { src: 0.1, map: 0.2, sink: 2.7 }), { src: 3, map: 3, sink: 3 });
    assert.deepEqual(reduceToWorkers(job, { map: 2 }), { src: 2, map: 2, sink: 2 });
  });

  it('W is at least 1; an operator whose max parallelism is below W is written at its max (the engine runs the max)', () => {
    assert.deepEqual(reduceToWorkers(job, { src: 0, map: 0, sink: 0 }), { src: 1, map: 1, sink: 1 });
    assert.equal(maxWorkers(job), 128);
    const p = workersParallelism(job, 40);
    assert.deepEqual(p, { src: 40, map: 16, sink: 40 });
    assert.equal(deployedWorkers(p), 40);
    assert.deepEqual(workersParallelism(job, 400), { src: 128, map: 16, sink: 128 });
  });

  it('workersDecision compares worker counts, not vectors', () => {
    // The engine reports W everywhere (map at 20 > its max 16 after normalisation); 20 workers again is a keep.
    const deployed = { src: 20, map: 20, sink: 20 };
    const same = workersDecision(job, deployed, 19.2, 'x');
    assert.equal(same.kind, 'keep');
    const up = workersDecision(job, deployed, 24, 'x');
    assert.ok(up.kind === 'rescale' && deployedWorkers(up.parallelism) === 24 && up.parallelism.map === 16);
  });
});

describe('tuners/shared: metric readings', () => {
  it('bpPer = bp / (bp + idle + busy) and the busiest subtask busy fraction', () => {
    const m = op({ parallelism: 2, recordsIn: 10, busy: 0.3, backpressure: 0.5, busyMax: 0.9 });
    assert.ok(Math.abs(backpressureShare(m) - 0.5) < 1e-12);
    assert.equal(maxBusyFraction(m), 0.9);
  });
});
