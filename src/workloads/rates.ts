/**
 * Rate schedules (total source records/s), each a list of phases; every phase is one tuning episode.
 * Shapes: constant, steps, ContTune's permutation protocol (a seeded permutation of 1..10 x W_u, played
 * `repeat` times), square and sine (Beam's RateShape), and a trace read from CSV (time, rate).
 */
import { readInputCsv } from '../io/read.js';
import { BOUNDS } from '../core/bounds.js';
import { Rng } from '../core/random.js';
import type { RatePhase, RateSchedule } from '../core/rates.js';

export type RateSpec =
  | { kind: 'constant'; rate: number; durationSec: number }
  | { kind: 'steps'; rates: number[]; durationSec: number }
  | { kind: 'permutation'; levels: number; repeat: number; permutations: number; durationSec: number }
  | { kind: 'square'; low: number; high: number; periods: number; durationSec: number }
  | { kind: 'sine'; low: number; high: number; steps: number; periods: number; durationSec: number }
  | { kind: 'trace'; file: string; durationSec: number };

export class RateError extends Error {}

/**
 * Expands a spec into phases. Rates in specs are multiples of the workload unit W_u (except traces, which
 * are given in records/s); `seed` drives the permutation.
 */
export function rateSchedule(spec: RateSpec, workloadUnit: number, seed: number): RateSchedule {
  const phase = (units: number): RatePhase => {
    if (!(units >= 0) || !Number.isFinite(units)) throw new RateError(`rate schedule: a rate must be >= 0, got ${units}`);
    return { rate: units * workloadUnit, durationSec: spec.durationSec };
  };
  switch (spec.kind) {
    case 'constant':
      return [phase(spec.rate)];
    case 'steps':
      return spec.rates.map(phase);
    case 'permutation': {
      const rng = new Rng(seed).fork('rate-permutation');
      const out: RatePhase[] = [];
      for (let k = 0; k < spec.permutations; k++) {
        const perm = rng.shuffle(Array.from({ length: spec.levels }, (_, i) => i + 1));
        for (let r = 0; r < spec.repeat; r++) for (const units of perm) out.push(phase(units));
      }
      return out;
    }
    case 'square':
      return Array.from({ length: spec.periods * 2 }, (_, i) => phase(i % 2 === 0 ? spec.low : spec.high));
    case 'sine': {
      const mid = (spec.low + spec.high) / 2;
      const amp = (spec.high - spec.low) / 2;
      return Array.from({ length: spec.periods * spec.steps }, (_, i) => phase(mid - amp * Math.cos((2 * Math.PI * i) / spec.steps)));
    }
    case 'trace':
      return readTrace(spec.file, spec.durationSec, BOUNDS.rateUnits * workloadUnit);
  }
}

/** Largest trace file read (a trace is a few thousand rows). */
export const MAX_TRACE_BYTES = 64 * 1024 * 1024;

/**
 * A CSV with columns time (s) and rate (records/s); each row holds until the next row's time. Every cell is
 * given (an empty cell is refused naming its row and column), every value finite, times increasing from >= 0 with
 * phases of at most BOUNDS.episodeSec, and rates in [0, maxRate] (the rate bound, BOUNDS.rateUnits x W_u).
 */
export function readTrace(file: string, lastDurationSec: number, maxRate: number = Number.MAX_VALUE): RateSchedule {
  let rows: Record<string, string>[];
  try {
    rows = readInputCsv(file, { maxBytes: MAX_TRACE_BYTES, trim: true });
  } catch (e) {
    throw new RateError(`rate trace ${(e as Error).message}`);
  }
  if (rows.length === 0) throw new RateError(`rate trace ${file}: no rows (expected a header time,rate and at least one row)`);
  const header = Object.keys(rows[0] as object);
  for (const c of ['time', 'rate']) if (!header.includes(c)) throw new RateError(`rate trace ${file}: no column '${c}' (expected a header time,rate; got ${header.slice(0, 5).join(',').slice(0, 80)})`);
  const pts = rows.map((r, i) => {
    const at = `rate trace ${file}, row ${i + 2}`;
    const cell = (c: 'time' | 'rate'): number => {
      const text = r[c];
      if (text === undefined || text === '') throw new RateError(`${at}, column ${c}: empty (expected a number)`);
      const v = Number(text);
      if (!Number.isFinite(v)) throw new RateError(`${at}, column ${c}: expected a finite number, got '${text.slice(0, 40)}'`);
      return v;
    };
    const time = cell('time');
    const rate = cell('rate');
    if (time < 0) throw new RateError(`${at}, column time: expected a time >= 0 s, got ${time}`);
    if (rate < 0 || rate > maxRate) throw new RateError(`${at}, column rate: expected a rate in [0, ${maxRate}] records/s, got ${rate}`);
    return { time, rate };
  });
  return pts.map((p, i) => {
    const next = pts[i + 1];
    const durationSec = next ? next.time - p.time : lastDurationSec;
    if (!(durationSec > 0)) throw new RateError(`rate trace ${file}, row ${i + 3}: times must increase (${next?.time} s after ${p.time} s)`);
    if (durationSec > BOUNDS.episodeSec) throw new RateError(`rate trace ${file}, row ${i + 3}: a phase of ${durationSec} s, expected at most ${BOUNDS.episodeSec} s (${BOUNDS.episodeSec / 86_400} days)`);
    return { rate: p.rate, durationSec };
  });
}
