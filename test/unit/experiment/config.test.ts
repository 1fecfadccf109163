import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadExperiment, PROJECT_ROOT, validateExperiment } from '../../../src/experiment/config.js';
import { expandSweep } from '../../../src/experiment/sweep.js';
import { planExperiment } from '../../../src/experiment/plan.js';
import { runCli } from '../../helpers/cli.js';

const good = () => ({
  name: 't',
  workload: { kind: 'nexmark', query: 'q1' },
  rates: { kind: 'constant', rate: 2, durationSec: 60 },
  tuners: { ds2: {}, static: {} },
});

function errorOf(raw: unknown): string {
  try {
    validateExperiment(raw, 'x.json');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.message;
  }
  assert.fail('expected a ConfigError');
}

describe('experiment config', () => {
  it('fills the documented defaults', () => {
    const x = validateExperiment(good(), 'x.json');
    assert.equal(x.engine.kind, 'simulator');
    assert.deepEqual(x.seeds, [1]);
    assert.equal(x.loop.maxReconfigurations, 10);
    assert.equal(x.outputs.dir, 'results');
  });
  it('names the JSON path of a wrong type', () => {
    const m = errorOf({ ...good(), loop: { windowSec: 'ten' } });
    assert.match(m, /^x\.json: loop\.windowSec: expected number/);
  });
  it('rejects an unknown tuner and lists the known ones', () => {
    assert.match(errorOf({ ...good(), tuners: { ds3: {} } }), /x\.json: tuners\.ds3: unknown tuner 'ds3' \(tuner kinds: ds2, .*static/);
  });
  it('rejects an unknown engine', () => {
    assert.match(errorOf({ ...good(), engine: { kind: 'storm' } }), /x\.json: engine\.kind: expected one of "simulator"/);
  });
  it('rejects an unknown key anywhere (a typo is never ignored)', () => {
    assert.match(errorOf({ ...good(), loop: { warmupSecs: 3 } }), /x\.json: loop: unknown key 'warmupSecs' \(expected one of warmupSec/);
  });
  it('rejects a tuner option of the wrong type', () => {
    assert.match(errorOf({ ...good(), tuners: { ds2: { overProvisioning: 'lots' } } }), /tuners\.ds2\.overProvisioning: expected number/);
  });
  it('an unknown key in a tuner without options says it takes none', () => {
    assert.match(errorOf({ ...good(), tuners: { oracle: { bogus: 1 } } }), /x\.json: tuners\.oracle: unknown key 'bogus' \(this entry takes no options: give it as \{\}\)/);
  });
  it('an unknown key in an engine, workload or rate schedule lists the keys of its kind', () => {
    assert.match(errorOf({ ...good(), rates: { kind: 'constant', rate: 2, levels: 3 } }), /x\.json: rates: unknown key 'levels' \(expected one of kind, rate, durationSec\)/);
    assert.match(errorOf({ ...good(), workload: { kind: 'nexmark', query: 'q1', colour: 1 } }), /workload: unknown key 'colour' \(expected one of kind, query, calibrated/);
  });
  it('a value that fits no form of a union names each accepted form', () => {
    assert.match(errorOf({ ...good(), loop: { initialParallelism: 'a' } }), /x\.json: loop\.initialParallelism: expected a number, or an object of per-key values$/);
    assert.match(errorOf({ ...good(), loop: { initialParallelism: { a: 'b' } } }), /loop\.initialParallelism: expected a number, or an object \(a: expected number/);
    assert.match(errorOf({ ...good(), tuners: { streamtune: { k: 'x' } } }), /tuners\.streamtune\.k: expected a number, or "auto", or "silhouette"/);
    assert.match(errorOf({ ...good(), tuners: { autoscaler: { 'job.autoscaler.metrics.window': 'soon' } } }), /metrics\.window: expected a Flink duration with a unit/);
  });
  it('refuses a key given twice in one object, naming its JSON path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dup-'));
    try {
      const f = join(dir, 'd.json');
      writeFileSync(f, '{"name":"t","workload":{"kind":"nexmark","query":"q1"},"rates":{"kind":"constant","rate":2},"tuners":{"ds2":{"overProvisioning":0.1,"overProvisioning":0}}}');
      assert.throws(() => loadExperiment(f), /d\.json: tuners\.ds2\.overProvisioning: the key is given twice in one object/);
      writeFileSync(f, '{"name":"t","workload":{"kind":"nexmark","query":"q1"},"rates":{"kind":"steps","rates":[1,2]},"tuners":{"ds2":{}},"sweep":{"a":[{"x":1},{"x":2}]}}');
      assert.doesNotThrow(() => loadExperiment(f), 'equal keys in different objects are fine');
      writeFileSync(f, '{"name":"t","workload":{"kind":"nexmark","query":"q1"},"rates":{"kind":"constant","rate":2},"tuners":{}}');
      assert.throws(() => planExperiment({ config: f, out: join(dir, 'out') }), /d\.json: tuners: no tuner: name at least one/);
      assert.ok(!readdirSync(dir).includes('out'), 'refused before anything is written');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('resolves configs/x.json against experiments/', () => {
    const { file } = loadExperiment('configs/nexmark-q5.json', tmpdir());
    assert.equal(file, join(PROJECT_ROOT, 'experiments/configs/nexmark-q5.json'));
  });
  it('expands a sweep by dotted path and validates every point', () => {
    const pts = expandSweep({ ...good(), sweep: { 'tuners.ds2.overProvisioning': [0, 0.2], seeds: [[1], [2]] } }, 'x.json');
    assert.equal(pts.length, 4);
    assert.equal(pts[1]?.experiment.seeds[0], 2);
    assert.equal(pts[2]?.experiment.tuners.ds2?.overProvisioning, 0.2);
    assert.throws(() => expandSweep({ ...good(), sweep: { 'loop.nope': [1] } }, 'x.json'), /loop: unknown key 'nope'/);
  });
  it('every committed config is valid', () => {
    const dir = join(PROJECT_ROOT, 'experiments/configs');
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) loadExperiment(join(dir, f));
  });
});

describe('experiment CLI: bad input gets one line and exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (args: string[]) => runCli('src/cli/experiment.ts', args, dir);
  const write = (name: string, body: string): string => {
    writeFileSync(join(dir, name), body);
    return name;
  };
  const cases: [string, () => string, RegExp][] = [
    ['a missing file', () => 'nope.json', /nope\.json: no such file/],
    ['malformed JSON', () => write('bad.json', '{"name": "x",'), /bad\.json: malformed JSON/],
    ['a wrong type', () => write('type.json', JSON.stringify({ ...good(), seeds: 'one' })), /type\.json: seeds: expected array/],
    ['an unknown tuner', () => write('tuner.json', JSON.stringify({ ...good(), tuners: { magic: {} } })), /tuners\.magic: unknown tuner 'magic'/],
    ['an unknown engine', () => write('engine.json', JSON.stringify({ ...good(), engine: { kind: 'storm' } })), /engine\.kind: expected one of/],
    ['an unknown key', () => write('key.json', JSON.stringify({ ...good(), colour: 'red' })), /\(top level\): unknown key 'colour'/],
  ];
  for (const [what, make, pattern] of cases) {
    it(what, () => {
      const r = cli([make(), '--out', dir]);
      assert.equal(r.status, 2, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] as string, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /); // no stack trace
    });
  }
});
