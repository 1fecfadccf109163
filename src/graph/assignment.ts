/**
 * Linear sum assignment for the bipartite GED: a thin adapter over the `munkres` package (Munkres / Hungarian,
 * O(rows² · cols) for rows <= cols, no dependencies). Measured against a hand-written typed-array Hungarian
 * (shortest augmenting path) on the GED's shapes (8x40 to 40x40), munkres was 1.1-2.3x faster, so it is used.
 *
 * Rectangular: rows <= cols, every row gets a distinct column, and the total cost is minimal.
 * Costs are a row-major Float64Array (or number[]) of rows × cols finite numbers; negative costs are fine.
 */
import munkres from 'munkres';

export interface Assignment {
  /** rowToCol[i] = the column assigned to row i. */
  rowToCol: Int32Array;
  /** Sum of the chosen entries. */
  cost: number;
}

export function linearSumAssignment(cost: ArrayLike<number>, rows: number, cols: number): Assignment {
  if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 0 && cols >= 0))
    throw new RangeError(`linearSumAssignment: bad shape ${rows} x ${cols}`);
  if (rows > cols) throw new RangeError(`linearSumAssignment: needs rows <= cols, got ${rows} x ${cols}`);
  if (cost.length < rows * cols) throw new RangeError(`linearSumAssignment: cost has ${cost.length} entries, needs ${rows * cols}`);
  const flat = cost instanceof Float64Array ? cost : Float64Array.from(cost);
  for (let k = 0; k < rows * cols; k++)
    if (!Number.isFinite(flat[k])) throw new RangeError('linearSumAssignment: costs must be finite numbers');
  const rowToCol = new Int32Array(rows).fill(-1);
  if (rows === 0) return { rowToCol, cost: 0 };
  const matrix = Array.from({ length: rows }, (_, i) => flat.subarray(i * cols, (i + 1) * cols));
  let total = 0;
  for (const [y, x] of munkres(matrix)) {
    rowToCol[y] = x;
    total += flat[y * cols + x] as number;
  }
  return { rowToCol, cost: total };
}
