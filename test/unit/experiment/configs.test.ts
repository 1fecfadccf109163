import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, validateExperiment } from '../../../src/experiment/config.js';
import { expandRuns, executeRun } from '../../../src/experiment/runs.js';
import { expandSweep } from '../../../src/experiment/sweep.js';

/** Every committed config is a test: valid as written, and it runs on the simulator (shortened). */
describe('committed experiment configs', () => {
  const dir = join(PROJECT_ROOT, 'experiments/configs');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  it('there are configs for q1, q3, q5, q8 and a synthetic job', () => {
    for (const f of ['nexmark-q1.json', 'nexmark-q3.json', 'nexmark-q5.json', 'nexmark-q8.json', 'synthetic.json']) assert.ok(files.includes(f), f);
  });
  for (const f of files) {
    it(`${f} runs on the simulator`, async () => {
      const raw = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
      validateExperiment(raw, f);
      const short = {
        ...raw,
        engine: { kind: 'simulator' },
        rates: { kind: 'steps', rates: [2, 6], durationSec: 300 },
        seeds: [1],
        sweep: {},
        outputs: { charts: false },
      };
      for (const run of expandRuns(expandSweep(short, f))) {
        const r = await executeRun(run);
        assert.equal(r.episodes.length, 2, `${f} ${run.key}`);
        assert.ok(r.timeline.length >= 2);
      }
    });
  }
  // The oracle is the yardstick of every figure: on each committed simulator config, as written (all its rates, its
  // first seed), it sustains every episode at exactly its own minimum with at most one reconfiguration.
  for (const f of files) {
    const raw = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { engine?: { kind: string }; tuners: Record<string, unknown>; seeds?: number[] };
    if ((raw.engine?.kind ?? 'simulator') !== 'simulator' || raw.tuners.oracle === undefined) continue;
    it(`${f}: the oracle sustains every episode at P / oracle 1.000`, async () => {
      const only = { ...raw, tuners: { oracle: {} }, seeds: [raw.seeds?.[0] ?? 1], sweep: {}, outputs: { charts: false, history: false } };
      for (const run of expandRuns(expandSweep(only, f))) {
        const r = await executeRun(run);
        for (const e of r.episodes) {
          assert.equal(e.outcome, 'sustained', `${f} episode ${e.episode}: ${e.violation}`);
          assert.equal(e.parallelismOverOracle, 1, `${f} episode ${e.episode}`);
          assert.ok(Number(e.reconfigurations) <= 1, `${f} episode ${e.episode}: ${e.reconfigurations}`);
        }
        assert.ok(r.episodes.filter((e) => e.reconfigurations === 1).length >= r.episodes.length / 2, `${f}: the oracle moves at most rate changes`);
      }
    });
  }
});
