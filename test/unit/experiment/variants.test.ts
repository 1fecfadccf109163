import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ConfigError, validateExperiment } from '../../../src/experiment/config.js';
import { runExperiment } from '../../../src/experiment/experiment.js';
import { writeReport } from '../../../src/report/report.js';
import { expandRuns } from '../../../src/experiment/runs.js';
import { expandSweep } from '../../../src/experiment/sweep.js';
import { tunerColors } from '../../../src/report/charts.js';
import { tunerOrder } from '../../../src/report/paper-charts.js';
import { tunerEntries } from '../../../src/tuners/variants.js';

const base = {
  name: 'variants',
  workload: { kind: 'synthetic', seed: 3, minOperators: 6, maxOperators: 8 },
  rates: { kind: 'steps', rates: [3, 8], durationSec: 400 },
  seeds: [1],
  outputs: { charts: false },
};
const errorOf = (tuners: unknown): string => {
  try {
    validateExperiment({ ...base, tuners }, 'x.json');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.message;
  }
  return 'no error';
};

describe('named tuner variants', () => {
  it('orders entries by kind, the kind-named entry first, then its variants as written; the key alone is its kind', () => {
    const e = tunerEntries({ 'ds2-b': { kind: 'ds2' }, static: {}, ds2: {}, 'ds2-a': { kind: 'ds2', overProvisioning: 0.1 }, mine: { kind: 'static' } });
    assert.deepEqual(
      e.map((t) => [t.name, t.kind]),
      [['ds2', 'ds2'], ['ds2-b', 'ds2'], ['ds2-a', 'ds2'], ['static', 'static'], ['mine', 'static']],
    );
    assert.deepEqual(e[2]?.options, { overProvisioning: 0.1 });
  });

  it('refuses an unknown name without kind, an unknown kind, a name with a dot, and a variant with bad options', () => {
    assert.match(errorOf({ ds3: {} }), /x\.json: tuners\.ds3: unknown tuner 'ds3' \(tuner kinds: ds2, static, .*needs "kind"\)/);
    assert.match(errorOf({ mine: { kind: 'ds3' } }), /tuners\.mine: unknown tuner kind "ds3"/);
    assert.match(errorOf({ 'ds2.b': { kind: 'ds2' } }), /tuners\.ds2\.b: a tuner name is a letter or digit/);
    assert.match(errorOf({ v: { kind: 'ds2', overprovisioning: 1 } }), /tuners\.v: unknown key 'overprovisioning'/);
    assert.match(errorOf({ v: { kind: 'ds2', overProvisioning: -1 } }), /tuners\.v\.overProvisioning/);
  });

  it('a variant is a run of its own (run key by name); a sweep reaches its options by its name', () => {
    const raw = { ...base, tuners: { ds2: {}, 'ds2-op': { kind: 'ds2', overProvisioning: 0.1 } }, sweep: { 'tuners.ds2-op.overProvisioning': [0.2, 0.5] } };
    const points = expandSweep(raw, 'x.json');
    const runs = expandRuns(points);
    assert.deepEqual(runs.map((r) => `${r.key}:${r.kind}`), ['p0-ds2-s1:ds2', 'p0-ds2-op-s1:ds2', 'p1-ds2-s1:ds2', 'p1-ds2-op-s1:ds2']);
    assert.deepEqual(points.map((p) => (p.experiment.tuners['ds2-op'] as { overProvisioning: number }).overProvisioning), [0.2, 0.5]);
  });

  it('two variants of one tuner sit side by side in one experiment: both in episodes.csv and the summary, each with its own colour', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'variants-'));
    try {
      const file = join(dir, 'v.json');
      writeFileSync(file, JSON.stringify({ ...base, tuners: { ds2: {}, 'ds2-op50': { kind: 'ds2', overProvisioning: 0.5 }, static: {} } }));
      const out = await runExperiment({ config: file, out: join(dir, 'out'), jobs: 1, runId: 'r', report: writeReport });
      assert.deepEqual(out.failed, []);
      const rows = parse(readFileSync(join(out.dir, 'episodes.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
      assert.deepEqual([...new Set(rows.map((r) => r.tuner))], ['ds2', 'ds2-op50', 'static']);
      const total = (t: string): number => rows.filter((r) => r.tuner === t).reduce((s, r) => s + Number(r.finalTotalParallelism), 0);
      assert.ok(total('ds2-op50') > total('ds2'), 'over-provisioning by 50 % deploys more than DS2 without it');
      const summary = readFileSync(join(out.dir, 'summary.md'), 'utf8');
      for (const t of ['ds2', 'ds2-op50', 'static']) assert.match(summary, new RegExp(`\\| ${t} \\|`));
      const colours = tunerColors(['ds2', 'ds2-op50', 'static', 'ds2-py']);
      assert.equal(new Set(colours.range).size, 4);
      assert.deepEqual(tunerColors(['ds2']).range, [colours.range[colours.domain.indexOf('ds2')]], 'a known tuner keeps its colour beside variants');
      assert.deepEqual(tunerOrder(['static', 'ds2-op50', 'mine', 'ds2', 'streamtune']), ['streamtune', 'ds2', 'ds2-op50', 'static', 'mine']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
