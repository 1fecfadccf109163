import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/random.js';

describe('Rng', () => {
  it('nearby seeds give unrelated first draws (seeds are scrambled)', () => {
    const first = Array.from({ length: 200 }, (_, s) => new Rng(s + 1).next());
    const mean = first.reduce((a, b) => a + b, 0) / first.length;
    assert.ok(mean > 0.4 && mean < 0.6, `mean of first draws ${mean}`);
    assert.ok(new Set(first.map((x) => Math.floor(x * 10))).size === 10, 'first draws cover every decile');
    const forked = Array.from({ length: 200 }, (_, s) => new Rng(s + 1).fork('x').next());
    assert.ok(new Set(forked.map((x) => Math.floor(x * 10))).size === 10, 'forked first draws cover every decile');
  });
  it('is deterministic per seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    for (let i = 0; i < 100; i++) assert.equal(a.next(), b.next());
  });
});
