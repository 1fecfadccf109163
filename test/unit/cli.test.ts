import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/experiment/config.js';
import { cliArgs, runCli, startCli } from '../helpers/cli.js';

/** The CLIs' edges: --help on every script does nothing else, bad flags exit 2 with one line, resume and interrupt. */
describe('command-line edges', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const tiny = {
    name: 'tiny',
    workload: { kind: 'nexmark', query: 'q1' },
    rates: { kind: 'constant', rate: 2, durationSec: 60 },
    tuners: { ds2: {} },
    seeds: [1, 2],
    outputs: { charts: false },
  };
  writeFileSync(join(dir, 'tiny.json'), JSON.stringify(tiny));
  /** One line on stderr, exit 2, no stack trace. */
  const oneLine = (r: ReturnType<typeof runCli>, pattern: RegExp) => {
    assert.equal(r.status, 2, `${r.stdout}\n${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] as string, pattern);
  };

  for (const script of ['src/cli/experiment.ts', 'src/cli/schema.ts', 'bench/run.ts', 'src/cli/history.ts', 'src/cli/pretrain.ts', 'src/cli/figures.ts', 'src/cli/calibrate.ts', 'src/cli/merge.ts', 'src/cli/submit.ts', 'src/cli/notebooks.ts', 'src/cli/flink-cluster.ts', 'bench/fidelity.ts'])
    it(`${script} --help shows help and does nothing else`, () => {
      const schema = join(PROJECT_ROOT, 'schema/experiment.schema.json');
      const before = statSync(schema).mtimeMs;
      const r = runCli(script, ['--help'], dir);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /--help/);
      assert.doesNotMatch(r.stdout, /^## |wrote |results: /m);
      assert.equal(statSync(schema).mtimeMs, before, 'schema not rewritten');
      assert.deepEqual(readdirSync(dir).sort(), ['tiny.json']);
    });

  it('bench with a misspelt section exits 2 naming the choices', () => oneLine(runCli('bench/run.ts', ['simulatr'], dir), /simulatr.*simulator/s));
  it('bad number flags of the other scripts exit 2 with one line', () => {
    oneLine(runCli('src/cli/history.ts', ['--jobs', 'abc'], dir), /^error: --jobs: expected an integer in \[1, 100000\], got 'abc'/);
    oneLine(runCli('src/cli/figures.ts', ['--jobs', '0'], dir), /^error: --jobs: expected an integer/);
  });
  it('experiment without a config exits 2 with one line', () => oneLine(runCli('src/cli/experiment.ts', [], dir), /give an experiment file, or --resume <run-dir>/));
  it('experiment --resume without a folder exits 2 with one line', () => oneLine(runCli('src/cli/experiment.ts', ['--resume'], dir), /--resume: expected a run folder/));
  it('experiment --jobs abc exits 2 and leaves no run folder', () => {
    oneLine(runCli('src/cli/experiment.ts', ['tiny.json', '--jobs', 'abc', '--out', 'out'], dir), /^error: --jobs: expected an integer in \[1, 256\], got 'abc'/);
    oneLine(runCli('src/cli/experiment.ts', ['tiny.json', '--jobs', '0', '--out', 'out'], dir), /--jobs: expected an integer/);
    oneLine(runCli('src/cli/experiment.ts', ['tiny.json', '--seed', '1.5', '--out', 'out'], dir), /--seed: expected an integer/);
    assert.ok(!existsSync(join(dir, 'out')));
  });
  it('experiment --out under /proc exits 2 with one line (no spin: a generous limit on the process)', () => {
    const r = spawnSync(process.execPath, cliArgs('src/cli/experiment.ts', ['tiny.json', '--out', '/proc/streamtune-x']), { cwd: dir, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
    assert.notEqual(r.status, null, 'killed: the CLI did not finish');
    oneLine(r, /--out: \/proc\/streamtune-x\/.* is not a writable folder/);
  });
  it('experiment --resume <dir> alone resumes that folder; another config or seed is refused', () => {
    const first = runCli('src/cli/experiment.ts', ['tiny.json', '--out', 'res'], dir);
    assert.equal(first.status, 0, first.stderr);
    const runDir = /results: (.*)/.exec(first.stdout)?.[1] as string;
    const again = runCli('src/cli/experiment.ts', ['--resume', runDir], dir);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /runs: 2 \(2 resumed, 0 failed\)/);
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ ...tiny, seeds: [3] }));
    oneLine(runCli('src/cli/experiment.ts', ['other.json', '--resume', runDir], dir), /--resume: .* holds another config/);
    oneLine(runCli('src/cli/experiment.ts', ['--resume', runDir, '--seed', '9'], dir), /--seed: 9 differs from the resumed folder's seeds/);
    rmSync(join(dir, 'res'), { recursive: true, force: true });
  });
  // Ctrl-C, and SIGTERM as a batch scheduler sends it on scancel or at the time limit.
  // With --jobs 2 the runs are worker threads: the signal reaches the CLI alone (not its process group).
  for (const [signal, exit, word, jobs] of [['SIGINT', 130, 'interrupted', 1], ['SIGTERM', 143, 'terminated', 1], ['SIGTERM', 143, 'terminated', 2]] as const)
    it(`an experiment stopped by ${signal} (--jobs ${jobs}) exits ${exit} and prints the folder to resume`, async () => {
      writeFileSync(join(dir, 'long.json'), JSON.stringify({ ...tiny, name: 'long', rates: { kind: 'permutation', levels: 10, repeat: 2, durationSec: 900 }, seeds: [1, 2, 3, 4, 5, 6] }));
      const child = startCli('src/cli/experiment.ts', ['long.json', '--out', 'long-out', '--jobs', String(jobs)], dir);
      let stdout = '';
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      await new Promise<void>((resolve) => {
        child.stdout?.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (/^work: /m.test(stdout)) resolve();
        });
        child.on('exit', () => resolve());
      });
      child.kill(signal);
      const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (c) => resolve(c))));
      const runDir = /run folder: (.*)/.exec(stdout)?.[1] as string;
      assert.ok(runDir, stdout);
      assert.equal(code, exit, stderr);
      assert.ok(stderr.includes(`${word}: finished runs are saved; continue with --resume ${runDir}`), stderr);
      rmSync(join(dir, 'long-out'), { recursive: true, force: true });
    });
});
