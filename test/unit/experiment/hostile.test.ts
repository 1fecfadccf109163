import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runExperiment } from '../../../src/experiment/experiment.js';
import { cliArgs, startCli } from '../../helpers/cli.js';

/**
 * Hostile and careless inputs, one row each: the input, the exit code, and a pattern of the one line it prints.
 * Paths a user names are read only as regular files of bounded size; a BOM is accepted; JSON nesting is bounded;
 * trace cells are finite numbers within the rate bounds; flags say what they expect. Then resumes of tampered run
 * folders: a run whose files do not match its marker runs again (the merged CSVs equal an untouched folder's), and a
 * folder whose config was edited is refused naming the JSON path.
 */
describe('hostile inputs: refused with one line, exit 2, before any run; tampered run folders never merged', function () {
  this.timeout(240_000);
  const dir = mkdtempSync(join(tmpdir(), 'hostile-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const tiny = {
    name: 'tiny',
    workload: { kind: 'nexmark', query: 'q1' },
    rates: { kind: 'steps', rates: [2, 4, 3], durationSec: 120 },
    tuners: { ds2: {} },
    seeds: [1, 2],
    outputs: { charts: false },
  };
  const at = (...p: string[]): string => join(dir, ...p);
  const run = (script: string, args: readonly string[], timeoutMs = 60_000) =>
    spawnSync(process.execPath, cliArgs(`src/cli/${script}.ts`, args), { cwd: dir, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  type Result = ReturnType<typeof run>;
  /** The exit code, one line on stderr matching `pattern`, no stack trace; killed (a hang) fails with its own message. */
  const expect = (r: Result, exit: number, pattern: RegExp): void => {
    assert.notEqual(r.status, null, `killed after its time limit (a hang): ${r.stderr}`);
    assert.equal(r.status, exit, `${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace');
    const lines = r.stderr.trim().split('\n').filter((l) => l.trim() !== '');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] as string, pattern);
  };
  const rows = (f: string): number => readFileSync(f, 'utf8').trim().split('\n').length - 1;

  let base = '';
  before(() => {
    writeFileSync(at('tiny.json'), JSON.stringify(tiny));
    spawnSync('mkfifo', [at('fifo.json')]);
    mkdirSync(at('folder.json'));
    symlinkSync('/dev/zero', at('zero.json'));
    symlinkSync('/dev/urandom', at('random.json'));
    writeFileSync(at('bom.json'), `\ufeff${JSON.stringify({ ...tiny, seeds: [1] })}`);
    const nested = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    writeFileSync(at('nested.json'), JSON.stringify({ ...tiny, sweep: { seeds: 'NESTED' } }).replace('"NESTED"', nested));
    writeFileSync(at('huge.json'), '');
    truncateSync(at('huge.json'), 3 * 1024 ** 3); // sparse: no disk used
    const trace = (name: string, text: string): void => {
      writeFileSync(at(`${name}.csv`), text);
      writeFileSync(at(`${name}.json`), JSON.stringify({ ...tiny, name, rates: { kind: 'trace', file: `${name}.csv`, durationSec: 120 } }));
    };
    trace('rate-1e308', 'time,rate\n0,1000\n120,1e308\n');
    trace('rate-1e12', 'time,rate\n0,1000\n120,1e12\n');
    trace('empty-rate', 'time,rate\n0,1000\n120,\n');
    trace('empty-time', 'time,rate\n0,1000\n,2000\n');
    trace('time-1e308', 'time,rate\n0,1000\n1e308,2000\n');
    const r = run('experiment', ['tiny.json', '--out', 'base', '--run-id', 'r', '--jobs', '1']);
    assert.equal(r.status, 0, r.stderr);
    base = at('base', 'tiny', 'r');
    // A shard folder whose config.resolved.json is a symlink to /dev/zero; a run folder whose episodes.csv is one.
    const s = run('experiment', ['tiny.json', '--out', 'shard', '--run-id', 'a', '--shard', '1/2']);
    assert.equal(s.status, 0, s.stderr);
    rmSync(at('shard/tiny/a/config.resolved.json'));
    symlinkSync('/dev/zero', at('shard/tiny/a/config.resolved.json'));
    cpSync(base, at('zero-episodes'), { recursive: true });
    rmSync(at('zero-episodes/episodes.csv'));
    symlinkSync('/dev/zero', at('zero-episodes/episodes.csv'));
  });

  const cases: { what: string; script: string; args: () => string[]; exit: number; stderr?: RegExp; stdout?: RegExp }[] = [
    { what: 'a config that is a FIFO', script: 'experiment', args: () => ['fifo.json', '--out', 'o'], exit: 2, stderr: /fifo\.json: expected a regular file, got a named pipe \(FIFO\)/ },
    { what: 'a config that is a folder', script: 'experiment', args: () => ['folder.json', '--out', 'o'], exit: 2, stderr: /folder\.json: expected a regular file, got a folder/ },
    { what: 'a config that is a symlink to /dev/zero', script: 'experiment', args: () => ['zero.json', '--out', 'o'], exit: 2, stderr: /zero\.json: expected a regular file, got a character device/ },
    { what: 'a config that is a symlink to /dev/urandom', script: 'experiment', args: () => ['random.json', '--out', 'o'], exit: 2, stderr: /random\.json: expected a regular file, got a character device/ },
    { what: 'a config of 3 GB', script: 'experiment', args: () => ['huge.json', '--out', 'o'], exit: 2, stderr: /huge\.json: 3221225472 bytes, more than the \d+ an input file may have/ },
    { what: '10^5 nested brackets inside a sweep', script: 'experiment', args: () => ['nested.json', '--out', 'o'], exit: 2, stderr: /nested\.json: JSON nested more than 256 levels deep \(at character \d+\); expected at most 256/ },
    { what: 'a trace rate of 1e308', script: 'experiment', args: () => ['rate-1e308.json', '--out', 'o'], exit: 2, stderr: /rates\.file: rate trace .*rate-1e308\.csv, row 3, column rate: expected a rate in \[0, [\d.]+\] records\/s, got 1e\+308/ },
    { what: 'a trace rate of 1e12 records/s (over the rate bound)', script: 'experiment', args: () => ['rate-1e12.json', '--out', 'o'], exit: 2, stderr: /row 3, column rate: expected a rate in \[0, [\d.]+\] records\/s, got 1000000000000/ },
    { what: 'a trace with an empty rate cell', script: 'experiment', args: () => ['empty-rate.json', '--out', 'o'], exit: 2, stderr: /empty-rate\.csv, row 3, column rate: empty \(expected a number\)/ },
    { what: 'a trace with an empty time cell', script: 'experiment', args: () => ['empty-time.json', '--out', 'o'], exit: 2, stderr: /empty-time\.csv, row 3, column time: empty \(expected a number\)/ },
    { what: 'a trace phase of 1e308 s', script: 'experiment', args: () => ['time-1e308.json', '--out', 'o'], exit: 2, stderr: /time-1e308\.csv, row 3: a phase of 1e\+308 s, expected at most 604800 s/ },
    { what: '--out ""', script: 'experiment', args: () => ['tiny.json', '--out', ''], exit: 2, stderr: /^error: --out: expected a folder path, got an empty one/ },
    { what: 'a --out of 4,096 characters', script: 'experiment', args: () => ['tiny.json', '--out', 'x'.repeat(4096)], exit: 2, stderr: /^error: --out: a folder name of 4096 characters .*; expected at most 255 bytes per name$/ },
    { what: '--shard -1/3', script: 'experiment', args: () => ['tiny.json', '--out', 'o', '--shard', '-1/3'], exit: 2, stderr: /^error: --shard: expected i\/n with 1 <= i <= n <= 10000, e\.g\. 2\/3, got '-1\/3'$/ },
    { what: "merge of a shard whose config.resolved.json is a symlink to /dev/zero", script: 'merge', args: () => [at('shard/tiny/a'), '--out', 'o'], exit: 2, stderr: /config\.resolved\.json: expected a regular file, got a character device/ },
    { what: 'figures --list a FIFO', script: 'figures', args: () => ['--list', 'fifo.json', '--out', 'o'], exit: 2, stderr: /fifo\.json: expected a regular file, got a named pipe/ },
    { what: 'pretrain --history /dev/null', script: 'pretrain', args: () => ['--history', '/dev/null', '--out', at('o')], exit: 2, stderr: /^error: history: \/dev\/null: expected a regular file, got a character device/ },
    { what: 'pretrain --history a FIFO', script: 'pretrain', args: () => ['--history', at('fifo.json'), '--out', at('o')], exit: 2, stderr: /^error: history: .*fifo\.json: expected a regular file, got a named pipe/ },
    { what: 'pretrain --history a folder', script: 'pretrain', args: () => ['--history', at('folder.json'), '--out', at('o')], exit: 2, stderr: /^error: history: .*folder\.json: expected a regular file, got a folder/ },
    { what: 'replay of a history that is a symlink to /dev/urandom', script: 'replay', args: () => ['random.json', '--tuner', 'ds2'], exit: 2, stderr: /random\.json: expected a regular file, got a character device/ },
    { what: 'replay of a FIFO', script: 'replay', args: () => ['fifo.json', '--tuner', 'ds2'], exit: 2, stderr: /fifo\.json: expected a regular file, got a named pipe/ },
    { what: 'oracle of a FIFO config', script: 'oracle', args: () => ['fifo.json'], exit: 2, stderr: /fifo\.json: expected a regular file, got a named pipe/ },
    { what: "compare of a folder whose episodes.csv is a symlink to /dev/zero", script: 'compare', args: () => [at('zero-episodes'), '--out', at('o')], exit: 2, stderr: /episodes\.csv: expected a regular file, got a character device/ },
    { what: 'submit of a config that is a symlink to /dev/zero', script: 'submit', args: () => ['zero.json', '--slurm', '--shards', '2', '--dry-run', '--out', 'o'], exit: 2, stderr: /zero\.json: expected a regular file, got a character device/ },
    { what: 'a config that starts with a UTF-8 byte order mark (accepted)', script: 'experiment', args: () => ['bom.json', '--out', 'bom-out'], exit: 0, stdout: /runs: 1 \(0 resumed, 0 failed\)/ },
  ];
  for (const c of cases)
    it(`${c.what}: exit ${c.exit}`, () => {
      const r = run(c.script, c.args(), 30_000);
      if (c.stderr) expect(r, c.exit, c.stderr);
      else {
        assert.equal(r.status, c.exit, r.stderr);
        assert.match(r.stdout, c.stdout as RegExp);
      }
      assert.ok(!existsSync(at('o')), 'a refused input wrote nothing');
    });

  describe('resume of a tampered run folder', () => {
    let n = 0;
    /** A copy of the finished folder, tampered with; resumed through the CLI. */
    const resume = (tamper: (d: string) => void, extra: string[] = []): { r: Result; d: string } => {
      const d = at(`t${n++}`, 'tiny', 'r');
      cpSync(base, d, { recursive: true });
      tamper(d);
      return { r: run('experiment', ['--resume', d, ...extra]), d };
    };
    const one = (d: string): string => join(d, 'runs', 'p0-ds2-s1');
    type Resolved = { raw: Record<string, unknown>; points: { experiment: { tuners: { ds2: { overProvisioning?: number } }; seeds: number[] } }[] };
    const resolved = (d: string, edit: (j: Resolved) => void): void => {
      const f = join(d, 'config.resolved.json');
      const j = JSON.parse(readFileSync(f, 'utf8'));
      edit(j);
      writeFileSync(f, JSON.stringify(j, null, 2));
    };
    /** Runs again the run that did not verify: one line naming the file, merged CSVs equal to the untouched folder's. */
    const reruns = (tamper: (d: string) => void, line: RegExp) => () => {
      const { r, d } = resume(tamper);
      expect(r, 0, line);
      assert.match(r.stdout, /runs: 2 \(1 resumed, 0 failed\)/);
      for (const f of ['episodes.csv', 'timeline.csv', 'history.csv']) assert.equal(readFileSync(join(d, f), 'utf8'), readFileSync(join(base, f), 'utf8'), f);
      assert.equal(rows(join(d, 'episodes.csv')), 6);
    };
    it('truncated rows: the run runs again', reruns((d) => {
      const f = join(one(d), 'episodes.csv');
      writeFileSync(f, `${readFileSync(f, 'utf8').split('\n').slice(0, 2).join('\n')}\n`);
    }, /^resume: runs\/p0-ds2-s1\/episodes\.csv: 1 row, its marker says 3: running p0-ds2-s1 again$/));
    it('done.json with no rows (the CSVs deleted): the run runs again', reruns((d) => {
      for (const f of ['episodes.csv', 'timeline.csv', 'history.csv']) rmSync(join(one(d), f));
    }, /^resume: runs\/p0-ds2-s1\/episodes\.csv: missing \(its marker lists 3 rows\): running p0-ds2-s1 again$/));
    it('done.json with empty CSVs: the run runs again', reruns((d) => {
      for (const f of ['episodes.csv', 'timeline.csv', 'history.csv']) writeFileSync(join(one(d), f), '');
    }, /^resume: runs\/p0-ds2-s1\/episodes\.csv: empty \(0 bytes; its marker lists 3 rows\): running p0-ds2-s1 again$/));
    it('a garbage CSV beside a done marker: the run runs again', reruns((d) => writeFileSync(join(one(d), 'timeline.csv'), 'garbage,"x\nnot a csv'), /^resume: runs\/p0-ds2-s1\/timeline\.csv: not a CSV \(its marker lists \d+ rows\): running p0-ds2-s1 again$/));
    it("another run's rows (same count) beside a done marker: the run runs again", reruns(
      (d) => cpSync(join(d, 'runs/p0-ds2-s2/episodes.csv'), join(one(d), 'episodes.csv')),
      /^resume: runs\/p0-ds2-s1\/episodes\.csv: its content differs from its marker's sha256 \(same 3 rows: edited or another run's\): running p0-ds2-s1 again$/,
    ));
    it('a done.json that is not JSON: the run runs again', reruns((d) => writeFileSync(join(one(d), 'done.json'), '{'), /^resume: runs\/p0-ds2-s1\/done\.json: not a readable marker \(malformed JSON: .*\): running p0-ds2-s1 again$/));
    it('an old marker without row counts and hashes: the run runs again, saying so', reruns(
      (d) => writeFileSync(join(one(d), 'done.json'), `${JSON.stringify({ key: 'p0-ds2-s1', tuner: 'ds2', seed: 1, sweep: 'base' })}\n`),
      /^resume: runs\/p0-ds2-s1\/done\.json: a marker without row counts and hashes \(written by an older harness\): the run cannot be verified: running p0-ds2-s1 again$/,
    ));

    /** Refused before anything is written: the merged CSVs are left as they were. */
    const refused = (tamper: (d: string) => void, line: RegExp, extra: string[] = []) => () => {
      const { r, d } = resume(tamper, extra);
      expect(r, 2, line);
      assert.equal(readFileSync(join(d, 'episodes.csv'), 'utf8'), readFileSync(join(base, 'episodes.csv'), 'utf8'));
    };
    it('a tuner option edited in config.resolved.json: refused naming the JSON path', refused(
      (d) => resolved(d, (j) => (j.raw.tuners = { ds2: { overProvisioning: 0.5 } })),
      /^error: --resume: .*config\.resolved\.json: points\[0\]\.experiment\.tuners\.ds2\.overProvisioning: 0 in its points, 0\.5 in what its 'raw' config gives: the file was edited; start a new run folder$/,
    ));
    it('a seed edited in config.resolved.json: refused naming the JSON path', refused(
      (d) => resolved(d, (j) => ((j.points[0] as Resolved['points'][0]).experiment.seeds = [1, 7])),
      /^error: --resume: .*config\.resolved\.json: points\[0\]\.experiment\.seeds\[1\]: 7 in its points, 2 in what its 'raw' config gives/,
    ));
    it('a tuner option edited in both the raw config and its points: refused naming the marker and the path', refused(
      (d) =>
        resolved(d, (j) => {
          j.raw.tuners = { ds2: { overProvisioning: 0.5 } };
          (j.points[0] as Resolved['points'][0]).experiment.tuners.ds2.overProvisioning = 0.5;
        }),
      /^error: --resume: .*runs\/p0-ds2-s1\/done\.json: the run was made with experiment\.tuners\.ds2\.overProvisioning: 0 in the marker, 0\.5 in config\.resolved\.json: the folder mixes configs; start a new run folder$/,
    ));
    it('a config given with another seed than the folder: refused naming the JSON path', () => {
      writeFileSync(at('seed3.json'), JSON.stringify({ ...tiny, seeds: [1, 3] }));
      refused(() => undefined, /^error: --resume: .* holds another config than .*seed3\.json: seeds\[1\]: 2 in config\.resolved\.json, 3 in .*seed3\.json; resume it alone/, ['seed3.json'])();
    });
    it('an untouched folder resumes with nothing run again', () => {
      const { r, d } = resume(() => undefined);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr.trim(), '');
      assert.match(r.stdout, /runs: 2 \(2 resumed, 0 failed\)/);
      assert.equal(readFileSync(join(d, 'episodes.csv'), 'utf8'), readFileSync(join(base, 'episodes.csv'), 'utf8'));
    });
    it('merge refuses a shard with a run that does not verify, naming the file', async () => {
      const file = at('tiny.json');
      const shards = [];
      for (const index of [1, 2]) shards.push((await runExperiment({ config: file, out: at('m', `s${index}`), runId: 'r', jobs: 1, shard: { index, count: 2 } })).dir);
      const f = join(shards[0] as string, 'runs', 'p0-ds2-s1', 'episodes.csv');
      writeFileSync(f, `${readFileSync(f, 'utf8').split('\n').slice(0, 3).join('\n')}\n`);
      expect(run('merge', [...shards, '--out', at('m', 'merged')]), 2, /^error: merge: shard 1\/2: .*runs\/p0-ds2-s1\/episodes\.csv: 2 rows, its marker says 3: nothing is merged from a run that does not verify; run it again with --resume /);
      assert.ok(!existsSync(at('m', 'merged')));
    });
  });

  it('two experiments of one config started in the same second into one results folder get a run folder each', async () => {
    const now = new Date('2026-01-02T03:04:05Z');
    const o = { config: at('tiny.json'), out: at('twin'), jobs: 1, now };
    const [a, b] = await Promise.all([runExperiment(o), runExperiment(o)]);
    const dirs = [a.dir, b.dir].map((d) => basename(d)).sort();
    assert.deepEqual(dirs, ['20260102T030405', '20260102T030405-2']);
    assert.deepEqual(readdirSync(at('twin', 'tiny')).sort(), dirs);
    for (const d of [a.dir, b.dir]) assert.equal(readFileSync(join(d, 'episodes.csv'), 'utf8'), readFileSync(join(base, 'episodes.csv'), 'utf8'));
  });

  it('two CLI starts of one config at once into one results folder write separate folders', async () => {
    const starts = [0, 1].map(() => startCli('src/cli/experiment.ts', ['tiny.json', '--out', 'twin-cli', '--jobs', '1'], dir));
    const outs = await Promise.all(
      starts.map(
        (c) =>
          new Promise<{ code: number | null; out: string }>((res) => {
            let out = '';
            c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
            c.on('exit', (code) => res({ code, out }));
          }),
      ),
    );
    const folders = outs.map((x) => /run folder: (.*)/.exec(x.out)?.[1]);
    assert.deepEqual(outs.map((x) => x.code), [0, 0]);
    assert.notEqual(folders[0], folders[1]);
    assert.equal(readdirSync(at('twin-cli', 'tiny')).length, 2);
  });
});
