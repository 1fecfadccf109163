/**
 * The paper's figure set (experiments/paper/figures.json): experiments, and figures that each name the
 * experiments they need and a figure kind (kinds.ts: one registry entry per kind, its chart in paper-charts.ts).
 *
 *   figure set -> the chosen figures' experiments -> per experiment: the config with its overrides (--quick, the
 *   simulator fallback) -> content hash (resolved config + code version) -> reuse the finished run folder of that
 *   hash, resume an unfinished one, or run it -> per figure: rows -> Figure (spec + data) -> .vl.json, .svg, .png,
 *   .pdf, .csv -> index.html and manifest.json
 *
 * Experiments live under <out>/experiments/<name>/<hash>/ (ordinary run folders), figures under <out>/figures/.
 * A change to a figure (its kind, its chart) reruns nothing; a change to a config or to code that can change rows
 * (version.ts) runs that experiment again.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { readInputBytes } from '../io/read.js';
import { z } from 'zod';
import { ConfigError, PROJECT_ROOT, readJson, describeIssues, loadExperiment, clip } from '../experiment/config.js';
import { writeReport } from '../report/report.js';
import { runExperiment, type Progress } from '../experiment/experiment.js';
import { duration, formatEstimate, type WorkEstimate } from '../experiment/estimate.js';
import { assetSeconds, planExperiment, RESOLVED, type Pretraining } from '../experiment/plan.js';
import { canonical } from '../core/canonical.js';
import { writeAtomic, writeCsv } from '../io/files.js';
import { codeVersion, gitCommit } from '../experiment/version.js';
import type { Experiment } from '../experiment/schema.js';
import { engineEntry, REAL_ENGINE_KINDS, type EngineKind } from '../engines/registry.js';
import { renderPng } from '../report/charts.js';
import { renderSvgMeasured } from '../report/measure.js';
import { EXTRAPOLATION_FILE } from '../report/report.js';
import { renderPdf } from '../report/pdf.js';
import type { Figure, Labelled } from '../report/paper-charts.js';
import { readEpisodes, readTimeline } from '../loop/rows.js';
import { engineLabel, FIGURE_KIND_TABLE, FIGURE_KINDS, workloadLabel, type ExperimentRows, type FigureKind, type FigureKindEntry } from './kinds.js';

export { engineLabel, FIGURE_KINDS, newest, type FigureKind } from './kinds.js';

export const DEFAULT_FIGURES = join(PROJECT_ROOT, 'experiments/paper/figures.json');
export const DEFAULT_OUT = join(PROJECT_ROOT, 'results/paper');
/** The files every figure has. */
export const FIGURE_FILES = ['vl.json', 'svg', 'png', 'pdf'] as const;

/** Config overrides by dotted path, e.g. { "seeds": [1], "rates.repeat": 1 }. */
const overrides = z.record(z.string(), z.unknown());
const experimentEntry = z.strictObject({
  config: z.string().describe('experiment file, resolved as the experiment CLI does (the current folder, then experiments/)'),
  label: z.string().optional().describe('its name in cross-workload figures (default: the workload)'),
  quick: overrides.optional().describe("--quick's overrides for this experiment (replace the set's)"),
  realEngine: z.enum(REAL_ENGINE_KINDS).optional().describe('the real engine it needs; without it (or with --quick) simulatorFallback is applied'),
  simulatorFallback: overrides.optional(),
});
const figureEntry = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected lower-case letters, digits and dashes'),
  kind: z.enum(FIGURE_KINDS),
  caption: z.string(),
  experiments: z.array(z.string()).default([]),
  episode: z.number().int().min(1).optional().describe('episode-timelines: which episode (1-based) of the first seed'),
  csv: z.string().optional().describe('fidelity-scatter: the CSV (columns metric, real, simulated), relative to the project root'),
});
const figureSet = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  quick: overrides.default({}),
  experiments: z.record(z.string(), experimentEntry),
  figures: z.array(figureEntry).min(1),
});
export type FigureSet = z.infer<typeof figureSet>;
export type FigureEntry = z.infer<typeof figureEntry>;
type ExperimentEntry = z.infer<typeof experimentEntry>;

export function loadFigureSet(file: string): FigureSet {
  const parsed = figureSet.safeParse(readJson(file));
  if (!parsed.success) throw new ConfigError(describeIssues(file, parsed.error.issues));
  const set = parsed.data;
  const names = new Set<string>();
  set.figures.forEach((f, i) => {
    if (names.has(f.name)) throw new ConfigError(`${file}: figures.${i}.name: '${f.name}' is used twice`);
    names.add(f.name);
    for (const e of f.experiments) if (!(e in set.experiments)) throw new ConfigError(`${file}: figures.${i}.experiments: unknown experiment '${clip(e, 40)}' (known: ${Object.keys(set.experiments).join(', ')})`);
    const kind: FigureKindEntry = FIGURE_KIND_TABLE[f.kind];
    if (f.experiments.length < kind.needs) throw new ConfigError(`${file}: figures.${i}: kind ${f.kind} needs an experiment`);
    const lacking = kind.check?.(f);
    if (lacking !== undefined) throw new ConfigError(`${file}: figures.${i}${lacking}`);
  });
  return set;
}

/** Sets a dotted path in a config object (creating objects on the way). */
function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null || Array.isArray(cur[p])) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1] as string] = structuredClone(value);
}

export interface PlannedExperiment {
  id: string;
  entry: ExperimentEntry;
  file: string;
  raw: Record<string, unknown>;
  name: string;
  hash: string;
  dir: string;
  /** 'real' (the real engine runs), 'simulator' (fallback applied) or undefined (no real engine involved). */
  engineChoice?: 'real' | 'simulator';
}

/** Whether a real engine can run here (its job code built). */
function realEngineAvailable(kind: EngineKind): boolean {
  const e = engineEntry(kind);
  return e.available(e.schema.parse({ kind })).built;
}

export function planFigureExperiment(id: string, entry: ExperimentEntry, set: FigureSet, o: { quick: boolean; out: string; cwd: string; realEngines?: boolean }): PlannedExperiment {
  const loaded = loadExperiment(entry.config, o.cwd);
  const raw = structuredClone(loaded.raw);
  delete raw.$schema;
  if (o.quick) for (const [k, v] of Object.entries(entry.quick ?? set.quick)) setPath(raw, k, v);
  let engineChoice: PlannedExperiment['engineChoice'];
  if (entry.realEngine) {
    engineChoice = !o.quick && o.realEngines !== false && realEngineAvailable(entry.realEngine) ? 'real' : 'simulator';
    if (engineChoice === 'simulator') for (const [k, v] of Object.entries(entry.simulatorFallback ?? {})) setPath(raw, k, v);
  }
  const hash = createHash('sha256').update(canonical(raw)).update('\u0000').update(codeVersion()).digest('hex').slice(0, 16);
  const name = typeof raw.name === 'string' ? raw.name : id;
  return { id, entry, file: loaded.file, raw, name, hash, dir: join(o.out, 'experiments', name, hash), ...(engineChoice ? { engineChoice } : {}) };
}

const DONE = 'figures.done.json';
/** The merged CSVs a finished experiment's marker hashes: it is reused only while they match. */
const MERGED = ['episodes.csv', 'timeline.csv', 'history.csv'] as const;
const mergedHashes = (dir: string): Record<string, string> =>
  Object.fromEntries(MERGED.map((f) => [f, existsSync(join(dir, f)) ? createHash('sha256').update(readInputBytes(join(dir, f))).digest('hex') : '']));
/** Whether the experiment finished (its marker) and its merged CSVs are the ones the marker hashed. */
function finishedExperiment(dir: string): boolean {
  if (!existsSync(join(dir, DONE)) || !existsSync(join(dir, 'episodes.csv'))) return false;
  const m = readJson(join(dir, DONE)) as { files?: Record<string, string> };
  return typeof m.files === 'object' && m.files !== null && canonical(m.files) === canonical(mergedHashes(dir));
}

export interface ExperimentRecord {
  id: string;
  /** Its name in cross-workload figures: the figure set's label, else the workload (q5, synthetic). */
  label: string;
  config: string;
  name: string;
  hash: string;
  codeVersion: string;
  seeds: number[];
  engines: string[];
  engineChoice?: string;
  /** The run folder, relative to the figures folder (the manifest travels with it). */
  dir: string;
  runs: number;
  reused: boolean;
  wallSec: number;
  /** Terms the simulator extrapolated past its profile's measurements in this experiment (none: omitted). */
  extrapolations?: string[];
}

/**
 * Plans every experiment of a figure set in full before the first runs (ConfigError on the first that cannot be
 * made: config checks, sweep points, the pretrained sets and corpora each needs): the set's total work estimate and
 * the assets made before the runs. A finished experiment is reused, so it plans to nothing.
 */
export function planFigureRuns(planned: readonly PlannedExperiment[]): { estimate: WorkEstimate; assets: Pretraining[]; assetSec: number } {
  const estimates: WorkEstimate[] = [];
  const assets = new Map<string, Pretraining>();
  for (const p of planned) {
    if (finishedExperiment(p.dir)) continue;
    const plan = planExperiment({ given: { file: p.file, raw: p.raw }, out: join(dirname(p.dir), '..'), runId: p.hash, cwd: dirname(p.file) });
    estimates.push(plan.estimate);
    for (const a of plan.pretraining) assets.set(a.asset.id, a);
  }
  const estimate = estimates.reduce(
    (s, e) => ({ runs: s.runs + e.runs, episodes: s.episodes + e.episodes, windows: s.windows + e.windows, operatorWindows: s.operatorWindows + e.operatorWindows, engineSec: s.engineSec + e.engineSec, cpuSec: s.cpuSec + e.cpuSec, realEngineSec: s.realEngineSec + e.realEngineSec }),
    { runs: 0, episodes: 0, windows: 0, operatorWindows: 0, engineSec: 0, cpuSec: 0, realEngineSec: 0 },
  );
  const list = [...assets.values()];
  return { estimate, assets: list, assetSec: list.reduce((s, a) => s + assetSeconds(a), 0) };
}

/** Runs (or reuses, or resumes) one planned experiment; throws when a run failed. */
async function ensureExperiment(p: PlannedExperiment, o: { figDir: string; jobs?: number; progress?: Progress; log: (line: string) => void }): Promise<ExperimentRecord> {
  const t0 = performance.now();
  const reused = finishedExperiment(p.dir);
  let runs: number;
  if (reused) {
    runs = (readJson(join(p.dir, DONE)) as { runs: number }).runs;
    o.log(`${p.id}: reusing ${relative(PROJECT_ROOT, p.dir)} (same config and code version)`);
  } else {
    const common = { ...(o.jobs !== undefined ? { jobs: o.jobs } : {}), ...(o.progress ? { progress: o.progress } : {}), allowLarge: true, report: writeReport };
    let outcome;
    if (existsSync(join(p.dir, RESOLVED))) {
      o.log(`${p.id}: resuming ${relative(PROJECT_ROOT, p.dir)}`);
      outcome = await runExperiment({ resume: p.dir, ...common });
    } else {
      // The config as run, beside its run folder; relative paths in it (trace files) resolve against the original's folder.
      const file = join(dirname(p.dir), `${p.hash}.config.json`);
      writeAtomic(file, `${JSON.stringify(p.raw, null, 2)}\n`);
      o.log(`${p.id}: running ${relative(PROJECT_ROOT, p.file)}${p.engineChoice ? ` (${p.engineChoice === 'real' ? `real ${p.entry.realEngine}` : 'simulator fallback'})` : ''} into ${relative(PROJECT_ROOT, p.dir)}`);
      outcome = await runExperiment({ config: file, out: join(dirname(p.dir), '..'), runId: p.hash, cwd: dirname(p.file), ...common });
    }
    if (outcome.failed.length > 0) throw new Error(`${p.id}: ${outcome.failed.length} run(s) failed, e.g. ${outcome.failed[0]?.key}: ${clip(outcome.failed[0]?.error ?? '', 200)} (rerun to resume ${p.dir})`);
    runs = outcome.runs;
    writeAtomic(join(p.dir, DONE), `${JSON.stringify({ hash: p.hash, runs, files: mergedHashes(p.dir) }, null, 2)}\n`);
  }
  const resolved = readJson(join(p.dir, RESOLVED)) as { points: { experiment: Experiment }[] };
  const engines = [...new Set(resolved.points.map((pt) => engineLabel(pt.experiment.engine)))];
  const seeds = resolved.points[0]?.experiment.seeds ?? [];
  const beyond = existsSync(join(p.dir, EXTRAPOLATION_FILE)) ? ((readJson(join(p.dir, EXTRAPOLATION_FILE)) as { notices?: string[] }).notices ?? []) : [];
  for (const b of beyond) o.log(`${p.id}: beyond the profile's measurements: ${b}`);
  return {
    ...(beyond.length ? { extrapolations: beyond } : {}),
    id: p.id,
    label: p.entry.label ?? workloadLabel(resolved.points[0]?.experiment as Experiment),
    config: relative(PROJECT_ROOT, p.file),
    name: p.name,
    hash: p.hash,
    codeVersion: codeVersion(),
    seeds,
    engines,
    ...(p.engineChoice ? { engineChoice: p.engineChoice } : {}),
    dir: relative(o.figDir, p.dir),
    runs,
    reused,
    wallSec: Math.round((performance.now() - t0) / 100) / 10,
  };
}

/** Builds one figure from its experiments' run folders (its kind's registry entry); { skipped } (with the reason) when its input is missing. */
export function buildFigure(f: FigureEntry, dirs: Map<string, { dir: string; label?: string }>): Figure | { skipped: string } {
  const experiment = (id: string): ExperimentRows => {
    const d = dirs.get(id);
    if (!d) throw new Error(`figure ${f.name}: experiment ${id} not run`);
    const resolved = readJson(join(d.dir, RESOLVED)) as { points: { label: string; experiment: Experiment }[] };
    return { ...d, points: resolved.points, episodes: readEpisodes(join(d.dir, 'episodes.csv')), timeline: () => readTimeline(join(d.dir, 'timeline.csv')) };
  };
  const labelled = (): Labelled[] => f.experiments.map((id) => { const e = experiment(id); return { label: e.label ?? workloadLabel(e.points[0]?.experiment as Experiment), episodes: e.episodes }; });
  const kind: FigureKindEntry = FIGURE_KIND_TABLE[f.kind];
  return kind.build(f, { experiment, labelled });
}

export interface FigureRecord {
  name: string;
  kind: FigureKind;
  caption: string;
  experiments: string[];
  files?: string[];
  skipped?: string;
  /** Input files other than run folders (the fidelity CSV), relative to the figures folder. */
  inputs?: string[];
  /** The run folder each of its experiments was read from (relative to the figures folder). */
  sources?: Record<string, string>;
}

export interface FiguresOutcome {
  dir: string;
  figures: FigureRecord[];
  experiments: ExperimentRecord[];
}

export interface FiguresOptions {
  out?: string;
  jobs?: number;
  /** Figure names (exact) to make; default all. */
  only?: string[];
  quick?: boolean;
  /** false: the simulator fallback even where a real engine is available. */
  realEngines?: boolean;
  png?: boolean;
  cwd?: string;
  progress?: Progress;
  log?: (line: string) => void;
}

/** `npm run figures`: runs what the chosen figures need, then writes them, the index and the manifest. */
export async function runFigures(list = DEFAULT_FIGURES, o: FiguresOptions = {}): Promise<FiguresOutcome> {
  const set = loadFigureSet(list);
  const log = o.log ?? (() => {});
  const unknown = (o.only ?? []).filter((n) => !set.figures.some((f) => f.name === n));
  if (unknown.length > 0) throw new ConfigError(`--only: no figure named ${unknown.map((u) => `'${clip(u, 40)}'`).join(', ')} in ${list} (figures: ${set.figures.map((f) => f.name).join(', ')})`);
  const chosen = o.only && o.only.length > 0 ? set.figures.filter((f) => o.only?.includes(f.name)) : set.figures;
  const out = resolve(o.cwd ?? process.cwd(), o.out ?? (o.quick ? `${DEFAULT_OUT}-quick` : DEFAULT_OUT));
  const cwd = o.cwd ?? process.cwd();
  const ids = [...new Set(chosen.flatMap((f) => f.experiments))];
  // Plan every experiment first: a bad config is refused before anything runs.
  const planned = ids.map((id) => planFigureExperiment(id, set.experiments[id] as ExperimentEntry, set, { quick: o.quick ?? false, out, cwd, ...(o.realEngines !== undefined ? { realEngines: o.realEngines } : {}) }));
  const plans = planFigureRuns(planned);
  log(`plan: ${planned.length} experiments, ${formatEstimate(plans.estimate)}${plans.assets.length > 0 ? `; first making ${plans.assets.length} pre-trained set(s), ~${duration(plans.assetSec)}` : ''}`);
  const figDir = join(out, 'figures');
  const records: ExperimentRecord[] = [];
  for (const p of planned) records.push(await ensureExperiment(p, { figDir, ...(o.jobs !== undefined ? { jobs: o.jobs } : {}), ...(o.progress ? { progress: o.progress } : {}), log }));
  const dirs = new Map(planned.map((p) => [p.id, { dir: p.dir, ...(p.entry.label !== undefined ? { label: p.entry.label } : {}) }]));

  const figures: FigureRecord[] = [];
  for (const f of chosen) {
    const sources = Object.fromEntries(f.experiments.map((id) => [id, relative(figDir, (dirs.get(id) as { dir: string }).dir)]));
    const built = buildFigure(f, dirs);
    const base: FigureRecord = { name: f.name, kind: f.kind, caption: f.caption, experiments: f.experiments, sources, ...('inputs' in built && built.inputs ? { inputs: built.inputs.map((x) => relative(figDir, x)) } : {}) };
    if ('skipped' in built) {
      log(`${f.name}: skipped: ${built.skipped}`);
      figures.push({ ...base, skipped: built.skipped });
      continue;
    }
    const svg = await renderSvgMeasured(built.spec);
    writeAtomic(join(figDir, `${f.name}.vl.json`), `${JSON.stringify(built.spec, null, 2)}\n`);
    writeAtomic(join(figDir, `${f.name}.svg`), svg);
    writeAtomic(join(figDir, `${f.name}.png`), renderPng(svg));
    writeAtomic(join(figDir, `${f.name}.pdf`), await renderPdf(svg));
    writeCsv(join(figDir, `${f.name}.csv`), built.columns, built.data.map((d) => Object.fromEntries(built.columns.map((c) => [c, d[c] === null || d[c] === undefined ? '' : d[c]]))));
    figures.push({ ...base, files: [...FIGURE_FILES.map((x) => `${f.name}.${x}`), `${f.name}.csv`] });
    log(`${f.name}: ${relative(PROJECT_ROOT, join(figDir, f.name))}.{${FIGURE_FILES.join(',')},csv}`);
  }
  const manifest = writeManifest(figDir, { list, quick: o.quick ?? false, figures, experiments: records, order: set.figures.map((f) => f.name), experimentOrder: Object.keys(set.experiments) });
  writeAtomic(join(figDir, 'index.html'), indexHtml(manifest, figDir));
  return { dir: figDir, figures: manifest.figures, experiments: manifest.experiments };
}

export interface Manifest {
  generated: string;
  figureSet: string;
  quick: boolean;
  git?: { commit: string; dirty: boolean };
  codeVersion: string;
  machine: { cpu: string; cores: number; memoryGiB: number; os: string; node: string };
  experiments: ExperimentRecord[];
  figures: FigureRecord[];
}

/**
 * manifest.json: what made the figures. With --only, the other figures already in the folder (and the
 * experiments they came from) are kept, so the manifest always describes the whole folder.
 */
function writeManifest(figDir: string, o: { list: string; quick: boolean; figures: FigureRecord[]; experiments: ExperimentRecord[]; order: string[]; experimentOrder: string[] }): Manifest {
  const file = join(figDir, 'manifest.json');
  const old = existsSync(file) ? (readJson(file) as Partial<Manifest>) : {};
  const names = new Set(o.figures.map((f) => f.name));
  const kept = (old.figures ?? []).filter((f) => !names.has(f.name) && (f.skipped !== undefined || (f.files ?? []).every((x) => existsSync(join(figDir, x)))));
  // In the set's order; figures no longer in the set last.
  const rank = (f: FigureRecord) => (o.order.includes(f.name) ? o.order.indexOf(f.name) : o.order.length);
  const figures = [...o.figures, ...kept].sort((a, b) => rank(a) - rank(b));
  // Every run folder some figure was made from (a figure kept from an earlier run may come from another version).
  const used = new Set(figures.flatMap((f) => Object.values(f.sources ?? {})));
  const erank = (e: ExperimentRecord) => (o.experimentOrder.includes(e.id) ? o.experimentOrder.indexOf(e.id) : o.experimentOrder.length);
  const experiments = [...o.experiments, ...(old.experiments ?? []).filter((e) => used.has(e.dir) && !o.experiments.some((x) => x.dir === e.dir))].sort((a, b) => erank(a) - erank(b));
  const git = gitCommit();
  const cpu = cpus()[0];
  const manifest: Manifest = {
    generated: new Date().toISOString(),
    figureSet: relative(PROJECT_ROOT, o.list),
    quick: o.quick,
    ...(git ? { git } : {}),
    codeVersion: codeVersion(),
    machine: { cpu: cpu?.model ?? 'unknown', cores: availableParallelism(), memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()}`, node: process.version },
    experiments,
    figures,
  };
  writeAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The figure set as one self-contained page (inline SVG, no scripts): each figure, its caption, its files. */
function indexHtml(m: Manifest, figDir: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = m.figures
    .map((f) => {
      if (f.skipped || !f.files) return `<section id="${esc(f.name)}"><h2>${esc(f.name)}</h2><p class="skipped">Skipped: ${esc(f.skipped ?? '')}</p><p>${esc(f.caption)}</p></section>`;
      const svg = readFileSync(join(figDir, `${f.name}.svg`), 'utf8');
      const links = f.files.map((x) => `<a href="${esc(x)}">${esc(x.slice(f.name.length + 1))}</a>`).join(', ');
      return `<section id="${esc(f.name)}"><h2>${esc(f.name)}</h2><figure class="chart">${svg}<figcaption>${esc(f.caption)} (${links})</figcaption></figure></section>`;
    })
    .join('\n');
  const rows = m.experiments.map((e) => [e.id, e.config, e.engines.join(', '), e.seeds.join(' '), String(e.runs), e.hash, e.reused ? 'reused' : `ran (${e.wallSec} s)`]);
  const table = `<table id="experiments"><thead><tr>${['experiment', 'config', 'engine', 'seeds', 'runs', 'hash', 'this time'].map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Paper figures${m.quick ? ' (quick)' : ''}</title>
<style>body{font-family:'DejaVu Sans',sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left}th{background:#f3f3f3}figure{margin:1em 0}figure.chart svg{zoom:1.5}figcaption{max-width:700px;font-size:13px}.skipped{color:#a33}</style>
</head><body><h1>Paper figures${m.quick ? ' (quick: fewer seeds and episodes)' : ''}</h1>
<p>Made ${esc(m.generated)} from ${esc(m.figureSet)}, code version ${esc(m.codeVersion)}${m.git ? `, git ${esc(m.git.commit.slice(0, 12))}${m.git.dirty ? ' (with uncommitted changes)' : ''}` : ''}, on ${esc(`${m.machine.cores} cores (${m.machine.cpu}), ${m.machine.memoryGiB} GiB, ${m.machine.os}, Node ${m.machine.node}`)}. Every figure has a Vega-Lite spec, SVG, PNG, vector PDF and its data as CSV; manifest.json holds these facts.</p>
${table}
${body}
</body></html>
`;
}
