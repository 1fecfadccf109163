import { writeReport } from '../../../src/report/report.js';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment } from '../../../src/experiment/experiment.js';
import { startCli } from '../../helpers/cli.js';

const config = (name: string, seeds: number[]) => ({
  name,
  workload: { kind: 'synthetic', seed: 3, minOperators: 12, maxOperators: 16 },
  rates: { kind: 'permutation', levels: 10, repeat: 2, durationSec: 600 },
  tuners: { ds2: {}, static: {} },
  seeds,
  outputs: { charts: false },
});

const made: string[] = [];

function setup(name: string, seeds: number[]): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'exp-'));
  made.push(dir);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config(name, seeds)));
  return { dir, file };
}

const read = (d: string, f: string) => readFileSync(join(d, f), 'utf8');

describe('experiment runs', () => {
  after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
  it('the same config and seed give byte-identical CSVs, whatever the number of workers', async () => {
    const { dir, file } = setup('det', [1, 2]);
    const a = await runExperiment({ config: file, out: join(dir, 'a'), jobs: 1, runId: 'r', report: writeReport });
    const b = await runExperiment({ config: file, out: join(dir, 'b'), jobs: 2, runId: 'r', report: writeReport });
    assert.equal(a.failed.length, 0);
    for (const f of ['episodes.csv', 'timeline.csv', 'history.csv']) assert.equal(read(a.dir, f), read(b.dir, f), f);
    const rows = read(a.dir, 'episodes.csv').trim().split('\n');
    assert.equal(rows.length, 1 + 2 * 2 * 20); // header + tuners x seeds x episodes
    for (const f of ['summary.md', 'index.html', 'config.resolved.json']) assert.ok(existsSync(join(a.dir, f)), f);
  });

  it('a run killed half-way and resumed gives the same episodes.csv as an uninterrupted one', async function () {
    const seeds = [1, 2, 3, 4, 5, 6];
    const { dir, file } = setup('resume', seeds);
    const whole = await runExperiment({ config: file, out: join(dir, 'whole'), jobs: 1, runId: 'r' });
    // Start the real CLI, kill it with SIGKILL once some (not all) runs are finished.
    const child = startCli('src/cli/experiment.ts', [file, '--out', join(dir, 'cut'), '--jobs', '1'], dir);
    const runsDir = () => {
      const base = join(dir, 'cut', 'resume');
      const ids = existsSync(base) ? readdirSync(base) : [];
      return ids.length > 0 ? join(base, ids[0] as string) : '';
    };
    const doneCount = () => {
      const r = runsDir();
      if (!r || !existsSync(join(r, 'runs'))) return 0;
      return readdirSync(join(r, 'runs')).filter((k) => existsSync(join(r, 'runs', k, 'done.json'))).length;
    };
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (doneCount() >= 1) {
          clearInterval(t);
          child.kill('SIGKILL');
          resolve();
        }
      }, 5);
      child.on('exit', () => {
        clearInterval(t);
        reject(new Error('the experiment finished before it could be killed'));
      });
    });
    await new Promise((r) => child.once('exit', r));
    const finished = doneCount();
    assert.ok(finished >= 1 && finished < 2 * seeds.length, `finished ${finished} of ${2 * seeds.length} before the kill`);
    assert.ok(!existsSync(join(runsDir(), 'episodes.csv')), 'no merged result before the run is complete');
    const resumed = await runExperiment({ config: file, resume: runsDir(), jobs: 2 });
    assert.equal(resumed.skipped, finished);
    assert.equal(read(resumed.dir, 'episodes.csv'), read(whole.dir, 'episodes.csv'));
    assert.equal(read(resumed.dir, 'timeline.csv'), read(whole.dir, 'timeline.csv'));
  });
});
