/**
 * Result rows and their CSV columns (episodes.csv, timeline.csv), as one typed table per file: each column's name
 * (its key), its type, how a value is written to a cell and parsed back, and one line of doc. The recorders build
 * typed rows and write them through the table, every reader parses through it, and the notebooks read the same
 * table (notebooks/columns.json, written by `npm run schema`), so renaming a column fails the build. History rows
 * live in history/record.ts.
 *
 *   recorder -> EpisodeResult (typed) -> writeEpisode -> EpisodeRow (cells) -> episodes.csv
 *   episodes.csv -> readEpisodes -> EpisodeResult[] -> summary, charts, paper figures
 */
import { existsSync } from 'node:fs';
import { readInputCsv } from '../io/read.js';

/**
 * Episode outcomes: the SLO held at the end (and the tuner kept, or time ran out with it holding), time ran out
 * without the SLO (the row's `violation` says which part failed), the tuner wanted more than the cap, or the
 * ground truth says no configuration within the operators' max parallelism (and a finite machine's cores) meets
 * the SLO at this rate (`violation` says which operator at its max, or the cores): then every tuner's episode,
 * the oracle's included, is infeasible, and it counts in neither the sustained share nor P / oracle.
 */
export type Outcome = 'sustained' | 'violated' | 'capped' | 'infeasible';
/** Where an episode's oracle comes from: the simulator's ground truth, the measured oracle's cache, or none (''). */
export type OracleSource = '' | 'ground truth' | 'measured';

/** A cell as written: numbers as JavaScript prints them, nothing as ''. */
export type Cell = string | number;

/** The column types; the notebooks convert `integer`, `number` and `optional number` columns to numbers. */
export type ColumnType = 'text' | 'integer' | 'number' | 'optional number';

/** One column: its type, how a value is written to a cell and parsed back from one, and what it holds. */
export interface Column<V> {
  readonly type: ColumnType;
  readonly doc: string;
  write(v: V): Cell;
  parse(cell: string): V;
}

/** A required number: an empty or unparsable cell reads as NaN (left out of every mean). */
const toNumber = (cell: string): number => (cell === '' ? Number.NaN : Number(cell));

const text = <V extends string = string>(doc: string): Column<V> => ({ type: 'text', doc, write: (v) => v, parse: (cell) => cell as V });
const integer = (doc: string): Column<number> => ({ type: 'integer', doc, write: (v) => v, parse: toNumber });
const number = (doc: string): Column<number> => ({ type: 'number', doc, write: (v) => v, parse: toNumber });
/** A number that may be absent: written as '' and read back as undefined. */
const optional = (doc: string): Column<number | undefined> => ({
  type: 'optional number',
  doc,
  write: (v) => (v === undefined ? '' : v),
  parse: (cell) => (cell === '' ? undefined : Number(cell)),
});

type AnyColumn = Column<never> | Column<string> | Column<number> | Column<number | undefined>;
type Table = Readonly<Record<string, AnyColumn>>;
type ValueOf<C> = C extends Column<infer V> ? V : never;
/** A table's typed row. */
export type Typed<T extends Table> = { -readonly [K in keyof T]: ValueOf<T[K]> };
/** A table's row as written (one cell per column). */
export type Cells<T extends Table> = Record<keyof T & string, Cell>;

/**
 * episodes.csv: one row per episode. Parallelism over the oracle's is filled for sustained episodes only (an
 * under-provisioned end is a violation, never "below the minimum"); the lag figures report backlog as a cost: lag
 * at the start (inherited) and at the end, its peak and its integral over the episode (record-seconds), sampled
 * at window ends. The key order is the CSV's column order.
 */
export const EPISODE = {
  run: text('the run key (sweep point, tuner, seed)'),
  sweep: text("the sweep point's label ('base' without a sweep)"),
  tuner: text('the tuner entry name'),
  seed: integer('the run seed'),
  episode: integer('the episode (rate phase), from 1'),
  targetRate: number('the source rate of the episode, records/s'),
  outcome: text<Outcome>('sustained, violated, capped or infeasible'),
  violation: text('which part of the SLO failed (violated), which operator or the cores (infeasible)'),
  reconfigurations: integer('rescales that changed the configuration'),
  failedRescales: integer('rescales that changed nothing'),
  timeToSloSec: optional('seconds from the rate change until the SLO held for the final configuration (sustained)'),
  durationSec: number('seconds of engine time the episode ran'),
  finalTotalParallelism: integer('total parallelism at the end (worker count on shared workers)'),
  oracleTotalParallelism: optional("the oracle's total parallelism at this rate, where known"),
  parallelismOverOracle: optional("final total parallelism over the oracle's (sustained episodes only)"),
  oracleSource: text<OracleSource>("where the oracle comes from: 'ground truth', 'measured' or ''"),
  lagTrend: optional('source lag growth over the SLO hold, as a share of the target rate'),
  lagStartRecords: number('source lag at the rate change, records'),
  lagEndRecords: number('source lag at the end, records'),
  lagEndSec: number('source lag at the end, seconds of input at the target rate'),
  lagPeakRecords: number('the largest source lag, records'),
  lagIntegralRecordSec: number('source lag summed over the episode, record-seconds'),
  downtimeSec: number('seconds the job was down for rescales and failovers'),
  failovers: integer('engine failovers during the episode'),
  invalidWindows: integer('windows the engine invalidated'),
  finalParallelism: text('the final configuration, op=p;op=p in the job\'s operator order'),
} as const satisfies Table;

/**
 * timeline.csv: one row per observed window and per engine event. On a rescale row (rescale, rescale-partial,
 * rescale-failed) requestedParallelism is what the tuner asked for and grantedParallelism what runs after it
 * (`op=p;...`); an engine event (failover, clusterRescale) fills grantedParallelism with what the job restarted
 * with. A run that stopped with an error ends with a `failed` row whose reason is the error.
 */
export const TIMELINE = {
  run: text('the run key (sweep point, tuner, seed)'),
  sweep: text("the sweep point's label"),
  tuner: text('the tuner entry name'),
  seed: integer('the run seed'),
  episode: integer('the episode (rate phase), from 1'),
  window: optional('run-wide window index from 1 (empty on engine events and the failed row)'),
  time: number('engine time at the end of the window (or of the event), seconds'),
  targetRate: number('the source rate asked for, records/s'),
  achievedRate: optional('the source rate achieved, records/s'),
  totalParallelism: optional('total parallelism during the window (after an engine event)'),
  lagRecords: optional('total source lag at the end of the window, records'),
  lagTrend: optional("the SLO's lag trend over its hold, where it had enough windows"),
  sloHolds: optional('1 when the SLO held at the end of the window, 0 when not'),
  event: text('what the loop did with the window (loop/records.ts LoopEvent), or the engine event, or failed'),
  reason: text("the tuner's reason, the engine event's recovery, or the error"),
  requestedParallelism: text('on a rescale: what the tuner asked for, op=p;...'),
  grantedParallelism: text('on a rescale or engine event: what runs after it, op=p;...'),
} as const satisfies Table;

export type EpisodeColumn = keyof typeof EPISODE;
export type TimelineColumn = keyof typeof TIMELINE;
/** A typed episode (what the readers return and the recorder builds). */
export type EpisodeResult = Typed<typeof EPISODE>;
/** A typed timeline row. */
export type TimelineResult = Typed<typeof TIMELINE>;
/** An episode row as written to episodes.csv. */
export type EpisodeRow = Cells<typeof EPISODE>;
/** A timeline row as written to timeline.csv. */
export type TimelineRow = Cells<typeof TIMELINE>;

const columnsOf = <T extends Table>(t: T): readonly (keyof T & string)[] => Object.keys(t) as (keyof T & string)[];
export const EPISODE_COLUMNS = columnsOf(EPISODE);
export const TIMELINE_COLUMNS = columnsOf(TIMELINE);

function writer<T extends Table>(t: T): (row: Typed<T>) => Cells<T> {
  const cols = columnsOf(t);
  return (row) => Object.fromEntries(cols.map((c) => [c, (t[c] as Column<unknown>).write(row[c])])) as Cells<T>;
}
/** Parses a row of cells (as csv-parse gives them); a column the file lacks reads as an empty cell. */
function parser<T extends Table>(t: T): (cells: Readonly<Record<string, string | undefined>>) => Typed<T> {
  const cols = columnsOf(t);
  return (cells) => Object.fromEntries(cols.map((c) => [c, (t[c] as Column<unknown>).parse(cells[c] ?? '')])) as Typed<T>;
}

export const writeEpisode = writer(EPISODE);
export const writeTimeline = writer(TIMELINE);
export const parseEpisode = parser(EPISODE);
export const parseTimeline = parser(TIMELINE);
/** A written episode row (a run's in-memory result) typed again, as a reader of its CSV would see it. */
export const typedEpisode = (cells: EpisodeRow): EpisodeResult => parseEpisode(Object.fromEntries(Object.entries(cells).map(([k, v]) => [k, String(v)])));

/** A CSV file's rows as text cells, keyed by its header ([] when the file does not exist). */
export function readCells(file: string): Record<string, string>[] {
  return existsSync(file) ? readInputCsv(file) : [];
}

/** An episodes.csv, typed ([] when the file does not exist). */
export const readEpisodes = (file: string): EpisodeResult[] => readCells(file).map(parseEpisode);
/** A timeline.csv, typed ([] when the file does not exist). */
export const readTimeline = (file: string): TimelineResult[] => readCells(file).map(parseTimeline);

/** notebooks/columns.json: each file's columns in order with type and doc (`npm run schema` writes it). */
export function columnTableText(): string {
  const table = (t: Table) => columnsOf(t).map((name) => ({ name, type: (t[name] as AnyColumn).type, doc: (t[name] as AnyColumn).doc }));
  return `${JSON.stringify({ episodes: table(EPISODE), timeline: table(TIMELINE) }, null, 2)}\n`;
}
