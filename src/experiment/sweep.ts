/** Sweep expansion: a grid over config keys by dotted path; each point is re-validated as a whole config. */
import { clip, ConfigError, validateExperiment } from './config.js';
import type { Experiment } from './schema.js';

export interface SweepPoint {
  /** 'base' without a sweep, else e.g. 'tuners.ds2.overProvisioning=0.1'. */
  label: string;
  /** Index of this point in the grid (stable order: keys as written, values as listed). */
  index: number;
  assignments: Record<string, unknown>;
  experiment: Experiment;
}

/** Most points a sweep grid may have (each is validated, and each is at least one run). */
export const MAX_SWEEP_POINTS = 10_000;

export function expandSweep(raw: Record<string, unknown>, where: string): SweepPoint[] {
  const base = validateExperiment(raw, where);
  const keys = Object.keys(base.sweep);
  if (keys.length === 0) return [{ label: 'base', index: 0, assignments: {}, experiment: base }];
  const size = keys.reduce((n, k) => n * (base.sweep[k] as unknown[]).length, 1);
  if (size > MAX_SWEEP_POINTS) throw new ConfigError(`${where}: sweep: a grid of ${size} points (at most ${MAX_SWEEP_POINTS})`);
  let grid: Record<string, unknown>[] = [{}];
  for (const k of keys) grid = grid.flatMap((g) => (base.sweep[k] as unknown[]).map((v) => ({ ...g, [k]: v })));
  return grid.map((assignments, index) => {
    const copy = structuredClone(raw);
    delete copy.sweep;
    for (const [path, value] of Object.entries(assignments)) setPath(copy, path, value, where);
    const experiment = validateExperiment(copy, `${where} (sweep point ${index}: ${clip(label(assignments), 80)})`);
    return { label: label(assignments), index, assignments, experiment };
  });
}

function label(a: Record<string, unknown>): string {
  return Object.entries(a)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(',');
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown, where: string): void {
  const parts = path.split('.');
  if (parts.some((p) => p === '')) throw new ConfigError(`${where}: sweep.${clip(path)}: not a dotted path`);
  if (parts.some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype')) throw new ConfigError(`${where}: sweep.${clip(path)}: not a config key (expected a dotted path of the config's own keys)`);
  let cur: Record<string, unknown> = obj;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (next === undefined) cur[p] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next))
      throw new ConfigError(`${where}: sweep.${clip(path)}: '${clip(p, 40)}' is not an object in the config`);
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1] as string] = value;
}
