import assert from 'node:assert/strict';
import { JobGraph, JobValidationError, type JobSpec } from '../../../src/core/job.js';
import { validateParallelism } from '../../../src/core/parallelism.js';

const base = (): JobSpec => ({
  name: 'j',
  operators: [
    { id: 'src', type: 'source' },
    { id: 'm', type: 'map' },
    { id: 'k', type: 'sink' },
  ],
  edges: [
    { from: 'src', to: 'm' },
    { from: 'm', to: 'k' },
  ],
});

function rejects(mutate: (s: JobSpec) => void, pattern: RegExp): void {
  const s = base();
  mutate(s);
  assert.throws(() => JobGraph.create(s), (e: unknown) => e instanceof JobValidationError && pattern.test(e.message));
}

describe('JobGraph validation names the operator at fault', () => {
  it('accepts a valid job and orders it topologically', () => {
    const j = JobGraph.create(base());
    assert.deepEqual(j.operatorIds, ['src', 'm', 'k']);
    assert.deepEqual(j.loadFactors(), { src: 1, m: 1, k: 1 });
  });
  it('a cycle', () => rejects((s) => {
    s.operators.push({ id: 'n', type: 'map' });
    s.edges.push({ from: 'm', to: 'n' }, { from: 'n', to: 'm' });
  }, /cycle through operator 'm'/));
  it('an unknown operator type', () => rejects((s) => ((s.operators[1] as { type: string }).type = 'mapp'), /operator 'm': unknown operator type 'mapp'/));
  it('a negative cost', () => rejects((s) => ((s.operators[1] as { cost?: number }).cost = -1), /operator 'm': cost must be a number >= 0/));
  it('a selectivity below 0', () => rejects((s) => ((s.operators[1] as { selectivity?: number }).selectivity = -0.5), /operator 'm': selectivity/));
  it('an edge to a missing operator', () => rejects((s) => s.edges.push({ from: 'm', to: 'ghost' }), /missing operator 'ghost'/));
  it('a parallelism outside [1, max]', () => {
    const j = JobGraph.create({ ...base(), operators: base().operators.map((o) => ({ ...o, maxParallelism: 4 })) });
    assert.throws(() => validateParallelism(j, { src: 1, m: 5, k: 1 }), /operator 'm' has parallelism 5, outside \[1, 4\]/);
    assert.throws(() => validateParallelism(j, { src: 0, m: 1, k: 1 }), /operator 'src' has parallelism 0/);
  });
  it('composes selectivities and edge shares into load factors', () => {
    const j = JobGraph.create({
      name: 'x',
      operators: [
        { id: 's', type: 'source' },
        { id: 'f', type: 'filter', selectivity: 0.5 },
        { id: 'g', type: 'flatMap', selectivity: 3 },
        { id: 'j', type: 'join' },
        { id: 'k', type: 'sink' },
      ],
      edges: [
        { from: 's', to: 'f' },
        { from: 's', to: 'g', share: 0.5 },
        { from: 'f', to: 'j' },
        { from: 'g', to: 'j' },
        { from: 'j', to: 'k' },
      ],
    });
    assert.deepEqual(j.loadFactors(), { s: 1, f: 1, g: 0.5, j: 0.5 + 1.5, k: 2 });
  });
});
