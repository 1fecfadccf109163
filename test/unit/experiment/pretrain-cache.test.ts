import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/experiment/config.js';
import { runExperiment } from '../../../src/experiment/experiment.js';
import { planExperiment } from '../../../src/experiment/plan.js';
import { toCsv } from '../../../src/io/files.js';
import { generateHistory } from '../../../src/corpus/generate.js';
import { HISTORY_COLUMNS } from '../../../src/history/record.js';
import { chooseBackend } from '../../../src/learning/backend.js';
import { options, recipeOf } from '../../../src/tuners/streamtune/index.js';
import { historyRef, pretrainSet, saveSet } from '../../../src/tuners/streamtune/pretrain.js';
import { readHistoryWindows } from '../../../src/tuners/streamtune/dataset.js';

/**
 * A StreamTune recipe that differs from its pretrained set's (pretrainLr 0.002 re-trained inside every
 * run) is trained once, before the runs, and cached by recipe hash; a sweep point with the same recipe reuses it;
 * --no-train refuses instead. A tiny set (5 jobs, 3 epochs) keeps it short.
 */
describe('streamtune pre-training before the runs, cached by recipe', () => {
  let dir = '';
  let cache = '';
  const saved = process.env.STREAMTUNE_PRETRAINED_CACHE;
  const tiny = { pretrainEpochs: 3, hidden: 8, k: 2 };
  const config = (file: string, streamtune: Record<string, unknown>, sweep: Record<string, unknown[]> = {}) =>
    writeFileSync(
      file,
      JSON.stringify({
        name: 'cache',
        workload: { kind: 'nexmark', query: 'q1' },
        rates: { kind: 'constant', rate: 2, durationSec: 60 },
        tuners: { streamtune: { pretrained: join(dir, 'set'), ...tiny, ...streamtune } },
        seeds: [1, 2],
        sweep,
        outputs: { charts: false, history: false },
      }),
    );

  before(async () => {
    await chooseBackend();
    dir = mkdtempSync(join(tmpdir(), 'st-cache-'));
    cache = join(dir, 'cache');
    process.env.STREAMTUNE_PRETRAINED_CACHE = cache;
    const history = join(dir, 'history.csv');
    writeFileSync(history, toCsv(HISTORY_COLUMNS, await generateHistory({ jobs: 5, windows: 8, seed: 9, labels: 'groundTruth', minOperators: 4, maxOperators: 8 })));
    const windows = readHistoryWindows([history]);
    const set = await pretrainSet(windows, recipeOf(options.parse(tiny)), { name: 'tiny', history: [{ file: historyRef(history), windows: windows.length }], backend: 'test' });
    await saveSet(set, join(dir, 'set'));
  });
  after(() => {
    if (saved === undefined) delete process.env.STREAMTUNE_PRETRAINED_CACHE;
    else process.env.STREAMTUNE_PRETRAINED_CACHE = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it("the set's own recipe needs no training", () => {
    config(join(dir, 'same.json'), {});
    assert.deepEqual(planExperiment({ config: join(dir, 'same.json'), out: join(dir, 'out') }).pretraining, []);
  });

  it('--no-train refuses a recipe that is not cached, naming the option, before anything is written', async () => {
    config(join(dir, 'lr.json'), { pretrainLr: 0.002 });
    const out = join(dir, 'refused');
    await assert.rejects(runExperiment({ config: join(dir, 'lr.json'), out, train: false }), (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /lr\.json: tuners\.streamtune\.pretrainLr: pre-training .*set's recipe with pretrainLr changed is not cached; making it takes ~.*: run without --no-train/);
      return true;
    });
    assert.ok(!existsSync(out));
    assert.ok(!existsSync(cache));
  });

  it('is trained once before the runs (a sweep point with the same recipe shares it), then found in the cache', async () => {
    config(join(dir, 'lr.json'), { pretrainLr: 0.002 }, { 'tuners.streamtune.theta': [0.4, 0.6] });
    const trained: string[] = [];
    const r = await runExperiment({
      config: join(dir, 'lr.json'),
      out: join(dir, 'out'),
      jobs: 1,
      onTrain: { start: (p) => trained.push(p.asset.id), step: () => {}, stop: () => {} },
    });
    assert.equal(r.failed.length, 0, JSON.stringify(r.failed));
    assert.equal(r.runs, 4);
    assert.equal(trained.length, 1, 'one recipe, trained once for 2 sweep points x 2 seeds');
    assert.deepEqual(readdirSync(cache), [trained[0]?.split('/').pop()]);
    const again = planExperiment({ config: join(dir, 'lr.json'), out: join(dir, 'out') });
    assert.deepEqual(again.pretraining, [], 'cached: nothing to train');
    await runExperiment({ config: join(dir, 'lr.json'), out: join(dir, 'out2'), jobs: 1, train: false });
  });
});
