/**
 * The history record: one observed window of one deployed configuration, one row per operator. The DAG can be
 * rebuilt from the rows (type, upstream with ship strategy, selectivity), so StreamTune pre-trains from CSV.
 * The same format is written by experiment runs (history.csv) and by `npm run history`.
 */
import { InputFileError, readInputCsv } from '../io/read.js';
import type { JobGraph } from '../core/job.js';
import { OPERATOR_METRIC_NAMES, type Snapshot } from '../core/metrics.js';
import type { Parallelism } from '../core/parallelism.js';

/**
 * `valid`: 1, or 0 for a window the engine invalidated (a restart, metrics that did not arrive): its metrics are
 * zeros and its labels empty, and readers that learn from history leave it out. Files without the column are
 * read as all valid.
 */
export const HISTORY_KEY_COLUMNS = ['job', 'run', 'seed', 'episode', 'window', 'time', 'targetRate', 'achievedRate', 'lagRecords', 'valid'] as const;
export const HISTORY_OPERATOR_COLUMNS = ['operator', 'type', 'upstream', 'cost', 'selectivity', 'keySkew', 'stateSizeMb', 'windowSizeSec', 'maxParallelism'] as const;
export const HISTORY_LABEL_COLUMNS = ['labelMetric', 'labelTruth', 'demandTruth', 'capacityTruth'] as const;
export const HISTORY_COLUMNS = [...HISTORY_KEY_COLUMNS, ...HISTORY_OPERATOR_COLUMNS, ...OPERATOR_METRIC_NAMES, ...HISTORY_LABEL_COLUMNS];

export type HistoryRow = Record<(typeof HISTORY_COLUMNS)[number], string | number>;

export interface WindowContext {
  job: JobGraph;
  run: string;
  seed: number;
  episode: number;
  window: number;
  snapshot: Snapshot;
  parallelism: Parallelism;
  labelMetric: Record<string, boolean>;
  truth?: { labels: Record<string, boolean>; demand: Record<string, number>; capacity: Record<string, number> };
}

/** Encodes an operator's inputs as `a:hash;b:forward`. */
export function upstreamField(job: JobGraph, id: string): string {
  return job
    .inEdges(id)
    .map((e) => `${e.from}:${e.ship}`)
    .join(';');
}

export function historyRows(w: WindowContext): HistoryRow[] {
  const lag = Object.values(w.snapshot.sources).reduce((a, s) => a + s.lagRecords, 0);
  return w.job.operators().map((op) => {
    const m = w.snapshot.operators[op.id];
    const metrics = Object.fromEntries(OPERATOR_METRIC_NAMES.map((k) => [k, m ? m[k] : '']));
    return {
      job: w.job.name,
      run: w.run,
      seed: w.seed,
      episode: w.episode,
      window: w.window,
      time: w.snapshot.time,
      targetRate: w.snapshot.targetRate,
      achievedRate: w.snapshot.achievedRate,
      lagRecords: lag,
      valid: w.snapshot.valid ? 1 : 0,
      operator: op.id,
      type: op.type,
      upstream: upstreamField(w.job, op.id),
      cost: op.cost,
      selectivity: op.selectivity,
      keySkew: op.keySkew,
      stateSizeMb: op.stateSizeMb,
      windowSizeSec: op.window?.sizeSec ?? 0,
      maxParallelism: op.maxParallelism,
      ...metrics,
      parallelism: w.parallelism[op.id] ?? '',
      labelMetric: w.snapshot.valid ? (w.labelMetric[op.id] ? 1 : 0) : '',
      labelTruth: w.truth ? (w.truth.labels[op.id] ? 1 : 0) : '',
      demandTruth: w.truth ? (w.truth.demand[op.id] ?? '') : '',
      capacityTruth: w.truth ? (w.truth.capacity[op.id] ?? '') : '',
    } as HistoryRow;
  });
}

/** Whether a history row belongs to a valid window (files written before the `valid` column are all valid). */
export function validRow(r: Readonly<Record<string, string | number>>): boolean {
  return r.valid === undefined || r.valid === '' || Number(r.valid) !== 0;
}

/** Reads history rows from a CSV written by historyRows (numbers parsed). */
export function readHistory(file: string): Record<string, string | number>[] {
  const rows = readInputCsv(file, { what: 'history' });
  if (rows.length === 0) throw new InputFileError(`history: ${file}: no rows (expected a history CSV with a header and at least one window)`);
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v !== '' && !Number.isNaN(Number(v)) && k !== 'upstream' && k !== 'operator' && k !== 'job' && k !== 'run' && k !== 'type' ? Number(v) : v])));
}
