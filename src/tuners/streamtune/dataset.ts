/**
 * Reading history back (src/history/record.ts rows, from `npm run history` or an experiment's history.csv): rows
 * are grouped into windows, each window's DAG is rebuilt from the rows' type / upstream / spec columns (a window
 * spec keeps only its size: slide = size), its metrics into a Snapshot, and the window becomes a LabelledGraph
 * (src/learning/features.ts) under StreamTune's label rule.
 */
import { JobGraph, type OperatorSpecInput, type EdgeSpec } from '../../core/job.js';
import { OPERATOR_METRIC_NAMES, type OperatorMetrics, type Snapshot, type SourceMetrics } from '../../core/metrics.js';
import { isOperatorType, isPartitioning, type Partitioning } from '../../core/operators.js';
import type { Parallelism } from '../../core/parallelism.js';
import { readHistory, validRow } from '../../history/record.js';
import { withLabels, type LabelledGraph } from '../../learning/features.js';
import { jobFeatures, type FeatureSpec } from './features.js';
import { fromJobGraph, type LabelledGraph as DagGraph } from '../../graph/index.js';
import { windowLabels, type LabelOptions } from './labels.js';

type Row = Record<string, string | number>;

/** One observed window of one deployed configuration, rebuilt from its rows. */
export interface HistoryWindow {
  /** `run|seed|episode|window`: unique within a corpus. */
  readonly key: string;
  readonly run: string;
  readonly job: JobGraph;
  /** Structure of the DAG (operator types and edges): equal for equal DAGs, whatever the costs. */
  readonly structure: string;
  readonly parallelism: Parallelism;
  readonly snapshot: Snapshot;
  /** The metric label column as written (default thresholds). */
  readonly labelMetric: Readonly<Record<string, boolean>>;
  /** The simulator's truth labels, when the corpus has them. */
  readonly labelTruth?: Readonly<Record<string, boolean>>;
}

const num = (r: Row, k: string): number => {
  const v = r[k];
  return typeof v === 'number' ? v : Number(v);
};
const str = (r: Row, k: string): string => String(r[k] ?? '');

/** The GED view of a job and a string that is equal exactly for equal views. */
export function dagStructure(job: JobGraph): { graph: DagGraph; key: string } {
  const graph = fromJobGraph(job);
  return { graph, key: `${graph.labels.join(',')}|${graph.edges.map(([a, b]) => `${a}>${b}`).join(',')}` };
}

/** Rebuilds a job from one window's rows (one row per operator). */
export function jobFromRows(rows: readonly Row[], where: string): JobGraph {
  const name = str(rows[0] ?? {}, 'job');
  const operators: OperatorSpecInput[] = [];
  const edges: EdgeSpec[] = [];
  for (const r of rows) {
    const id = str(r, 'operator');
    const type = str(r, 'type');
    if (!isOperatorType(type)) throw new Error(`${where}: operator '${id}' has unknown type '${type}'`);
    const ins = str(r, 'upstream')
      .split(';')
      .filter((x) => x !== '')
      .map((x) => {
        const at = x.lastIndexOf(':');
        const ship = x.slice(at + 1);
        if (at <= 0 || !isPartitioning(ship)) throw new Error(`${where}: operator '${id}' has a malformed upstream entry '${x}'`);
        return { from: x.slice(0, at), ship: ship as Partitioning };
      });
    const windowSize = num(r, 'windowSizeSec');
    operators.push({
      id,
      type,
      cost: num(r, 'cost'),
      selectivity: num(r, 'selectivity'),
      keySkew: num(r, 'keySkew'),
      stateSizeMb: num(r, 'stateSizeMb'),
      maxParallelism: num(r, 'maxParallelism'),
      ...(ins[0] ? { partitioning: ins[0].ship } : {}),
      ...(windowSize > 0 ? { window: { sizeSec: windowSize, slideSec: windowSize } } : {}),
    });
    for (const e of ins) edges.push({ from: e.from, to: id, ship: e.ship });
  }
  return JobGraph.create({ name, operators, edges });
}

/**
 * Groups history rows into windows, in first-seen order; windows the engine invalidated (`valid` 0: zero metrics,
 * no labels) are left out. Jobs with the same spec share one JobGraph.
 */
export function historyWindows(rows: readonly Row[], where = 'history'): HistoryWindow[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    if (!validRow(r)) continue;
    const key = `${str(r, 'run')}|${str(r, 'seed')}|${str(r, 'episode')}|${str(r, 'window')}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  const jobs = new Map<string, { job: JobGraph; structure: string }>();
  const out: HistoryWindow[] = [];
  for (const [key, g] of groups) {
    const at = `${where}, window ${key}`;
    const specKey = g
      .map((r) => ['job', 'operator', 'type', 'upstream', 'cost', 'selectivity', 'keySkew', 'stateSizeMb', 'windowSizeSec', 'maxParallelism'].map((k) => str(r, k)).join('/'))
      .join('\n');
    let j = jobs.get(specKey);
    if (!j) {
      const job = jobFromRows(g, at);
      jobs.set(specKey, (j = { job, structure: dagStructure(job).key }));
    }
    const first = g[0] as Row;
    const operators: Record<string, OperatorMetrics> = {};
    const parallelism: Record<string, number> = {};
    const labelMetric: Record<string, boolean> = {};
    const labelTruth: Record<string, boolean> = {};
    let hasTruth = true;
    for (const r of g) {
      const id = str(r, 'operator');
      operators[id] = Object.fromEntries(OPERATOR_METRIC_NAMES.map((k) => [k, num(r, k)])) as OperatorMetrics;
      parallelism[id] = num(r, 'parallelism');
      labelMetric[id] = num(r, 'labelMetric') === 1;
      if (str(r, 'labelTruth') === '') hasTruth = false;
      else labelTruth[id] = num(r, 'labelTruth') === 1;
    }
    const targetRate = num(first, 'targetRate');
    const achievedRate = num(first, 'achievedRate');
    const lag = num(first, 'lagRecords');
    const shares = j.job.sourceShares();
    const sources: Record<string, SourceMetrics> = Object.fromEntries(
      j.job.sources().map((s) => [s, { targetRate: targetRate * (shares[s] ?? 0), achievedRate: achievedRate * (shares[s] ?? 0), lagRecords: lag * (shares[s] ?? 0) }]),
    );
    out.push({
      key,
      run: str(first, 'run'),
      job: j.job,
      structure: j.structure,
      parallelism,
      snapshot: { time: num(first, 'time'), windowSeconds: 10, operators, sources, targetRate, achievedRate, valid: true },
      labelMetric,
      ...(hasTruth ? { labelTruth } : {}),
    });
  }
  return out;
}

/** Reads and groups one or more history CSVs (windows of later files follow those of earlier ones). */
export function readHistoryWindows(files: readonly string[]): HistoryWindow[] {
  return files.flatMap((f) => historyWindows(readHistory(f), f));
}

/** A window as a LabelledGraph under the label options; throws when groundTruth is asked of a corpus without it. */
export function windowGraph(w: HistoryWindow, o: LabelOptions, spec: FeatureSpec): LabelledGraph {
  if (o.labelRule === 'groundTruth' && !w.labelTruth)
    throw new Error(`history window ${w.key} has no ground-truth labels (generate the corpus with --labels groundTruth)`);
  const labels = windowLabels(w.job, w.snapshot, o, w.labelTruth);
  const g = jobFeatures(w.job, w.parallelism, w.snapshot.targetRate, w.snapshot.operators, spec);
  return withLabels(g, labels);
}

/**
 * Cross-window pairs (reconstruction, recipe key `pairing`): a label of operator v depends only on the job, the
 * rate and v's own parallelism (demand at the rate against capacity at p_v), not on the state the window was in.
 * So within a group of windows of one job at one rate, each window's features (the context: rates, busy
 * instance-equivalents, ...) can be paired with another window's parallelism and labels: "from this context, p'
 * was (not) enough". That teaches the model to answer for parallelism far from the observed one, e.g. from a
 * throttled window the configuration that later sustained the rate. Each window is paired with itself and with up
 * to `maxPartners` others of its group, the nearest in order.
 */
export function pairGraphs(groups: readonly string[], graphs: readonly LabelledGraph[], maxPartners: number): LabelledGraph[] {
  const byGroup = new Map<string, number[]>();
  groups.forEach((g, i) => {
    let xs = byGroup.get(g);
    if (!xs) byGroup.set(g, (xs = []));
    xs.push(i);
  });
  const out: LabelledGraph[] = [];
  graphs.forEach((ctx, i) => {
    out.push(ctx);
    const members = byGroup.get(groups[i] as string) ?? [];
    const k = members.indexOf(i);
    const partners = members
      .filter((j) => j !== i)
      .map((j, n) => ({ j, d: Math.abs(members.indexOf(j) - k), n }))
      .sort((a, b) => a.d - b.d || a.n - b.n)
      .slice(0, maxPartners);
    for (const { j } of partners) out.push(pairWith(ctx, graphs[j] as LabelledGraph));
  });
  return out;
}

/** The context's features with the other window's parallelism, labels and mask (same job, same rate). */
export function pairWith(ctx: LabelledGraph, other: LabelledGraph): LabelledGraph {
  return { ...ctx, p: other.p, labels: other.labels, mask: other.mask };
}

/** The group key of a history window for pairing: one job run at one target rate. */
export function pairingGroup(w: HistoryWindow): string {
  const [run, seed, episode] = w.key.split('|');
  return `${run}|${seed}|${episode}|${w.snapshot.targetRate}`;
}
