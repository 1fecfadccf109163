/** The engine table and the timing decorator every engine of a run is wrapped in. */
import assert from 'node:assert/strict';
import { JobGraph } from '../../../src/core/job.js';
import type { Deployment, Engine, RescaleReport } from '../../../src/engines/engine.js';
import { createEngine, engineConfig, engineEntry, engineOf, ENGINE_KINDS, REAL_ENGINE_KINDS } from '../../../src/engines/registry.js';
import { SimulatorEngine, type SimulatedDeployment } from '../../../src/engines/simulator/simulator.js';
import { isTimed, timed } from '../../../src/engines/timed.js';

const chain = JobGraph.create({
  name: 'chain',
  operators: [
    { id: 'src', type: 'source', cost: 1 },
    { id: 'a', type: 'map', cost: 10 },
    { id: 'k', type: 'sink', cost: 1 },
  ],
  edges: [
    { from: 'src', to: 'a' },
    { from: 'a', to: 'k' },
  ],
});
const ones = { src: 1, a: 1, k: 1 };

describe('engine table', () => {
  it('has one entry per kind of the config union, each parsing its own kind', () => {
    assert.deepEqual([...ENGINE_KINDS], ['simulator', 'flink', 'timely']);
    for (const kind of ENGINE_KINDS) {
      const e = engineEntry(kind);
      assert.equal(e.schema.shape.kind.value, kind);
      assert.equal(engineConfig.parse({ kind }).kind, kind);
    }
    assert.throws(() => engineEntry('storm'), /unknown engine 'storm' \(have simulator, flink, timely\)/);
  });

  it('declares what callers used to switch on: capabilities, labels, limits, costs, a model', () => {
    const sim = engineOf(engineConfig.parse({ kind: 'simulator' }));
    const simTimely = engineOf(engineConfig.parse({ kind: 'simulator', mode: 'timely' }));
    const flink = engineOf(engineConfig.parse({ kind: 'flink', slots: 6 }));
    const timely = engineOf(engineConfig.parse({ kind: 'timely', maxWorkers: 9 }));
    assert.equal(sim.capabilities().groundTruth, true);
    assert.equal(flink.capabilities().groundTruth, false);
    assert.deepEqual(REAL_ENGINE_KINDS, ['flink', 'timely']);
    assert.deepEqual([sim.label(), simTimely.label(), simTimely.label({ profile: true }), flink.label(), timely.label()], [
      'simulator',
      'simulator (Timely mode)',
      'simulator (Timely mode, uncalibrated)',
      'real Flink',
      'real Timely',
    ]);
    assert.deepEqual([sim.name(), simTimely.name(), flink.name(), timely.name()], ['simulator (flink mode)', 'simulator (timely mode)', 'flink', 'timely']);
    assert.deepEqual([sim.operatorLimit(), flink.operatorLimit(), timely.operatorLimit()], [undefined, 6, 9]);
    assert.equal(sim.costs().stepSec, 0.1);
    assert.equal(flink.costs().stepSec, undefined);
    assert.equal(sim.profile(), 'linear');
    assert.equal(flink.profile(), undefined);
    assert.match(sim.physicsFingerprint() ?? '', /^linear sha256:[0-9a-f]{12}$/);
    assert.deepEqual(flink.extrapolations(chain, []), []);
    assert.ok(flink.nexmark?.q5 && timely.nexmark?.q5, 'the real engines list the Nexmark queries their jobs implement');
    assert.equal(sim.nexmark, undefined);
    assert.match(flink.version(), /^flink \d+\.\d+[^,]*, jobs sha256:[0-9a-f]{12}$/);
    assert.match(timely.version(), /^timely \d+\.\d+\.\d+, jobs sha256:[0-9a-f]{12}$/);
    assert.deepEqual(sim.available(), { runs: true, built: true });
  });

  it('a prebuilt Timely binary that is not there makes the engine unavailable, saying why', () => {
    const a = engineOf(engineConfig.parse({ kind: 'timely', binary: '/nonexistent/streamtune-timely' })).available();
    assert.equal(a.runs, false);
    assert.match(a.reason ?? '', /no binary at \/nonexistent\/streamtune-timely/);
  });

  it("builds a run's engine timed", async () => {
    const engine = await createEngine(engineConfig.parse({ kind: 'simulator', noise: 0 }), 1);
    assert.equal(isTimed(engine), true);
    assert.equal(engine.kind, 'simulator');
    await engine.close();
  });
});

describe('timing decorator', () => {
  it('passes every answer through untouched: the same snapshots and reports as the bare engine', async () => {
    const bare = await new SimulatorEngine({ seed: 3 }).deploy(chain, ones, 500);
    const engine = timed(new SimulatorEngine({ seed: 3 }));
    const d = await engine.deploy(chain, ones, 500);
    assert.deepEqual(await d.observe(10), await bare.observe(10));
    assert.deepEqual(await d.rescale({ ...ones, a: 2 }), await bare.rescale({ ...ones, a: 2 }));
    await Promise.all([d.setRate(800), bare.setRate(800)]);
    assert.deepEqual(await d.observe(10), await bare.observe(10));
    assert.deepEqual(d.parallelism, bare.parallelism);
    assert.equal(d.now(), bare.now());
  });

  it('counts and times deploy, observe and rescale per deployment and for the engine', async () => {
    const engine = timed(new SimulatorEngine({ noise: 0 }));
    const d1 = await engine.deploy(chain, ones, 100);
    const d2 = await engine.deploy(chain, ones, 100);
    await d1.observe(5);
    await d1.observe(5);
    await d2.rescale({ ...ones, a: 3 });
    assert.deepEqual([d1.callTimings.deploy.calls, d1.callTimings.observe.calls, d1.callTimings.rescale.calls], [1, 2, 0]);
    assert.deepEqual([d2.callTimings.deploy.calls, d2.callTimings.observe.calls, d2.callTimings.rescale.calls], [1, 0, 1]);
    assert.deepEqual([engine.callTimings.deploy.calls, engine.callTimings.observe.calls, engine.callTimings.rescale.calls], [2, 2, 1]);
    const o = d1.callTimings.observe;
    assert.ok(o.totalSeconds > 0 && o.lastSeconds > 0 && o.maxSeconds >= o.lastSeconds && o.totalSeconds >= o.maxSeconds);
    assert.equal(timed(engine as unknown as Engine), engine, 'wrapping twice keeps one tally');
  });

  it("keeps the engine's own members and counts a call that throws as a failure", async () => {
    const engine = timed(new SimulatorEngine({ noise: 0 }));
    const d = await engine.deploy(chain, ones, 100);
    assert.equal(typeof (d as unknown as SimulatedDeployment).advance, 'function');
    assert.ok(engine.groundTruth?.(chain).oracle(100).parallelism, 'the ground truth of the wrapped engine');
    await assert.rejects(engine.deploy(chain, { src: 0, a: 1, k: 1 }, 100));
    assert.equal(engine.callTimings.deploy.failures, 1);
    assert.equal(engine.callTimings.deploy.calls, 1);
    // a deployment whose rescale throws
    const failing: Deployment = { ...d, rescale: (): Promise<RescaleReport> => Promise.reject(new Error('no slots')), observe: d.observe, advance: d.advance, setRate: d.setRate, now: d.now, stop: d.stop, parallelism: d.parallelism };
    const wrapped = timed({ kind: 'fake', capabilities: engine.capabilities, deploy: async () => failing, close: async () => {} });
    const fd = await wrapped.deploy(chain, ones, 1);
    await assert.rejects(fd.rescale(ones), /no slots/);
    assert.deepEqual([fd.callTimings.rescale.calls, fd.callTimings.rescale.failures], [0, 1]);
  });
});
