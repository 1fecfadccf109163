/** Shared helpers for the learning tests. */
import { Rng } from '../../../src/core/random.js';
import type { BottleneckModel } from '../../../src/learning/model.js';

/** Overwrites every weight with N(0, scale^2) values from a seeded Rng (raw softplus inputs may go negative). */
export function randomizeWeights(model: BottleneckModel, seed: number, scale = 1.5): void {
  const rng = new Rng(seed);
  model.params.assign(
    model.params.toArrays().map((a) => ({ ...a, values: a.values.map(() => scale * rng.normal()) })),
  );
}
