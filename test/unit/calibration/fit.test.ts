/**
 * The calibration's fit recovers known physics terms from runs of a simulator that has them (the simulator stands
 * in for the real engine, measured through the same control loop); NNLS and the error measures by hand.
 */
import assert from 'node:assert/strict';
import { calibrationPlan, calExchangeJob, grid, type Plan } from '../../../src/calibration/design.js';
import { compare, fitLinearTerms, fitProfile, nnls, REAL_BUFFERS, simulatePlan } from '../../../src/calibration/fit.js';
import { measureBlock, SIM_TIMING, type Measurement } from '../../../src/calibration/measure.js';
import { LINEAR, type PhysicsTerms } from '../../../src/engines/simulator/physics.js';
import { SimulatorEngine } from '../../../src/engines/simulator/simulator.js';

const TRUTH: PhysicsTerms = {
  ...structuredClone(LINEAR),
  coordinationOverhead: 0,
  subtaskOverheadMs: 3,
  cores: 2,
  backgroundCores: 0.3,
  waitFraction: 0.8,
  ...REAL_BUFFERS,
  exchange: {
    forward: { serializeUs: 0.5, perBufferUs: 4, deserializeUs: 0.5, receivePerBufferUs: 2, perChannelUs: 0 },
    hash: { serializeUs: 2, perBufferUs: 10, deserializeUs: 1.5, receivePerBufferUs: 5, perChannelUs: 0 },
    rebalance: { serializeUs: 1.5, perBufferUs: 8, deserializeUs: 1, receivePerBufferUs: 4, perChannelUs: 0 },
    broadcast: { serializeUs: 1, perBufferUs: 6, deserializeUs: 1, receivePerBufferUs: 3, perChannelUs: 0 },
  },
};
const near = (a: number, b: number, abs: number, msg: string): void => assert.ok(Math.abs(a - b) <= abs, `${msg}: ${a} vs ${b}`);

describe('calibration: fitting the physics terms', () => {
  it('nnls: least squares with x >= 0 (hand example)', () => {
    // y = 2 a + 0 b exactly; an unconstrained fit of b on noise-free data is 0, and a negative optimum clips to 0.
    const x = nnls([[1, 0], [0, 1], [1, 1]], [2, 0, 2], [1, 1, 1]);
    near(x[0] as number, 2, 1e-9, 'a');
    near(x[1] as number, 0, 1e-9, 'b');
    const y = nnls([[1], [1]], [-1, -3], [1, 1]);
    assert.equal(y[0], 0);
  });

  it('the designed runs go through the control loop: each point measured under its own configuration, in order', async () => {
    const job = calExchangeJob();
    const configs = [{ src: 1, agg: 1, map: 1, fil: 1, sink: 1 }, { src: 1, agg: 2, map: 4, fil: 3, sink: 2 }];
    const ms = await measureBlock(new SimulatorEngine({ noise: 0 }), { name: 'b', job, points: grid(configs, [1000, 2000], [configs[0] as never]) }, SIM_TIMING);
    assert.deepEqual(ms.map((m) => [m.parallelism.map, m.rate, m.overload]), [[1, 1000, false], [1, 2000, false], [4, 1000, false], [4, 2000, false], [1, 400_000, true]]);
    for (const m of ms) assert.ok(m.windows >= 2, `${m.windows} windows`);
    near(ms[1]?.achieved ?? 0, 2000, 1e-6, 'unsaturated: the sources keep up');
    assert.ok((ms[4]?.achieved ?? 0) < 400_000, 'overload: what the job sustains');
  });

  it('recovers the per-subtask overhead, every exchange term and the Nexmark costs (net of exchange) from runs with them', async () => {
    const plan = calibrationPlan();
    const measured = await simulatePlan(plan, TRUTH, {});
    const fit = fitLinearTerms(plan, measured);
    near(fit.f, 3, 0.05, 'f');
    near(fit.exchange.hash.serializeUs, 2, 0.05, 'hash serialize');
    near(fit.exchange.hash.perBufferUs, 10, 0.5, 'hash per buffer');
    near(fit.exchange.hash.deserializeUs, 1.5, 0.05, 'hash deserialize');
    near(fit.exchange.rebalance.perBufferUs, 8, 0.5, 'rebalance per buffer');
    near(fit.exchange.broadcast.perBufferUs, 6, 0.5, 'broadcast per buffer');
    const q3 = plan.blocks.find((b) => b.name === 'nexmark-q3')?.job;
    near(fit.costs['nexmark-q3']?.join ?? 0, q3?.operator('join').cost ?? -1, 0.05, 'q3 join cost');
  });

  it('recovers the cores left to the subtasks from the overload points (2 - 0.3)', async () => {
    const plan: Plan = calibrationPlan([]);
    const measured = await simulatePlan(plan, TRUTH, {});
    const fit = await fitProfile(plan, measured, 2);
    near(fit.terms.backgroundCores, 0.3, 0.051, 'background cores');
    assert.equal(fit.terms.coordinationOverhead, 0);
    assert.ok(fit.diagnostics.sustainableRateError < 0.02);
  });

  it('errors: busy |sim - real| / real over busy >= 50 ms/s, sustainable rate over overload points the job could not keep up with', () => {
    const m = (busy: number, achieved: number, overload: boolean, rate = achieved): Measurement => ({
      block: 'b',
      job: 'j',
      parallelism: { a: 1 },
      rate: overload ? 400_000 : rate,
      overload,
      windows: 2,
      achieved,
      operators: { a: { p: 1, busy, busyMax: busy, bp: 0, recordsIn: 1000, recordsOut: 1000 } },
    });
    // Points pair by block, configuration, rate and kind; busy below 50 ms/s and an overload the job kept up with are not scored.
    const e = compare([m(200, 1000, false), m(10, 2000, false), m(900, 5000, true), m(900, 399_000, true, 1)], [m(30, 2000, false), m(250, 1000, false), m(900, 4000, true)]);
    assert.deepEqual(e.busy, [0.25]);
    assert.deepEqual(e.sustainable, [0.2]);
  });
});
