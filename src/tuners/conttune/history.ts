/** ContTune's processing-ability (PA) history: PA per operator and parallelism, read as Top-K means for the GP. */
import type { OperatorMetrics } from '../../core/metrics.js';
import { maxBusyFraction } from '../shared/metrics.js';
import type { ContTuneOptions } from './options.js';

/** PA of one operator in one window, as `mode` reads it (0 when nothing was measured). */
export function processingAbility(m: OperatorMetrics, mode: ContTuneOptions['processingAbility']): number {
  if (mode === 'busiest') {
    const busy = maxBusyFraction(m);
    return busy > 0 ? m.recordsInPerSecond / busy : 0;
  }
  return m.trueProcessingRate;
}

/** PA observations per operator and parallelism, oldest first. */
export class PaHistory {
  private readonly byOp = new Map<string, Map<number, number[]>>();

  add(op: string, p: number, pa: number): void {
    let m = this.byOp.get(op);
    if (!m) this.byOp.set(op, (m = new Map()));
    let xs = m.get(p);
    if (!xs) m.set(p, (xs = []));
    xs.push(pa);
  }

  /** (p, mean of the K most recent PA) for one operator, by increasing p. */
  topK(op: string, k: number): { p: number; pa: number }[] {
    const m = this.byOp.get(op);
    if (!m) return [];
    return [...m.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([p, xs]) => {
        const recent = xs.slice(-k);
        return { p, pa: recent.reduce((a, b) => a + b, 0) / recent.length };
      });
  }
}

