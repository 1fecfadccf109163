/**
 * The paper's figure kinds, one registry entry each: what a figure of the kind needs from its figure-set entry
 * (its plan: how many experiments, which other fields) and how it is built from its experiments' rows (its chart
 * and its table: a paper-charts.ts function returning the spec and the data written as CSV). Adding a kind is one
 * entry here plus its chart function; the figure-set schema, the checks and the build read this table.
 */
import { existsSync, readdirSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { PROJECT_ROOT } from '../experiment/config.js';
import type { Experiment } from '../experiment/schema.js';
import { engineOf } from '../engines/registry.js';
import { readCells, type EpisodeResult, type TimelineResult } from '../loop/rows.js';
import {
  ablations,
  episodeTimelines,
  FIDELITY_COLUMNS,
  FIDELITY_METRIC,
  fidelityScatter,
  parallelismByWorkload,
  reconfigurationsByWorkload,
  timelyParallelism,
  tradeoffByWorkload,
  type Figure,
  type Labelled,
} from '../report/paper-charts.js';
import { timelyClaim, type ClaimSet } from '../report/timely-claim.js';
import { workloadLabel as labelOf } from '../workloads/index.js';

/** What a kind reads of its figure-set entry (besides kind and caption). */
export interface KindEntry {
  readonly name: string;
  readonly experiments: readonly string[];
  readonly episode?: number | undefined;
  readonly csv?: string | undefined;
}

/** One experiment's run folder, read. */
export interface ExperimentRows {
  /** The figure set's label, when it gives one. */
  readonly label?: string;
  readonly points: readonly { label: string; experiment: Experiment }[];
  readonly episodes: EpisodeResult[];
  /** Read on demand (timelines are large). */
  timeline(): TimelineResult[];
}

/** What a kind's build is given: its experiments by id, and each as labelled episodes for cross-workload figures. */
export interface FigureInput {
  experiment(id: string): ExperimentRows;
  /** The entry's experiments in order, each with its label (the set's, else the workload). */
  labelled(): Labelled[];
}

export interface FigureKindEntry {
  /** Experiments an entry of this kind names at least. */
  readonly needs: number;
  /** An entry field the kind cannot do without: the message when it is missing. */
  check?(f: KindEntry): string | undefined;
  /** The figure, or { skipped } with the reason when its input is missing. */
  build(f: KindEntry, input: FigureInput): Figure | { skipped: string };
}

/** 'real Timely', 'simulator (Timely mode)', 'simulator', 'real Flink'. */
export function engineLabel(engine: Experiment['engine']): string {
  return engineOf(engine).label();
}

const first = (f: KindEntry): string => f.experiments[0] as string;

export const FIGURE_KIND_TABLE = {
  'reconfigurations-by-workload': { needs: 1, build: (_f, input) => reconfigurationsByWorkload(input.labelled()) },
  'parallelism-by-workload': { needs: 1, build: (_f, input) => parallelismByWorkload(input.labelled()) },
  'tradeoff-by-workload': { needs: 1, build: (_f, input) => tradeoffByWorkload(input.labelled()) },
  'timely-parallelism': {
    needs: 1,
    build: (f, input) =>
      timelyParallelism(
        f.experiments.flatMap((id) => {
          const e = input.experiment(id);
          return e.points.map((pt) => {
            const wl = pt.experiment.workload as { workloadUnit?: number };
            return { engine: engineLabel(pt.experiment.engine), episodes: e.episodes.filter((r) => r.sweep === pt.label), workloadUnit: wl.workloadUnit ?? 1 };
          });
        }),
      ),
  },
  'timely-claim': {
    needs: 1,
    build: (f, input) => {
      const sets: ClaimSet[] = f.experiments.flatMap((id) => {
        const e = input.experiment(id);
        return e.points.map((pt) => {
          const engine = pt.experiment.engine as { kind: string; parallelism?: string };
          const label = engineOf(pt.experiment.engine).label({ profile: true });
          return { workload: e.label ?? workloadLabel(pt.experiment), mode: engine.parallelism === 'placement' ? 'placement' : 'workers', engine: label, episodes: e.episodes.filter((r) => r.sweep === pt.label) };
        });
      });
      return timelyClaim(sets);
    },
  },
  ablations: {
    needs: 1,
    build: (f, input) => {
      const e = input.experiment(first(f));
      return ablations(e.episodes, e.points.map((p) => p.label));
    },
  },
  'episode-timelines': {
    needs: 1,
    build: (f, input) => {
      const e = input.experiment(first(f));
      const seed = e.points[0]?.experiment.seeds[0] ?? 1;
      return episodeTimelines(e.timeline(), e.episodes, { seed, episode: f.episode ?? 1, workload: `Nexmark ${e.label ?? workloadLabel(e.points[0]?.experiment as Experiment)}` });
    },
  },
  'fidelity-scatter': {
    needs: 0,
    check: (f) => (f.csv === undefined ? '.csv: kind fidelity-scatter needs the CSV\'s path' : undefined),
    build: (f) => {
      const csv = newest(resolve(PROJECT_ROOT, f.csv as string));
      if (!csv) return { skipped: `no fidelity data: no ${f.csv} (npm run fidelity writes it)` };
      const rows = readCells(csv);
      const where = relative(PROJECT_ROOT, csv);
      const head = rows[0] ?? {};
      const missing = [...FIDELITY_COLUMNS.filter((c) => !(c in head)), ...(FIDELITY_METRIC.some((c) => c in head) ? [] : [FIDELITY_METRIC.join(' or ')])];
      if (rows.length === 0 || missing.length > 0) return { skipped: `${where}: ${rows.length === 0 ? 'no rows' : `no column ${missing.join(', ')}`} (expected real, simulated, metric or kind)` };
      return { ...fidelityScatter(rows), inputs: [csv] };
    },
  },
} as const satisfies Record<string, FigureKindEntry>;

export type FigureKind = keyof typeof FIGURE_KIND_TABLE;
export const FIGURE_KINDS = Object.keys(FIGURE_KIND_TABLE) as [FigureKind, ...FigureKind[]];

/** A workload's name in cross-workload figures (its registry entry's label: the Nexmark query, else the kind). */
export const workloadLabel = (x: Experiment): string => labelOf(x.workload);

/**
 * A path, or, with one star in a folder name (results/fidelity/STAR/fidelity.csv), the match whose folder sorts
 * last: the newest of time-stamped folders. Undefined when nothing exists.
 */
export function newest(path: string): string | undefined {
  const parts = path.split('/');
  const star = parts.findIndex((p) => p.includes('*'));
  if (star < 0) return existsSync(path) ? path : undefined;
  const parent = parts.slice(0, star).join('/') || '/';
  if (!existsSync(parent)) return undefined;
  const re = new RegExp(`^${(parts[star] as string).split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  const matches = readdirSync(parent)
    .filter((e) => re.test(e))
    .sort()
    .map((e) => [parent, e, ...parts.slice(star + 1)].join('/'))
    .filter((p) => existsSync(p));
  return matches[matches.length - 1];
}
