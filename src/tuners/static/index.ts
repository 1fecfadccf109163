/**
 * Static baseline: keeps the initially deployed parallelism whatever happens (the "no tuning" reference every
 * paper in baselines.md compares against).
 */
import { z } from 'zod';
import { keep, type Decision } from '../../core/decision.js';
import type { Tuner } from '../tuner.js';

/** Its colour in every chart (Tableau-10). */
export const color = '#9d755d';
export const doc = 'Static baseline: always keeps the initial parallelism.';

export const options = z.strictObject({});
export type StaticOptions = z.infer<typeof options>;

export function create(_opts: StaticOptions): Tuner {
  return {
    name: 'static',
    decide(): Decision {
      return keep('static: the initial parallelism is kept');
    },
  };
}
