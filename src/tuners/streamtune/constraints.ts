/**
 * What the job's own windows prove, whatever the model says (streamtune.md §9 step 6, "hard constraints"):
 *
 *  - floors: an operator labelled bottleneck at parallelism p and rate r cannot sustain r at p, nor any lower p,
 *    nor (its demand only grows with the rate) any rate above r. StreamTune never proposes p' <= p for it at r, and,
 *    with `acrossRates`, at any rate >= r.
 *  - ceilings: a window in which no operator is a bottleneck and the sources kept up shows that every operator's
 *    parallelism sustains that rate, hence any rate below it. With ceilings on, StreamTune never proposes more than
 *    the smallest such parallelism for a rate <= the observed one.
 *
 * A floor beats a ceiling when noise makes them cross.
 */
import { sameParallelism, type Parallelism } from '../../core/parallelism.js';

interface Mark {
  rate: number;
  p: number;
}

export class Constraints {
  private readonly floors = new Map<string, Mark[]>();
  private readonly ceilings = new Map<string, Mark[]>();

  constructor(private readonly o: { acrossRates: boolean; ceilings: boolean }) {}

  /** Records one labelled window. `healthy`: no bottleneck and the sources kept up. */
  observe(rate: number, p: Parallelism, bottlenecks: readonly string[], healthy: boolean): void {
    for (const op of bottlenecks) push(this.floors, op, { rate, p: p[op] ?? 1 });
    if (healthy && this.o.ceilings) for (const [op, v] of Object.entries(p)) push(this.ceilings, op, { rate, p: v });
  }

  /** The largest parallelism of `op` proven too small at `rate` (0 when none). */
  floor(op: string, rate: number): number {
    let f = 0;
    for (const m of this.floors.get(op) ?? []) if ((this.o.acrossRates ? m.rate <= rate : m.rate === rate) && m.p > f) f = m.p;
    return f;
  }

  /** The smallest parallelism of `op` proven enough at `rate` (Infinity when none). */
  ceiling(op: string, rate: number): number {
    let c = Infinity;
    for (const m of this.ceilings.get(op) ?? []) if (m.rate >= rate && m.p < c) c = m.p;
    return c;
  }

  /** [lowest allowed, highest useful] for `op` at `rate`, within [1, pMax]; the floor wins a crossing. */
  bounds(op: string, rate: number, pMax: number): [number, number] {
    const lo = Math.min(pMax, this.floor(op, rate) + 1);
    const hi = Math.max(lo, Math.min(pMax, this.ceiling(op, rate)));
    return [lo, hi];
  }
}

function push(m: Map<string, Mark[]>, op: string, mark: Mark): void {
  let xs = m.get(op);
  if (!xs) m.set(op, (xs = []));
  if (!xs.some((x) => x.rate === mark.rate && x.p === mark.p)) xs.push(mark);
}

/**
 * Configurations the run settled on, by target rate: a whole configuration StreamTune kept (no bottleneck, the
 * sources keeping up, not over-provisioned beyond the margin) at rate r is what the job's own history says about r.
 * When the target returns to r (or to a rate at most `tolerance` below a remembered one: a configuration that
 * sustains r' sustains every lower rate), StreamTune proposes it again whole rather than the model's answer.
 * A window at a remembered rate that shows a bottleneck or lagging sources at that configuration forgets it.
 */
export class SettledConfigurations {
  private readonly byRate = new Map<number, Parallelism>();

  constructor(private readonly tolerance: number) {}

  /** Remembers `p` as settled at `rate`. */
  settle(rate: number, p: Parallelism): void {
    this.byRate.set(rate, { ...p });
  }

  /** A window showed `p` short at `rate`: forgets `p` wherever it was settled at `rate` or above. */
  refute(rate: number, p: Parallelism): void {
    for (const [r, m] of this.byRate) if (r >= rate * (1 - 1e-12) && sameParallelism(m, p)) this.byRate.delete(r);
  }

  /** The configuration settled at the lowest remembered rate in [rate, rate x (1 + tolerance)], if any. */
  recall(rate: number): Parallelism | undefined {
    let best: number | undefined;
    for (const r of this.byRate.keys()) if (r >= rate * (1 - 1e-12) && r <= rate * (1 + this.tolerance) * (1 + 1e-12) && (best === undefined || r < best)) best = r;
    return best === undefined ? undefined : this.byRate.get(best);
  }
}

