import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/random.js';
import { fromJobGraph, ged, gedDistance, type LabelledGraph } from '../../../src/graph/ged.js';
import { editDag } from '../../../src/corpus/families.js';
import { syntheticJob } from '../../../src/workloads/synthetic/generator.js';

const dag = (seed: number, n: number): LabelledGraph => fromJobGraph(syntheticJob({ seed: Math.imul(seed + 1, 0x9e3779b1) >>> 0, minOperators: n, maxOperators: n }).job);

describe('graph/ged: beam refinement of the approximation', () => {
  const rng = new Rng(14);
  const pairs: [LabelledGraph, LabelledGraph][] = Array.from({ length: 30 }, (_, i) => {
    const a = dag(i, rng.int(6, 10));
    return i % 2 === 0 ? [a, dag(i + 100, rng.int(6, 10))] : [a, editDag(a, rng.int(1, 4), rng)];
  });

  it('is an upper bound: never below the exact GED, never above the approximation without it', () => {
    for (const [a, b] of pairs) {
      const exact = gedDistance(a, b, { method: 'exact' });
      const plain = gedDistance(a, b, { method: 'approx', approxBeam: 0 });
      const beam = ged(a, b, { method: 'approx', approxBeam: 64 });
      assert.ok(beam.distance >= exact - 1e-9, `beam ${beam.distance} < exact ${exact}`);
      assert.ok(beam.distance <= plain + 1e-9, `beam ${beam.distance} > plain ${plain}`);
      assert.ok(beam.lowerBound <= exact + 1e-9);
    }
  });

  it('finds the exact value on most of these pairs, and is symmetric', () => {
    let hits = 0;
    for (const [a, b] of pairs) {
      const d = gedDistance(a, b, { method: 'approx' });
      assert.equal(d, gedDistance(b, a, { method: 'approx' }));
      if (d === gedDistance(a, b, { method: 'exact' })) hits++;
    }
    assert.ok(hits >= 0.8 * pairs.length, `${hits} of ${pairs.length}`);
  });

  it('a job and a small edit of it are close: at most 4 cost units per edit', () => {
    const r = new Rng(3);
    for (let i = 0; i < 10; i++) {
      const a = dag(200 + i, r.int(15, 25));
      const edits = r.int(1, 3);
      const b = editDag(a, edits, r);
      assert.ok(gedDistance(a, b) <= 4 * edits, `${gedDistance(a, b)} > ${4 * edits}`);
    }
  });

  it('rejects a negative beam width', () => {
    assert.throws(() => gedDistance(pairs[0]![0], pairs[0]![1], { approxBeam: -1 }), /approxBeam/);
  });
});
