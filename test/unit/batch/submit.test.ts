import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '../../../src/core/project.js';
import { runExperiment } from '../../../src/experiment/experiment.js';
import { writeReport } from '../../../src/report/report.js';
import { mergeSubmission, UnfinishedShardsError } from '../../../src/batch/merge.js';
import { mergeManifest, shardsManifest, toYaml } from '../../../src/batch/k8s.js';
import { arraySpec, mergeScript, shardsScript } from '../../../src/batch/slurm.js';
import type { Submission } from '../../../src/batch/submission.js';
import { runCli } from '../../helpers/cli.js';

const REQUIRED = process.env.REQUIRE_ENGINES === '1';
const GOLDEN = join(PROJECT_ROOT, 'test/fixtures/batch');
/** The offline Kubernetes schema validator (.ci/run installs it from tools/k8s/requirements.txt). */
const VALIDATOR = join(PROJECT_ROOT, 'tools/k8s/.venv/bin/kubernetes-validate');

/** A generated text against its golden file; UPDATE_GOLDEN=1 rewrites the file instead (then review the diff). */
function golden(name: string, text: string): void {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
  assert.equal(text, readFileSync(file, 'utf8'), `${name} differs from test/fixtures/batch/${name} (UPDATE_GOLDEN=1 rewrites it)`);
}

/** A sweep as a cluster user would submit it: fixed paths, so the text is the same on every machine. */
const home = '/cluster/home/ana/streamtune-lab';
const submission: Submission = {
  scheduler: 'slurm',
  config: `${home}/experiments/sweeps/streamtune-ablations-q5.json`,
  name: 'streamtune-ablations-q5',
  shards: 8,
  runs: 40,
  project: home,
  dir: `${home}/results/streamtune-ablations-q5/20260101T000000`,
  allowLarge: false,
  slurm: { cpus: 4, partition: 'cpu', time: '01:00:00', account: 'streamlab' },
  attempts: [],
};
const k8s = { image: 'registry.example.org/streamtune-lab:0ebe242', claim: 'results', mount: '/results', workdir: '/app', cpus: 4, namespace: 'lab' };

function tree(dir: string): string[] {
  const walk = (d: string): string[] => readdirSync(d).flatMap((e) => (statSync(join(d, e)).isDirectory() ? walk(join(d, e)) : [join(d, e)]));
  return walk(dir)
    .map((f) => relative(dir, f))
    .sort();
}

describe('batch submission: the generated scripts and manifests', () => {
  it('the Slurm array job and merge job of an 8-shard sweep (golden files)', () => {
    golden('shards.sbatch', shardsScript(submission, [1, 2, 3, 4, 5, 6, 7, 8]));
    golden('merge.sbatch', mergeScript(submission));
    // A resubmission of the shards that did not finish, with the cluster's defaults (no partition, time, account).
    golden('shards-resubmit.sbatch', shardsScript({ ...submission, slurm: { cpus: 1 } }, [2, 5, 6, 7]));
  });

  it('the array of a resubmission: runs of consecutive shards as ranges', () => {
    assert.equal(arraySpec([1, 2, 3]), '1-3');
    assert.equal(arraySpec([2, 5, 6, 7, 9]), '2,5-7,9');
    assert.equal(arraySpec([4]), '4');
  });

  it('the Kubernetes Indexed Job and merge Job (golden files)', () => {
    const s = { ...submission, scheduler: 'k8s' as const, k8s };
    golden('k8s-shards.yaml', shardsManifest(s, k8s));
    golden('k8s-merge.yaml', mergeManifest(s, k8s));
  });

  it('toYaml: block maps and lists, quoting where YAML would read another type, | for multi-line text', () => {
    assert.equal(toYaml({ a: 'x', b: ['1', true, 'yes'], c: [{ d: 2, e: 'two words' }], f: 'l1\nl2\n' }), 'a: x\nb:\n  - "1"\n  - true\n  - "yes"\nc:\n  - d: 2\n    e: "two words"\nf: |\n  l1\n  l2\n');
  });

  it('the manifests are valid against the Kubernetes API schema (kubernetes-validate, strict, offline)', function () {
    if (!existsSync(VALIDATOR)) {
      if (REQUIRED) throw new Error(`REQUIRE_ENGINES=1 but ${VALIDATOR} is missing (.ci/run installs tools/k8s/requirements.txt)`);
      this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'k8s-'));
    try {
      const s = { ...submission, scheduler: 'k8s' as const, k8s };
      writeFileSync(join(dir, 'shards.yaml'), shardsManifest(s, k8s));
      writeFileSync(join(dir, 'merge.yaml'), mergeManifest(s, k8s));
      // A manifest with a misspelt key must fail, or the check proves nothing.
      writeFileSync(join(dir, 'bad.yaml'), mergeManifest(s, k8s).replace('backoffLimit:', 'backofLimit:'));
      const ok = spawnSync(VALIDATOR, ['--strict', join(dir, 'shards.yaml'), join(dir, 'merge.yaml')], { encoding: 'utf8' });
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /shards\.yaml passed for resource job\/.*-shards/);
      assert.match(ok.stdout, /merge\.yaml passed for resource job\/.*-merge/);
      const bad = spawnSync(VALIDATOR, ['--strict', join(dir, 'bad.yaml')], { encoding: 'utf8' });
      assert.notEqual(bad.status, 0, bad.stdout);
      assert.match(bad.stdout + bad.stderr, /backofLimit/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run submit: flags, the sbatch calls, --resume and the merge of a submission folder', function () {
  this.timeout(120_000);
  let dir = '';
  let file = '';
  let log = '';
  let env: NodeJS.ProcessEnv = {};
  const config = {
    name: 'subm',
    workload: { kind: 'synthetic', seed: 3, minOperators: 6, maxOperators: 8 },
    rates: { kind: 'permutation', levels: 3, repeat: 1, durationSec: 300 },
    tuners: { ds2: {}, static: {} },
    seeds: [1, 2],
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'submit-'));
    file = join(dir, 'subm.json');
    writeFileSync(file, JSON.stringify(config));
    // A fake sbatch and squeue first on the PATH: sbatch logs its arguments and prints job ids 101, 102, ...
    const bin = join(dir, 'bin');
    log = join(dir, 'sbatch.log');
    mkdirSync(bin);
    writeFileSync(join(bin, 'sbatch'), `#!/bin/bash\nif [ "$1" = --version ]; then echo 'slurm 22.05.8'; exit 0; fi\necho "$*" >> ${log}\necho $((100 + $(wc -l < ${log})))\n`);
    writeFileSync(join(bin, 'squeue'), '#!/bin/bash\nexit 0\n');
    chmodSync(join(bin, 'sbatch'), 0o755);
    chmodSync(join(bin, 'squeue'), 0o755);
    env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const submit = (args: string[]) => runCli('src/cli/submit.ts', args, dir, env);
  const calls = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

  it('bad flags exit 2 with one line before anything is written or submitted', () => {
    writeFileSync(join(dir, 'invalid.json'), JSON.stringify({ ...config, tuners: { ds3: {} } }));
    const cases: [string[], RegExp][] = [
      [[file, '--slurm'], /^error: --shards: give the number of shards/],
      [[file, '--slurm', '--shards', '0'], /^error: --shards: expected an integer in \[1, 10000\], got '0'/],
      [[file, '--slurm', '--shards', '5'], /^error: --shards: 5 shards for 4 runs of .*subm\.json: at most one shard per run/],
      [[join(dir, 'invalid.json'), '--slurm', '--shards', '2'], /^error: .*invalid\.json: tuners\.ds3: unknown tuner 'ds3'/],
      [[file, '--shards', '2'], /^error: give one of --slurm .* or --k8s/],
      [[file, '--k8s', '--shards', '2'], /^error: --image: --k8s needs the image/],
      [[file, '--slurm', '--shards', '2', '--time', '1 hour'], /^error: --time: expected a Slurm time limit/],
      [[file, '--resume', join(dir, 'x')], /^error: --resume: not with a config/],
      [['--resume', dir], /^error: --resume: .* is not a submission folder \(no submission\.json/],
    ];
    for (const [args, message] of cases) {
      const r = submit(args.includes('--resume') ? args : [...args, '--out', join(dir, 'bad')]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr.trim(), message, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.deepEqual(calls(), [], 'nothing was submitted');
    assert.ok(!existsSync(join(dir, 'bad')), 'nothing was written');
  });

  it('--dry-run writes the scripts and submission.json, submits nothing', () => {
    const r = submit([file, '--slurm', '--shards', '3', '--out', join(dir, 'res'), '--run-id', 'dry', '--dry-run']);
    assert.equal(r.status, 0, r.stderr);
    const folder = join(dir, 'res', 'subm', 'dry');
    assert.match(r.stdout, /^dry run: wrote shards\.sbatch, merge\.sbatch; would submit 3 shards \(4 runs\) and the merge with:$/m);
    assert.match(r.stdout, new RegExp(`sbatch --parsable --dependency=afterok:<shards> --kill-on-invalid-dep=yes ${folder}/merge\\.sbatch`));
    assert.deepEqual(calls(), []);
    assert.deepEqual(tree(folder), ['merge.sbatch', 'shards.sbatch', 'submission.json']);
    assert.match(readFileSync(join(folder, 'shards.sbatch'), 'utf8'), /^#SBATCH --array=1-3$/m);
    // A folder is submitted once: the same run id again is refused.
    const again = submit([file, '--slurm', '--shards', '3', '--out', join(dir, 'res'), '--run-id', 'dry']);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /exists: give another --run-id/);
  });

  it('without sbatch: exit 1 naming it, and no submission folder is left behind', () => {
    const r = runCli('src/cli/submit.ts', [file, '--slurm', '--shards', '2', '--out', join(dir, 'nosbatch')], dir, { ...process.env, PATH: join(dir, 'nowhere') });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr.trim(), /^error: sbatch not found: is this a Slurm login node\? \(--dry-run writes the scripts without submitting\)$/);
    assert.ok(!existsSync(join(dir, 'nosbatch')));
  });

  it('submits the array, then the merge afterok and the report afternotok of the array; prints the ids and the folder', () => {
    const r = submit([file, '--slurm', '--shards', '3', '--out', join(dir, 'res'), '--run-id', 'real', '--partition', 'cpu', '--time', '10', '--account', 'lab', '--cpus', '2']);
    assert.equal(r.status, 0, r.stderr);
    const folder = join(dir, 'res', 'subm', 'real');
    assert.deepEqual(calls(), [
      `--parsable ${folder}/shards.sbatch`,
      `--parsable --dependency=afterok:101 --kill-on-invalid-dep=yes ${folder}/merge.sbatch`,
      `--parsable --dependency=afternotok:101 --kill-on-invalid-dep=yes --job-name=subm-report ${folder}/merge.sbatch`,
    ]);
    assert.match(r.stdout, /^array job: 101 \(tasks 1,2,3\)$/m);
    assert.match(r.stdout, /^merge job: 102 /m);
    assert.match(r.stdout, /^report job: 103 /m);
    assert.match(r.stdout, new RegExp(`^folder: ${folder}$`, 'm'));
    const script = readFileSync(join(folder, 'shards.sbatch'), 'utf8');
    for (const line of ['#SBATCH --partition=cpu', '#SBATCH --time=10', '#SBATCH --account=lab', '#SBATCH --cpus-per-task=2', `#SBATCH --chdir=${PROJECT_ROOT}`]) assert.ok(script.includes(`${line}\n`), line);
    assert.ok(script.includes(`run npm run experiment -- ${file} --shard "$shard/3" --out ${folder} --run-id "shard-$shard"`));
    const saved = JSON.parse(readFileSync(join(folder, 'submission.json'), 'utf8')) as Submission;
    assert.deepEqual(saved.attempts[0]?.jobs, { shards: '101', merge: '102', report: '103' });
  });

  it('the merge of a submission folder names the shard that did not run and its log; --resume resubmits it alone; the merge equals a single run', async () => {
    const folder = join(dir, 'res', 'subm', 'real');
    const whole = await runExperiment({ config: file, out: join(dir, 'single'), jobs: 1, runId: 'r', report: writeReport });
    // Shards 1 and 3 run as their array tasks would; shard 2 never starts; its log says why.
    for (const i of [1, 3]) await runExperiment({ config: file, out: folder, runId: `shard-${i}`, jobs: 1, shard: { index: i, count: 3 } });
    writeFileSync(join(folder, 'logs', 'shard-2.out'), 'shard 2/3 on node7\nslurmstepd: error: *** JOB 104 ON node7 CANCELLED AT 2026-01-01T01:00:00 ***\n');
    await assert.rejects(mergeSubmission(folder), (e: Error) => {
      assert.ok(e instanceof UnfinishedShardsError);
      assert.match(e.message, /^merge: 1 of 3 shards did not finish:\n/);
      assert.ok(e.message.includes(`shard 2/3: wrote no shard folder (it did not start, or stopped before planning its runs); its log: ${folder}/logs/shard-2.out\n`), e.message);
      assert.ok(e.message.includes('last line of the log: slurmstepd: error: *** JOB 104 ON node7 CANCELLED'), e.message);
      assert.ok(e.message.endsWith(`npm run submit -- --resume ${folder}`));
      return true;
    });
    const cli = runCli('src/cli/merge.ts', [folder], dir, env);
    assert.equal(cli.status, 1, 'a failed shard fails the merge job');
    assert.match(cli.stderr, /shard 2\/3: wrote no shard folder/);

    const r = submit(['--resume', folder]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^submitted 1 of 3 shards \(4 runs\) and the merge$/m);
    assert.match(r.stdout, /^array job: 104 \(tasks 2\)$/m);
    assert.deepEqual(calls().slice(3), [
      `--parsable ${folder}/shards-2.sbatch`,
      `--parsable --dependency=afterok:104 --kill-on-invalid-dep=yes ${folder}/merge.sbatch`,
      `--parsable --dependency=afternotok:104 --kill-on-invalid-dep=yes --job-name=subm-report ${folder}/merge.sbatch`,
    ]);
    assert.match(readFileSync(join(folder, 'shards-2.sbatch'), 'utf8'), /^#SBATCH --array=2$/m);

    // Shard 2 runs; then the merge: byte-identical to the single-machine run, and it appears whole.
    await runExperiment({ config: file, out: folder, runId: 'shard-2', jobs: 1, shard: { index: 2, count: 3 } });
    // Every shard finished but not merged (say the merge job was cancelled): --resume submits the merge alone.
    const mergeOnly = submit(['--resume', folder]);
    assert.equal(mergeOnly.status, 0, mergeOnly.stderr);
    assert.match(mergeOnly.stdout, /^submitted the merge alone \(every shard finished\)$/m);
    assert.deepEqual(calls().slice(6), [`--parsable ${folder}/merge.sbatch`]);
    const merged = await mergeSubmission(folder, writeReport);
    assert.equal(merged.dir, join(folder, 'subm', 'merged'));
    assert.ok(!existsSync(join(folder, 'subm', 'merged.partial')));
    const files = tree(whole.dir);
    assert.deepEqual(tree(merged.dir), files);
    for (const f of files) assert.ok(readFileSync(join(merged.dir, f)).equals(readFileSync(join(whole.dir, f))), `${f} differs`);
    const done = submit(['--resume', folder]);
    assert.equal(done.status, 2);
    assert.match(done.stderr, /merged already/);
  });

  it('--k8s writes the manifests for a config inside the checkout, and refuses one outside it', () => {
    const r = submit(['configs/nexmark-q5.json', '--k8s', '--shards', '2', '--image', 'lab:1', '--out', join(dir, 'k8s'), '--run-id', 'k']);
    assert.equal(r.status, 0, r.stderr);
    const folder = join(dir, 'k8s', 'nexmark-q5', 'k');
    assert.deepEqual(tree(folder), ['k8s/merge.yaml', 'k8s/shards.yaml', 'submission.json']);
    const shards = readFileSync(join(folder, 'k8s/shards.yaml'), 'utf8');
    assert.match(shards, /completionMode: Indexed\n\s+completions: 2\n/);
    assert.ok(shards.includes('npm run experiment -- experiments/configs/nexmark-q5.json --shard "$shard/2" --out /results/nexmark-q5/k'), shards);
    assert.match(r.stdout, /kubectl apply -f .*k8s\/shards\.yaml/);
    const outside = submit([file, '--k8s', '--shards', '2', '--image', 'lab:1', '--out', join(dir, 'k8s')]);
    assert.equal(outside.status, 2);
    assert.match(outside.stderr, /lies outside the checkout/);
    assert.deepEqual(calls().filter((c) => c.includes('k8s')), [], 'kubernetes manifests are never submitted with sbatch');
  });
});
