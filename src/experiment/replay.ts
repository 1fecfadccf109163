/**
 * Offline replay (DS2's offline command, for any tuner): a tuner's decisions window by window on the snapshots a
 * run recorded (history.csv), beside what was decided in the run (timeline.csv). No engine runs: each recorded
 * window the run decided on becomes the tuner's view (the snapshot with every metric, the parallelism that ran,
 * the target rate, the episode's and the run's earlier windows), in order, with startEpisode at each episode.
 *
 * From a run folder, the job, the engine's shared-worker mode, the windows the run decided on and the run's own
 * decisions come from its files; from a bare history.csv, the job is rebuilt from the rows, every window counts as
 * decided on, and there is nothing to compare with. Not replayed: the gate and the engine (a replayed rescale does
 * not change the next window: the recorded one follows), so a replay agrees with the run only where both decided
 * the same; view.lastRescale and maxOperatorParallelism are not recorded and not shown.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readInputCsv } from '../io/read.js';
import { readTimeline, type TimelineResult } from '../loop/rows.js';
import type { Decision } from '../core/decision.js';
import type { JobGraph } from '../core/job.js';
import { OPERATOR_METRIC_NAMES, type OperatorMetrics, type Snapshot } from '../core/metrics.js';
import type { Parallelism } from '../core/parallelism.js';
import { Rng } from '../core/random.js';
import { createEngine, engineCapabilities } from '../engines/registry.js';
import type { GroundTruth } from '../engines/engine.js';
import { jobFromRows } from '../tuners/streamtune/dataset.js';
import { createTuner } from '../tuners/registry.js';
import type { Observation, Tuner, TunerView } from '../tuners/tuner.js';
import { entryOf, tunerEntries, type TunerEntryConfig } from '../tuners/variants.js';
import { buildWorkload } from '../workloads/index.js';
import { asConfigError, ConfigError, readJson } from './config.js';
import { RESOLVED } from './plan.js';
import { expandRuns, type RunSpec } from './runs.js';
import type { Experiment } from './schema.js';

type Row = Record<string, string>;

export const REPLAY_COLUMNS = [
  'run',
  'episode',
  'window',
  'time',
  'targetRate',
  'parallelism',
  'runEvent',
  'runDecision',
  'runNext',
  'runReason',
  'tuner',
  'decision',
  'next',
  'reason',
  'agrees',
] as const;
export type ReplayRow = Record<(typeof REPLAY_COLUMNS)[number], string | number>;

/** What a timeline event says the tuner decided ('' where it was not asked). */
export function decisionOfEvent(event: string): 'keep' | 'wait' | 'rescale' | '' {
  if (event === 'wait') return 'wait';
  if (event === 'keep' || event === 'sustained') return 'keep';
  if (['same', 'pending', 'capped', 'rescale', 'rescale-partial', 'rescale-failed'].includes(event)) return 'rescale';
  return '';
}

const fmtP = (job: JobGraph, p: Parallelism): string => job.operatorIds.map((id) => `${id}=${p[id]}`).join(';');

interface RecordedRun {
  run: string;
  seed: number;
  job: JobGraph;
  sharedWorkers: boolean;
  /** The loop's observation window (run folder only; else the time between recorded windows). */
  windowSec?: number;
  truth?: GroundTruth;
  /** Windows in order, each with its per-operator rows. */
  windows: { window: number; episode: number; rows: Row[] }[];
  /** The run's timeline rows by window (absent for a bare history.csv). */
  timeline?: Map<number, TimelineResult>;
  /** The tuner entry the run used (run folder only). */
  entry?: TunerEntryConfig;
}

export interface ReplaySource {
  /** The history.csv read. */
  history: string;
  /** The run folder, when given one. */
  dir?: string;
  runs: RecordedRun[];
  /** The experiment's tuner entries (run folder only), for --tuner by name. */
  entries: TunerEntryConfig[];
}

function readCsv(file: string): Row[] {
  return asConfigError(() => readInputCsv(file)) as Row[];
}

/** Reads a run folder (history.csv, timeline.csv, config.resolved.json) or a bare history.csv. */
export async function readReplaySource(path: string, only?: string): Promise<ReplaySource> {
  if (!existsSync(path)) throw new ConfigError(`${path}: no such run folder or history.csv`);
  const isDir = statSync(path).isDirectory();
  const history = isDir ? join(path, 'history.csv') : path;
  if (!existsSync(history)) throw new ConfigError(`${path}: no history.csv (run the experiment with outputs.history: true)`);
  const dir = isDir ? path : basename(history) === 'history.csv' && existsSync(join(dirname(history), RESOLVED)) ? dirname(history) : undefined;
  const rows = readCsv(history);
  if (rows.length === 0) throw new ConfigError(`${history}: no rows`);
  let specs: RunSpec[] = [];
  const timeline = new Map<string, Map<number, TimelineResult>>();
  if (dir !== undefined) {
    const saved = readJson(join(dir, RESOLVED)) as { points: { label: string; experiment: Experiment }[] };
    specs = expandRuns(saved.points.map((p, index) => ({ label: p.label, index, assignments: {}, experiment: p.experiment })));
    const tl = join(dir, 'timeline.csv');
    for (const r of readTimeline(tl)) {
      if (r.window === undefined) continue;
      const m = timeline.get(r.run) ?? new Map<number, TimelineResult>();
      m.set(r.window, r);
      timeline.set(r.run, m);
    }
  }
  const byRun = new Map<string, Row[]>();
  for (const r of rows) byRun.set(r.run as string, [...(byRun.get(r.run as string) ?? []), r]);
  if (only !== undefined && !byRun.has(only)) throw new ConfigError(`--run: no run '${only}' in ${history} (runs: ${[...byRun.keys()].slice(0, 10).join(', ')})`);
  const runs: RecordedRun[] = [];
  for (const [run, rs] of byRun) {
    if (only !== undefined && run !== only) continue;
    const windows = new Map<number, Row[]>();
    for (const r of rs) windows.set(Number(r.window), [...(windows.get(Number(r.window)) ?? []), r]);
    const ordered = [...windows.entries()].sort((a, b) => a[0] - b[0]).map(([window, wr]) => ({ window, episode: Number(wr[0]?.episode), rows: wr }));
    const spec = specs.find((s) => s.key === run);
    const seed = Number(rs[0]?.seed ?? 1);
    let job: JobGraph;
    let sharedWorkers = false;
    let truth: GroundTruth | undefined;
    if (spec) {
      job = buildWorkload(spec.experiment.workload).job;
      const caps = engineCapabilities(spec.experiment.engine);
      sharedWorkers = caps.sharedWorkers;
      if (caps.groundTruth) {
        const engine = await createEngine(spec.experiment.engine, seed);
        truth = engine.groundTruth?.(job);
        await engine.close();
      }
    } else {
      job = jobFromRows(ordered[0]?.rows ?? [], `${history}, run ${run}`);
    }
    const entry = spec ? tunerEntries(spec.experiment.tuners).find((t) => t.name === spec.tuner) : undefined;
    runs.push({ run, seed, job, sharedWorkers, windows: ordered, ...(spec ? { windowSec: spec.experiment.loop.windowSec } : {}), ...(truth ? { truth } : {}), ...(timeline.has(run) ? { timeline: timeline.get(run) as Map<number, TimelineResult> } : {}), ...(entry ? { entry } : {}) });
  }
  const entries = specs.length > 0 ? tunerEntries((specs[0] as RunSpec).experiment.tuners) : [];
  return { history, ...(dir !== undefined ? { dir } : {}), runs, entries };
}

/**
 * The tuner to replay: a name in the run's experiment, a tuner kind, or a JSON entry ({"kind": "ds2", ...}).
 * Throws ConfigError naming the flag.
 */
export function replayTuner(spec: string, entries: readonly TunerEntryConfig[]): TunerEntryConfig {
  const s = spec.trim();
  if (s.startsWith('{')) {
    let raw: unknown;
    try {
      raw = JSON.parse(s);
    } catch (e) {
      throw new ConfigError(`--tuner: not JSON: ${(e as Error).message}`);
    }
    const kind = (raw as { kind?: unknown }).kind;
    if (typeof kind !== 'string') throw new ConfigError('--tuner: a JSON entry needs "kind"');
    try {
      return { ...entryOf(kind, raw), name: `${kind}-replay` };
    } catch (e) {
      throw new ConfigError(`--tuner: ${(e as Error).message}`);
    }
  }
  const named = entries.find((e) => e.name === s);
  if (named) return named;
  try {
    return entryOf(s, {});
  } catch {
    throw new ConfigError(`--tuner: '${s}' is neither a tuner of the run (${entries.map((e) => e.name).join(', ') || 'none'}) nor a tuner kind`);
  }
}

/** One recorded window as the snapshot the tuner saw (per-source figures split by the job's source shares). */
function snapshotOf(job: JobGraph, rows: readonly Row[]): { snapshot: Snapshot; parallelism: Parallelism } {
  const first = rows[0] as Row;
  const operators: Record<string, OperatorMetrics> = {};
  const parallelism: Record<string, number> = {};
  for (const r of rows) {
    const id = r.operator as string;
    operators[id] = Object.fromEntries(OPERATOR_METRIC_NAMES.map((k) => [k, Number(r[k])])) as OperatorMetrics;
    parallelism[id] = Number(r.parallelism);
  }
  const shares = job.sourceShares();
  const target = Number(first.targetRate);
  const achieved = Number(first.achievedRate);
  const lag = Number(first.lagRecords);
  const sources = Object.fromEntries(
    job.sources().map((id) => {
      const share = shares[id] ?? 1;
      return [id, { targetRate: target * share, achievedRate: achieved * share, lagRecords: lag * share }];
    }),
  );
  return {
    snapshot: { time: Number(first.time), windowSeconds: 0, operators, sources, targetRate: target, achievedRate: achieved, valid: true, parallelism },
    parallelism,
  };
}

export interface ReplayResult {
  rows: ReplayRow[];
  /** Per run: windows decided, and how many the replayed tuner decided as the run did (run folder only). */
  perRun: { run: string; decided: number; compared: number; agreed: number }[];
}

/** Replays one tuner entry over the recorded runs. */
export async function replay(source: ReplaySource, entry: TunerEntryConfig): Promise<ReplayResult> {
  const rows: ReplayRow[] = [];
  const perRun: ReplayResult['perRun'] = [];
  for (const run of source.runs) {
    const tuner: Tuner = createTuner(entry.kind, entry.options, entry.name);
    const counts = { run: run.run, decided: 0, compared: 0, agreed: 0 };
    try {
      await tuner.prepare?.(run.job, { rng: new Rng(run.seed).fork(`tuner:${entry.kind}`), engineKind: 'replay', ...(run.truth ? { groundTruth: run.truth } : {}) });
      let episodeIndex = -1;
      let episode: Observation[] = [];
      const history: Observation[] = [];
      let prevTime = 0;
      for (const [k, w] of run.windows.entries()) {
        const tl = run.timeline?.get(w.window);
        const event = tl?.event ?? '';
        const { snapshot: raw, parallelism } = snapshotOf(run.job, w.rows);
        const snapshot = { ...raw, windowSeconds: run.windowSec ?? Math.max(0, raw.time - prevTime) };
        prevTime = raw.time;
        if (tl !== undefined && (event === 'invalid' || decisionOfEvent(event) === '')) continue;
        if (w.episode !== episodeIndex) {
          episodeIndex = w.episode;
          episode = [];
          tuner.startEpisode?.(snapshot.targetRate);
        }
        const obs: Observation = { parallelism, snapshot, rate: snapshot.targetRate };
        episode.push(obs);
        history.push(obs);
        const view: TunerView = {
          job: run.job,
          parallelism,
          snapshot,
          targetRate: snapshot.targetRate,
          episode: [...episode],
          history: [...history],
          clock: snapshot.time,
          sharedWorkers: run.sharedWorkers,
        };
        const d: Decision = await tuner.decide(view);
        counts.decided++;
        // What the run deployed next: the next recorded window's parallelism, after a rescale that took effect.
        const nextWindow = run.windows[k + 1];
        const runNext = event === 'rescale' && nextWindow ? fmtP(run.job, snapshotOf(run.job, nextWindow.rows).parallelism) : '';
        const runDecision = decisionOfEvent(event);
        const next = d.kind === 'rescale' ? fmtP(run.job, d.parallelism) : '';
        let agrees: number | string = '';
        if (runDecision !== '') {
          const same = runDecision === d.kind && (runNext === '' || runNext === next);
          agrees = same ? 1 : 0;
          counts.compared++;
          if (same) counts.agreed++;
        }
        rows.push({
          run: run.run,
          episode: w.episode,
          window: w.window,
          time: snapshot.time,
          targetRate: snapshot.targetRate,
          parallelism: fmtP(run.job, parallelism),
          runEvent: event,
          runDecision,
          runNext,
          runReason: tl?.reason ?? '',
          tuner: entry.name,
          decision: d.kind,
          next,
          reason: d.reason,
          agrees,
        });
      }
    } finally {
      await tuner.close?.();
    }
    perRun.push(counts);
  }
  return { rows, perRun };
}

/** The short table: per run, the windows decided and the agreement, then the first windows side by side. */
export function replayTable(r: ReplayResult, entry: TunerEntryConfig, maxRows = 12): string {
  const lines: string[] = [];
  for (const p of r.perRun)
    lines.push(
      p.compared > 0
        ? `${p.run}: ${entry.name} decided ${p.decided} windows; ${p.agreed} of ${p.compared} as the run did`
        : `${p.run}: ${entry.name} decided ${p.decided} windows (nothing recorded to compare with)`,
    );
  const total = (p: string): string => (p === '' ? '' : String(p.split(';').reduce((s, kv) => s + Number(kv.split('=')[1]), 0)));
  const head = ['run', 'window', 'run decided', 'run next P', 'replayed', 'replayed P', 'agrees'];
  const body = r.rows.slice(0, maxRows).map((x) => [String(x.run), String(x.window), String(x.runDecision || x.runEvent), total(String(x.runNext)), String(x.decision), total(String(x.next)), String(x.agrees)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  lines.push('', fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt));
  if (r.rows.length > maxRows) lines.push(`... ${r.rows.length - maxRows} more windows in the CSV`);
  return lines.join('\n');
}
