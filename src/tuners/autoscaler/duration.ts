/**
 * Flink durations for the autoscaler's options: a number is seconds; a string is Flink's duration syntax with a
 * unit ("300 ms", "30 s", "5 min", "1 h", "1 d"; TimeUtils.parseDuration's unit names). A unit is required so
 * that "60" cannot silently mean 60 ms as it does in Flink.
 */
import { z } from 'zod';

const UNITS: Readonly<Record<string, number>> = {
  ms: 0.001, milli: 0.001, millis: 0.001, millisecond: 0.001, milliseconds: 0.001,
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hour: 3600, hours: 3600,
  d: 86400, day: 86400, days: 86400,
};

export const DURATION_PATTERN = `^\\s*\\d+(\\.\\d+)?\\s*(${Object.keys(UNITS).join('|')})\\s*$`;
const DURATION_RE = new RegExp(DURATION_PATTERN, 'i');

/** A zod schema for a Flink duration option with its default. */
export function duration(defaultValue: string, description: string) {
  return z
    .union([z.number().min(0), z.string().regex(DURATION_RE, 'expected a Flink duration with a unit, e.g. "30 s", "5 min", "1 h", or seconds as a number')])
    .default(defaultValue)
    .describe(`${description} Seconds, or a Flink duration string (default ${defaultValue}).`);
}

/** Seconds of a duration option value. */
export function seconds(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(value);
  const unit = m ? UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`not a Flink duration: '${value}'`);
  return Number(m[1]) * unit;
}
