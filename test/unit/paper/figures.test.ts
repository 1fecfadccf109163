/**
 * The paper figure set on a small declaration with every figure kind: four files per figure plus its data,
 * the manifest and index, reuse by content hash, --only, --quick; then the notebooks executed against the result
 * (skipped without notebooks/.venv, a failure under REQUIRE_ENGINES=1).
 */
import { writeReport } from '../../../src/report/report.js';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FIGURES, loadFigureSet, planFigureExperiment, planFigureRuns, runFigures, type FiguresOutcome } from '../../../src/paper/figures.js';
import { expandSweep } from '../../../src/experiment/sweep.js';
import { ablationLabel } from '../../../src/report/paper-charts.js';
import { notebookPython, runNotebooks } from '../../../src/report/notebooks.js';
import { runExperiment } from '../../../src/experiment/experiment.js';
import { runCli } from '../../helpers/cli.js';

const REQUIRED = process.env.REQUIRE_ENGINES === '1';
const loop = { warmupSec: 20, windowSec: 10, maxReconfigurations: 5, initialParallelism: 1 };
const workload = (query: string) => ({
  name: `tiny-${query}`,
  workload: { kind: 'nexmark', query },
  rates: { kind: 'permutation', levels: 4, repeat: 1, durationSec: 300 },
  tuners: { ds2: {}, dhalion: {}, static: {}, oracle: {} },
  seeds: [1, 2],
  loop,
  outputs: { charts: false },
});
const configs: Record<string, unknown> = {
  'q1.json': workload('q1'),
  'q5.json': workload('q5'),
  'timely.json': {
    name: 'tiny-timely',
    engine: { kind: 'timely' },
    workload: { kind: 'nexmark', query: 'q5', workloadUnit: 100000 },
    rates: { kind: 'steps', rates: [3, 20], durationSec: 60 },
    tuners: { ds2: {}, static: {} },
    seeds: [1],
    loop: { ...loop, warmupSec: 5, windowSec: 5 },
    slo: { holdSec: 20 },
    sweep: { engine: [{ kind: 'timely' }, { kind: 'simulator', mode: 'timely' }] },
    outputs: { charts: false },
  },
  'ablations.json': {
    name: 'tiny-ablations',
    workload: { kind: 'nexmark', query: 'q5' },
    rates: { kind: 'permutation', levels: 3, repeat: 1, durationSec: 300 },
    tuners: { streamtune: {} },
    seeds: [1],
    loop,
    sweep: { 'tuners.streamtune': [{}, { theta: 0.7 }] },
    outputs: { charts: false },
  },
};

function figureSet(dir: string, fidelity: string) {
  return {
    quick: { seeds: [1] },
    experiments: {
      q1: { config: join(dir, 'q1.json') },
      q5: { config: join(dir, 'q5.json'), label: 'Q5' },
      timely: { config: join(dir, 'timely.json'), realEngine: 'timely', simulatorFallback: { sweep: { engine: [{ kind: 'simulator', mode: 'timely' }] } } },
      ablations: { config: join(dir, 'ablations.json') },
    },
    figures: [
      { name: 'reconfigurations', kind: 'reconfigurations-by-workload', experiments: ['q1', 'q5'], caption: 'r' },
      { name: 'parallelism', kind: 'parallelism-by-workload', experiments: ['q1', 'q5'], caption: 'p' },
      { name: 'tradeoff', kind: 'tradeoff-by-workload', experiments: ['q1', 'q5'], caption: 't' },
      { name: 'timely', kind: 'timely-parallelism', experiments: ['timely'], caption: 'ti' },
      { name: 'ablations', kind: 'ablations', experiments: ['ablations'], caption: 'a' },
      { name: 'timelines', kind: 'episode-timelines', experiments: ['q5'], episode: 2, caption: 'tl' },
      { name: 'fidelity', kind: 'fidelity-scatter', csv: fidelity, caption: 'f' },
      { name: 'fidelity-missing', kind: 'fidelity-scatter', csv: join(dir, 'nowhere.csv'), caption: 'fm' },
    ],
  };
}

describe('paper figures', function () {
  this.timeout(600_000);
  const dir = mkdtempSync(join(tmpdir(), 'figures-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [f, c] of Object.entries(configs)) writeFileSync(join(dir, f), JSON.stringify(c));
  // Two runs of npm run fidelity (its columns: kind, model, ...); the figure reads the newest folder's CSV.
  for (const [stamp, scale] of [['20260101T000000', 1], ['20260102T000000', 2]] as const) {
    mkdirSync(join(dir, 'fidelity', stamp), { recursive: true });
    const rows = [['busy', 0.5, 0.55], ['busy', 0.8, 0.75], ['rate', 100000, 90000], ['rate', 200000, 210000]];
    const body = ['before (linear)', 'after (flink-2core)'].flatMap((m) => rows.map(([k, r, sim]) => `${m},${k},q5,${r},${(sim as number) * scale}`));
    writeFileSync(join(dir, 'fidelity', stamp, 'fidelity.csv'), `model,kind,block,real,simulated\n${body.join('\n')}\n`);
  }
  const fidelity = join(dir, 'fidelity', '*', 'fidelity.csv');
  const list = join(dir, 'figures.json');
  writeFileSync(list, JSON.stringify(figureSet(dir, fidelity)));
  const out = join(dir, 'out');
  let first: FiguresOutcome;

  before(async () => {
    first = await runFigures(list, { out, jobs: 2, realEngines: false });
  });

  it('writes every figure as .vl.json, .svg, .png, .pdf and its data as .csv; skips a missing fidelity CSV with the reason', () => {
    const made = first.figures.filter((f) => !f.skipped).map((f) => f.name);
    assert.deepEqual(made, ['reconfigurations', 'parallelism', 'tradeoff', 'timely', 'ablations', 'timelines', 'fidelity']);
    for (const name of made) {
      const spec = JSON.parse(readFileSync(join(first.dir, `${name}.vl.json`), 'utf8')) as { $schema: string };
      assert.match(spec.$schema, /vega-lite/);
      assert.match(readFileSync(join(first.dir, `${name}.svg`), 'utf8'), /^<svg/);
      assert.deepEqual([...readFileSync(join(first.dir, `${name}.png`)).subarray(1, 4)], [0x50, 0x4e, 0x47], name);
      const pdf = readFileSync(join(first.dir, `${name}.pdf`));
      assert.equal(pdf.subarray(0, 5).toString(), '%PDF-', name);
      assert.ok(pdf.includes('/FontFile2') || pdf.includes('/Helvetica'), `${name}: text as PDF text`);
      assert.ok(!pdf.includes('/Subtype /Image'), `${name}: vector, no embedded image`);
      assert.ok(readFileSync(join(first.dir, `${name}.csv`), 'utf8').split('\n').length > 2, `${name}.csv has rows`);
    }
    const fid = readFileSync(join(first.dir, 'fidelity.csv'), 'utf8');
    assert.match(fid, /^metric,model,real,simulated,block/);
    assert.match(fid, /\nsustainable rate \(records\/s\),before \(linear\),100000,180000,q5\n/, 'the newest run of npm run fidelity');
    assert.match(first.figures.find((f) => f.name === 'fidelity')?.inputs?.[0] ?? '', /20260102T000000/);
    const missing = first.figures.find((f) => f.name === 'fidelity-missing');
    assert.match(missing?.skipped ?? '', /no fidelity data: no .*nowhere\.csv/);
    // The Timely figure is labelled with the engine that ran it (the simulator fallback here).
    assert.match(readFileSync(join(first.dir, 'timely.csv'), 'utf8'), /simulator \(Timely mode\)/);
    assert.doesNotMatch(readFileSync(join(first.dir, 'timely.csv'), 'utf8'), /real Timely/);
  });

  it('the manifest names the commit, code version, machine, and per experiment its config hash, seeds and engine; index.html shows them', () => {
    const m = JSON.parse(readFileSync(join(first.dir, 'manifest.json'), 'utf8'));
    assert.match(m.codeVersion, /^sha256:[0-9a-f]{16}$/);
    assert.ok(m.machine.cores >= 1 && typeof m.machine.cpu === 'string' && m.machine.node.startsWith('v'));
    assert.equal(m.experiments.length, 4);
    const q5 = m.experiments.find((e: { id: string }) => e.id === 'q5');
    assert.deepEqual(q5.seeds, [1, 2]);
    assert.deepEqual(q5.engines, ['simulator']);
    assert.equal(q5.label, 'Q5');
    assert.match(q5.hash, /^[0-9a-f]{16}$/);
    assert.ok(existsSync(join(first.dir, q5.dir, 'episodes.csv')), 'run folder relative to the figures folder');
    assert.equal(m.experiments.find((e: { id: string }) => e.id === 'timely').engineChoice, 'simulator');
    const html = readFileSync(join(first.dir, 'index.html'), 'utf8');
    assert.ok(html.includes('<svg') && !html.includes('<script'), 'self-contained, no scripts');
    assert.match(html, /Skipped: .*nowhere\.csv/);
  });

  it('a second run reuses every experiment by content hash; --only makes one figure and keeps the others in the manifest', async () => {
    const again = await runFigures(list, { out, jobs: 2, realEngines: false, only: ['timelines'] });
    assert.deepEqual(again.figures.map((f) => f.name).sort(), first.figures.map((f) => f.name).sort());
    const timelines = again.experiments.find((e) => e.id === 'q5');
    assert.equal(timelines?.reused, true);
    await assert.rejects(runFigures(list, { out, only: ['nope'] }), /--only: no figure named 'nope'/);
  });

  it('--quick applies the quick overrides (fewer seeds) in a folder of its own hash', async () => {
    const quick = await runFigures(list, { out, quick: true, jobs: 2, only: ['parallelism'] });
    const q5 = quick.experiments.find((e) => e.id === 'q5');
    assert.deepEqual(q5?.seeds, [1]);
    assert.equal(q5?.reused, false);
    assert.notEqual(q5?.hash, first.experiments.find((e) => e.id === 'q5')?.hash);
  });

  it('the committed figure set (experiments/paper/figures.json) is valid, full and quick: every experiment and sweep point', () => {
    const set = loadFigureSet(DEFAULT_FIGURES);
    assert.ok(set.figures.length >= 7);
    for (const quick of [false, true])
      for (const [id, entry] of Object.entries(set.experiments)) {
        const p = planFigureExperiment(id, entry, set, { quick, out: join(dir, 'plan'), cwd: dir, realEngines: false });
        assert.ok(expandSweep(p.raw, p.file).length >= 1, id);
      }
    assert.ok(!existsSync(join(dir, 'plan')), 'planning writes nothing');
  });

  it('a clean clone can make every figure: the full and quick sets plan in full (checks, sweep points, pretrained sets and the corpora they need) without the caches', function () {
    this.timeout(300_000);
    const set = loadFigureSet(DEFAULT_FIGURES);
    const cache = process.env.STREAMTUNE_PRETRAINED_CACHE;
    process.env.STREAMTUNE_PRETRAINED_CACHE = join(dir, 'empty-cache');
    try {
      for (const quick of [false, true]) {
        const planned = Object.entries(set.experiments).map(([id, entry]) => planFigureExperiment(id, entry, set, { quick, out: join(dir, 'plan-full'), cwd: dir, realEngines: false }));
        const plan = planFigureRuns(planned);
        assert.ok(plan.estimate.runs > 0 && plan.estimate.cpuSec > 0, 'a work estimate for the whole set');
        // The ablation sweeps change recipe keys: their sets are made before the runs, each with a time estimate,
        // and a corpus the set was trained on that is not on disk is made first (never an ENOENT after minutes of work).
        assert.ok(plan.assets.length > 0, 'the recipe-side ablation points need pre-training');
        for (const a of plan.assets) {
          assert.ok(a.asset.estimateSec > 0, a.where);
          for (const f of a.corpora) assert.ok(!existsSync(f) && /datasets\/history\/generated\/j\d+-w\d+-s\d+-\w+\.csv$/.test(f), `${a.where}: ${f}`);
        }
      }
    } finally {
      if (cache === undefined) delete process.env.STREAMTUNE_PRETRAINED_CACHE;
      else process.env.STREAMTUNE_PRETRAINED_CACHE = cache;
    }
    assert.ok(!existsSync(join(dir, 'plan-full')) && !existsSync(join(dir, 'empty-cache')), 'planning writes nothing');
  });

  it('a figure set whose pretrained set cannot be made is refused before any run, naming the command that makes its input', () => {
    const set = loadFigureSet(DEFAULT_FIGURES);
    const bad = structuredClone(set);
    const [id, entry] = Object.entries(bad.experiments)[0] as [string, (typeof bad.experiments)[string]];
    const p = planFigureExperiment(id, entry, bad, { quick: true, out: join(dir, 'plan-bad'), cwd: dir, realEngines: false });
    p.raw.tuners = { streamtune: { pretrained: 'datasets/pretrained/nope' } };
    assert.throws(() => planFigureRuns([p]), /tuners\.streamtune\.pretrained: no pretrained set at .*nope/);
  });

  it('figures and notebooks CLIs: --help, and bad input is one line with exit 2', () => {
    for (const script of ['src/cli/figures.ts', 'src/cli/notebooks.ts']) {
      const help = runCli(script, ['--help'], dir);
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /--out/);
    }
    const only = runCli('src/cli/figures.ts', ['--list', list, '--only', 'nope', '--out', join(dir, 'cli')], dir);
    assert.equal(only.status, 2, only.stderr);
    assert.match(only.stderr.trim(), /^error: --only: no figure named 'nope'/);
    const nb = runCli('src/cli/notebooks.ts', [join(dir, 'q1.json')], dir);
    assert.equal(nb.status, 2, nb.stderr);
    assert.match(nb.stderr.trim(), /^error: .*q1\.json: neither a run folder .* nor a figures folder/);
  });

  it('names ablation variants shortly', () => {
    assert.equal(ablationLabel('tuners.streamtune={}'), 'full');
    assert.equal(ablationLabel('tuners.streamtune={"pretrained":""}'), 'no pre-training');
    assert.equal(ablationLabel('tuners.streamtune={"head":"unconstrained","pretrained":"datasets/pretrained/unconstrained"}'), 'head=unconstrained');
    assert.equal(ablationLabel('tuners.streamtune={"labelRule":"groundTruth","pretrained":"x"}'), 'labels=ground truth');
  });

  it('the notebooks execute against a run folder and the figures folder with no cell error', async function () {
    const python = notebookPython({ create: false });
    if (!python) {
      if (REQUIRED) throw new Error('REQUIRE_ENGINES=1 but notebooks/.venv is missing (.ci/run makes it from notebooks/requirements.txt)');
      this.skip();
    }
    const run = await runExperiment({ config: join(dir, 'q1.json'), out: join(dir, 'run'), jobs: 1, runId: 'r', report: writeReport });
    const r = runNotebooks(python as string, { run: run.dir, figures: first.dir }, join(dir, 'executed'));
    assert.equal(r.status, 0, r.output);
    for (const nb of ['explore-run', 'figures-workloads', 'figures-timely', 'figures-ablations', 'figures-timelines', 'figures-fidelity']) assert.match(r.output, new RegExp(`ok: ${nb}\\.ipynb`));
    const executed = JSON.parse(readFileSync(join(dir, 'executed', 'figures-workloads.ipynb'), 'utf8')) as { cells: { outputs?: { text?: string[] }[] }[] };
    const printed = executed.cells.flatMap((c) => c.outputs ?? []).flatMap((o) => o.text ?? []).join('');
    assert.match(printed, /reconfigurations matches its CSV/);
    assert.match(printed, /tradeoff matches its CSV/);
    // A notebook that fails is reported as a failure.
    const broken = runNotebooks(python as string, { figures: join(dir, 'nowhere') }, join(dir, 'executed-broken'));
    assert.notEqual(broken.status, 0);
    assert.match(broken.output, /error: figures-\w+\.ipynb: a cell failed/);
  });
});
