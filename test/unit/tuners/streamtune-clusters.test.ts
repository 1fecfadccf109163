/**
 * StreamTune's clusters and fine-tuning: clusters that are used, fine-tuning that does not forget, a set remade byte for byte. A tiny family
 * corpus (three synthetic templates, their variants) and a tiny recipe keep it fast.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobGraph } from '../../../src/core/job.js';
import { Rng } from '../../../src/core/random.js';
import { SimulatorEngine } from '../../../src/engines/simulator/simulator.js';
import { toCsv } from '../../../src/io/files.js';
import { jobVariant } from '../../../src/corpus/families.js';
import { generateHistory } from '../../../src/corpus/generate.js';
import { HISTORY_COLUMNS } from '../../../src/history/record.js';
import { chooseBackend } from '../../../src/learning/backend.js';
import { evaluateModel, trainModel } from '../../../src/learning/train.js';
import { create, options, recipeOf } from '../../../src/tuners/streamtune/index.js';
import { pairGraphs, pairingGroup, readHistoryWindows, windowGraph } from '../../../src/tuners/streamtune/dataset.js';
import { chooseFallback, chooseKByValidation, historyRef, loadSet, pretrainSet, readManifest, saveSet, type KCandidate, type ValidationJob } from '../../../src/tuners/streamtune/pretrain.js';
import { projectedWindowLabels } from '../../../src/tuners/streamtune/labels.js';
import { chain, snapshot } from '../../fixtures/snapshots.js';

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length))
    .sort();
}

describe("streamtune: 'projected' labels", () => {
  it('labels every operator by busyMax x demand / input >= 1 while the sources lag, nothing while they keep up', () => {
    const job = chain('pl', 'src:source', 'a:map', 'b:map', 'sink:sink');
    // Target 1000/s, the source emits 500/s: a is saturated (busy 1 at half the demand: projected 2), b runs at 0.4
    // of its time on half the demand (projected 0.8), the sink at 0.6 (projected 1.2: short too, though starved).
    const lagging = snapshot({
      operators: {
        src: { parallelism: 1, recordsIn: 500, busy: 0.1, backpressure: 0.9 },
        a: { parallelism: 2, recordsIn: 500, busy: 1 },
        b: { parallelism: 1, recordsIn: 500, busy: 0.3, busyMax: 0.4 },
        sink: { parallelism: 1, recordsIn: 500, busy: 0.6 },
      },
      sources: { src: { targetRate: 1000, achievedRate: 500 } },
    });
    assert.deepEqual(projectedWindowLabels(job, lagging, { catchUp: 'healthy', lagRatio: 0.98 }), { src: 0, a: 1, b: 0, sink: 1 });
    const keepingUp = snapshot({ operators: lagging.operators, sources: { src: { targetRate: 1000, achievedRate: 1000 } } });
    assert.deepEqual(projectedWindowLabels(job, keepingUp, { catchUp: 'healthy', lagRatio: 0.98 }), { src: 0, a: 0, b: 0, sink: 0 });
  });
});

describe('streamtune: clusters, replay and reproducible sets', () => {
  let dir = '';
  let history = '';
  const tiny = options.parse({ pretrainEpochs: 3, hidden: 8, k: 2, pairing: 1, replay: 8 });

  before(async () => {
    await chooseBackend();
    dir = mkdtempSync(join(tmpdir(), 'st-clusters-'));
    history = join(dir, 'history.csv');
    const rows = await generateHistory({ jobs: 12, windows: 4, seed: 9, labels: 'metric', nexmarkShare: 0, syntheticFamilies: 3, minOperators: 4, maxOperators: 9 });
    writeFileSync(history, toCsv(HISTORY_COLUMNS, rows));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const meta = () => ({ name: 'tiny', history: [{ file: historyRef(history), windows: 48 }], backend: 'test' });

  it('pretraining is reproducible from recipe and seed: two runs write byte-identical sets', async () => {
    const windows = readHistoryWindows([history]);
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await saveSet(await pretrainSet(windows, recipeOf(tiny, 4), meta()), a);
    await saveSet(await pretrainSet(windows, recipeOf(tiny, 4), meta()), b);
    assert.deepEqual(files(a), files(b));
    assert.ok(files(a).includes('/replay.json'));
    for (const f of files(a)) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs`);
    const m = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8'));
    assert.equal(m.validation.jobs.length, 1, 'every 10th job held out for validation');
    assert.ok(!m.clusters.some((c: { members: string[] }) => c.members.includes(m.validation.jobs[0].job)), 'a validation job is not trained on');
  });

  it('a job that is a small edit of a medoid gets that medoid\'s cluster encoder', async () => {
    const set = await loadSet(join(dir, 'a'));
    for (const [k, c] of set.manifest.clusters.entries()) {
      const medoid = JobGraph.create({ ...c.medoid, operators: c.medoid.operators.map((o) => ({ ...o, cost: 10 })) });
      // A retype (GED 1) or a cost drift only (GED 0): well within the fallback threshold.
      const edited = jobVariant(medoid, `edit-of-${k}`, { edits: 0, costSpread: 0.5 }, new Rng(k));
      const t = create(options.parse({ ...tiny, pretrained: join(dir, 'a'), gedFallback: 'auto' }));
      await t.prepare?.(edited, { rng: new Rng(1), engineKind: 'simulator', groundTruth: new SimulatorEngine().groundTruth(edited) });
      assert.equal(t.assignment?.kind, 'cluster', t.assignment?.why);
      assert.equal(t.assignment?.cluster, k);
      assert.equal(t.assignment?.distance, 0);
      // One operator retyped (GED 1): still the nearest medoid (fallback at 30 % of the operators).
      const spec = edited.toSpec();
      const at = spec.operators.findIndex((o) => o.type === 'map' || o.type === 'filter');
      if (at < 0) continue;
      const retyped = JobGraph.create({ ...spec, operators: spec.operators.map((o, i) => (i === at ? { ...o, type: o.type === 'map' ? 'flatMap' : 'map' } : o)) });
      const t2 = create(options.parse({ ...tiny, pretrained: join(dir, 'a'), gedFallback: 0.3 }));
      await t2.prepare?.(retyped, { rng: new Rng(1), engineKind: 'simulator', groundTruth: new SimulatorEngine().groundTruth(retyped) });
      assert.equal(t2.assignment?.kind, 'cluster', t2.assignment?.why);
      assert.equal(t2.assignment?.cluster, k);
      assert.equal(t2.assignment?.distance, 1);
    }
  });

  it('fine-tuning with replay does not forget: the loss on the cluster\'s replay sample stays within a bound', async () => {
    const set = await loadSet(join(dir, 'a'));
    const cluster = set.clusterModels[0]!;
    const replay = set.replay.clusters[0]!;
    assert.ok(replay.length > 0);
    const before = evaluateModel(cluster, replay).loss;
    // The "job": windows of another cluster's job, their labels flipped (a job that contradicts the cluster).
    const windows = readHistoryWindows([history]).filter((w) => !set.manifest.clusters[0]!.members.includes(w.job.name)).slice(0, 8);
    const r = recipeOf(tiny);
    const own = pairGraphs(windows.map(pairingGroup), windows.map((w) => windowGraph(w, r.labels, r)), 1).map((g) => ({ ...g, labels: g.labels.map((y) => 1 - y) }));
    const withReplay = cluster.clone();
    const without = cluster.clone();
    for (let d = 0; d < 10; d++) {
      await trainModel(withReplay, [...own, ...replay], { fineTune: 'headOnly', epochs: 10, lr: 1e-2, batchSize: 64, seed: d });
      await trainModel(without, own, { fineTune: 'headOnly', epochs: 10, lr: 1e-2, batchSize: 64, seed: d });
    }
    const afterReplay = evaluateModel(withReplay, replay).loss;
    const afterOwn = evaluateModel(without, replay).loss;
    assert.ok(afterReplay <= 1.5 * before + 0.1, `replay: ${before.toFixed(3)} -> ${afterReplay.toFixed(3)}`);
    assert.ok(afterReplay < afterOwn, `with replay ${afterReplay.toFixed(3)} vs without ${afterOwn.toFixed(3)}`);
  });

  it('k auto: every candidate k is measured on the validation jobs and the lowest validation loss is kept', async () => {
    const windows = readHistoryWindows([history]);
    const auto = options.parse({ ...tiny, k: 'auto', kMax: 4 });
    const out = join(dir, 'auto');
    await saveSet(await pretrainSet(windows, recipeOf(auto, 4), meta()), out);
    const m = readManifest(out);
    assert.equal(m.kChosenBy, 'validation');
    const cands = m.kCandidates ?? [];
    assert.deepEqual(
      cands.map((c) => c.k),
      [2, 3, 4].filter((k) => k < m.ged.dags),
      'the documented candidates up to kMax',
    );
    assert.ok(cands.length >= 2, `${m.ged.dags} DAGs`);
    // The chosen k: the largest cluster share among the candidates within one standard error of the lowest loss.
    const ties = cands.filter((c) => c.vsLowest!.mean <= c.vsLowest!.se);
    assert.ok(ties.some((c) => c.vsLowest!.mean === 0 && c.loss === Math.min(...cands.map((x) => x.loss))), 'the lowest is a tie of itself');
    const best = ties.sort((a, b) => b.clusterShare - a.clusterShare || a.loss - b.loss || a.k - b.k)[0]!;
    assert.equal(m.k, best.k);
    assert.ok(cands.every((c) => c.jobLosses.length === m.validation!.jobs.length));
    assert.equal(m.clusters.length, best.k);
    // The set's validation report is the chosen k's: its threshold and loss, its clusters' models.
    assert.equal(m.validation?.lossChosen, best.loss);
    assert.equal(m.validation?.gedFallback, best.gedFallback);
    assert.ok(m.validation!.jobs.every((j) => j.cluster < best.k));
    // The sweep is as reproducible as one k: a second run writes the same bytes, also over a set with more clusters.
    const again = join(dir, 'auto-again');
    await saveSet(await pretrainSet(windows, recipeOf(options.parse({ ...tiny, k: m.k + 2 }), 4), meta()), again);
    await saveSet(await pretrainSet(windows, recipeOf(auto, 4), meta()), again);
    assert.deepEqual(files(again), files(out));
    for (const f of files(out)) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(again, f))), `${f} differs`);
  });

  it('the k choice keeps the lowest validation loss; within one standard error, the larger cluster share', () => {
    const c = (k: number, jobLosses: number[], clusterShare: number): KCandidate => {
      const loss = Number((jobLosses.reduce((t, x) => t + x, 0) / jobLosses.length).toFixed(4));
      return { k, loss, lossClusterAlways: loss, gedFallback: 1, clusterShare, clustersWithJobs: k, vsGlobal: { mean: 0, se: 0 }, jobLosses };
    };
    // k = 3 is lower than k = 2 on every job (paired: far beyond one standard error): the lower loss wins.
    assert.equal(chooseKByValidation([c(2, [0.2, 0.3, 0.4, 0.5], 1), c(3, [0.1, 0.2, 0.3, 0.4], 0.5)]).k, 3);
    // k = 8 is lowest on average, k = 12 within one standard error of it (better on two jobs, worse on two) with the
    // larger share: a tie, to k = 12; k = 4 has the largest share but is worse on every job: not a tie.
    const k8 = c(8, [0.1, 0.2, 0.3, 0.4], 0.5);
    const k12 = c(12, [0.12, 0.17, 0.33, 0.39], 0.9);
    const k4 = c(4, [0.15, 0.25, 0.35, 0.45], 1);
    assert.ok(k12.loss > k8.loss);
    assert.equal(chooseKByValidation([k4, k8, k12]).k, 12);
    assert.equal(chooseKByValidation([k4, k8]).k, 8);
    // Equal losses: the larger share, then the smaller k.
    assert.equal(chooseKByValidation([c(2, [0.1, 0.2], 0.5), c(6, [0.1, 0.2], 0.9), c(8, [0.1, 0.2], 0.9)]).k, 6);
    assert.throws(() => chooseKByValidation([]));
  });

  it('the fallback threshold is the one with the lowest total validation loss, ties to the larger', () => {
    const j = (ratio: number, clusterLoss: number, globalLoss: number): ValidationJob => ({ job: `j${ratio}`, operators: 10, cluster: 0, distance: 10 * ratio, ratio, clusterLoss, globalLoss });
    const v = chooseFallback([j(0, 0.1, 0.3), j(0.2, 0.2, 0.3), j(0.5, 0.4, 0.3), j(0.9, 0.5, 0.2)]);
    assert.equal(v.gedFallback, 0.2);
    assert.equal(v.clusterShare, 0.5);
    assert.equal(chooseFallback([j(0.3, 0.1, 0.2), j(0.6, 0.1, 0.1)]).gedFallback, 1e6);
  });
});
