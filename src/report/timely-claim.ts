/**
 * The Timely claim (StreamTune's abstract: up to 83.3 % fewer parallelism degrees than the state of the art on Timely
 * Dataflow, Nexmark, at comparable performance), as a figure and a table. Each workload ran every tuner in both
 * Timely parallelism modes: 'workers' (every operator on W workers: DS2 as on Timely chooses W) and 'placement'
 * (operator v on p_v of the workers: StreamTune's per-operator answer runs as it is).
 *
 * Parallelism degrees = the sum over operators of the final p_v (in 'workers' mode every operator counts W, a
 * global aggregate its max), read from episodes.csv's finalParallelism; W = the largest p_v. The reduction is
 * StreamTune (placement) against DS2 (workers) at equal sustained share: over the episodes both sustained (the same
 * seed and rate step), 1 - sum of StreamTune's degrees / sum of DS2's; "up to" is the largest per-episode reduction.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, SCHEMA, tunerColors } from './charts.js';
import type { Datum, Figure } from './paper-charts.js';
import type { EpisodeResult } from '../loop/rows.js';

/** Episodes of one workload in one Timely parallelism mode. */
export interface ClaimSet {
  workload: string;
  mode: 'workers' | 'placement';
  /** The engine's label (e.g. 'simulator (Timely mode, uncalibrated)', 'real Timely'). */
  engine: string;
  episodes: EpisodeResult[];
}

/** The paper's figure for the Timely claim: the largest reduction it reports. */
export const PAPER_CLAIM = 0.833;

/** The runs compared: StreamTune in placement mode against DS2 choosing W. */
export const CLAIM_PAIR = { streamtune: 'placement', ds2: 'workers' } as const;

export const CLAIM_COLUMNS = [
  'engine',
  'workload',
  'tuner',
  'mode',
  'episodes',
  'degrees',
  'workers',
  'reconfigurations',
  'sustainedShare',
  'overOracle',
  'pairedEpisodes',
  'reductionVsDs2',
  'reductionVsDs2Max',
] as const;

const mean = (xs: number[]): number => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The final configuration of an episode row ("a=1;b=3"): its sum of p_v and its largest p_v. */
export function degreesOf(row: Pick<EpisodeResult, 'finalParallelism'>): { degrees: number; workers: number } {
  const values = row.finalParallelism
    .split(';')
    .filter((x) => x.includes('='))
    .map((x) => Number(x.slice(x.lastIndexOf('=') + 1)));
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) throw new Error(`episode row without a final parallelism: '${row.finalParallelism}'`);
  return { degrees: values.reduce((a, b) => a + b, 0), workers: Math.max(...values) };
}

const key = (r: EpisodeResult): string => `${r.seed}/${r.episode}`;

/** One row per (workload, tuner, mode): degrees, W, reconfigurations, SLO; the StreamTune rows carry the reduction. */
export function claimData(sets: ClaimSet[]): Datum[] {
  const data: Datum[] = [];
  const workloads = [...new Set(sets.map((s) => s.workload))];
  for (const workload of workloads) {
    const of = (tuner: string, mode: string): EpisodeResult[] => sets.filter((s) => s.workload === workload && s.mode === mode).flatMap((s) => s.episodes.filter((e) => e.tuner === tuner));
    const ds2 = new Map(of('ds2', CLAIM_PAIR.ds2).filter((r) => r.outcome === 'sustained').map((r) => [key(r), r]));
    for (const s of sets.filter((x) => x.workload === workload)) {
      const tuners = [...new Set(s.episodes.map((e) => e.tuner))];
      for (const tuner of tuners) {
        const rows = s.episodes.filter((e) => e.tuner === tuner);
        const shape = rows.map(degreesOf);
        const sustained = rows.filter((r) => r.outcome === 'sustained');
        let paired: number | null = null;
        let reduction: number | null = null;
        let reductionMax: number | null = null;
        if (tuner === 'streamtune' && s.mode === CLAIM_PAIR.streamtune) {
          const both = sustained.filter((r) => ds2.has(key(r)));
          paired = both.length;
          if (both.length > 0) {
            const st = both.map((r) => degreesOf(r).degrees);
            const base = both.map((r) => degreesOf(ds2.get(key(r)) as EpisodeResult).degrees);
            reduction = 1 - st.reduce((a, b) => a + b, 0) / base.reduce((a, b) => a + b, 0);
            reductionMax = Math.max(...st.map((x, i) => 1 - x / (base[i] as number)));
          }
        }
        data.push({
          engine: s.engine,
          workload,
          tuner,
          mode: s.mode,
          episodes: rows.length,
          degrees: finite(mean(shape.map((x) => x.degrees))),
          workers: finite(mean(shape.map((x) => x.workers))),
          reconfigurations: finite(mean(rows.map((r) => r.reconfigurations))),
          sustainedShare: rows.length > 0 ? sustained.length / rows.length : null,
          overOracle: finite(mean(sustained.map((r) => r.parallelismOverOracle ?? Number.NaN).filter(Number.isFinite))),
          pairedEpisodes: paired,
          reductionVsDs2: reduction,
          reductionVsDs2Max: reductionMax,
        });
      }
    }
  }
  return data;
}

/** The runs the figure shows, in its order: StreamTune, ContTune and the oracle placed, DS2 both ways. */
export const FIGURE_RUNS = ['streamtune (placement)', 'conttune (placement)', 'ds2 (workers)', 'ds2 (placement)', 'oracle (placement)'] as const;

/** The figure: mean parallelism degrees per workload, one bar per run of FIGURE_RUNS; the reduction as a label. */
export function timelyClaim(sets: ClaimSet[]): Figure {
  const all = claimData(sets);
  const runOf = (d: Datum): string => `${String(d.tuner)} (${String(d.mode)})`;
  const shown = all.filter((d) => (FIGURE_RUNS as readonly string[]).includes(runOf(d))).map((d) => ({ ...d, run: runOf(d) }));
  const runs = FIGURE_RUNS.filter((r) => shown.some((d) => d.run === r));
  const workloads = [...new Set(all.map((d) => String(d.workload)))];
  const engines = [...new Set(all.map((d) => String(d.engine)))];
  const colors = tunerColors(runs.map((r) => r.replace(/ \(.*\)$/, '')));
  const x = { field: 'workload', type: 'nominal', sort: workloads, title: null, axis: { labelAngle: 0 } } as const;
  const spec = {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: 'Parallelism degrees on Timely', subtitle: `${engines.join(', ')}; label: StreamTune placed vs DS2's W for all` },
    data: { values: shown },
    width: 330,
    height: 150,
    layer: [
      {
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x,
          xOffset: { field: 'run', type: 'nominal', sort: runs },
          y: { field: 'degrees', type: 'quantitative', title: 'Degrees (sum of p_v)' },
          color: { field: 'run', type: 'nominal', sort: runs, title: null, scale: { domain: runs, range: runs.map((r) => colorOf(colors, r)) }, legend: { orient: 'bottom', columns: 3 } },
        },
      },
      {
        transform: [{ filter: 'isValid(datum.reductionVsDs2)' }, { calculate: "'-' + format(datum.reductionVsDs2, '.0%')", as: 'label' }],
        mark: { type: 'text', baseline: 'bottom', fontSize: 9 },
        encoding: { x, y: { value: -2 }, text: { field: 'label' } },
      },
    ],
  } as TopLevelSpec;
  return { spec, data: all, columns: [...CLAIM_COLUMNS] };
}

/** A tuner's colour; DS2 placed (the fair comparison, not the claim's) in a lighter shade of DS2's. */
function colorOf(scale: { domain: string[]; range: string[] }, run: string): string {
  if (run === 'ds2 (placement)') return '#fdc58f';
  const t = run.replace(/ \(.*\)$/, '');
  return scale.range[scale.domain.indexOf(t)] ?? '#888888';
}

const pct = (x: unknown): string => (typeof x === 'number' ? `${(100 * x).toFixed(1)} %` : '-');
const fix = (x: unknown, d = 1): string => (typeof x === 'number' ? x.toFixed(d) : '-');

/**
 * The table of the note: per workload StreamTune's (placement) and DS2's (workers) degrees, W, reconfigurations and
 * sustained share, ContTune's (placement) degrees, the reduction against DS2 and the paper's figure beside it.
 */
export function claimMarkdown(data: Datum[]): string {
  const at = (w: unknown, tuner: string, mode: string): Datum | undefined => data.find((d) => d.workload === w && d.tuner === tuner && d.mode === mode);
  const head = ['workload', 'StreamTune degrees / W', 'DS2 degrees / W', 'ContTune degrees / W', 'oracle degrees / W', 'reconf. ST / DS2 / CT', 'sustained ST / DS2 / CT', 'paired', 'reduction vs DS2 (mean, up to)', 'paper'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const w of [...new Set(data.map((d) => d.workload))]) {
    const st = at(w, 'streamtune', CLAIM_PAIR.streamtune);
    const ds2 = at(w, 'ds2', CLAIM_PAIR.ds2);
    const ct = at(w, 'conttune', 'placement');
    const or = at(w, 'oracle', 'placement');
    const dw = (d?: Datum): string => (d ? `${fix(d.degrees)} / ${fix(d.workers)}` : '-');
    lines.push(
      `| ${String(w)} | ${dw(st)} | ${dw(ds2)} | ${dw(ct)} | ${dw(or)} | ${fix(st?.reconfigurations, 2)} / ${fix(ds2?.reconfigurations, 2)} / ${fix(ct?.reconfigurations, 2)} | ${pct(st?.sustainedShare)} / ${pct(ds2?.sustainedShare)} / ${pct(ct?.sustainedShare)} | ${st?.pairedEpisodes ?? '-'} | ${pct(st?.reductionVsDs2)}, ${pct(st?.reductionVsDs2Max)} | up to ${pct(PAPER_CLAIM)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
