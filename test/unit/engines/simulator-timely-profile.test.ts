/** Timely profiles: files checked term by term, and the simulator's Timely mode running on their terms. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workersParallelism } from '../../../src/core/parallelism.js';
import { simulatorConfig } from '../../../src/engines/registry.js';
import { ProfileError } from '../../../src/engines/simulator/profile.js';
import { SimulatorEngine } from '../../../src/engines/simulator/simulator.js';
import { checkTimelyTerms, loadTimelyProfile, processedRate, TIMELY_TERMS, type TimelyTerms } from '../../../src/engines/simulator/timely-physics.js';
import { nexmark } from '../../../src/workloads/nexmark/templates.js';

const q5 = nexmark('q5', { calibration: null }).job;

const terms = (over: Partial<TimelyTerms> = {}): TimelyTerms => ({
  progress: { baseMs: 2, perWorkerMs: 1 },
  exchange: { baseUs: 0, perWorkerUs: 0.3 },
  cores: 2,
  backgroundCores: 0,
  loggingOverhead: 0.1,
  costs: { 'nexmark-q5': { source: 0.2, bids: 0.1, hotCount: 1.5, maxCount: 2, sink: 0.5 } },
  growth: { 'nexmark-q5': { hotCount: 0.01 } },
  ...over,
});

async function observe(t: TimelyTerms | null, w: number, rate: number) {
  const engine = new SimulatorEngine({ mode: 'timely', noise: 0, timely: t });
  const d = await engine.deploy(q5, workersParallelism(q5, w), rate);
  await d.advance(30);
  return d.observe(10);
}

describe('simulator Timely profiles', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'timely-profile-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, body: unknown): void => writeFileSync(join(dir, `${name}.json`), JSON.stringify(body));

  it('reads a complete Timely profile file', () => {
    write('ok', { engine: 'timely', terms: terms() });
    assert.deepEqual(loadTimelyProfile('ok', dir), terms());
  });

  it('datasets/calibration/profiles/timely-2core-unbounded.json is timely-2core with a core per worker, every other term the same', () => {
    const measured = loadTimelyProfile('timely-2core');
    const unbounded = loadTimelyProfile('timely-2core-unbounded');
    assert.equal(measured.cores, 2);
    assert.equal(unbounded.cores, null);
    assert.deepEqual({ ...unbounded, cores: measured.cores }, measured);
  });

  it('refuses a profile with a missing term, naming it', () => {
    for (const term of TIMELY_TERMS) {
      const t = terms() as unknown as Record<string, unknown>;
      delete t[term];
      write('missing', { engine: 'timely', terms: t });
      assert.throws(() => loadTimelyProfile('missing', dir), (e: Error) => e instanceof ProfileError && e.message.includes(`missing term '${term}'`), term);
    }
    const t = terms() as unknown as { progress: Record<string, unknown> };
    delete t.progress.perWorkerMs;
    assert.throws(() => checkTimelyTerms(t, 'x'), /missing term 'progress.perWorkerMs'/);
  });

  it('refuses unknown terms, wrong types, a Flink profile and a missing file', () => {
    assert.throws(() => checkTimelyTerms({ ...terms(), kappa: 1 }, 'x'), /unknown term 'kappa'/);
    assert.throws(() => checkTimelyTerms({ ...terms(), loggingOverhead: 'a lot' }, 'x'), /term 'loggingOverhead' must be a number/);
    assert.throws(() => checkTimelyTerms({ ...terms(), costs: { 'nexmark-q5': { hotCount: -1 } } }, 'x'), /costs.nexmark-q5.hotCount/);
    write('flink', { engine: 'flink', terms: terms() });
    assert.throws(() => loadTimelyProfile('flink', dir), /"engine" is "flink", expected "timely"/);
    assert.throws(() => loadTimelyProfile('absent', dir), /no file/);
  });

  it('is refused in an experiment config before any run, and needs the Timely mode', () => {
    const bad = simulatorConfig.safeParse({ kind: 'simulator', mode: 'timely', timelyProfile: 'no-such-timely-profile' });
    assert.equal(bad.success, false);
    assert.match(JSON.stringify(bad.error?.issues), /timelyProfile.*no file/);
    const flinkMode = simulatorConfig.safeParse({ kind: 'simulator', mode: 'flink', timelyProfile: 'no-such-timely-profile' });
    assert.match(JSON.stringify(flinkMode.error?.issues), /needs mode 'timely'/);
  });

  it('busy time follows the measured costs, the progress overhead and the exchange as W grows', async () => {
    const t = terms({ cores: null, growth: {} });
    const rate = 100_000;
    const s1 = await observe(t, 1, rate);
    const s2 = await observe(t, 2, rate);
    // bids (local input) at W = 1: 2 ms/s progress + 100,000/s x 0.1 us; at W = 2: half the records per worker, 3 ms/s
    assert.ok(Math.abs((s1.operators.bids?.busyMsPerSecond ?? 0) - (2 + 10)) < 0.2, `W=1: ${s1.operators.bids?.busyMsPerSecond}`);
    assert.ok(Math.abs((s2.operators.bids?.busyMsPerSecond ?? 0) - (3 + 5)) < 0.2, `W=2: ${s2.operators.bids?.busyMsPerSecond}`);
    // hotCount (hash input): 92,000 bids/s x 1.5 us at W = 1; at W = 2 per worker half of them at 1.5 + 0.3 us
    assert.ok(Math.abs((s1.operators.hotCount?.busyMsPerSecond ?? 0) - (2 + 138)) < 1, `hotCount W=1: ${s1.operators.hotCount?.busyMsPerSecond}`);
    assert.ok(Math.abs((s2.operators.hotCount?.busyMsPerSecond ?? 0) - (3 + 46 * 1.8)) < 1, `hotCount W=2: ${s2.operators.hotCount?.busyMsPerSecond}`);
  });

  it('a cost that grows with the rate lowers the sustainable rate; workers beyond the cores do not raise it', async () => {
    const flat = await observe(terms({ growth: {} }), 1, 5_000_000);
    const growing = await observe(terms(), 1, 5_000_000);
    assert.ok(growing.achievedRate < 0.8 * flat.achievedRate, `growth: ${growing.achievedRate} vs ${flat.achievedRate}`);
    const one = flat;
    const two = await observe(terms({ growth: {} }), 2, 5_000_000);
    const three = await observe(terms({ growth: {} }), 3, 5_000_000);
    assert.ok(two.achievedRate > 1.3 * one.achievedRate, `a second core helps: ${two.achievedRate} vs ${one.achievedRate}`);
    assert.ok(three.achievedRate <= two.achievedRate * 1.02, `a third worker on 2 cores does not: ${three.achievedRate} vs ${two.achievedRate}`);
    // the costs are taken at the rate processed, not the rate asked
    assert.ok(processedRate(q5, 1, 5_000_000, terms()) < 1_000_000);
    assert.equal(processedRate(q5, 1, 10_000, terms()), 10_000);
  });
  it('placement mode: the ground truth sees the profile\'s costs and worker speed, so its oracle is the deployment\'s minimum', async () => {
    // 1.5 cores for 4 workers; hotCount's 1.5 us a record is what limits the rate.
    const t = terms({ backgroundCores: 0.5, exchange: { baseUs: 0, perWorkerUs: 0 }, growth: {} });
    const engine = new SimulatorEngine({ mode: 'timely', parallelism: 'placement', workers: 4, noise: 0, timely: t });
    const sustains = async (p: Record<string, number>, rate: number): Promise<boolean> => {
      const d = await engine.deploy(q5, p, rate);
      await d.advance(40);
      const a = await d.observe(10);
      await d.advance(60);
      const b = await d.observe(10);
      await d.stop();
      return b.achievedRate > 0.999 * rate && (b.sources.source?.lagRecords ?? 0) <= (a.sources.source?.lagRecords ?? 0) + 1e-6 * rate;
    };
    const truth = engine.groundTruth(q5);
    for (const rate of [200_000, 600_000, 800_000]) {
      const { parallelism, feasible } = truth.oracle(rate);
      assert.ok(feasible, `feasible at ${rate}`);
      assert.ok(await sustains(parallelism, rate), `the oracle ${JSON.stringify(parallelism)} sustains ${rate}`);
      for (const [id, k] of Object.entries(parallelism)) {
        if (k > 1) assert.equal(await sustains({ ...parallelism, [id]: k - 1 }, rate), false, `${id} at ${k - 1} of ${JSON.stringify(parallelism)} fails at ${rate}`);
      }
    }
    assert.ok(Object.values(truth.oracle(800_000).parallelism).some((k) => k > 1), 'the top rate needs more than one worker somewhere');
    // Every worker of the 4 carries its share of progress tracking: 900,000/s is beyond them (the deployment reaches about 820,000/s).
    assert.equal(truth.oracle(900_000).feasible, false);
    // Beyond what 1.5 cores do at hotCount's cost, no placement sustains the rate.
    assert.equal(truth.oracle(3_000_000).feasible, false);
  });
});
