import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureOracle, oracleTargets } from '../../../src/experiment/oracle.js';
import { searchMinimum, type ProbeObservation, type SearchSpace, type Vector } from '../../../src/oracle/search.js';
import { fingerprint, keyHash, oracleKey } from '../../../src/oracle/cache.js';
import { loadExperiment } from '../../../src/experiment/config.js';
import { createEngine } from '../../../src/engines/registry.js';
import { validateExperiment } from '../../../src/experiment/config.js';
import { buildWorkload } from '../../../src/workloads/index.js';

const made: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'oracle-'));
  made.push(d);
  return d;
};

/** A fake engine with a known componentwise minimum: a probe passes iff every dimension reaches it. */
function fakeProbe(min: Vector, flaky: (v: Vector, rep: number) => boolean = () => false) {
  const calls: { v: Vector; rep: number }[] = [];
  const probe = async (v: Vector, rep: number): Promise<ProbeObservation> => {
    calls.push({ v, rep });
    const passed = Object.entries(min).every(([d, m]) => (v[d] as number) >= m) !== flaky(v, rep);
    // Busy share as a linear engine would show it: the needed share of the deployed instances, capped at 1.
    const busy = Object.fromEntries(Object.entries(min).map(([d, m]) => [d, Math.min(1, (m - 0.5) / (v[d] as number))]));
    return { passed, busy, estimate: Object.fromEntries(Object.entries(min).map(([d, m]) => [d, Math.max(1, m - 1)])) };
  };
  return { probe, calls };
}

const space = (max: Record<string, number>): SearchSpace => ({ dims: Object.keys(max), max, size: (v) => Object.values(v).reduce((a, b) => a + b, 0) });

describe('measured oracle: the search', () => {
  after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('finds the componentwise minimum of a monotone engine from below and from above, with failing neighbours', async () => {
    const min = { a: 3, b: 7, c: 1, d: 12 };
    for (const start of [{ a: 1, b: 1, c: 1, d: 1 }, { a: 20, b: 20, c: 20, d: 20 }]) {
      const { probe } = fakeProbe(min);
      const r = await searchMinimum(space({ a: 32, b: 32, c: 32, d: 32 }), start, probe, { budget: 200, repetitions: 3, aggregation: 'all' });
      assert.equal(r.status, 'found');
      assert.deepEqual(r.best?.vector, min);
      assert.deepEqual(r.failingNeighbours.map((n) => n.dim).sort(), ['a', 'b', 'd']);
      assert.deepEqual(r.atFloor, ['c']);
      // The boundary is repeated: the result and each failing neighbour (under 'all' a failure decides at once).
      assert.equal(r.best?.runs.length, 3);
      for (const n of r.failingNeighbours) assert.equal(n.probed.runs.length, 1);
    }
  });

  it('stops at the budget with the smallest passing configuration found so far', async () => {
    const { probe, calls } = fakeProbe({ a: 3, b: 7 });
    const r = await searchMinimum(space({ a: 32, b: 32 }), { a: 30, b: 30 }, probe, { budget: 3, repetitions: 1, aggregation: 'all' });
    assert.equal(r.status, 'budget');
    assert.equal(calls.length, 3);
    assert.ok(r.best?.passed);
    assert.ok((r.best?.size as number) < 60);
  });

  it('reports infeasible when a failing configuration cannot grow', async () => {
    const { probe } = fakeProbe({ a: 40 });
    const r = await searchMinimum(space({ a: 8 }), { a: 1 }, probe, { budget: 50, repetitions: 1, aggregation: 'all' });
    assert.equal(r.status, 'infeasible');
    assert.equal(r.best, undefined);
  });

  it("majority aggregation keeps a result that failed once in three; 'all' moves above it", async () => {
    // The first run of {a: 5} fails, the others pass (a noisy engine at the boundary).
    const flaky = (v: Vector, rep: number) => v.a === 5 && rep === 0;
    const maj = await searchMinimum(space({ a: 16 }), { a: 9 }, fakeProbe({ a: 5 }, flaky).probe, { budget: 50, repetitions: 3, aggregation: 'majority' });
    const all = await searchMinimum(space({ a: 16 }), { a: 9 }, fakeProbe({ a: 5 }, flaky).probe, { budget: 50, repetitions: 3, aggregation: 'all' });
    assert.deepEqual(maj.best?.vector, { a: 5 });
    assert.equal(maj.best?.passes, 2);
    assert.deepEqual(all.best?.vector, { a: 6 });
  });

  it('on the simulator equals the ground truth oracle at every rate, on two Nexmark queries and a synthetic job', async () => {
    const dir = tmp();
    const jobs = [
      { kind: 'nexmark', query: 'q5' },
      { kind: 'nexmark', query: 'q3' },
      { kind: 'synthetic', seed: 7, minOperators: 8, maxOperators: 15 },
    ];
    for (const [i, workload] of jobs.entries()) {
      const file = join(dir, `o${i}.json`);
      // A tight lag-trend bound: the ground truth's minimum has capacity >= demand, while the default SLO lets the
      // lag grow by 1 % of the rate (a configuration 0.5 % short passes it).
      writeFileSync(file, JSON.stringify({ name: `o${i}`, workload, rates: { kind: 'steps', rates: [2, 5, 9], durationSec: 900 }, tuners: { static: {} }, slo: { maxLagTrend: 0.001 }, measuredOracle: { budget: 80 } }));
      const out = await measureOracle({ config: file, cacheDir: join(dir, 'cache') });
      assert.equal(out.length, 3);
      const l = loadExperiment(file);
      const [t] = oracleTargets(l.file, l.raw, dir);
      const engine = await createEngine(t!.experiment.engine, 1);
      const truth = engine.groundTruth!(t!.workload.job);
      for (const o of out) {
        assert.equal(o.record.status, 'found', `${JSON.stringify(workload)} at ${o.rate}`);
        assert.deepEqual(o.record.result?.parallelism, truth.oracle(o.rate).parallelism, `${JSON.stringify(workload)} at ${o.rate}`);
        assert.ok(o.record.probes.every((p) => p.outcome !== 'capped'));
        assert.ok(o.record.failingNeighbours.length > 0);
      }
      await engine.close();
      // A second call reads the cache: no probe runs.
      let probes = 0;
      const again = await measureOracle({ config: file, cacheDir: join(dir, 'cache'), onProbe: () => probes++ });
      assert.equal(probes, 0);
      assert.ok(again.every((o) => o.cached));
    }
    assert.ok(readdirSync(join(dir, 'cache')).every((f) => f.endsWith('.json')), 'no temporary file left');
  });
});

describe('measured oracle: the cache key', () => {
  const x = validateExperiment({ name: 'k', workload: { kind: 'nexmark', query: 'q5' }, rates: { kind: 'constant', rate: 2 }, tuners: { static: {} } }, 'k');
  const job = buildWorkload(x.workload).job;
  const machine = { cores: 2, memoryBytes: 8 * 2 ** 30 };
  const base = keyHash(oracleKey(x, job, 1000, 80, fingerprint(x, machine)));

  it('is the same for the same engine, job, rate, SLO and machine', () => {
    assert.equal(keyHash(oracleKey(x, job, 1000, 80, fingerprint(x, machine))), base);
  });

  it('changes with the machine fingerprint: cores, memory, engine version, physics profile', () => {
    assert.notEqual(keyHash(oracleKey(x, job, 1000, 80, fingerprint(x, { ...machine, cores: 4 }))), base);
    assert.notEqual(keyHash(oracleKey(x, job, 1000, 80, fingerprint(x, { ...machine, memoryBytes: 16 * 2 ** 30 }))), base);
    const fp = fingerprint(x, machine);
    assert.notEqual(keyHash(oracleKey(x, job, 1000, 80, { ...fp, engineVersion: `${fp.engineVersion}+` })), base);
    const calibrated = validateExperiment({ ...x, engine: { kind: 'simulator', profile: 'flink-2core' } }, 'k');
    assert.notEqual(fingerprint(calibrated, machine).profile, fp.profile);
    assert.notEqual(keyHash(oracleKey(calibrated, job, 1000, 80, fingerprint(calibrated, machine))), base);
  });

  it('changes with the SLO, the rate and the probe length', () => {
    const stricter = validateExperiment({ ...x, slo: { ...x.slo, maxLagTrend: 0.001 } }, 'k');
    const longer = validateExperiment({ ...x, slo: { ...x.slo, holdSec: 120 } }, 'k');
    for (const y of [stricter, longer]) assert.notEqual(keyHash(oracleKey(y, job, 1000, 80, fingerprint(y, machine))), base);
    assert.notEqual(keyHash(oracleKey(x, job, 1001, 80, fingerprint(x, machine))), base);
    assert.notEqual(keyHash(oracleKey(x, job, 1000, 90, fingerprint(x, machine))), base);
  });

  it('changes with the engine: a real engine has its own version and no physics profile', () => {
    const flink = validateExperiment({ ...x, engine: { kind: 'flink' } }, 'k');
    const fp = fingerprint(flink, machine);
    assert.match(fp.engineVersion, /^flink \d/);
    assert.equal(fp.profile, 'no calibration');
    assert.notEqual(keyHash(oracleKey(flink, job, 1000, 80, fp)), base);
  });
});
