/**
 * The control loop's stages and its SLO-judged episodes, on the simulator: what a reader of episodes.csv and
 * summary.md can rely on.
 */
import assert from 'node:assert/strict';
import { keep, rescale, wait, type Decision } from '../../../src/core/decision.js';
import type { JobGraph } from '../../../src/core/job.js';
import type { Deployment, Engine } from '../../../src/engines/engine.js';
import { SimulatorEngine } from '../../../src/engines/simulator/simulator.js';
import { gate, LoopFailedError, runLoop, type GateState, type RecordedLoopInput } from '../../../src/loop/index.js';
import { SLO_DEFAULTS, type LoopConfig, type SloConfig } from '../../../src/loop/config.js';
import { withTolerance } from '../../../src/loop/slo.js';
import { parseEpisode, type EpisodeRow } from '../../../src/loop/rows.js';
import { summarise } from '../../../src/report/summary.js';
import { createTuner } from '../../../src/tuners/registry.js';
import type { Tuner, TunerView } from '../../../src/tuners/tuner.js';
import { NEXMARK_QUERIES, nexmark } from '../../../src/workloads/nexmark/templates.js';
import { syntheticJob } from '../../../src/workloads/synthetic/generator.js';
import { chain } from '../../fixtures/snapshots.js';
import { Rng } from '../../../src/core/random.js';

const LOOP: LoopConfig = { warmupSec: 30, windowSec: 10, activation: 1, maxReconfigurations: 10, initialParallelism: 1, carryOver: true };
const HOLDS = { holds: true, lagTrend: 0, lagSec: 0, violation: '' };
const FAILS = { holds: false, lagTrend: 0.1, lagSec: 3, violation: 'lag grows at 0.1 of the target rate' };

/** src -> map (10k records/s per instance) -> sink: the oracle for 25k records/s is map = 3. */
const job = chain('loop', 'src:source', { id: 'map', type: 'map', cost: 100 }, { id: 'sink', type: 'sink', cost: 1 });
const RATE = 25_000;

async function loop(o: { tuner: Tuner; engine?: Engine; rates: [number, number][]; slo?: SloConfig; j?: JobGraph }): Promise<Awaited<ReturnType<typeof runLoop>>> {
  const engine = o.engine ?? new SimulatorEngine({ seed: 4 });
  const j = o.j ?? job;
  const input: RecordedLoopInput = {
    run: 'r',
    sweep: 'base',
    seed: 4,
    job: j,
    engine,
    tuner: o.tuner,
    schedule: o.rates.map(([rate, durationSec]) => ({ rate, durationSec })),
    loop: LOOP,
    slo: o.slo ?? SLO_DEFAULTS,
    keepHistory: false,
  };
  return runLoop(input);
}

/** A tuner that keeps, whatever it sees. */
const keeper: Tuner = { name: 'keeper', decide: () => keep('keeping') };

/** Keeps in the first episode, then steps to the oracle in the later ones. */
async function lateOracle(engine: SimulatorEngine, j: JobGraph): Promise<Tuner> {
  const oracle = createTuner('oracle', {});
  await oracle.prepare?.(j, { rng: new Rng(1), engineKind: 'simulator', groundTruth: engine.groundTruth(j) });
  let episode = -1;
  return {
    name: 'late-oracle',
    startEpisode: (r) => {
      episode++;
      oracle.startEpisode?.(r);
    },
    decide: (v) => (episode === 0 ? keep('not yet') : oracle.decide(v)),
  };
}

const n = (x: string | number | undefined): number => Number(x);

describe('control loop: the gate', () => {
  const state: GateState = { job, running: { src: 1, map: 1, sink: 1 }, sharedWorkers: false, sinceRescale: 1, reconfigurations: 0, verdict: HOLDS };
  const up = rescale(state.running, { src: 1, map: 3, sink: 1 }, 'up');

  it('keep ends the episode only when the SLO holds; wait always observes again', () => {
    assert.equal(gate(keep('ok'), state, LOOP).kind, 'end');
    const g = gate(keep('ok'), { ...state, verdict: FAILS }, LOOP);
    assert.ok(g.kind === 'observe' && g.event === 'keep' && /SLO not yet held: lag grows/.test(g.reason));
    assert.ok(gate(wait('cadence'), state, LOOP).kind === 'observe');
  });

  it('activation, the cap, and a request for the running configuration', () => {
    assert.equal(gate(up, { ...state, sinceRescale: 1 }, { ...LOOP, activation: 2 }).kind, 'observe');
    const capped = gate(up, { ...state, reconfigurations: 10 }, LOOP);
    assert.ok(capped.kind === 'end' && capped.event === 'capped');
    const same = gate(rescale(state.running, { src: 1, map: 1, sink: 2 }, 'x'), { ...state, running: { src: 1, map: 1, sink: 2 } }, LOOP);
    assert.equal(same.kind, 'end');
    assert.deepEqual(gate(up, state, LOOP), { kind: 'actuate', parallelism: { src: 1, map: 3, sink: 1 }, requested: { src: 1, map: 3, sink: 1 }, reason: 'up' });
  });

  it("clamps a request to the engine's per-operator cap; asking beyond it again is a keep, not a rescale", () => {
    const a = gate(up, { ...state, cap: 2 }, LOOP);
    assert.deepEqual(a.kind === 'actuate' && a.parallelism, { src: 1, map: 2, sink: 1 });
    assert.deepEqual(a.kind === 'actuate' && a.requested, { src: 1, map: 3, sink: 1 }, 'what the tuner asked for is kept');
    const again = gate(up, { ...state, cap: 2, running: { src: 1, map: 2, sink: 1 }, verdict: FAILS }, LOOP);
    assert.ok(again.kind === 'observe' && again.event === 'same' && /cap of 2/.test(again.reason));
  });
});

describe('control loop: SLO-judged episodes', () => {
  it('a tuner that keeps an under-provisioned configuration gets no sustained episode and no P / oracle', async () => {
    const { episodes, timeline } = await loop({ tuner: keeper, rates: [[RATE, 600], [2 * RATE, 600]] });
    for (const e of episodes) {
      assert.equal(e.outcome, 'violated');
      assert.match(String(e.violation), /lag grows at 0\.[0-9]+ of the target rate/);
      assert.equal(e.parallelismOverOracle, '');
      assert.ok(n(e.finalTotalParallelism) < n(e.oracleTotalParallelism), 'below the oracle, as a violation');
      assert.equal(e.timeToSloSec, '');
      assert.ok(n(e.durationSec) >= 600, 'observed until the time ran out');
    }
    assert.ok(timeline.every((t) => t.event === 'keep'));
    const [s] = summarise(episodes.map(asRow).map(parseEpisode));
    assert.equal(s?.sustained, 0);
    assert.ok(Number.isNaN(s?.overOracle), 'nothing added to the sustained P / oracle');
  });

  it('the oracle with an inherited backlog is sustained, and its end lag and lag integral show the backlog', async () => {
    const engine = new SimulatorEngine({ seed: 4 });
    const { episodes } = await loop({ engine, tuner: await lateOracle(engine, job), rates: [[RATE, 300], [RATE, 3000]] });
    const [first, second] = episodes as [EpisodeRow, EpisodeRow];
    assert.equal(first.outcome, 'violated');
    assert.equal(second.outcome, 'sustained');
    assert.equal(second.reconfigurations, 1);
    assert.equal(second.parallelismOverOracle, 1);
    assert.ok(n(second.lagStartRecords) > 1e6, `inherited ${second.lagStartRecords}`);
    assert.equal(second.lagStartRecords, first.lagEndRecords);
    assert.ok(n(second.lagEndRecords) > 1e5, `still draining at the end: ${second.lagEndRecords}`);
    assert.ok(n(second.lagIntegralRecordSec) > n(second.lagStartRecords) * 60, `integral ${second.lagIntegralRecordSec}`);
    assert.ok(n(second.durationSec) < 300, 'ends once the SLO holds, not when the backlog is gone');
  });

  it('with maxLagSec the same episode is sustained only once the backlog is drained', async () => {
    const engine = new SimulatorEngine({ seed: 4 });
    const slo = { ...SLO_DEFAULTS, maxLagSec: 1 };
    const { episodes } = await loop({ engine, tuner: await lateOracle(engine, job), rates: [[RATE, 300], [RATE, 3000]], slo });
    const second = episodes[1] as EpisodeRow;
    assert.equal(second.outcome, 'sustained');
    assert.ok(n(second.lagEndSec) <= 1, `drained to ${second.lagEndSec} s`);
    assert.ok(n(second.timeToSloSec) > 600, `time to SLO ${second.timeToSloSec} s includes the drain`);
  });

  it('a rescale that does not take effect is recorded, not counted, and the tuner is told', async () => {
    const sim = new SimulatorEngine({ seed: 4 });
    const stuck: Engine = {
      kind: 'stuck',
      capabilities: sim.capabilities,
      groundTruth: (j) => sim.groundTruth(j),
      close: () => sim.close(),
      async deploy(j, p, r) {
        const d = await sim.deploy(j, p, r);
        const wrapped: Deployment = {
          observe: (s) => d.observe(s),
          advance: (s) => d.advance(s),
          setRate: (r2) => d.setRate(r2),
          now: () => d.now(),
          stop: () => d.stop(),
          get parallelism() {
            return d.parallelism;
          },
          rescale: async () => ({ downtimeSeconds: 0, tookEffect: false, parallelism: d.parallelism, note: 'no slots' }),
        };
        return wrapped;
      },
    };
    const views: TunerView[] = [];
    const ds2 = createTuner('ds2', {});
    const tuner: Tuner = {
      name: 'ds2',
      decide: (v): Decision | Promise<Decision> => {
        views.push(v);
        return ds2.decide(v);
      },
    };
    const { episodes, timeline } = await loop({ engine: stuck, tuner, rates: [[RATE, 300]] });
    const e = episodes[0] as EpisodeRow;
    assert.equal(e.reconfigurations, 0);
    assert.ok(n(e.failedRescales) >= 2, `failed ${e.failedRescales}`);
    assert.equal(e.outcome, 'violated');
    assert.ok(timeline.some((t) => t.event === 'rescale-failed' && /no slots/.test(String(t.reason))));
    assert.ok(!timeline.some((t) => t.event === 'rescale'));
    const told = views.find((v) => v.lastRescale !== undefined);
    assert.ok(told?.lastRescale && !told.lastRescale.tookEffect && told.lastRescale.requested.map === 3);
  });
});

/** The simulator with its deployment changed by `change` (a cap, failing windows, a failing job). */
function alteredSimulator(change: (d: Deployment) => Partial<Deployment>): Engine {
  const sim = new SimulatorEngine({ seed: 4 });
  return {
    kind: 'altered',
    capabilities: sim.capabilities,
    groundTruth: (j) => sim.groundTruth(j),
    close: () => sim.close(),
    async deploy(j, p, r) {
      const d = await sim.deploy(j, p, r);
      const base: Deployment = {
        observe: (x) => d.observe(x),
        advance: (x) => d.advance(x),
        setRate: (x) => d.setRate(x),
        rescale: (x) => d.rescale(x),
        now: () => d.now(),
        stop: () => d.stop(),
        get parallelism() {
          return d.parallelism;
        },
      };
      const c = change(d);
      return Object.defineProperties(base, Object.getOwnPropertyDescriptors(c));
    },
  };
}

/** Records the views DS2 decides on. */
function watchedDs2(views: TunerView[]): Tuner {
  const ds2 = createTuner('ds2', {});
  return { name: 'ds2', decide: (v) => (views.push(v), ds2.decide(v)) };
}

describe('control loop: engine faults as what happened', () => {
  it("a rescale cut by the engine's cap is partial, with the requested and granted configuration, and the tuner is told", async () => {
    const capped = alteredSimulator(() => ({ maxOperatorParallelism: 2 }));
    const views: TunerView[] = [];
    const { episodes, timeline } = await loop({ engine: capped, tuner: watchedDs2(views), rates: [[RATE, 300]] });
    const partial = timeline.find((t) => t.event === 'rescale-partial');
    assert.ok(partial, JSON.stringify(timeline.map((t) => t.event)));
    assert.equal(partial.requestedParallelism, 'src=1;map=3;sink=1', 'what DS2 asked for');
    assert.equal(partial.grantedParallelism, 'src=1;map=2;sink=1', 'what the cap let run');
    assert.match(String(partial.reason), /at most 2 per operator/);
    assert.ok(!timeline.some((t) => t.event === 'rescale'), 'not recorded as a rescale as asked');
    assert.equal((episodes[0] as EpisodeRow).reconfigurations, 1, 'counted: the configuration changed');
    const told = views.find((v) => v.lastRescale !== undefined)?.lastRescale;
    assert.ok(told, 'the next view carries the partial rescale');
    assert.deepEqual([told.requested.map, told.running.map, told.tookEffect], [3, 2, true]);
  });

  it('an episode with no valid window fails the run with one message, keeping what was recorded', async () => {
    let k = 0;
    const stalls = alteredSimulator((d) => ({
      observe: async (x: number) => {
        const s = await d.observe(x);
        return ++k > 3 ? { ...s, valid: false, note: 'operator map subtask 0 has no metrics yet' } : s;
      },
    }));
    const keeper2: Tuner = { name: 'keeper', decide: () => keep('keeping') };
    const failure = await loop({ engine: stalls, tuner: keeper2, rates: [[RATE, 60], [RATE, 120]] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(failure instanceof LoopFailedError, String(failure));
    assert.match(failure.message, /^episode 1 \(rate 25000\/s\) had no valid window: all \d+ were invalid.*no metrics yet/);
    const { episodes, timeline } = failure.partial;
    assert.equal(episodes.length, 1, 'the finished first episode is kept');
    assert.equal(timeline.filter((t) => t.event === 'keep').length, 3, 'its valid windows are kept');
    assert.ok(timeline.some((t) => t.event === 'invalid'));
    const last = timeline[timeline.length - 1];
    assert.equal(last?.event, 'failed');
    assert.equal(last?.reason, failure.message);
  });

  it('a job that fails mid-run keeps its finished windows and ends its timeline with the failure', async () => {
    let k = 0;
    const dies = alteredSimulator((d) => ({
      observe: async (x: number) => {
        if (++k > 4) throw new Error('the Timely job (pid 1) ended: killed by SIGKILL');
        return d.observe(x);
      },
    }));
    const failure = await loop({ engine: dies, tuner: keeper, rates: [[RATE, 600]] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(failure instanceof LoopFailedError);
    assert.equal(failure.message, 'the Timely job (pid 1) ended: killed by SIGKILL');
    assert.deepEqual(
      failure.partial.timeline.map((t) => t.event),
      ['keep', 'keep', 'keep', 'keep', 'failed'],
    );
  });
});

describe('control loop: the oracle is exact', () => {
  const rates = [2, 7, 4];
  const workloads = [
    ...NEXMARK_QUERIES.map((q) => nexmark(q, { calibration: null })),
    nexmark('wordcount', { calibration: null }),
    ...[1, 2, 3].map((seed) => syntheticJob({ seed })),
  ];
  for (const mode of ['flink', 'timely'] as const)
    it(`${mode} mode: P / oracle 1.000 with 1 reconfiguration per episode, every episode sustained (${workloads.length} workloads)`, async () => {
      for (const w of workloads) {
        const engine = new SimulatorEngine({ seed: 1, mode });
        const oracle = createTuner('oracle', {});
        await oracle.prepare?.(w.job, { rng: new Rng(1), engineKind: 'simulator', groundTruth: withTolerance(engine.groundTruth(w.job), SLO_DEFAULTS.maxLagTrend) });
        const { episodes } = await loop({ engine, tuner: oracle, j: w.job, rates: rates.map((u) => [u * w.workloadUnit, 900]) });
        for (const e of episodes) {
          const at = `${w.job.name} episode ${e.episode}`;
          assert.equal(e.outcome, 'sustained', `${at}: ${e.violation}`);
          assert.equal(e.parallelismOverOracle, 1, `${at}: ${e.finalTotalParallelism} vs ${e.oracleTotalParallelism}`);
          assert.equal(e.reconfigurations, 1, at);
        }
      }
    });
});

function asRow(e: EpisodeRow): Record<string, string> {
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)]));
}
