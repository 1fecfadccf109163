/**
 * Rate schedules (total source records/s), each a list of phases; every phase is one tuning episode.
 * Shapes: constant, steps, ContTune's permutation protocol (a seeded permutation of 1..10 x W_u, played
 * `repeat` times), square and sine (Beam's RateShape), and a trace read from CSV (time, rate).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
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
      return readTrace(spec.file, spec.durationSec);
  }
}

/** A CSV with columns time (s) and rate (records/s); each row holds until the next row's time. */
export function readTrace(file: string, lastDurationSec: number): RateSchedule {
  let rows: Record<string, string>[];
  try {
    rows = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (e) {
    throw new RateError(`rate trace ${file}: ${(e as Error).message}`);
  }
  if (rows.length === 0) throw new RateError(`rate trace ${file}: no rows (expected a header time,rate and at least one row)`);
  const pts = rows.map((r, i) => {
    const time = Number(r.time);
    const rate = Number(r.rate);
    if (!Number.isFinite(time) || !Number.isFinite(rate) || rate < 0)
      throw new RateError(`rate trace ${file}, row ${i + 2}: expected numeric columns time and rate >= 0`);
    return { time, rate };
  });
  return pts.map((p, i) => {
    const next = pts[i + 1];
    const durationSec = next ? next.time - p.time : lastDurationSec;
    if (!(durationSec > 0)) throw new RateError(`rate trace ${file}, row ${i + 2}: times must increase`);
    return { rate: p.rate, durationSec };
  });
}
