/**
 * The measured minimum: a search over configurations, each probe one SLO check, after Theodolite's demand metric
 * (shared/reference/slo.md: the smallest resources that meet the SLO at a load, one experiment per probe, with
 * repetitions and a declared aggregation). Pure over an injected probe function, so it is tested on a fake and run
 * on every engine alike (probe.ts runs one probe through the control loop).
 *
 *   start (an estimate from a profiling window)
 *     -> grow:    while the configuration fails, grow its bottleneck (the busiest dimension) to the estimate the
 *                 failing probe gives for it, at least by one
 *     -> descend: per dimension, the one with the most headroom first, the smallest value that still passes with
 *                 the others fixed: one guess from its busy share, then binary search between the largest known
 *                 failing and the smallest known passing value
 *     -> boundary: the result and each of its neighbours one below (a failing neighbour) are repeated up to
 *                 `repetitions` runs and aggregated; a neighbour that passes after all becomes the new result
 *                 (descend again), a result that fails after repetition is dropped for the smallest passing one
 *
 * What comes out is the smallest configuration found that passed and its largest failing neighbours: evidence of a
 * local minimum under the probes made, not a proof (real engines are noisy and need not be monotone).
 */

/** A configuration in the search's own coordinates: operators, or one worker count on shared workers. */
export type Vector = Readonly<Record<string, number>>;

export interface SearchSpace {
  readonly dims: readonly string[];
  /** Largest value per dimension. */
  readonly max: Readonly<Record<string, number>>;
  /** Total parallelism as the paper counts it. */
  size(v: Vector): number;
}

/** What one probe saw (probe.ts fills it from the control loop's episode). */
export interface ProbeObservation {
  readonly passed: boolean;
  /** Busy fraction in [0, 1] per dimension (headroom = 1 - busy). */
  readonly busy: Readonly<Record<string, number>>;
  /** A per-dimension estimate of what would sustain the rate (DS2 on the probe's last window), if measured. */
  readonly estimate?: Readonly<Record<string, number>>;
}

export type Aggregation = 'all' | 'majority';

export interface SearchOptions {
  /** Probes at most, repetitions included. */
  readonly budget: number;
  /** Runs of each configuration at the boundary (the result and its failing neighbours). */
  readonly repetitions: number;
  /** 'all': a configuration passes when every run passed; 'majority': more than half did. */
  readonly aggregation: Aggregation;
}

export type Probe<O extends ProbeObservation> = (v: Vector, repetition: number) => Promise<O>;

/** One configuration the search probed, with its runs and how they aggregate. */
export interface Probed<O extends ProbeObservation> {
  readonly vector: Vector;
  readonly size: number;
  readonly runs: O[];
  readonly passes: number;
  readonly passed: boolean;
}

export interface SearchResult<O extends ProbeObservation> {
  /** The smallest configuration found that passed (aggregated), if any passed. */
  readonly best?: Probed<O>;
  /** Its neighbours one below in one dimension that failed (aggregated), per dimension. */
  readonly failingNeighbours: readonly { dim: string; probed: Probed<O> }[];
  /** Dimensions already at 1 in the result (no neighbour below). */
  readonly atFloor: readonly string[];
  /** Every probe run, in order. */
  readonly probes: readonly { vector: Vector; repetition: number; observation: O }[];
  /** 'found': every neighbour below the result was probed and failed; 'budget': stopped by the budget;
   *  'infeasible': a failing configuration could not grow (every dimension at its max). */
  readonly status: 'found' | 'budget' | 'infeasible';
}

class BudgetExhausted extends Error {}

const key = (dims: readonly string[], v: Vector): string => dims.map((d) => v[d]).join(',');

export async function searchMinimum<O extends ProbeObservation>(space: SearchSpace, start: Vector, probe: Probe<O>, o: SearchOptions, seed: readonly { vector: Vector; observation: O }[] = []): Promise<SearchResult<O>> {
  const { dims } = space;
  if (!(o.budget >= 1) || !(o.repetitions >= 1)) throw new Error('search: budget and repetitions must be at least 1');
  const seen = new Map<string, { vector: Vector; runs: O[] }>();
  const probes: { vector: Vector; repetition: number; observation: O }[] = [];
  let used = 0;
  const clamp = (v: Vector): Vector => Object.fromEntries(dims.map((d) => [d, Math.min(space.max[d] as number, Math.max(1, Math.round(v[d] ?? 1)))]));
  const entry = (v: Vector): { vector: Vector; runs: O[] } => {
    const k = key(dims, v);
    let e = seen.get(k);
    if (!e) {
      e = { vector: clamp(v), runs: [] };
      seen.set(k, e);
    }
    return e;
  };
  for (const s of seed) {
    entry(s.vector).runs.push(s.observation);
    probes.push({ vector: clamp(s.vector), repetition: entry(s.vector).runs.length - 1, observation: s.observation });
    used++;
  }
  const aggregate = (runs: readonly O[]): boolean => {
    const passes = runs.filter((r) => r.passed).length;
    return o.aggregation === 'all' ? passes === runs.length : passes * 2 > runs.length;
  };
  /** Whether more runs (up to `reps` in all) could still change the aggregate of `runs`. */
  const undecided = (runs: readonly O[], reps: number): boolean => {
    const passes = runs.filter((r) => r.passed).length;
    const fails = runs.length - passes;
    if (o.aggregation === 'all') return fails === 0;
    const left = reps - runs.length;
    return !(passes * 2 > reps) && (passes + left) * 2 > reps;
  };
  const view = (e: { vector: Vector; runs: O[] }): Probed<O> => ({ vector: e.vector, size: space.size(e.vector), runs: e.runs, passes: e.runs.filter((r) => r.passed).length, passed: aggregate(e.runs) });
  /** Runs `v` until it has at least `reps` runs or its aggregate over `repetitions` is decided. */
  const evaluate = async (v: Vector, reps = 1): Promise<Probed<O>> => {
    const e = entry(v);
    const want = Math.min(reps, o.repetitions);
    while (e.runs.length < want && (e.runs.length === 0 || undecided(e.runs, want))) {
      if (used >= o.budget) throw new BudgetExhausted();
      const obs = await probe(e.vector, e.runs.length);
      used++;
      e.runs.push(obs);
      probes.push({ vector: e.vector, repetition: e.runs.length - 1, observation: obs });
    }
    return view(e);
  };
  const last = (p: Probed<O>): O => p.runs[p.runs.length - 1] as O;
  const with1 = (v: Vector, d: string, x: number): Vector => ({ ...v, [d]: x });
  const smallestPassing = (): Probed<O> | undefined =>
    [...seen.values()]
      .map(view)
      .filter((p) => p.runs.length > 0 && p.passed)
      .sort((a, b) => a.size - b.size || key(dims, a.vector).localeCompare(key(dims, b.vector)))[0];

  /** From a configuration, grow bottlenecks until one passes; undefined when nothing can grow. */
  const grow = async (from: Vector): Promise<Probed<O> | undefined> => {
    let cur = clamp(from);
    for (;;) {
      const p = await evaluate(cur);
      if (p.passed) return p;
      const obs = last(p);
      const open = dims.filter((d) => (cur[d] as number) < (space.max[d] as number));
      if (open.length === 0) return undefined;
      const ratio = (d: string): number => (obs.estimate?.[d] ?? 0) / (cur[d] as number);
      const busiest = Math.max(...open.map((d) => obs.busy[d] ?? 0));
      const d = open.filter((x) => (obs.busy[x] ?? 0) >= busiest - 0.02).sort((a, b) => ratio(b) - ratio(a))[0] as string;
      const target = Math.max((cur[d] as number) + 1, Math.ceil((obs.estimate?.[d] ?? 0) - 1e-9));
      cur = with1(cur, d, Math.min(space.max[d] as number, target));
    }
  };

  /** Per dimension (most headroom first), the smallest value that passes with the others fixed. */
  const descend = async (from: Probed<O>): Promise<Probed<O>> => {
    let cur = from;
    const obs = last(from);
    const order = [...dims].sort((a, b) => (obs.busy[a] ?? 0) - (obs.busy[b] ?? 0));
    for (const d of order) {
      let hi = cur.vector[d] as number;
      let lo = 0; // largest known failing value (0: none below 1)
      for (let x = hi - 1; x >= 1; x--) {
        const e = seen.get(key(dims, with1(cur.vector, d, x)));
        if (e && e.runs.length > 0 && !aggregate(e.runs)) {
          lo = x;
          break;
        }
      }
      const guess = Math.max(1, Math.ceil(hi * (last(cur).busy[d] ?? 1) - 1e-9));
      const tryAt = async (x: number): Promise<void> => {
        const p = await evaluate(with1(cur.vector, d, x));
        if (p.passed) {
          hi = x;
          cur = p;
        } else lo = x;
      };
      if (guess > lo && guess < hi) await tryAt(guess);
      while (hi - lo > 1) await tryAt(Math.floor((lo + hi) / 2));
    }
    return cur;
  };

  let status: SearchResult<O>['status'] = 'found';
  let best: Probed<O> | undefined;
  try {
    let found = await grow(start);
    if (!found) status = 'infeasible';
    while (found) {
      const cur = await descend(found);
      const again = await evaluate(cur.vector, o.repetitions);
      if (!again.passed) {
        found = smallestPassing() ?? (await grow(cur.vector));
        if (!found) status = 'infeasible';
        continue;
      }
      let lower: Probed<O> | undefined;
      for (const d of dims) {
        if ((again.vector[d] as number) <= 1) continue;
        const n = await evaluate(with1(again.vector, d, (again.vector[d] as number) - 1), o.repetitions);
        if (n.passed) {
          lower = n;
          break;
        }
      }
      if (!lower) {
        best = again;
        break;
      }
      found = lower;
    }
  } catch (e) {
    if (!(e instanceof BudgetExhausted)) throw e;
    status = 'budget';
  }
  best ??= smallestPassing();
  const failingNeighbours: { dim: string; probed: Probed<O> }[] = [];
  const atFloor: string[] = [];
  if (best) {
    for (const d of dims) {
      if ((best.vector[d] as number) <= 1) {
        atFloor.push(d);
        continue;
      }
      const e = seen.get(key(dims, with1(best.vector, d, (best.vector[d] as number) - 1)));
      if (e && e.runs.length > 0 && !aggregate(e.runs)) failingNeighbours.push({ dim: d, probed: view(e) });
    }
  }
  return { ...(best ? { best } : {}), failingNeighbours, atFloor, probes, status };
}
