import assert from 'node:assert/strict';
import { NEXMARK_QUERIES, nexmark } from '../../../src/workloads/nexmark/templates.js';
import { syntheticJob } from '../../../src/workloads/synthetic/generator.js';
import { rateSchedule } from '../../../src/workloads/rates.js';
import { buildWorkload, workloadLabel, workloadProblem, workloadTitle, WORKLOADS } from '../../../src/workloads/index.js';
import { workloadConfig } from '../../../src/workloads/config.js';
import { SimulatorEngine } from '../../../src/engines/simulator/simulator.js';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** reference/nexmark.md §2: operator kinds in topological order and the keyed (hash) edges. */
const EXPECTED: Record<string, { kinds: string; keyed: string[] }> = {
  q0: { kinds: 'source filter map sink', keyed: [] },
  q1: { kinds: 'source filter map sink', keyed: [] },
  q2: { kinds: 'source filter map sink', keyed: [] },
  q3: { kinds: 'source filter filter join sink', keyed: ['auctions->join', 'persons->join'] },
  q4: { kinds: 'source filter filter join keyedAggregate sink', keyed: ['auctions->winningBid', 'bids->winningBid', 'winningBid->average'] },
  q5: { kinds: 'source filter window window sink', keyed: ['bids->hotCount', 'hotCount->maxCount'] },
  q6: { kinds: 'source filter filter join keyedAggregate sink', keyed: ['auctions->winningBid', 'bids->winningBid', 'winningBid->sellerAvg'] },
  q7: { kinds: 'source filter window window sink', keyed: ['preMax->globalMax'] },
  q8: { kinds: 'source map map join sink', keyed: ['auctions->join', 'persons->join'] },
  q11: { kinds: 'source filter window sink', keyed: ['bids->sessions'] },
};

describe('Nexmark templates', () => {
  for (const q of NEXMARK_QUERIES) {
    it(`${q} matches the reference DAG and is feasible at 10 x W_u`, () => {
      const { job, workloadUnit } = nexmark(q, { calibration: null });
      const exp = EXPECTED[q]!;
      assert.equal(job.operators().map((o) => o.type).join(' '), exp.kinds);
      const keyed = job.edges().filter((e) => e.ship === 'hash').map((e) => `${e.from}->${e.to}`).sort();
      assert.deepEqual(keyed, exp.keyed.sort());
      assert.ok(new SimulatorEngine().groundTruth(job).oracle(10 * workloadUnit).feasible);
    });
  }
  it('q5 and q7 end in a parallelism-1 global stage', () => {
    assert.equal(nexmark('q5', { calibration: null }).job.operator('maxCount').maxParallelism, 1);
    assert.equal(nexmark('q7', { calibration: null }).job.operator('globalMax').maxParallelism, 1);
  });
  it("ContTune's WordCount: source, splitter, keyed counter, feasible at 10 x W_u", () => {
    const { job, workloadUnit } = nexmark('wordcount', { calibration: null });
    assert.equal(job.operators().map((o) => o.type).join(' '), 'source flatMap keyedAggregate');
    assert.equal(job.edge('splitter', 'counter').ship, 'hash');
    assert.ok(new SimulatorEngine().groundTruth(job).oracle(10 * workloadUnit).feasible);
  });
  it('calibrated costs rescale W_u so no operator needs more than its template peak', () => {
    const plain = nexmark('q5', { calibration: null });
    const cost = plain.job.operator('hotCount').cost;
    const cal = nexmark('q5', { calibration: { query: 'q5', operators: { hotCount: { cost: 4 * cost } } } });
    assert.equal(cal.job.operator('hotCount').cost, 4 * cost);
    assert.ok(Math.abs(cal.workloadUnit - plain.workloadUnit / 4) <= 1, `${cal.workloadUnit} vs ${plain.workloadUnit / 4}`);
    assert.ok(new SimulatorEngine().groundTruth(cal.job).oracle(10 * cal.workloadUnit).feasible);
    assert.equal(nexmark('q5', { calibration: null, workloadUnit: 500 }).workloadUnit, 500);
  });
  it('a calibration overrides costs', () => {
    const w = nexmark('q1', { calibration: { query: 'q1', operators: { currency: { cost: 42 } } } });
    assert.equal(w.job.operator('currency').cost, 42);
  });
});

describe('synthetic jobs', () => {
  it('are seeded, within the size range, and use the production operator kinds', () => {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const a = syntheticJob({ seed, minOperators: 3, maxOperators: 40 });
      assert.deepEqual(a.job.toSpec(), syntheticJob({ seed, minOperators: 3, maxOperators: 40 }).job.toSpec());
      assert.ok(a.job.size >= 3 && a.job.size <= 40, `size ${a.job.size}`);
      assert.ok(new SimulatorEngine().groundTruth(a.job).oracle(10 * a.workloadUnit).feasible, `seed ${seed} infeasible`);
      a.job.operators().forEach((o) => kinds.add(o.type));
    }
    for (const k of ['source', 'map', 'filter', 'flatMap', 'keyedAggregate', 'window', 'join', 'sink']) assert.ok(kinds.has(k), k);
  });
});

describe('rate schedules', () => {
  it("ContTune's permutation plays a seeded permutation of 1..10 W_u twice", () => {
    const s = rateSchedule({ kind: 'permutation', levels: 10, repeat: 2, permutations: 1, durationSec: 300 }, 1000, 5);
    assert.equal(s.length, 20);
    const first = s.slice(0, 10).map((p) => p.rate);
    assert.deepEqual(s.slice(10).map((p) => p.rate), first);
    assert.deepEqual([...first].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((x) => x * 1000));
    assert.deepEqual(rateSchedule({ kind: 'permutation', levels: 10, repeat: 2, permutations: 1, durationSec: 300 }, 1000, 5), s);
  });
  it('square, sine and trace', () => {
    assert.deepEqual(rateSchedule({ kind: 'square', low: 1, high: 3, periods: 2, durationSec: 10 }, 10, 1).map((p) => p.rate), [10, 30, 10, 30]);
    const sine = rateSchedule({ kind: 'sine', low: 1, high: 3, steps: 4, periods: 1, durationSec: 10 }, 1, 1).map((p) => Math.round(p.rate * 1e9) / 1e9);
    assert.deepEqual(sine, [1, 2, 3, 2]);
    const dir = mkdtempSync(join(tmpdir(), 'trace-'));
    writeFileSync(join(dir, 't.csv'), 'time,rate\n0,100\n60,250\n');
    assert.deepEqual(rateSchedule({ kind: 'trace', file: join(dir, 't.csv'), durationSec: 30 }, 1, 1), [
      { rate: 100, durationSec: 60 },
      { rate: 250, durationSec: 30 },
    ]);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('the workload registry', () => {
  it('each entry: its config (defaults applied) builds a job, with a title and a figure label', () => {
    const given: Record<string, object> = { nexmark: { kind: 'nexmark', query: 'q5' }, wordcount: { kind: 'wordcount' }, synthetic: { kind: 'synthetic', seed: 3 } };
    const expected: Record<string, [string, string]> = { nexmark: ['Nexmark q5', 'q5'], wordcount: ['WordCount', 'wordcount'], synthetic: ['synthetic job', 'synthetic'] };
    assert.deepEqual(WORKLOADS.map((w) => w.config.shape.kind.value).sort(), Object.keys(given).sort());
    for (const [kind, raw] of Object.entries(given)) {
      const c = workloadConfig.parse(raw);
      const w = buildWorkload(c);
      assert.ok(w.job.operatorIds.length >= 3, kind);
      assert.ok(w.workloadUnit > 0, kind);
      assert.deepEqual([workloadTitle(c), workloadLabel(c)], expected[kind]);
    }
  });

  it("an entry's own checks name the path below workload", () => {
    assert.deepEqual(workloadProblem(workloadConfig.parse({ kind: 'synthetic', minOperators: 9, maxOperators: 5 })), { path: 'maxOperators', what: '5 is below workload.minOperators 9' });
    assert.equal(workloadProblem(workloadConfig.parse({ kind: 'nexmark', query: 'q1' })), undefined);
  });
});
