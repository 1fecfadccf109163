/**
 * A simulator experiment driven beyond the range its profile was measured on says which term it extrapolates and
 * how far, in summary.md, index.html and the run folder's extrapolation.json (which the figures' manifest copies).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobGraph } from '../../../src/core/job.js';
import { runExperiment } from '../../../src/experiment/experiment.js';
import { writeReport } from '../../../src/report/report.js';
import { extrapolations } from '../../../src/engines/simulator/range.js';
import { profileProvenance } from '../../../src/engines/simulator/profile.js';

const job = JobGraph.create({
  name: 'x',
  operators: [
    { id: 'src', type: 'source', cost: 1, maxParallelism: 64 },
    { id: 'a', type: 'map', cost: 10, maxParallelism: 64 },
    { id: 'b', type: 'sink', cost: 10, maxParallelism: 64 },
  ],
  edges: [
    { from: 'src', to: 'a', ship: 'rebalance' },
    { from: 'a', to: 'b', ship: 'hash' },
  ],
});
const range = { parallelism: 4, channels: 4, totalRate: 10_000, channelRate: { min: 10, max: 5000 }, cores: 2 };

describe('extrapolation beyond a profile\'s measured range', () => {
  it('names each term driven past the range and how far (hand example)', () => {
    const got = extrapolations(job, [{ parallelism: { src: 1, a: 8, b: 32 }, rate: 100_000 }], { range, loaded: true, loadAverage: 4.3, derivedFrom: null }, null).map((e) => e.text);
    assert.deepEqual(got, [
      'parallelism: 32 instances (b), measured up to 4',
      'exchange: 32 channels (a->b), measured up to 4',
      // src -> a: 100,000/s over 8 channels.
      'channel rate: 12,500 records/s per channel, measured up to 5,000',
      'total rate: 100,000 records/s, measured up to 10,000',
      'cores: unbounded, measured on 2',
      'profile measured on a loaded machine (load average 4.3)',
    ]);
    assert.deepEqual(extrapolations(job, [{ parallelism: { src: 1, a: 2, b: 4 }, rate: 8000 }], { range, loaded: false, loadAverage: null, derivedFrom: null }, 2), []);
    // a -> b at 1,000/s over 2 x 4 channels: 125/s each; 10/s over 2 x 32 would be 0.156/s, below the measured 10.
    assert.match(extrapolations(job, [{ parallelism: { src: 1, a: 2, b: 4 }, rate: 20 }], { range, loaded: false, loadAverage: null, derivedFrom: null }, 2).map((e) => e.text).join('\n'), /channel rate: 2\.5 records\/s per channel, measured down to 10/);
  });

  it('a derived profile was measured where its source was: flink-calibrated-64 carries flink-2core\'s range and says cores 64, measured on 2', () => {
    const p = profileProvenance('flink-calibrated-64');
    assert.equal(p.derivedFrom, 'flink-2core');
    assert.equal(p.range?.cores, 2);
    const notes = extrapolations(job, [{ parallelism: { src: 1, a: 1, b: 1 }, rate: 100 }], p, 64).map((e) => e.text);
    assert.ok(notes.includes('cores: 64, measured on 2 (derived from flink-2core)'), notes.join('\n'));
    assert.deepEqual(profileProvenance('linear'), { range: null, loaded: false, loadAverage: null, derivedFrom: null });
  });

  it('an experiment beyond its profile carries the notice in summary.md, index.html, extrapolation.json and the outcome; under linear none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'extrapolation-'));
    try {
      const config = (profile: string) => ({
        name: `beyond-${profile}`,
        workload: { kind: 'nexmark', query: 'q1' },
        engine: { kind: 'simulator', profile },
        rates: { kind: 'constant', rate: 40, durationSec: 120 },
        tuners: { oracle: {} },
        seeds: [1],
        outputs: { charts: false },
      });
      writeFileSync(join(dir, 'beyond.json'), JSON.stringify(config('flink-calibrated-64')));
      const out = await runExperiment({ config: join(dir, 'beyond.json'), out: join(dir, 'out'), runId: 'r', jobs: 1, report: writeReport });
      const summary = readFileSync(join(out.dir, 'summary.md'), 'utf8');
      assert.match(summary, /## Beyond the measurements of profile 'flink-calibrated-64'/);
      assert.match(summary, /- total rate: [\d,]+ records\/s, measured up to 32,120/);
      assert.match(summary, /- cores: 64, measured on 2 \(derived from flink-2core\)/);
      assert.match(summary, /- profile measured on a loaded machine/);
      assert.match(readFileSync(join(out.dir, 'index.html'), 'utf8'), /<div id="extrapolation">.*cores: 64, measured on 2/s);
      const file = JSON.parse(readFileSync(join(out.dir, 'extrapolation.json'), 'utf8')) as { notices: string[] };
      assert.deepEqual(file.notices, out.extrapolations);
      writeFileSync(join(dir, 'linear.json'), JSON.stringify(config('linear')));
      const lin = await runExperiment({ config: join(dir, 'linear.json'), out: join(dir, 'out'), runId: 'l', jobs: 1, report: writeReport });
      assert.deepEqual(lin.extrapolations, []);
      assert.doesNotMatch(readFileSync(join(lin.dir, 'summary.md'), 'utf8'), /Beyond the measurements/);
      assert.ok(existsSync(join(lin.dir, 'extrapolation.json')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
