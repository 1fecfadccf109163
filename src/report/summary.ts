/**
 * summary.md and the summary table of index.html: per tuner (and sweep point), the SLO-judged figures of its
 * episodes. Parallelism over the oracle's is averaged over sustained episodes only, with the sustained share next
 * to it, so an under-provisioned end never reads as "below the minimum". ± is the standard deviation over seeds of
 * the per-seed values.
 */
import { mean, median, quantileSorted, sampleStandardDeviation } from 'simple-statistics';
import type { EpisodeResult } from '../loop/rows.js';

export interface TunerSummary {
  sweep: string;
  tuner: string;
  episodes: number;
  /** Episodes at rates no configuration sustains (ground truth): counted here, left out of every other figure. */
  infeasible: number;
  seeds: number;
  /** Share of the feasible episodes that ended sustained (0..1) and its spread over seeds. */
  sustained: number;
  sustainedSeedSd: number;
  capped: number;
  reconfigMean: number;
  reconfigMedian: number;
  reconfigSeedSd: number;
  /** Final total parallelism / the oracle's, over sustained episodes (NaN without an oracle or sustained episode). */
  overOracle: number;
  overOracleSeedSd: number;
  /** Where the oracle comes from: 'ground truth' (simulator), 'measured' (npm run oracle on a real engine), '' none. */
  oracleSource: string;
  /** Final total parallelism over sustained episodes (real engines have no oracle). */
  finalParallelism: number;
  timeToSloMedian: number;
  timeToSloP90: number;
  /** Mean lag integral per episode, record-seconds, and lag at the end in seconds of input. */
  lagIntegral: number;
  lagEndSec: number;
  downtime: number;
}

/** One column's values over some episodes, the missing and non-finite left out. */
const numbers = (rows: readonly EpisodeResult[], value: (r: EpisodeResult) => number | undefined): number[] =>
  rows.map(value).filter((v): v is number => v !== undefined && Number.isFinite(v));
const safe = (f: (xs: number[]) => number, xs: number[]): number => (xs.length > 0 ? f(xs) : Number.NaN);
const sd = (xs: number[]): number => (xs.length > 1 ? sampleStandardDeviation(xs) : Number.NaN);
const p90 = (xs: number[]): number => quantileSorted([...xs].sort((a, b) => a - b), 0.9);

export const isSustained = (r: EpisodeResult): boolean => r.outcome === 'sustained';
export const isInfeasible = (r: EpisodeResult): boolean => r.outcome === 'infeasible';

export function summarise(episodes: readonly EpisodeResult[]): TunerSummary[] {
  const groups = new Map<string, EpisodeResult[]>();
  for (const e of episodes) {
    const k = `${e.sweep}\u0000${e.tuner}`;
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  return [...groups.entries()].map(([k, all]) => {
    const [sweep, tuner] = k.split('\u0000') as [string, string];
    const seeds = [...new Set(all.map((r) => r.seed))];
    // Infeasible episodes (no configuration meets the SLO) are counted, not judged.
    const rows = all.filter((r) => !isInfeasible(r));
    const sustained = rows.filter(isSustained);
    const perSeed = (f: (xs: EpisodeResult[]) => number): number[] => seeds.map((s) => f(rows.filter((r) => r.seed === s))).filter(Number.isFinite);
    const share = (xs: EpisodeResult[]): number => (xs.length ? xs.filter(isSustained).length / xs.length : Number.NaN);
    return {
      sweep,
      tuner,
      episodes: all.length,
      infeasible: all.length - rows.length,
      seeds: seeds.length,
      sustained: share(rows),
      sustainedSeedSd: sd(perSeed(share)),
      capped: rows.length ? rows.filter((r) => r.outcome === 'capped').length / rows.length : Number.NaN,
      reconfigMean: safe(mean, numbers(rows, (r) => r.reconfigurations)),
      reconfigMedian: safe(median, numbers(rows, (r) => r.reconfigurations)),
      reconfigSeedSd: sd(perSeed((xs) => safe(mean, numbers(xs, (r) => r.reconfigurations)))),
      overOracle: safe(mean, numbers(sustained, (r) => r.parallelismOverOracle)),
      oracleSource: [...new Set(rows.map((r) => r.oracleSource).filter((s) => s !== ''))].join(' and '),
      overOracleSeedSd: sd(perSeed((xs) => safe(mean, numbers(xs.filter(isSustained), (r) => r.parallelismOverOracle)))),
      finalParallelism: safe(mean, numbers(sustained, (r) => r.finalTotalParallelism)),
      timeToSloMedian: safe(median, numbers(sustained, (r) => r.timeToSloSec)),
      timeToSloP90: safe(p90, numbers(sustained, (r) => r.timeToSloSec)),
      lagIntegral: safe(mean, numbers(rows, (r) => r.lagIntegralRecordSec)),
      lagEndSec: safe(mean, numbers(rows, (r) => r.lagEndSec)),
      downtime: safe(mean, numbers(rows, (r) => r.downtimeSec)),
    };
  });
}

const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '–');
const pm = (x: number, s: number, d = 2): string => (Number.isFinite(s) ? `${f(x, d)} ± ${f(s, d)}` : f(x, d));
const pct = (x: number, s: number): string => (Number.isFinite(s) ? `${f(100 * x, 0)} % ± ${f(100 * s, 0)}` : `${f(100 * x, 0)} %`);
/** 1.2e6 -> '1.2M': lag integrals span many orders of magnitude. */
const si = (x: number): string => {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  for (const [v, u] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) if (a >= v) return `${(x / v).toPrecision(3)}${u}`;
  return x.toPrecision(3);
};

export const SUMMARY_HEADER = [
  'sweep',
  'tuner',
  'episodes',
  'infeasible',
  'seeds',
  'sustained (of feasible)',
  'reconfigurations (mean)',
  'median',
  'P / oracle (sustained)',
  'final total P (sustained)',
  'time to SLO, s (median / p90)',
  'lag integral, record·s (mean)',
  'end lag, s of input (mean)',
  'downtime, s (mean)',
] as const;

/** Why a sweep point has no measured oracle (the run folder's measured-oracle.json), by sweep label. */
export type OracleMissing = ReadonlyMap<string, string>;

const measuredOnly = (rows: readonly TunerSummary[]): boolean => rows.some((r) => r.oracleSource === 'measured') && rows.every((r) => r.oracleSource === 'measured' || r.oracleSource === '');

/** The header: the P / oracle column says "measured oracle" when every oracle in the table is a measured one. */
export function summaryHeader(rows: readonly TunerSummary[]): string[] {
  return SUMMARY_HEADER.map((h) => (h === 'P / oracle (sustained)' && measuredOnly(rows) ? 'P / measured oracle (sustained)' : h));
}

function overOracleCell(r: TunerSummary, all: readonly TunerSummary[], missing: OracleMissing): string {
  if (Number.isFinite(r.overOracle)) return `${pm(r.overOracle, r.overOracleSeedSd, 3)}${r.oracleSource === 'measured' && !measuredOnly(all) ? ' (measured oracle)' : ''}`;
  const why = missing.get(r.sweep);
  if (why) return r.oracleSource === 'measured' ? '– (no sustained episode)' : '– (no measured oracle)';
  return '–';
}

/** The summary as cells (one list per tuner), shared by summary.md and index.html. */
export function summaryCells(rows: TunerSummary[], missing: OracleMissing = new Map()): string[][] {
  return rows.map((r) => [
    r.sweep,
    r.tuner,
    String(r.episodes),
    String(r.infeasible),
    String(r.seeds),
    pct(r.sustained, r.sustainedSeedSd),
    pm(r.reconfigMean, r.reconfigSeedSd),
    f(r.reconfigMedian, 1),
    overOracleCell(r, rows, missing),
    f(r.finalParallelism, 1),
    `${f(r.timeToSloMedian, 0)} / ${f(r.timeToSloP90, 0)}`,
    si(r.lagIntegral),
    f(r.lagEndSec, 1),
    f(r.downtime, 1),
  ]);
}

/** What the measured oracle is and, per sweep point without one, why (appended to the notes on real engines). */
export function measuredOracleNotes(rows: readonly TunerSummary[], missing: OracleMissing): string {
  const lines: string[] = [];
  if (rows.some((r) => r.oracleSource.includes('measured')))
    lines.push(
      'The measured oracle (engines without ground truth): at each rate, the smallest total parallelism found by `npm run oracle` that passed this SLO on this engine and machine, one SLO check per probe, its failing neighbours one below; a search, not a proof of minimality.',
    );
  for (const [sweep, why] of missing) if (why) lines.push(`No measured oracle${sweep === 'base' ? '' : ` for ${sweep}`}: ${why}.`);
  return lines.join('\n');
}

export function summaryNotes(slo: { holdSec: number; maxLagTrend: number; maxLagSec?: number | undefined }): string {
  return [
    `An episode is sustained when the SLO holds at its end: over the last ${slo.holdSec} s of one configuration the source`,
    `lag grows by at most ${slo.maxLagTrend} of the target rate${slo.maxLagSec !== undefined ? `, and the lag is at most ${slo.maxLagSec} s of input` : ''}; violated when time ran out without it;`,
    'capped when the tuner wanted more reconfigurations than the cap; infeasible when the ground truth says no configuration',
    "within the operators' max parallelism (and a finite machine's cores) meets the SLO at that rate: then every tuner's",
    'episode is infeasible, the oracle\'s included, counted in "infeasible" and left out of every other column (the',
    'sustained share is of the feasible episodes). "P / oracle" is the final total parallelism over the smallest',
    "configuration meeting the same SLO (the simulator's ground truth), averaged over sustained episodes only (– without an oracle). Backlog is a",
    'cost, not a pass/fail: the lag integral is the source lag summed over the episode (record-seconds), the end lag in',
    'seconds of input at the target rate. ± is the standard deviation over seeds of the per-seed values. "final total P',
    '(sustained)" averages over each tuner\'s own sustained episodes, a different subset per tuner (a tuner that fails',
    'the high rates drops them), so compare tuners by P / oracle, not by it.',
  ].join('\n');
}

/** A run that stopped with an error: its finished episodes and observed windows are in the CSVs. */
export interface FailedRun {
  readonly key: string;
  readonly error: string;
}

/** The failed runs as a Markdown section (empty when none failed). */
export function failuresMarkdown(failed: readonly FailedRun[]): string[] {
  if (failed.length === 0) return [];
  return [
    '## Failed runs',
    '',
    `${failed.length} run${failed.length === 1 ? '' : 's'} stopped with an error; the episodes ${failed.length === 1 ? 'it' : 'they'} finished and the windows ${failed.length === 1 ? 'it' : 'they'} observed are in the CSVs (the timeline's last row of such a run says \`failed\`), the summary above counts only finished episodes.`,
    '',
    ...failed.map((f) => `- \`${f.key}\`: ${f.error.trim().split('\n').join(' ')}`),
    '',
  ];
}

export function summaryMarkdown(title: string, description: string, rows: TunerSummary[], notes: string, missing: OracleMissing = new Map(), failed: readonly FailedRun[] = []): string {
  const header = summaryHeader(rows);
  return [
    `# ${title}`,
    '',
    description,
    '',
    notes,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...summaryCells(rows, missing).map((c) => `| ${c.join(' | ')} |`),
    '',
    ...failuresMarkdown(failed),
  ].join('\n');
}
