/**
 * An external tuner that fails to start, crashes, hangs past its timeout, prints a non-message or answers an
 * invalid parallelism fails its own run with one line naming the tuner, the request and the line it sent; its
 * process is stopped; the experiment's other runs finish; --resume runs the failed run again.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { pidAlive } from '../../../src/engines/shared/processes.js';
import { runExperiment } from '../../../src/experiment/experiment.js';
import { PROJECT_ROOT } from '../../../src/core/project.js';
import { startCli } from '../../helpers/cli.js';

const SCRIPT = join(PROJECT_ROOT, 'test', 'fixtures', 'misbehaving-tuner.mjs');

interface Case {
  mode: string;
  /** What the one error line must say. */
  expect: RegExp;
  jobs?: number;
}

const CASES: Case[] = [
  // The command is a program that does not exist yet (written before the resume).
  { mode: 'nostart', expect: /^tuner 'bad' \(\/.*\/tuner --x\): hello: could not start: spawn \/.*\/tuner ENOENT$/ },
  { mode: 'slowstart', expect: /^tuner 'bad' \(.*misbehaving-tuner\.mjs .*\): hello: no answer within 1 s$/ },
  { mode: 'crash', expect: /^tuner 'bad' \(.*\): decide \(window 2\): exited with code 3; its last stderr line: ValueError: the model diverged$/, jobs: 2 },
  { mode: 'hang', expect: /^tuner 'bad' \(.*\): decide \(window 2\): no answer within 1 s$/ },
  { mode: 'garbage', expect: /^tuner 'bad' \(.*\): decide \(window 2\): answered with a line that is not JSON \(print logs to stderr, not stdout\); it sent: "loss 0\.31 after epoch 4"$/, jobs: 2 },
  {
    mode: 'invalid',
    expect: /^tuner 'bad' \(.*\): decide \(window 2\): answered an invalid parallelism: operator '\w+': parallelism 0 is not an integer within \[1, \d+\]; it sent: "\{\\"type\\":\\"rescale\\",.*\}"$/,
  },
  { mode: 'unknown', expect: /^tuner 'bad' \(.*\): decide \(window 2\): answered an invalid parallelism: unknown operator 'nope' \(operators: .*\); it sent: ".*nope.*"$/ },
];

describe('external tuner failures', function () {
  const made: string[] = [];
  after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

  for (const c of CASES)
    it(`${c.mode}: fails its own run in one line, the process is stopped, the other runs finish, --resume completes it`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `ext-${c.mode}-`));
      made.push(dir);
      const modeFile = join(dir, 'mode');
      const pidFile = join(dir, 'pids');
      writeFileSync(modeFile, c.mode);
      const ok = [process.execPath, SCRIPT, modeFile, pidFile];
      const program = join(dir, 'tuner');
      const config = {
        name: `ext-${c.mode}`,
        workload: { kind: 'synthetic', seed: 3, minOperators: 5, maxOperators: 6 },
        rates: { kind: 'steps', rates: [3, 6], durationSec: 200 },
        tuners: { ds2: {}, bad: { kind: 'external', command: c.mode === 'nostart' ? [program, '--x'] : ok, timeoutSec: 1, startTimeoutSec: 1 } },
        seeds: [1, 2],
        outputs: { charts: false },
      };
      const file = join(dir, 'x.json');
      writeFileSync(file, JSON.stringify(config));
      const first = await runExperiment({ config: file, out: join(dir, 'out'), jobs: c.jobs ?? 1, runId: 'r' });
      assert.deepEqual(first.failed.map((f) => f.key).sort(), ['p0-bad-s1', 'p0-bad-s2']);
      for (const f of first.failed) {
        assert.match(f.error, c.expect);
        assert.doesNotMatch(f.error, /\n/, 'one line');
        assert.equal(readFileSync(join(first.dir, 'runs', f.key, 'error.txt'), 'utf8'), `${f.error}\n`);
      }
      const pids = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim().split('\n').map(Number) : [];
      if (c.mode !== 'nostart') assert.equal(pids.length, 2, 'one process per run');
      for (const pid of pids) assert.equal(pidAlive(pid), false, `tuner process ${pid} still runs`);
      const done = (d: string) => (parse(readFileSync(join(d, 'episodes.csv'), 'utf8'), { columns: true }) as Record<string, string>[]).map((r) => r.tuner);
      assert.deepEqual([...new Set(done(first.dir))], ['ds2'], 'the other runs finished');

      // Fix the tuner and resume: the failed runs run again, the finished ones are kept.
      writeFileSync(modeFile, 'ok');
      if (c.mode === 'nostart') writeFileSync(program, `#!/bin/sh\nexec ${ok.map((a) => `'${a}'`).join(' ')}\n`, { mode: 0o755 });
      const resumed = await runExperiment({ resume: first.dir, jobs: 1 });
      assert.deepEqual(resumed.failed, []);
      assert.equal(resumed.skipped, 2, 'the finished ds2 runs are kept');
      assert.deepEqual([...new Set(done(resumed.dir))], ['ds2', 'bad']);
      for (const pid of readFileSync(pidFile, 'utf8').trim().split('\n').map(Number)) assert.equal(pidAlive(pid), false);
    });
});

describe('external tuner and the harness interrupted', function () {
  for (const jobs of [1, 2])
    it(`SIGINT to the experiment stops the tuner's process (--jobs ${jobs}${jobs > 1 ? ': worker threads; the tuner exits when its stdin closes' : ': the process registry kills it'})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ext-int-'));
      try {
        const modeFile = join(dir, 'mode');
        const pidFile = join(dir, 'pids');
        writeFileSync(modeFile, 'hang');
        const config = {
          name: 'ext-int',
          workload: { kind: 'synthetic', seed: 3, minOperators: 5, maxOperators: 6 },
          rates: { kind: 'steps', rates: [3], durationSec: 200 },
          tuners: { bad: { kind: 'external', command: [process.execPath, SCRIPT, modeFile, pidFile], timeoutSec: 600 } },
          seeds: [1, 2],
          outputs: { charts: false },
        };
        writeFileSync(join(dir, 'x.json'), JSON.stringify(config));
        const child = startCli('src/cli/experiment.ts', [join(dir, 'x.json'), '--out', join(dir, 'out'), '--jobs', String(jobs)], dir);
        const pids = (): number[] => (existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim().split('\n').filter(Boolean).map(Number) : []);
        const deadline = Date.now() + 60_000;
        while (pids().length < jobs && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        assert.equal(pids().length, jobs, 'the tuners started');
        const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
        child.kill('SIGINT');
        assert.equal(await exited, 130);
        const gone = Date.now() + 10_000;
        while (pids().some(pidAlive) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(pids().filter(pidAlive), [], 'a tuner process outlived the harness');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
});
