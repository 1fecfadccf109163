import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/random.js';
import { linearSumAssignment } from '../../../src/graph/assignment.js';

/** Minimal assignment cost by trying every injection of rows into columns. */
function bruteForce(cost: number[], rows: number, cols: number): number {
  const used = new Array<boolean>(cols).fill(false);
  let best = Infinity;
  const rec = (i: number, acc: number): void => {
    if (i === rows) {
      best = Math.min(best, acc);
      return;
    }
    for (let j = 0; j < cols; j++) {
      if (used[j]) continue;
      used[j] = true;
      rec(i + 1, acc + (cost[i * cols + j] as number));
      used[j] = false;
    }
  };
  rec(0, 0);
  return best;
}

describe('graph/assignment', () => {
  it('solves a textbook 3x3 instance', () => {
    const r = linearSumAssignment([4, 1, 3, 2, 0, 5, 3, 2, 2], 3, 3);
    assert.equal(r.cost, 5);
    assert.deepEqual([...r.rowToCol], [1, 0, 2]);
  });

  it('matches brute force on random square and rectangular matrices, negative costs included', () => {
    const rng = new Rng(5);
    for (let k = 0; k < 300; k++) {
      const rows = rng.int(1, 6);
      const cols = rng.int(rows, 7);
      const cost = Array.from({ length: rows * cols }, () => Math.round(rng.uniform(-5, 10) * 4) / 4);
      const r = linearSumAssignment(cost, rows, cols);
      assert.equal(new Set(r.rowToCol).size, rows, 'columns must be distinct');
      const total = [...r.rowToCol].reduce((s, j, i) => s + (cost[i * cols + j] as number), 0);
      assert.ok(Math.abs(total - r.cost) < 1e-9);
      assert.ok(Math.abs(r.cost - bruteForce(cost, rows, cols)) < 1e-9);
    }
  });

  it('handles empty problems and rejects bad shapes', () => {
    assert.equal(linearSumAssignment([], 0, 3).cost, 0);
    assert.throws(() => linearSumAssignment([1, 2], 2, 1), /rows <= cols/);
    assert.throws(() => linearSumAssignment([1], 1, 2), /entries/);
    assert.throws(() => linearSumAssignment([Infinity, NaN], 1, 2), /finite/);
  });
});
