import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, MAX_LINE } from '../../../src/experiment/config.js';
import { runExperiment } from '../../../src/experiment/experiment.js';
import { LIMITS } from '../../../src/experiment/estimate.js';
import { planExperiment } from '../../../src/experiment/plan.js';
import { rateSchedule } from '../../../src/workloads/rates.js';

/**
 * Configs at and beyond the numeric bounds: each config is refused up front (ConfigError: exit 2, one bounded line with the
 * JSON path, before anything is written) or runs within its bounds.
 */
const good = () => ({
  name: 't',
  workload: { kind: 'nexmark', query: 'q1' } as Record<string, unknown>,
  rates: { kind: 'constant', rate: 2, durationSec: 60 } as Record<string, unknown>,
  tuners: { ds2: {}, static: {} } as Record<string, unknown>,
  outputs: { charts: false },
});

describe('every config runs to the end in bounded time or is refused up front', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bounds-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  /** Writes a config, plans it; returns the ConfigError's message (asserting one bounded line), or '' when accepted. */
  const refusal = (raw: unknown): string => {
    const file = join(dir, `c${n++}.json`);
    writeFileSync(file, JSON.stringify(raw));
    try {
      planExperiment({ config: file, cwd: dir, out: join(dir, 'results') });
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      const lines = e.message.split('\n');
      assert.equal(lines.length, 1, e.message);
      assert.ok((lines[0] as string).length <= MAX_LINE, `a line of ${(lines[0] as string).length} characters`);
      assert.ok(e.message.startsWith(`${file}: `), e.message);
      return e.message.slice(file.length + 2);
    }
    return '';
  };
  const refused = (raw: unknown, path: RegExp) => assert.match(refusal(raw), path);

  const cases: [string, () => unknown, RegExp][] = [
    ['loop.windowSec 1e9', () => ({ ...good(), loop: { windowSec: 1e9 } }), /^loop\.windowSec: .*<=3600/],
    ['loop.windowSec 2^53+1', () => ({ ...good(), loop: { windowSec: 2 ** 53 + 1 } }), /^loop\.windowSec: /],
    ['a window longer than the episode', () => ({ ...good(), loop: { windowSec: 120 } }), /^loop\.windowSec: 120 s is longer than rates\.durationSec 60 s/],
    ['rates.repeat 1e9', () => ({ ...good(), rates: { kind: 'permutation', repeat: 1e9 } }), /^rates\.repeat: /],
    ['rates.levels 100000', () => ({ ...good(), rates: { kind: 'permutation', levels: 100000 } }), /^rates\.levels: /],
    ['rates.levels 1e6', () => ({ ...good(), rates: { kind: 'permutation', levels: 1e6 } }), /^rates\.levels: /],
    ['a missing trace file', () => ({ ...good(), rates: { kind: 'trace', file: 'nope.csv' } }), /^rates\.file: no such file 'nope\.csv'/],
    ['an empty trace file', () => ({ ...good(), rates: { kind: 'trace', file: 'empty.csv' } }), /^rates\.file: .*no rows/],
    ['a trace whose times go back', () => ({ ...good(), rates: { kind: 'trace', file: 'back.csv' } }), /^rates\.file: .*times must increase/],
    ['synthetic minOperators > maxOperators', () => ({ ...good(), workload: { kind: 'synthetic', minOperators: 20, maxOperators: 5 } }), /^workload\.maxOperators: 5 is below workload\.minOperators 20/],
    ['synthetic costRange low > high', () => ({ ...good(), workload: { kind: 'synthetic', costRange: [5, 1] } }), /^workload\.costRange: /],
    ['a per-operator initialParallelism above its max', () => ({ ...good(), loop: { initialParallelism: { source: 200 } } }), /^loop\.initialParallelism\.source: 200 is above the operator's max parallelism 128/],
    ['a per-operator initialParallelism of an unknown operator', () => ({ ...good(), loop: { initialParallelism: { nosuchop: 3 } } }), /^loop\.initialParallelism\.nosuchop: no operator 'nosuchop' in nexmark-q1/],
    ['a uniform initialParallelism above every max', () => ({ ...good(), loop: { initialParallelism: 200 } }), /^loop\.initialParallelism: 200 is above every operator's max parallelism/],
    ['a uniform initialParallelism of 1e6', () => ({ ...good(), loop: { initialParallelism: 1e6 } }), /^loop\.initialParallelism: /],
    ['a name over 255 characters (1 MB)', () => ({ ...good(), name: 'x'.repeat(1 << 20) }), /^name: .*<=100 characters \(got 1048576 characters\)$/],
    ["name '..'", () => ({ ...good(), name: '..' }), /^name: expected one folder name/],
    ["name 'a/b'", () => ({ ...good(), name: 'a/b' }), /^name: expected one folder name/],
    ['duplicate seeds', () => ({ ...good(), seeds: [1, 1] }), /^seeds\[1\]: duplicate value 1/],
    ['a 1 MB unknown key', () => ({ ...good(), ['k'.repeat(1 << 20)]: 1 }), /^\(top level\): unknown key 'k+\.\.\. \(1048576 chars\)'/],
    ['a sweep grid of a million points', () => ({ ...good(), sweep: { 'tuners.ds2.overProvisioning': Array(1000).fill(0), 'loop.warmupSec': Array(1000).fill(1) } }), /^sweep: a grid of 1000000 points/],
    ['the simulator step 1e-9', () => ({ ...good(), engine: { kind: 'simulator', dt: 1e-9 } }), /^engine\.dt: /],
    ['the oracle on a real engine', () => ({ ...good(), engine: { kind: 'flink' }, tuners: { oracle: {} } }), /^tuners\.oracle: the oracle tuner needs ground truth/],
    ['a missing StreamTune pretrained set', () => ({ ...good(), tuners: { streamtune: { pretrained: 'nope' } } }), /^tuners\.streamtune\.pretrained: no pretrained set/],
  ];
  before(() => {
    writeFileSync(join(dir, 'empty.csv'), '');
    writeFileSync(join(dir, 'back.csv'), 'time,rate\n10,5\n0,6\n');
  });
  for (const [what, make, path] of cases) it(`refuses ${what}`, () => refused(make(), path));

  it('accepts the committed-style config, with a work estimate under the limits', () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify({ ...good(), seeds: [1, 2, 3] }));
    const plan = planExperiment({ config: file, cwd: dir, out: join(dir, 'results') });
    assert.equal(plan.estimate.runs, 6);
    assert.equal(plan.estimate.episodes, 6);
    assert.ok(plan.estimate.windows >= 6 * 6 && plan.estimate.operatorWindows === plan.estimate.windows * 4);
    assert.ok(!existsSync(join(dir, 'results')), 'planning writes nothing');
  });

  it('a config over the work limit is refused with the estimate and --allow-large, before anything is written', async () => {
    const file = join(dir, 'large.json');
    const large = { ...good(), rates: { kind: 'permutation', levels: 1000, repeat: 100, durationSec: 60 } };
    writeFileSync(file, JSON.stringify(large));
    const out = join(dir, 'large-results');
    await assert.rejects(runExperiment({ config: file, out }), (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /work: 2 runs, 200k episodes, .*too large \(.*operator-windows > .*\); pass --allow-large to run it/);
      return true;
    });
    assert.ok(!existsSync(out));
    const plan = planExperiment({ config: file, out });
    assert.ok(plan.estimate.operatorWindows > LIMITS.operatorWindows);
  });

  it('a permutation of 1e6 levels is built without a stack overflow (nothing spreads in proportion to a config value)', () => {
    const s = rateSchedule({ kind: 'permutation', levels: 1e6, repeat: 1, permutations: 1, durationSec: 1 }, 1, 1);
    assert.equal(s.length, 1e6);
  });

  it("'..' or a crafted run id never puts the run folder outside the results folder", () => {
    const file = join(dir, 'runid.json');
    writeFileSync(file, JSON.stringify(good()));
    assert.throws(() => planExperiment({ config: file, out: join(dir, 'r'), runId: '../../x' }), /name: the run folder .* would lie outside the results folder/);
    const plan = planExperiment({ config: file, out: join(dir, 'r') });
    assert.equal(plan.dir.startsWith(join(dir, 'r', 't') + '/'), true);
  });

  it('an output folder under /proc (or a file) is refused with one line, exit 2, without spinning', async () => {
    const file = join(dir, 'proc.json');
    writeFileSync(file, JSON.stringify({ ...good(), outputs: { dir: '/proc/streamtune-x', charts: false } }));
    await assert.rejects(runExperiment({ config: file, cwd: dir }), /ConfigError: outputs\.dir: \/proc\/streamtune-x\/t\/\S+ is not a writable folder/);
    writeFileSync(join(dir, 'a-file'), '');
    await assert.rejects(runExperiment({ config: file, out: join(dir, 'a-file') }), /ConfigError: --out: .*a-file.* is not a writable folder/);
  });

  describe('resume', () => {
    const cfg = join(dir, 'res.json');
    const other = join(dir, 'res-other.json');
    let runDir = '';
    before(async () => {
      writeFileSync(cfg, JSON.stringify({ ...good(), name: 'res', seeds: [1, 2] }));
      writeFileSync(other, JSON.stringify({ ...good(), name: 'res', seeds: [1, 2], tuners: { ds2: { overProvisioning: 0.2 } } }));
      runDir = (await runExperiment({ config: cfg, out: join(dir, 'res-out'), jobs: 1 })).dir;
    });
    it('--resume alone resumes the folder with its own config', async () => {
      const r = await runExperiment({ resume: runDir, jobs: 1 });
      assert.equal(r.skipped, 4);
      assert.equal(r.runs, 4);
    });
    it('--resume with the same config goes ahead', async () => assert.equal((await runExperiment({ config: cfg, resume: runDir, jobs: 1 })).skipped, 4));
    it('--resume with another config is refused', async () => {
      await assert.rejects(runExperiment({ config: other, resume: runDir }), /ConfigError: --resume: .* holds another config/);
    });
    it('--resume with another --seed is refused', async () => {
      await assert.rejects(runExperiment({ resume: runDir, seed: 7 }), /ConfigError: --seed: 7 differs from the resumed folder's seeds \[1,2\]/);
      await assert.rejects(runExperiment({ config: cfg, resume: runDir, seed: 7 }), /ConfigError: --resume: .* holds another config/);
    });
    it('--resume of a folder that is not a run folder is refused', async () => {
      mkdirSync(join(dir, 'empty-run'), { recursive: true });
      await assert.rejects(runExperiment({ resume: join(dir, 'empty-run') }), /ConfigError: --resume: .* is not a run folder \(no config\.resolved\.json\)/);
    });
  });

  it('--jobs that is not a positive integer is refused before any folder is made', async () => {
    const file = join(dir, 'jobs.json');
    writeFileSync(file, JSON.stringify(good()));
    const out = join(dir, 'jobs-out');
    await assert.rejects(runExperiment({ config: file, out, jobs: Number.NaN }), /ConfigError: --jobs: expected an integer in \[1, 256\], got NaN/);
    assert.ok(!existsSync(out) || readdirSync(out).length === 0);
  });
});
