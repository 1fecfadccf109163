import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { runExperiment } from '../../../src/experiment/experiment.js';
import { readReplaySource, replay, replayTuner } from '../../../src/experiment/replay.js';
import { runCli } from '../../helpers/cli.js';

const config = {
  name: 'replay',
  workload: { kind: 'synthetic', seed: 3, minOperators: 6, maxOperators: 8 },
  rates: { kind: 'steps', rates: [3, 8, 2], durationSec: 400 },
  tuners: { ds2: {}, 'ds2-op20': { kind: 'ds2', overProvisioning: 0.2 }, autoscaler: {}, dhalion: {} },
  seeds: [1, 2],
  outputs: { charts: false },
};

describe('npm run replay', () => {
  let dir = '';
  let runDir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'replay-'));
    const file = join(dir, 'replay.json');
    writeFileSync(file, JSON.stringify(config));
    const out = await runExperiment({ config: file, out: join(dir, 'out'), jobs: 1, runId: 'r' });
    assert.deepEqual(out.failed, []);
    runDir = out.dir;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a deterministic tuner replayed on its own run folder decides every window as the run did (the rescales' parallelism included)", async () => {
    const source = await readReplaySource(runDir);
    const timeline = parse(readFileSync(join(runDir, 'timeline.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    for (const name of ['ds2', 'ds2-op20', 'autoscaler', 'dhalion']) {
      const entry = replayTuner(name, source.entries);
      const mine = { ...source, runs: source.runs.filter((r) => new RegExp(`^p0-${name}-s\\d+$`).test(r.run)) };
      assert.equal(mine.runs.length, 2);
      const r = await replay(mine, entry);
      const decided = timeline.filter((t) => t.tuner === name && t.window !== '' && t.event !== 'invalid').length;
      assert.equal(r.rows.length, decided, `${name}: one replayed decision per window the run decided on`);
      assert.ok(r.rows.every((x) => x.agrees === 1), `${name}: ${JSON.stringify(r.rows.find((x) => x.agrees !== 1))}`);
      const rescales = r.rows.filter((x) => x.runNext !== '');
      assert.ok(rescales.every((x) => x.next === x.runNext), `${name}: rescales to the run's next configuration`);
      if (name.startsWith('ds2')) assert.ok(rescales.length > 0, `${name}: the run rescaled`);
      assert.ok(r.rows.every((x) => String(x.runReason).startsWith(String(x.reason))), `${name}: the run's reason begins with the replayed one`);
    }
  });

  it("another tuner on the same windows disagrees where it would have decided otherwise; a JSON entry works", async () => {
    const source = await readReplaySource(runDir, 'p0-ds2-s1');
    const r = await replay(source, replayTuner('{"kind": "ds2", "overProvisioning": 0.5}', source.entries));
    assert.ok(r.rows.some((x) => x.agrees === 0));
    assert.equal(r.rows[0]?.tuner, 'ds2-replay');
  });

  it('a bare history.csv (the job rebuilt from its rows) gives the same decisions as its run folder', async () => {
    const fromDir = await replay(await readReplaySource(runDir, 'p0-ds2-s1'), replayTuner('ds2', []));
    const copy = join(dir, 'bare.csv');
    writeFileSync(copy, readFileSync(join(runDir, 'history.csv')));
    const bare = await replay(await readReplaySource(copy, 'p0-ds2-s1'), replayTuner('ds2', []));
    assert.deepEqual(bare.rows.map((x) => [x.window, x.decision, x.next]), fromDir.rows.map((x) => [x.window, x.decision, x.next]));
    assert.ok(bare.rows.every((x) => x.agrees === ''), 'nothing recorded to compare with');
  });

  it('the CLI prints the short table and writes the CSV; a bad --tuner exits 2 naming it', () => {
    const out = join(dir, 'r.csv');
    const ok = runCli('src/cli/replay.ts', [runDir, '--tuner', 'dhalion', '--run', 'p0-dhalion-s1', '--out', out], dir);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /p0-dhalion-s1: dhalion decided (\d+) windows; \1 of \1 as the run did/);
    assert.ok(existsSync(out));
    const bad = runCli('src/cli/replay.ts', [runDir, '--tuner', 'ds3'], dir);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--tuner: 'ds3' is neither a tuner of the run \(ds2, ds2-op20, autoscaler, dhalion\) nor a tuner kind/);
  });
});
