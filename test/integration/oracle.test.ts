/**
 * The measured oracle on the real engines: a short search (seconds per probe, a budget of a few probes) of a small
 * synthetic job on real Timely and on real Flink, and an experiment on real Timely without and with a cached
 * record. Skipped when cargo (Timely) or java and mvn (Flink) are missing, unless REQUIRE_ENGINES=1, which turns
 * their absence into a failure. Assertions are on what the records and reports say, never on wall time or on the
 * minimum's value (a real engine on a shared machine is noisy).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { cargoAvailable } from '../../src/engines/timely/index.js';
import { commandWorks, livePids } from '../../src/engines/flink/index.js';
import { measureOracle } from '../../src/experiment/oracle.js';
import type { RateOutcome } from '../../src/oracle/measure.js';
import { runExperiment } from '../../src/experiment/experiment.js';
import { writeReport } from '../../src/report/report.js';
import { parallelismKey } from '../../src/core/parallelism.js';

const REQUIRED = process.env.REQUIRE_ENGINES === '1';

function requireCommands(ctx: Mocha.Context, commands: string[], works: (c: string) => boolean): void {
  const missing = commands.filter((c) => !works(c));
  if (missing.length === 0) return;
  if (REQUIRED) throw new Error(`REQUIRE_ENGINES=1 but ${missing.join(' and ')} cannot run`);
  ctx.skip();
}

const made: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'oracle-it-'));
  made.push(d);
  return d;
};

/** A small synthetic job at one rate; probes of a few seconds. */
function tinyConfig(engine: Record<string, unknown>, o: { window: number; hold: number; initial: number; budget: number }): Record<string, unknown> {
  return {
    name: `oracle-it-${engine.kind as string}`,
    engine,
    workload: { kind: 'synthetic', seed: 7, minOperators: 5, maxOperators: 6, peakParallelism: 6, maxParallelism: 32 },
    rates: { kind: 'steps', rates: [1], durationSec: o.window * 2 + o.hold + 2 * o.window },
    tuners: { static: {} },
    seeds: [1],
    loop: { warmupSec: o.window, windowSec: o.window, initialParallelism: o.initial },
    slo: { holdSec: o.hold },
    measuredOracle: { budget: o.budget, repetitions: 2 },
    outputs: { charts: false, history: false },
  };
}

/** What every record of a search must hold, whatever the engine measured. */
function checkRecord(o: RateOutcome, operators: number, budget: number): void {
  const r = o.record;
  assert.ok(existsSync(o.file), 'the record is written');
  assert.deepEqual(JSON.parse(readFileSync(o.file, 'utf8')).keyHash, r.keyHash);
  assert.ok(r.probes.length >= 1 && r.probes.length <= budget, `${r.probes.length} probes within the budget of ${budget}`);
  assert.equal(r.probesUsed, r.probes.length);
  for (const p of r.probes) {
    assert.ok(['sustained', 'violated'].includes(p.outcome), p.outcome);
    assert.equal(Object.keys(p.busy).length, operators, 'busy per operator');
    assert.equal(p.rate, o.rate);
    assert.ok(p.windows >= 1);
  }
  assert.match(r.what, /not a proof/);
  if (r.result) {
    const runs = r.probes.filter((p) => parallelismKey(p.parallelism) === parallelismKey(r.result?.parallelism ?? {}));
    assert.equal(runs.length, r.result.runs);
    assert.equal(runs.filter((p) => p.outcome === 'sustained').length, r.result.passes);
    assert.ok(r.result.passes >= 1);
  } else assert.notEqual(r.status, 'found');
  for (const n of r.failingNeighbours) {
    const runs = r.probes.filter((p) => parallelismKey(p.parallelism) === parallelismKey(n.parallelism));
    assert.equal(runs.length, n.runs);
    assert.ok(n.passes * 2 <= n.runs, 'a failing neighbour failed most of its runs');
  }
}

describe('measured oracle on the real engines', function () {
  after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('real Timely: a short search, then an experiment reports P / measured oracle only once a record is cached', async function () {
    requireCommands(this, ['cargo'], (c) => cargoAvailable(c));
    const dir = tmp();
    const file = join(dir, 'timely.json');
    const budget = 3;
    writeFileSync(file, JSON.stringify(tinyConfig({ kind: 'timely' }, { window: 2, hold: 6, initial: 4, budget })));
    const cache = join(dir, 'cache');

    // Without a record: the column is empty and the report says why.
    const before = await runExperiment({ config: file, out: join(dir, 'results'), runId: 'a', oracleCacheDir: cache, report: writeReport });
    assert.equal(before.failed.length, 0, JSON.stringify(before.failed));
    const rows0 = parse(readFileSync(join(before.dir, 'episodes.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    assert.ok(rows0.every((r) => r.oracleTotalParallelism === '' && r.parallelismOverOracle === '' && r.oracleSource === ''));
    const md0 = readFileSync(join(before.dir, 'summary.md'), 'utf8');
    assert.match(md0, /– \(no measured oracle\)/);
    assert.match(md0, /No measured oracle: no measured oracle for this engine and machine at 1 of 1 rates/);

    const out = await measureOracle({ config: file, cacheDir: cache });
    assert.equal(out.length, 1);
    checkRecord(out[0] as RateOutcome, 5, budget);
    const record = (out[0] as RateOutcome).record;
    assert.equal(record.key.fingerprint.engineVersion.split(' ')[0], 'timely');

    // With it: every episode carries the measured oracle, sustained ones its ratio, labelled wherever shown.
    const after = await runExperiment({ config: file, out: join(dir, 'results'), runId: 'b', oracleCacheDir: cache, report: writeReport });
    const rows = parse(readFileSync(join(after.dir, 'episodes.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    if (!record.result) return assert.ok(rows.every((r) => r.oracleSource === ''));
    for (const r of rows) {
      assert.equal(r.oracleSource, 'measured');
      assert.equal(Number(r.oracleTotalParallelism), record.result.totalParallelism);
      if (r.outcome === 'sustained') assert.equal(Number(r.parallelismOverOracle), Math.round((Number(r.finalTotalParallelism) / record.result.totalParallelism) * 1e4) / 1e4);
    }
    const md = readFileSync(join(after.dir, 'summary.md'), 'utf8');
    assert.match(md, /P \/ measured oracle \(sustained\)/);
    assert.match(md, /The measured oracle \(engines without ground truth\)/);
    assert.match(readFileSync(join(after.dir, 'index.html'), 'utf8'), /P \/ measured oracle \(sustained\)/);
    assert.ok(existsSync(join(after.dir, 'measured-oracle.json')));
    assert.deepEqual(readdirSync(tmpdir()).filter((n) => n.startsWith('streamtune-timely-')), []);
  });

  it('real Flink: a short search of a small synthetic job writes every probe and the result', async function () {
    requireCommands(this, ['java', 'mvn'], commandWorks);
    const dir = tmp();
    const file = join(dir, 'flink.json');
    const budget = 2;
    writeFileSync(file, JSON.stringify(tinyConfig({ kind: 'flink', slots: 8 }, { window: 3, hold: 9, initial: 2, budget })));
    const out = await measureOracle({ config: file, cacheDir: join(dir, 'cache') });
    assert.equal(out.length, 1);
    checkRecord(out[0] as RateOutcome, 5, budget);
    assert.match((out[0] as RateOutcome).record.key.fingerprint.engineVersion, /^flink 2\./);
    assert.deepEqual(livePids(), [], 'no JVM left running');
  });
});
