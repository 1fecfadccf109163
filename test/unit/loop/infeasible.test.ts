/**
 * A rate no configuration sustains (within the operators' max parallelism) is infeasible for every tuner, the
 * oracle included: its own outcome, with the reason, and left out of the sustained share and of P / oracle.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { runExperiment } from '../../../src/experiment/experiment.js';
import { writeReport } from '../../../src/report/report.js';
import { summarise } from '../../../src/report/summary.js';
import { parseEpisode } from '../../../src/loop/rows.js';

describe('infeasible rates', () => {
  it('give infeasible rows for the oracle and a tuner, with the operator at its max; nothing of them in the sustained share or P / oracle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'infeasible-'));
    try {
      const config = {
        name: 'infeasible',
        workload: { kind: 'nexmark', query: 'q1', maxParallelism: 4 },
        rates: { kind: 'steps', rates: [1, 40], durationSec: 240 },
        tuners: { oracle: {}, ds2: {} },
        seeds: [1],
        outputs: { charts: true, png: false },
      };
      writeFileSync(join(dir, 'x.json'), JSON.stringify(config));
      const out = await runExperiment({ config: join(dir, 'x.json'), out: join(dir, 'out'), runId: 'r', jobs: 1, report: writeReport });
      const rows = parse(readFileSync(join(out.dir, 'episodes.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
      const at = (tuner: string, episode: number) => rows.find((r) => r.tuner === tuner && Number(r.episode) === episode) as Record<string, string>;
      for (const tuner of ['oracle', 'ds2']) {
        assert.equal(at(tuner, 0).outcome, 'sustained', `${tuner} at 1 x W_u`);
        const high = at(tuner, 1);
        assert.equal(high.outcome, 'infeasible', `${tuner} at 40 x W_u`);
        assert.match(high.violation as string, /^no configuration sustains \d+ records\/s: operator \S+ at its max parallelism 4 covers [\d.]+ % of its demand$/);
        assert.equal(high.oracleTotalParallelism, '');
        assert.equal(high.parallelismOverOracle, '');
      }
      // The oracle meets the same SLO: no sustained episode is below it.
      for (const r of rows.filter((x) => x.outcome === 'sustained')) assert.ok(Number(r.parallelismOverOracle) >= 1, `${r.tuner} episode ${r.episode}: ${r.parallelismOverOracle}`);
      const s = summarise(rows.map(parseEpisode));
      for (const t of s) {
        assert.equal(t.episodes, 2);
        assert.equal(t.infeasible, 1);
        assert.equal(t.sustained, 1, `${t.tuner}: the one feasible episode sustained`);
      }
      const oracle = s.find((t) => t.tuner === 'oracle');
      assert.equal(oracle?.overOracle, 1, 'the oracle is at the oracle: P / oracle exactly 1 over its feasible episode');
      const md = readFileSync(join(out.dir, 'summary.md'), 'utf8');
      assert.match(md, /\| infeasible \|/);
      assert.match(md, /\| oracle \| 2 \| 1 \| 1 \| 100 % \|/);
      assert.match(readFileSync(join(out.dir, 'charts', 'reconfigurations.vl.json'), 'utf8'), /2 infeasible episodes left out/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
