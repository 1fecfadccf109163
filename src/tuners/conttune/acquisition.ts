/**
 * Algorithm 2's acquisition for one operator (conservative BO): fit the GP of PA over the observed parallelisms
 * (gp.ts), take the smallest p whose mean reaches lambda, and apply it only within alpha of an observation.
 */
import { GaussianProcess, type GpFitOptions } from './gp.js';

export interface CboAnswer {
  readonly p: number;
  /** 'gp' when the GP answer was within alpha of an observed parallelism, else 'ds2'. */
  readonly source: 'gp' | 'ds2';
  readonly pAcq?: number;
  readonly distance?: number;
}

/**
 * Algorithm 2 for one operator: p_acq = the smallest p in [1, pMax] with GP mean >= lambda; applied iff the
 * nearest observed p is within alpha, else the DS2 answer.
 */
export function cbo(observed: readonly { p: number; pa: number }[], lambda: number, pMax: number, alpha: number, ds2: number, gp: GpFitOptions): CboAnswer {
  if (observed.length === 0) return { p: ds2, source: 'ds2' };
  const model = GaussianProcess.fit(
    observed.map((o) => o.p),
    observed.map((o) => o.pa),
    gp,
  );
  const grid = Array.from({ length: Math.max(1, pMax) }, (_, i) => i + 1);
  const { mean } = model.predict(grid);
  const i = mean.findIndex((mu) => mu >= lambda);
  if (i < 0) return { p: ds2, source: 'ds2' };
  const pAcq = grid[i] ?? 1;
  const distance = Math.min(...observed.map((o) => Math.abs(pAcq - o.p)));
  return distance <= alpha ? { p: pAcq, source: 'gp', pAcq, distance } : { p: ds2, source: 'ds2', pAcq, distance };
}

