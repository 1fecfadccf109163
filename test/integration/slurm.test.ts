/**
 * `npm run submit -- --slurm` on a real Slurm: a one-node cluster on localhost (tools/slurm/local-slurm.sh: munged,
 * slurmctld and slurmd as root, every file in a temporary folder), started before and stopped after these tests.
 * Skipped when the Slurm packages are missing or the tests do not run as root, unless REQUIRE_ENGINES=1, which
 * turns that into a failure. Assertions are on files and job states, never on wall time.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '../../src/core/project.js';
import { runExperiment } from '../../src/experiment/experiment.js';
import { writeReport } from '../../src/report/report.js';
import { runCli } from '../helpers/cli.js';

const REQUIRED = process.env.REQUIRE_ENGINES === '1';
const SCRIPT = join(PROJECT_ROOT, 'tools/slurm/local-slurm.sh');

function slurmMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'the tests do not run as root (slurmd must)';
  for (const c of ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'scontrol'])
    if (spawnSync('sh', ['-c', 'command -v "$1"', 'sh', c]).status !== 0) return `${c} is not installed (apt-get install slurmctld slurmd slurm-client munge)`;
  return undefined;
}

function tree(dir: string): string[] {
  const walk = (d: string): string[] => readdirSync(d).flatMap((e) => (statSync(join(d, e)).isDirectory() ? walk(join(d, e)) : [join(d, e)]));
  return walk(dir)
    .map((f) => relative(dir, f))
    .sort();
}

function assertSameFolder(actual: string, expected: string): void {
  const files = tree(expected);
  assert.deepEqual(tree(actual), files);
  for (const f of ['episodes.csv', 'timeline.csv', 'history.csv', 'summary.md', 'index.html', 'config.resolved.json']) assert.ok(files.includes(f), f);
  for (const f of files) assert.ok(readFileSync(join(actual, f)).equals(readFileSync(join(expected, f))), `${f} differs from the single-machine run`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A job's state as scontrol has it (slurm.conf keeps finished jobs for an hour). */
function jobState(id: string): string {
  const r = spawnSync('scontrol', ['show', 'job', '--oneliner', id], { encoding: 'utf8' });
  return /JobState=(\S+)/.exec(r.stdout)?.[1] ?? `unknown (${r.stderr.trim()})`;
}

const FINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY']);

async function until(what: string, ok: () => boolean, seconds = 180): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await sleep(100);
  }
}

/** The ids `npm run submit` prints. */
function jobIds(stdout: string): { shards: string; merge: string; report: string } {
  const id = (label: string) => {
    const m = new RegExp(`^${label} job: (\\d+)`, 'm').exec(stdout);
    assert.ok(m, `no '${label} job:' in ${stdout}`);
    return m[1] as string;
  };
  return { shards: id('array'), merge: id('merge'), report: id('report') };
}

describe('npm run submit on a real one-node Slurm', function () {
  this.timeout(300_000);
  let slurmDir = '';
  let dir = '';
  let savedConf: string | undefined;
  const config = {
    name: 'slurm-sweep',
    workload: { kind: 'synthetic', seed: 3, minOperators: 8, maxOperators: 10 },
    rates: { kind: 'permutation', levels: 10, repeat: 2, durationSec: 900 },
    tuners: { ds2: {}, static: {}, oracle: {} },
    seeds: [1, 2, 3],
  };
  let file = '';
  let single = '';

  before(async function () {
    const missing = slurmMissing();
    if (missing) {
      if (REQUIRED) throw new Error(`REQUIRE_ENGINES=1 but Slurm cannot run: ${missing}`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'slurm-it-'));
    const started = spawnSync(SCRIPT, ['start', join(dir, 'cluster')], { encoding: 'utf8' });
    assert.equal(started.status, 0, `local-slurm.sh start failed: ${started.stderr}`);
    const conf = /^SLURM_CONF=(.+)$/m.exec(started.stdout)?.[1];
    assert.ok(conf && existsSync(conf), started.stdout);
    slurmDir = join(dir, 'cluster');
    savedConf = process.env.SLURM_CONF;
    process.env.SLURM_CONF = conf; // for sbatch in `npm run submit` and for scontrol/scancel here
    file = join(dir, 'sweep.json');
    writeFileSync(file, JSON.stringify(config));
    const whole = await runExperiment({ config: file, out: join(dir, 'single'), jobs: 1, runId: 'r', report: writeReport });
    assert.equal(whole.failed.length, 0);
    single = whole.dir;
  });

  after(() => {
    if (slurmDir) {
      const stopped = spawnSync(SCRIPT, ['stop', slurmDir], { encoding: 'utf8' });
      assert.equal(stopped.status, 0, `local-slurm.sh stop failed: ${stopped.stderr}`);
      assert.ok(!existsSync(slurmDir), 'stop removes the cluster folder');
    }
    if (savedConf === undefined) delete process.env.SLURM_CONF;
    else process.env.SLURM_CONF = savedConf;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('3 shards as an array job, the merge after the last: the merged folder equals a single-machine run', async () => {
    const r = runCli('src/cli/submit.ts', [file, '--slurm', '--shards', '3', '--out', join(dir, 'sub'), '--run-id', 'ok'], dir);
    assert.equal(r.status, 0, r.stderr);
    const ids = jobIds(r.stdout);
    const folder = join(dir, 'sub', config.name, 'ok');
    assert.match(r.stdout, new RegExp(`^folder: ${folder}$`, 'm'));
    await until('the merge job', () => FINAL.has(jobState(ids.merge)));
    assert.equal(jobState(ids.merge), 'COMPLETED', readFileSync(join(folder, 'logs', 'merge.out'), 'utf8'));
    for (const t of [1, 2, 3]) assert.equal(jobState(`${ids.shards}_${t}`), 'COMPLETED', `array task ${t}`);
    // The report job (afternotok) can never run once every shard succeeded: Slurm cancels it.
    await until('the report job to be cancelled', () => FINAL.has(jobState(ids.report)), 30);
    assert.equal(jobState(ids.report), 'CANCELLED');
    for (const t of [1, 2, 3]) assert.match(readFileSync(join(folder, 'logs', `shard-${t}.out`), 'utf8'), new RegExp(`runs: 3 of shard ${t}/3 \\(0 resumed, 0 failed\\)`));
    assertSameFolder(join(folder, config.name, 'merged'), single);
  });

  it('a shard cancelled mid-run: the merge names it and its log, --resume reruns it alone, then the merge', async () => {
    const r = runCli('src/cli/submit.ts', [file, '--slurm', '--shards', '3', '--out', join(dir, 'sub'), '--run-id', 'killed'], dir);
    assert.equal(r.status, 0, r.stderr);
    const ids = jobIds(r.stdout);
    const folder = join(dir, 'sub', config.name, 'killed');
    const shard2 = join(folder, config.name, 'shard-2');
    // Once shard 2 has planned its runs (shard.json), cancel its array task.
    await until('shard 2 to start its runs', () => existsSync(join(shard2, 'shard.json')));
    const cancel = spawnSync('scancel', [`${ids.shards}_2`], { encoding: 'utf8' });
    assert.equal(cancel.status, 0, cancel.stderr);
    await until('the report job', () => FINAL.has(jobState(ids.report)));
    const runs = join(shard2, 'runs');
    const done = existsSync(runs) ? readdirSync(runs).filter((k) => existsSync(join(runs, k, 'done.json'))) : [];
    assert.ok(done.length < 3, 'shard 2 finished before the cancel reached it: nothing was killed');
    assert.equal(jobState(`${ids.shards}_2`), 'CANCELLED');
    assert.equal(jobState(ids.merge), 'CANCELLED', 'the afterok merge never runs after a cancelled shard');
    assert.equal(jobState(ids.report), 'FAILED', 'the report names the failed shard and exits 1');
    const log = readFileSync(join(folder, 'logs', 'merge.out'), 'utf8');
    assert.match(log, /merge: 1 of 3 shards did not finish/);
    assert.match(log, new RegExp(`shard 2/3: ${3 - done.length} of 3 runs unfinished; its log: ${join(folder, 'logs', 'shard-2.out')}\n    folder ${shard2}; last line of the log: .*CANCELLED`));
    assert.doesNotMatch(log, /shard [13]\/3:/, 'only the cancelled shard is named');
    assert.match(log, new RegExp(`npm run submit -- --resume ${folder}`));
    assert.ok(!existsSync(join(folder, config.name, 'merged')));

    const again = runCli('src/cli/submit.ts', ['--resume', folder], dir);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^submitted 1 of 3 shards/m);
    const ids2 = jobIds(again.stdout);
    assert.match(again.stdout, /tasks 2\)/);
    await until('the merge job of the resubmission', () => FINAL.has(jobState(ids2.merge)));
    assert.equal(jobState(ids2.merge), 'COMPLETED', readFileSync(join(folder, 'logs', 'merge.out'), 'utf8'));
    assert.match(readFileSync(join(folder, 'logs', 'shard-2.out'), 'utf8'), new RegExp(`runs: 3 of shard 2/3 \\(${done.length} resumed, 0 failed\\)`));
    assertSameFolder(join(folder, config.name, 'merged'), single);
    // Merged: nothing left to resume.
    const third = runCli('src/cli/submit.ts', ['--resume', folder], dir);
    assert.equal(third.status, 2);
    assert.match(third.stderr, /merged already/);
  });
});
