import assert from 'node:assert/strict';
import { JobGraph } from '../../../src/core/job.js';
import { Rng } from '../../../src/core/random.js';
import { fromJobGraph } from '../../../src/graph/ged.js';
import { editDag, jobVariant, UNARY_TYPES } from '../../../src/corpus/families.js';
import { generateHistory, heldOutJobs, historyFamilies, historyJobs, HISTORY_GEN_DEFAULTS } from '../../../src/corpus/generate.js';
import { nexmark } from '../../../src/workloads/nexmark/templates.js';
import { syntheticJob } from '../../../src/workloads/synthetic/generator.js';

describe('history: families of jobs', () => {
  it('a variant is a valid job with the base sources, sinks and joins, its costs drifted', () => {
    for (const base of [nexmark('q5').job, nexmark('q3').job, syntheticJob({ seed: 123456, minOperators: 10, maxOperators: 14 }).job]) {
      for (let k = 0; k < 20; k++) {
        const v = jobVariant(base, `v${k}`, { edits: 3, costSpread: 0.3 }, new Rng(k));
        assert.doesNotThrow(() => JobGraph.create(v.toSpec()));
        const kinds = (j: JobGraph, t: string) => j.operators().filter((o) => o.type === t).map((o) => o.id).sort();
        for (const t of ['source', 'sink', 'join']) assert.deepEqual(kinds(v, t), kinds(base, t), `${base.name} v${k}: ${t}`);
        for (const o of v.operators()) if (!UNARY_TYPES.includes(o.type)) assert.equal(o.type, base.operator(o.id).type);
      }
      const same = jobVariant(base, 'a', { edits: 2, costSpread: 0.3 }, new Rng(5));
      assert.deepEqual(same.toSpec(), jobVariant(base, 'a', { edits: 2, costSpread: 0.3 }, new Rng(5)).toSpec(), 'deterministic for the Rng');
    }
  });

  it('editDag keeps a valid DAG view', () => {
    const g = fromJobGraph(nexmark('q5').job);
    for (let k = 0; k < 30; k++) {
      const e = editDag(g, 4, new Rng(k));
      for (const [a, b] of e.edges) assert.ok(a >= 0 && b >= 0 && a < e.labels.length && b < e.labels.length && a !== b);
      assert.equal(new Set(e.edges.map(([a, b]) => `${a}>${b}`)).size, e.edges.length, 'no duplicate edge');
    }
  });

  it('the corpus is variants of Nexmark queries and synthetic templates; held-out jobs are never in it', () => {
    const o = { ...HISTORY_GEN_DEFAULTS, jobs: 60 };
    const jobs = historyJobs(o);
    assert.equal(jobs.filter((j) => j.kind === 'nexmark').length, 20);
    const families = new Set(jobs.map((j) => j.family));
    assert.ok(families.has('nexmark-q5') && families.has('template-0'));
    assert.equal(historyFamilies(o).length, o.queries.length + o.syntheticFamilies);
    const names = new Set(jobs.map((j) => j.workload.job.name));
    assert.equal(names.size, jobs.length, 'one name per job');
    const held = heldOutJobs(o, { variants: 1, families: 2 });
    for (const h of held) assert.ok(!names.has(h.workload.job.name), h.workload.job.name);
    assert.equal(held.filter((h) => h.heldOut === 'family').length, 2 * 2);
    assert.ok(held.filter((h) => h.heldOut === 'family').every((h) => !families.has(h.family)));
  });

  it('each episode runs through the control loop: the planned windows, in order, one rate per episode', async () => {
    const rows = await generateHistory({ jobs: 3, windows: 7, episodeLength: 3, seed: 5, labels: 'metric', maxOperators: 8 });
    for (const run of new Set(rows.map((r) => r.run))) {
      const mine = rows.filter((r) => r.run === run);
      const windows = [...new Set(mine.map((r) => Number(r.window)))];
      assert.deepEqual(windows, [0, 1, 2, 3, 4, 5, 6]);
      for (const e of [0, 1, 2]) assert.equal(new Set(mine.filter((r) => Number(r.episode) === e).map((r) => r.targetRate)).size, 1);
    }
  });
});
