import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobGraph } from '../../../src/core/job.js';
import { toCsv } from '../../../src/io/files.js';
import { generateHistory } from '../../../src/corpus/generate.js';
import { HISTORY_COLUMNS } from '../../../src/history/record.js';
import { chooseBackend } from '../../../src/learning/backend.js';
import { clusterDags } from '../../../src/tuners/streamtune/clustering.js';
import { pairGraphs, pairingGroup, readHistoryWindows, windowGraph } from '../../../src/tuners/streamtune/dataset.js';
import { featureNames } from '../../../src/tuners/streamtune/features.js';
import { labelOptions, options, recipeOf } from '../../../src/tuners/streamtune/index.js';
import { metricWindowLabels } from '../../../src/tuners/streamtune/labels.js';
import { historyRef, loadSet, obtainSet, pretrainSet, readManifest, sameRecipe, saveSet } from '../../../src/tuners/streamtune/pretrain.js';
import { chain, snapshot } from '../../fixtures/snapshots.js';

describe('streamtune: labels', () => {
  const job = chain('l', 'src:source', 'a:map', 'b:map', 'sink:sink');
  const o = labelOptions(options.parse({}));
  // a is saturated with its upstream backpressured and the source lagging: the bottleneck. b sees half its demand
  // at busy 0.3 (projected 0.6 < 0.8: known not a bottleneck); the sink sees half at busy 0.5 (projected 1.0: unknown).
  const lagging = snapshot({
    operators: {
      src: { parallelism: 1, recordsIn: 500, busy: 0.1, backpressure: 0.9 },
      a: { parallelism: 1, recordsIn: 500, busy: 1 },
      b: { parallelism: 1, recordsIn: 500, busy: 0.3 },
      sink: { parallelism: 1, recordsIn: 500, busy: 0.5 },
    },
    sources: { src: { targetRate: 1000, achievedRate: 500 } },
  });

  it('metric rule with the throttled mask: culprit 1, projected-safe 0, the rest unknown', () => {
    assert.deepEqual(metricWindowLabels(job, lagging, o), { src: 0, a: 1, b: 0, sink: undefined });
    assert.deepEqual(metricWindowLabels(job, lagging, { ...o, labelMask: 'none' }), { src: 0, a: 1, b: 0, sink: 0 });
  });

  it("catchUp 'healthy': sources keeping up (draining a backlog) means no bottleneck at that rate", () => {
    const draining = snapshot({
      operators: {
        src: { parallelism: 1, recordsIn: 1200, busy: 0.2, backpressure: 0.8 },
        a: { parallelism: 1, recordsIn: 1200, busy: 1 },
        b: { parallelism: 1, recordsIn: 1200, busy: 0.4 },
        sink: { parallelism: 1, recordsIn: 1200, busy: 0.4 },
      },
      sources: { src: { targetRate: 1000, achievedRate: 1200, lagRecords: 50_000 } },
    });
    assert.deepEqual(metricWindowLabels(job, draining, o), { src: 0, a: 0, b: 0, sink: 0 });
    assert.equal(metricWindowLabels(job, draining, { ...o, catchUp: 'asObserved' }).a, 1);
  });
});

describe('streamtune: GED clustering', () => {
  it('clusters DAGs by GED (chains apart from diamonds)', () => {
    const chainDag = (n: number) => ({ labels: ['source', ...Array.from({ length: n }, () => 'map'), 'sink'], edges: Array.from({ length: n + 1 }, (_, i) => [i, i + 1] as const) });
    const diamond = (n: number) => ({
      labels: ['source', 'source', ...Array.from({ length: n }, () => 'filter'), 'join', 'sink'],
      edges: [[0, 2], [1, 3], ...Array.from({ length: n - 2 }, (_, i) => [i + 2, i + 4] as const), [n, n + 2], [n + 1, n + 2], [n + 2, n + 3]] as const,
    });
    const dags = [chainDag(3), chainDag(4), chainDag(5), diamond(4), diamond(5), diamond(6)];
    const c = clusterDags(dags, { k: 'silhouette', kMax: 4, gedExactMaxNodes: 12 });
    assert.equal(c.k, 2);
    assert.equal(c.chosenBy, 'silhouette');
    assert.equal(new Set(c.assignment.slice(0, 3)).size, 1);
    assert.equal(new Set(c.assignment.slice(3)).size, 1);
    assert.notEqual(c.assignment[0], c.assignment[3]);
  });
});

describe('streamtune: pre-training and the pretrained set', () => {
  let dir = '';
  let history = '';
  const tiny = { ...options.parse({ pretrainEpochs: 3, hidden: 8, k: 2 }) };

  before(async () => {
    await chooseBackend();
    dir = mkdtempSync(join(tmpdir(), 'st-set-'));
    history = join(dir, 'history.csv');
    writeFileSync(history, toCsv(HISTORY_COLUMNS, await generateHistory({ jobs: 5, windows: 8, seed: 9, labels: 'groundTruth', minOperators: 4, maxOperators: 8 })));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('pairs windows of one job at one rate: features of one, parallelism and labels of another', () => {
    const windows = readHistoryWindows([history]).slice(0, 8);
    const labels = recipeOf(tiny).labels;
    const graphs = windows.map((w) => windowGraph(w, labels, tiny));
    const pairs = pairGraphs(windows.map(pairingGroup), graphs, 2);
    // Two episodes of 4 windows: each window alone plus two partners.
    assert.equal(pairs.length, 8 * 3);
    const [self, partner] = [pairs[0], pairs[1]];
    assert.equal(self, graphs[0]);
    assert.equal(partner?.x, graphs[0]?.x);
    assert.equal(partner?.p, graphs[1]?.p);
    assert.equal(partner?.labels, graphs[1]?.labels);
  });

  it('writes a set (manifest + one model per cluster + global) that loads back and predicts identically', async () => {
    const windows = readHistoryWindows([history]);
    const recipe = recipeOf(tiny, 4);
    const set = await pretrainSet(windows, recipe, { name: 'tiny', history: [{ file: historyRef(history), windows: windows.length }], backend: 'test' });
    const out = join(dir, 'set');
    await saveSet(set, out);
    const m = readManifest(out);
    assert.equal(m.k, 2);
    assert.equal(m.clusters.length, 2);
    assert.ok(sameRecipe(m.recipe, recipe));
    for (const c of m.clusters) {
      assert.doesNotThrow(() => JobGraph.create(c.medoid), 'the medoid is a valid DAG spec');
      assert.ok(existsSync(join(out, c.model, 'model.json')));
      assert.equal(c.scaler.featureNames.length, featureNames('pInvariant').length);
    }
    assert.equal(m.windowsUsed, windows.length);
    const back = await loadSet(out);
    const g = windowGraph(windows[0] as (typeof windows)[number], recipe.labels, recipe);
    assert.deepEqual(back.globalModel.predict([g]), set.globalModel.predict([g]));
    assert.deepEqual(back.clusterModels[1]?.predict([g]), set.clusterModels[1]?.predict([g]));
    // The set as the tuner obtains it: loaded from disk when the options match its recipe...
    const loaded = await obtainSet(out, recipe, 'test');
    assert.deepEqual(loaded.globalModel.predict([g]), set.globalModel.predict([g]));
    // ... and re-run in memory on the set's own history when they do not (here: only the first 12 windows).
    const rerun = await obtainSet(out, { ...recipe, historySize: 12 }, 'test');
    assert.equal(rerun.manifest.windowsUsed, 12);
    assert.notDeepEqual(rerun.globalModel.predict([g]), set.globalModel.predict([g]));
    assert.match(readFileSync(join(out, 'manifest.json'), 'utf8'), /"backend": "test"/);
  });
});
