import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCsv } from '../../../src/io/files.js';
import { generateHistory, historyJobs, HISTORY_GEN_DEFAULTS } from '../../../src/corpus/generate.js';
import { HISTORY_COLUMNS } from '../../../src/history/record.js';
import { dagStructure, readHistoryWindows } from '../../../src/tuners/streamtune/dataset.js';

const small = { jobs: 4, windows: 6, seed: 3, labels: 'groundTruth' as const, minOperators: 4, maxOperators: 8 };

describe('history generator', () => {
  it('is deterministic for its options and writes the history.csv columns', async () => {
    const a = await generateHistory(small);
    const b = await generateHistory(small);
    assert.deepEqual(a, b);
    assert.deepEqual(Object.keys(a[0] ?? {}).sort(), [...HISTORY_COLUMNS].sort());
    const other = await generateHistory({ ...small, seed: 4 });
    assert.notDeepEqual(a, other);
  });

  it('mixes Nexmark templates and synthetic jobs, and labels of both kinds occur', async () => {
    const jobs = historyJobs({ ...HISTORY_GEN_DEFAULTS, jobs: 6 });
    assert.deepEqual(
      jobs.map((j) => j.kind),
      ['nexmark', 'synthetic', 'synthetic', 'nexmark', 'synthetic', 'synthetic'],
    );
    const rows = await generateHistory(small);
    const truth = rows.map((r) => r.labelTruth);
    assert.ok(truth.includes(1) && truth.includes(0));
    assert.ok(rows.some((r) => r.labelMetric === 1));
    const metricOnly = await generateHistory({ ...small, labels: 'metric' });
    assert.ok(metricOnly.every((r) => r.labelTruth === '' && r.demandTruth === ''));
  });

  it('reads back into windows whose rebuilt DAG, parallelism and rates are the generated ones', async () => {
    const rows = await generateHistory(small);
    const dir = mkdtempSync(join(tmpdir(), 'hist-'));
    const file = join(dir, 'h.csv');
    writeFileSync(file, toCsv(HISTORY_COLUMNS, rows));
    const windows = readHistoryWindows([file]);
    rmSync(dir, { recursive: true, force: true });
    assert.equal(windows.length, small.jobs * small.windows);
    const jobs = historyJobs({ ...HISTORY_GEN_DEFAULTS, ...small });
    for (const w of windows) {
      const original = jobs.find((j) => j.run === w.run)?.workload.job;
      assert.ok(original, w.key);
      assert.equal(w.structure, dagStructure(original).key, `${w.key}: DAG structure`);
      assert.deepEqual([...w.job.operatorIds], [...original.operatorIds]);
      for (const op of original.operators()) {
        const back = w.job.operator(op.id);
        assert.equal(back.type, op.type);
        assert.equal(back.cost, Number(op.cost.toPrecision(6)));
        assert.deepEqual(w.job.inEdges(op.id).map((e) => [e.from, e.ship]), original.inEdges(op.id).map((e) => [e.from, e.ship]));
      }
      const r = rows.filter((x) => `${x.run}|${x.seed}|${x.episode}|${x.window}` === w.key);
      assert.equal(w.snapshot.targetRate, r[0]?.targetRate);
      for (const x of r) {
        assert.equal(w.parallelism[x.operator as string], x.parallelism);
        assert.equal(w.labelTruth?.[x.operator as string], x.labelTruth === 1);
        assert.equal(w.snapshot.operators[x.operator as string]?.busyMsPerSecond, x.busyMsPerSecond);
      }
    }
  });
});
