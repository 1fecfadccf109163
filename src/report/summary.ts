/** summary.md: per tuner (and sweep point), reconfigurations, parallelism, oracle ratio, backlog, throughput. */
import { mean, median, sampleStandardDeviation } from 'simple-statistics';

export type Row = Record<string, string>;

export interface TunerSummary {
  sweep: string;
  tuner: string;
  episodes: number;
  seeds: number;
  reconfigMean: number;
  reconfigMedian: number;
  /** Standard deviation over seeds of the per-seed mean reconfigurations (NaN with one seed). */
  reconfigSeedSd: number;
  finalParallelism: number;
  overOracle: number;
  overOracleSeedSd: number;
  backlog: number;
  throughput: number;
  converged: number;
}

const num = (xs: Row[], k: string): number[] => xs.filter((r) => r[k] !== '' && r[k] !== undefined).map((r) => Number(r[k])).filter((x) => r_ok(x));
const r_ok = (x: number): boolean => Number.isFinite(x);
const safe = (f: (xs: number[]) => number, xs: number[]): number => (xs.length > 0 ? f(xs) : Number.NaN);
const sd = (xs: number[]): number => (xs.length > 1 ? sampleStandardDeviation(xs) : Number.NaN);

export function summarise(episodes: Row[]): TunerSummary[] {
  const groups = new Map<string, Row[]>();
  for (const e of episodes) {
    const k = `${e.sweep}\u0000${e.tuner}`;
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  return [...groups.entries()].map(([k, rows]) => {
    const [sweep, tuner] = k.split('\u0000') as [string, string];
    const seeds = [...new Set(rows.map((r) => r.seed))];
    const perSeed = (col: string) => seeds.map((s) => safe(mean, num(rows.filter((r) => r.seed === s), col))).filter(r_ok);
    return {
      sweep,
      tuner,
      episodes: rows.length,
      seeds: seeds.length,
      reconfigMean: safe(mean, num(rows, 'reconfigurations')),
      reconfigMedian: safe(median, num(rows, 'reconfigurations')),
      reconfigSeedSd: sd(perSeed('reconfigurations')),
      finalParallelism: safe(mean, num(rows, 'finalTotalParallelism')),
      overOracle: safe(mean, num(rows, 'parallelismOverOracle')),
      overOracleSeedSd: sd(perSeed('parallelismOverOracle')),
      backlog: safe(mean, num(rows, 'backlogRecords')),
      throughput: safe(mean, num(rows, 'throughputRatio')),
      converged: rows.filter((r) => r.outcome === 'converged').length / rows.length,
    };
  });
}

const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '–');
const pm = (x: number, s: number, d = 2): string => (Number.isFinite(s) ? `${f(x, d)} ± ${f(s, d)}` : f(x, d));

export function summaryMarkdown(title: string, description: string, rows: TunerSummary[]): string {
  const lines = [
    `# ${title}`,
    '',
    description,
    '',
    '± is the standard deviation over seeds of the per-seed means. "P / oracle" is the final total parallelism over the',
    "simulator's minimal sustaining parallelism (– on real engines). Throughput is achieved / target source rate in the",
    "episode's last window; backlog is the source lag (records) at its end.",
    '',
    '| sweep | tuner | episodes | seeds | reconfigurations (mean) | median | final total P | P / oracle | throughput | backlog | converged |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.sweep} | ${r.tuner} | ${r.episodes} | ${r.seeds} | ${pm(r.reconfigMean, r.reconfigSeedSd)} | ${f(r.reconfigMedian, 1)} | ${f(r.finalParallelism, 1)} | ${pm(r.overOracle, r.overOracleSeedSd, 3)} | ${f(r.throughput, 3)} | ${f(r.backlog, 0)} | ${f(100 * r.converged, 0)}% |`,
    ),
    '',
  ];
  return lines.join('\n');
}
