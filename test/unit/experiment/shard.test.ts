import { writeReport } from '../../../src/report/report.js';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { mergeExperimentShards, runExperiment } from '../../../src/experiment/experiment.js';
import { parseShard, shardRuns } from '../../../src/experiment/shard.js';
import { runCli } from '../../helpers/cli.js';

/** Every file under a folder, relative paths sorted. */
function tree(dir: string): string[] {
  const walk = (d: string): string[] => readdirSync(d).flatMap((e) => (statSync(join(d, e)).isDirectory() ? walk(join(d, e)) : [join(d, e)]));
  return walk(dir)
    .map((f) => relative(dir, f))
    .sort();
}

describe('shards and merge (sweeps beyond one machine)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shard-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = {
    name: 'sharded',
    workload: { kind: 'synthetic', seed: 3, minOperators: 8, maxOperators: 10 },
    rates: { kind: 'permutation', levels: 5, repeat: 1, durationSec: 600 },
    tuners: { ds2: {}, static: {}, oracle: {} },
    seeds: [1, 2],
    sweep: { 'tuners.ds2.overProvisioning': [0, 0.2] },
  };
  const file = join(dir, 'sharded.json');
  writeFileSync(file, JSON.stringify(config));

  it('parses i/n and refuses anything else', () => {
    assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '1', '1/2/3', '-1/2']) assert.throws(() => parseShard(bad), /--shard: expected i\/n/, bad);
  });

  it('the shards partition the runs: each run in exactly one, every n-th from the i-th', () => {
    const runs = Array.from({ length: 10 }, (_, index) => ({ index }));
    const slices = [1, 2, 3].map((index) => shardRuns(runs, { index, count: 3 }).map((r) => r.index));
    assert.deepEqual(slices, [
      [0, 3, 6, 9],
      [1, 4, 7],
      [2, 5, 8],
    ]);
  });

  it('shards 1/3, 2/3 and 3/3 merged give a folder byte-identical to the unsharded run', async () => {
    const whole = await runExperiment({ config: file, out: join(dir, 'whole'), jobs: 1, runId: 'r', report: writeReport });
    assert.equal(whole.failed.length, 0);
    const shards: string[] = [];
    for (const i of [3, 1, 2]) {
      const s = await runExperiment({ config: file, out: join(dir, `shard${i}`), jobs: 2, runId: 'r', shard: { index: i, count: 3 } });
      assert.equal(s.shard, `${i}/3`);
      assert.ok(!tree(s.dir).includes('episodes.csv'), 'a shard has no merged CSVs');
      shards.push(s.dir);
    }
    const merged = await mergeExperimentShards(shards, { out: join(dir, 'merged'), runId: 'r', report: writeReport });
    const files = tree(whole.dir);
    assert.deepEqual(tree(merged.dir), files);
    for (const f of ['episodes.csv', 'timeline.csv', 'history.csv', 'summary.md', 'index.html', 'charts/tradeoff.png']) assert.ok(files.includes(f), f);
    for (const f of files) assert.ok(readFileSync(join(merged.dir, f)).equals(readFileSync(join(whole.dir, f))), `${f} differs`);

    // Refusals: a missing shard, a shard given twice, another config, another code version.
    await assert.rejects(mergeExperimentShards(shards.slice(0, 2), { out: join(dir, 'm2') }), /missing shard 2\/3/);
    await assert.rejects(mergeExperimentShards([...shards, shards[0] as string], { out: join(dir, 'm3') }), /given twice/);
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ ...config, seeds: [1, 3] }));
    const other = await runExperiment({ config: join(dir, 'other.json'), out: join(dir, 'other'), jobs: 1, runId: 'r', shard: { index: 1, count: 3 } });
    await assert.rejects(mergeExperimentShards([other.dir, ...shards.slice(1)], { out: join(dir, 'm4') }), /another config/);
    const old = join(dir, 'old');
    cpSync(shards[0] as string, old, { recursive: true });
    const marker = join(old, 'shard.json');
    writeFileSync(marker, readFileSync(marker, 'utf8').replace(/"codeVersion": "[^"]*"/, '"codeVersion": "sha256:0000000000000000"'));
    await assert.rejects(mergeExperimentShards([old, ...shards.filter((s) => s !== shards[0])], { out: join(dir, 'm5') }), /code version/);
    // Not a shard: the unsharded folder.
    await assert.rejects(mergeExperimentShards([whole.dir], { out: join(dir, 'm6') }), /not a shard/);
  });

  it('the CLI refuses a bad --shard with one line, exit 2', () => {
    const r = runCli('src/cli/experiment.ts', [file, '--shard', '4/3', '--out', join(dir, 'bad')], dir);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), /^error: --shard: expected i\/n/);
    const help = runCli('src/cli/merge.ts', ['--help'], dir);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /--run-id/);
    const m = runCli('src/cli/merge.ts', [join(dir, 'nowhere')], dir);
    assert.equal(m.status, 2, m.stderr);
    assert.match(m.stderr.trim(), /^error: merge: .*nowhere: not a folder$/);
  });
});
