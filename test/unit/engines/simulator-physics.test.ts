/**
 * The simulator's physics terms, each with capacity at p worked out by hand with the term on and off,
 * and the time-stepped engine agreeing with the formula.
 */
import assert from 'node:assert/strict';
import { JobGraph, type EdgeSpec, type OperatorSpecInput } from '../../../src/core/job.js';
import { capacity, ModelTruth } from '../../../src/engines/simulator/model.js';
import { buffersPerSecond, channels, cpuStretch, inputChannels, instanceBusy, LINEAR, recordsPerBuffer, timelyBatch, timelyExchangeUs, timing, type ExchangeCost, type PhysicsTerms } from '../../../src/engines/simulator/physics.js';
import { SimulatorEngine } from '../../../src/engines/simulator/simulator.js';

const terms = (t: Partial<PhysicsTerms> = {}): PhysicsTerms => ({ ...structuredClone(LINEAR), coordinationOverhead: 0, ...t }) as PhysicsTerms;
const near = (a: number, b: number, rel = 1e-9, msg = ''): void => assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${msg} ${a} vs ${b}`);

/** src -> a (cost 100 us) -> sink, free source and sink; `name` decides synthetic (park) vs Nexmark (all CPU). */
function line(name: string, a: Partial<OperatorSpecInput> = {}, ship?: EdgeSpec['ship']): JobGraph {
  return JobGraph.create({
    name,
    operators: [
      { id: 'src', type: 'source', cost: 0 },
      { id: 'a', type: 'map', cost: 100, maxParallelism: 64, ...a },
      { id: 'sink', type: 'sink', cost: 0 },
    ],
    edges: [{ from: 'src', to: 'a', ...(ship ? { ship } : {}) }, { from: 'a', to: 'sink' }],
  });
}

async function run(job: JobGraph, t: PhysicsTerms, p: Record<string, number>, rate: number) {
  const d = await new SimulatorEngine({ ...t, noise: 0 }).deploy(job, p, rate);
  await d.advance(30);
  return d.observe(20);
}

describe('simulator physics terms (hand-computed)', () => {
  it('linear profile: capacity p mu / (1 + kappa (p - 1)), the uncalibrated model', () => {
    const job = line('nexmark-x');
    // mu = 1e6 / 100 = 10,000/s; p = 4, kappa 0.01: 40,000 / 1.03 = 38,834.95
    near(capacity(job, job.operator('a'), 4, LINEAR), 40_000 / 1.03);
    near(capacity(job, job.operator('a'), 4, 0.01), 40_000 / 1.03);
  });

  describe('fixed per-subtask overhead (subtaskOverheadMs)', () => {
    const job = line('nexmark-x');
    it('capacity at p = 2: 2 x 10,000 x (1 - 50/1000) = 19,000 on; 20,000 off', () => {
      near(capacity(job, job.operator('a'), 2, terms({ subtaskOverheadMs: 50 })), 19_000);
      near(capacity(job, job.operator('a'), 2, terms()), 20_000);
    });
    it('busy time: 50 ms/s per subtask at zero load; 50 + 2,500/s x 100 us = 300 ms/s at 5,000/s on p = 2', async () => {
      const t = terms({ subtaskOverheadMs: 50 });
      near((await run(job, t, { src: 1, a: 2, sink: 1 }, 0)).operators.a?.busyMsPerSecond ?? 0, 50, 1e-6);
      near((await run(job, t, { src: 1, a: 2, sink: 1 }, 5000)).operators.a?.busyMsPerSecond ?? 0, 300, 1e-6);
      near((await run(job, terms(), { src: 1, a: 2, sink: 1 }, 5000)).operators.a?.busyMsPerSecond ?? 0, 250, 1e-6);
    });
  });

  describe('exchange cost by ship strategy, channel-linear model of older profiles (exchange.perChannelUs)', () => {
    // a (10 us) -> b with a's output edge of the given strategy; b at parallelism 4.
    const job = (ship: EdgeSpec['ship']): JobGraph =>
      JobGraph.create({
        name: 'nexmark-x',
        operators: [
          { id: 'src', type: 'source', cost: 0 },
          { id: 'a', type: 'map', cost: 10 },
          { id: 'b', type: 'map', cost: 0, maxParallelism: 8 },
        ],
        edges: [{ from: 'src', to: 'a' }, { from: 'a', to: 'b', ...(ship ? { ship } : {}) }],
      });
    const ex = { serializeUs: 2, perBufferUs: 0, deserializeUs: 0, receivePerBufferUs: 0, perChannelUs: 0.5 };
    const t = terms({ exchange: { forward: ex, hash: ex, rebalance: ex, broadcast: ex } });
    it('channels: hash/rebalance/broadcast write to every consumer, forward (pointwise rescale) to ceil(p_down / p_up)', () => {
      assert.equal(channels('hash', 1, 4), 4);
      assert.equal(channels('broadcast', 3, 4), 4);
      assert.equal(channels('forward', 1, 4), 4);
      assert.equal(channels('forward', 2, 4), 2);
      assert.equal(channels('forward', 4, 4), 1);
      assert.equal(channels('forward', 8, 4), 1);
    });
    it('hash to 4 consumers: 10 + 2 + 0.5 x 3 = 13.5 us per record: capacity 74,074/s on, 100,000/s off', () => {
      const j = job('hash');
      near(capacity(j, j.operator('a'), 1, t, { b: 4 }), 1e6 / 13.5);
      near(capacity(j, j.operator('a'), 1, terms(), { b: 4 }), 100_000);
      // It grows with the channels: to 1 consumer, 12 us.
      near(capacity(j, j.operator('a'), 1, t, { b: 1 }), 1e6 / 12);
    });
    it('forward from 2 senders to 4: 2 channels each, 10 + 2 + 0.5 = 12.5 us: capacity 2 x 80,000 = 160,000/s', () => {
      const j = job('forward');
      near(capacity(j, j.operator('a'), 2, t, { b: 4 }), 160_000);
    });
    it('only the strategies given cost: hash-only terms leave a rebalance edge free', () => {
      const j = job('rebalance');
      near(capacity(j, j.operator('a'), 1, terms({ exchange: { ...structuredClone(LINEAR.exchange), hash: ex } }), { b: 4 }), 100_000);
    });
    it('the receiver pays deserializeUs per record: b (free) receiving hash at 1 us per record: capacity 1,000,000/s at p = 1', () => {
      const j = job('hash');
      const r = terms({ exchange: { ...structuredClone(LINEAR.exchange), hash: { serializeUs: 0, perBufferUs: 0, deserializeUs: 1, receivePerBufferUs: 0, perChannelUs: 0 } } });
      near(capacity(j, j.operator('b'), 1, r), 1e6);
      near(capacity(j, j.operator('a'), 1, r, { b: 4 }), 100_000, 1e-9, 'the sender does not pay it');
    });
    it('the engine agrees: a at 1 instance saturates at 1e6 / 13.5 records/s', async () => {
      const s = await run(job('hash'), t, { src: 1, a: 1, b: 4 }, 200_000);
      near(s.achievedRate, 1e6 / 13.5, 1e-3);
    });
  });

  describe('exchange cost by the buffer mechanism (serializeUs, perBufferUs, deserializeUs, receivePerBufferUs, bufferBytes, bufferTimeoutMs, recordBytes)', () => {
    // Flink's defaults: 32 KiB buffers, 100 ms timeout; 100-byte records: n = floor(32768 / 100) = 327 per buffer.
    const cost = (x: Partial<ExchangeCost>): ExchangeCost => ({ serializeUs: 0, perBufferUs: 0, deserializeUs: 0, receivePerBufferUs: 0, perChannelUs: 0, ...x });
    const only = (ship: EdgeSpec['ship'] & string, x: Partial<ExchangeCost>): PhysicsTerms => terms({ exchange: { ...structuredClone(LINEAR.exchange), [ship]: cost(x) }, recordBytes: 100 });
    const job = (ship: EdgeSpec['ship'], aCost = 10, pMax = 1024): JobGraph =>
      JobGraph.create({
        name: 'nexmark-x',
        operators: [
          { id: 'src', type: 'source', cost: 0, maxParallelism: pMax },
          { id: 'a', type: 'map', cost: aCost, maxParallelism: pMax },
          { id: 'b', type: 'map', cost: 0, maxParallelism: pMax },
        ],
        edges: [{ from: 'src', to: 'a' }, { from: 'a', to: 'b', ...(ship ? { ship } : {}) }],
      });
    it('defaults are Flink\'s: 32 KiB buffers, 100 ms timeout; 100-byte records give 327 records per buffer', () => {
      assert.equal(LINEAR.bufferBytes, 32_768);
      assert.equal(LINEAR.bufferTimeoutMs, 100);
      assert.equal(recordsPerBuffer({ bufferBytes: 32_768, recordBytes: 100 }), 327);
      assert.equal(recordsPerBuffer({ bufferBytes: 32_768, recordBytes: 1e6 }), 1, 'a record larger than a buffer still takes one');
    });
    it('buffers per second on 4 channels: 5/s -> 5 (each record alone), 1,000/s -> 40 (timeout: 4 / 0.1 s), 100,000/s -> 305.8 (full: 100,000 / 327); timeout 0 -> every record', () => {
      near(buffersPerSecond(5, 4, 327, 0.1), 5);
      near(buffersPerSecond(1000, 4, 327, 0.1), 40);
      near(buffersPerSecond(100_000, 4, 327, 0.1), 100_000 / 327);
      near(buffersPerSecond(1000, 4, 327, 0), 1000);
      assert.equal(buffersPerSecond(0, 4, 327, 0.1), 0);
    });
    it('channels in: a receiver of hash/rebalance/broadcast reads p_up channels, of forward ceil(p_up / p_down)', () => {
      assert.equal(inputChannels('hash', 8, 2), 8);
      assert.equal(inputChannels('forward', 8, 2), 4);
      assert.equal(inputChannels('forward', 2, 8), 1);
    });
    it('hash to 4 consumers, 10 + 2 us per record and 20 us per buffer: full buffers at capacity, 1 / (12 + 20 / 327) us = 82,914/s', () => {
      const j = job('hash');
      near(capacity(j, j.operator('a'), 1, only('hash', { serializeUs: 2, perBufferUs: 20 }), { b: 4 }), 1 / (12e-6 + 20e-6 / 327));
    });
    it('hash to 128 consumers: the timeout regime at capacity, 1,280 buffers/s x 20 us = 25.6 ms/s: (1 - 0.0256) / 12 us = 81,200/s', () => {
      const j = job('hash');
      near(capacity(j, j.operator('a'), 1, only('hash', { serializeUs: 2, perBufferUs: 20 }), { b: 128 }), (1 - 0.0256) / 12e-6);
    });
    it('busy at 1,000/s to 4 consumers: 1,000 x 12 us + 40 buffers x 20 us = 12.8 ms/s; the engine agrees', async () => {
      const j = job('hash');
      const t = only('hash', { serializeUs: 2, perBufferUs: 20 });
      near(instanceBusy(timing(j, j.operator('a'), { src: 1, a: 1, b: 4 }, t), 1000), 0.0128);
      near((await run(j, t, { src: 1, a: 1, b: 4 }, 1000)).operators.a?.busyMsPerSecond ?? 0, 12.8, 1e-6);
      near((await run(j, t, { src: 1, a: 1, b: 4 }, 200_000)).achievedRate, 1 / (12e-6 + 20e-6 / 327), 1e-3, 'saturated at capacity');
    });
    it('broadcast shares one buffer among its channels (serialised once, handed to each): at 100,000/s to 8, 0.2 + 305.8 x 8 x 20 us = 248.9 ms/s; hash 206.1', () => {
      const x = { serializeUs: 2, perBufferUs: 20 };
      const bc = job('broadcast', 0);
      const h = job('hash', 0);
      near(instanceBusy(timing(bc, bc.operator('a'), { src: 1, a: 1, b: 8 }, only('broadcast', x)), 100_000), 0.2 + (100_000 / 327) * 8 * 20e-6);
      near(instanceBusy(timing(h, h.operator('a'), { src: 1, a: 1, b: 8 }, only('hash', x)), 100_000), 0.2 + (100_000 / 327) * 20e-6);
    });
    it('the receiver pays per buffer it receives: b at 1,000/s from 4 hash senders: 1,000 x 1 us + 40 x 5 us = 1.2 ms/s', () => {
      const j = job('hash');
      const t = only('hash', { deserializeUs: 1, receivePerBufferUs: 5 });
      near(instanceBusy(timing(j, j.operator('b'), { src: 1, a: 4, b: 1 }, t), 1000), 0.0012);
    });
    it('cost per record at a fixed total rate is bounded as the channels grow (at most serialize + perBuffer) and never falls', () => {
      const j = job('hash');
      const t = only('hash', { serializeUs: 2, perBufferUs: 20 });
      let last = 0;
      for (const ch of [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]) {
        const perRecordUs = (instanceBusy(timing(j, j.operator('a'), { src: 1, a: 1, b: ch }, t), 10_000) / 10_000) * 1e6;
        assert.ok(perRecordUs >= last - 1e-12, `${ch} channels: ${perRecordUs} after ${last}`);
        assert.ok(perRecordUs <= 10 + 2 + 20 + 1e-9, `${ch} channels: ${perRecordUs} us per record`);
        last = perRecordUs;
      }
      near(last, 32, 1e-9, 'at 1,024 channels and 10,000/s, every record its own buffer');
    });
    it('the channel-linear term grows without bound: 0.5 us x 127 extra channels = 63.5 us more per record at 128', () => {
      const j = job('hash');
      const x = timing(j, j.operator('a'), { src: 1, a: 1, b: 128 }, only('hash', { serializeUs: 2, perChannelUs: 0.5 }));
      near(x.cpu * 1e6, 10 + 2 + 0.5 * 127);
    });
  });

  describe("Timely mode's exchange (timelyExchange: containers of 8 KiB pushed when full or when the activation ends)", () => {
    const tx = (x: Partial<PhysicsTerms['timelyExchange']>): PhysicsTerms => terms({ recordBytes: 100, timelyExchange: { ...LINEAR.timelyExchange, ...x } });
    const job = (ship: EdgeSpec['ship']): JobGraph =>
      JobGraph.create({
        name: 'nexmark-x',
        operators: [
          { id: 'src', type: 'source', cost: 0, maxParallelism: 64 },
          { id: 'a', type: 'map', cost: 10, maxParallelism: 64 },
          { id: 'b', type: 'map', cost: 0, maxParallelism: 64 },
        ],
        edges: [{ from: 'src', to: 'a' }, { from: 'a', to: 'b', ...(ship ? { ship } : {}) }],
      });
    it("container of 8 KiB / 100 B = 81 records (timely's default_capacity); a batch holds min(81, rate x 1 ms), at least 1", () => {
      const t = tx({});
      assert.equal(LINEAR.timelyExchange.batchBytes, 8192);
      near(timelyBatch(6250, t), 6.25);
      near(timelyBatch(1e7, t), 81);
      near(timelyBatch(10, t), 1);
    });
    it('hash on 4 workers at 100,000/s: 16 channels of 6,250/s, 6.25 records a batch: 0.1 + 5 / 6.25 = 0.9 us per record; 1 worker: none', () => {
      const t = tx({ perRecordUs: 0.1, perBatchUs: 5 });
      const j = job('hash');
      near(timelyExchangeUs(j, j.operator('a'), { src: 4, a: 4, b: 4 }, 100_000, t), 0.9);
      assert.equal(timelyExchangeUs(j, j.operator('a'), { src: 1, a: 1, b: 1 }, 100_000, t), 0);
      assert.equal(timelyExchangeUs(job('forward'), job('forward').operator('a'), { src: 4, a: 4, b: 4 }, 100_000, t), 0, 'forward is a pipeline');
      // Broadcast: each record to all 4, on channels of 25,000/s (25 a batch): 4 x (0.1 + 5 / 25) = 1.2 us.
      near(timelyExchangeUs(job('broadcast'), job('broadcast').operator('a'), { src: 4, a: 4, b: 4 }, 100_000, t), 1.2);
    });
    it('per record bounded as workers grow at a fixed total rate: at most perRecordUs + perBatchUs', () => {
      const t = tx({ perRecordUs: 0.1, perBatchUs: 5 });
      const j = job('hash');
      for (const w of [2, 8, 32, 128, 512]) assert.ok(timelyExchangeUs(j, j.operator('a'), { src: w, a: w, b: w }, 100_000, t) <= 5.1 + 1e-12);
    });
    it('capacity on 2 workers, 10 us + 10 us per batch: C = 2e6 / (10 + 10 / (C / 4 x 1 ms)) -> 10 C + 40,000 = 2e6: C = 196,000/s; the engine agrees', async () => {
      const t = tx({ perBatchUs: 10 });
      const j = job('hash');
      const truth = new ModelTruth(j, { ...t, mode: 'timely' });
      near(truth.capacities({ src: 2, a: 2, b: 2 }).a ?? 0, 196_000, 1e-6);
      const d = await new SimulatorEngine({ ...t, mode: 'timely', noise: 0 }).deploy(j, { src: 2, a: 2, b: 2 }, 400_000);
      await d.advance(30);
      near((await d.observe(20)).achievedRate, 196_000, 0.01);
      assert.equal(truth.oracle(150_000).parallelism.a, 2);
    });
  });

  describe('a finite machine shared by all subtasks (cores, processor sharing)', () => {
    const job = line('nexmark-x'); // all CPU: 100 us per record of a
    const t = terms({ cores: 2 });
    it('2 cores cap the job at 2 / 100 us = 20,000/s: p = 1 -> 10,000, p = 2, 3, 4 -> 20,000 (off: 30,000 at p = 3)', async () => {
      const at = async (pa: number, tt: PhysicsTerms) => (await run(job, tt, { src: 1, a: pa, sink: 1 }, 30_000)).achievedRate;
      near(await at(1, t), 10_000, 1e-3);
      near(await at(2, t), 20_000, 1e-3);
      near(await at(3, t), 20_000, 1e-3);
      near(await at(4, t), 20_000, 1e-3);
      near(await at(3, terms()), 30_000, 1e-3);
    });
    it('the stretch: 4 instances at 30,000/s on 2 cores run at sigma = 2 (each 5,000/s x 200 us = fully busy)', () => {
      const x = timing(job, job.operator('a'), { src: 1, a: 4, sink: 1 }, t);
      near(cpuStretch([x], [30_000], 2), 2, 1e-5);
      near(cpuStretch([x], [15_000], 2), 1); // fits: no stretch
    });
    it('background cores and each subtask overhead come off the machine: 2 - 0.5 - 4 x 0.05 = 1.3 cores -> 13,000/s', async () => {
      const s = await run(job, terms({ cores: 2, backgroundCores: 0.5, subtaskOverheadMs: 50 }), { src: 1, a: 2, sink: 1 }, 30_000);
      near(s.achievedRate, 13_000, 2e-3);
    });
    it('parked time uses no core: waitFraction 0.8 (20 us CPU per record): 4 instances give 40,000/s, 16 are capped by 2 cores / 20 us = 100,000/s', async () => {
      const syn = line('synthetic-x');
      const tw = terms({ cores: 2, waitFraction: 0.8 });
      near((await run(syn, tw, { src: 1, a: 4, sink: 1 }, 200_000)).achievedRate, 40_000, 1e-3);
      near((await run(syn, tw, { src: 1, a: 16, sink: 1 }, 200_000)).achievedRate, 100_000, 1e-3);
      // Nexmark work is all CPU: the wait fraction does not apply.
      near((await run(job, tw, { src: 1, a: 4, sink: 1 }, 200_000)).achievedRate, 20_000, 1e-3);
    });
    it('queueing below saturation (cpuQueueing): at 5,000/s on 2 instances u = 0.5 / 2 = 0.25, sigma = 1 / (1 - 0.25^2) = 16/15: busy 2,500 x 100 us x 16/15 = 266.7 ms/s', async () => {
      const q = terms({ cores: 2, cpuQueueing: true });
      near((await run(job, q, { src: 1, a: 2, sink: 1 }, 5000)).operators.a?.busyMsPerSecond ?? 0, 250 * (16 / 15), 1e-3);
      near((await run(job, t, { src: 1, a: 2, sink: 1 }, 5000)).operators.a?.busyMsPerSecond ?? 0, 250, 1e-6, 'off: no stretch below saturation');
      // Ground truth at 15,000/s: u = 1.5 / 2 = 0.75, sigma = 1 / (1 - 0.5625) = 2.2857: an instance does 1e6 / 228.57 = 4,375/s, so 4 (off: 2).
      const truth = new ModelTruth(job, { ...q, mode: 'flink' });
      near(truth.stretch({ src: 1, a: 4, sink: 1 }, 15_000), 1 / (1 - 0.5625), 1e-9);
      assert.deepEqual(truth.oracle(15_000), { parallelism: { src: 1, a: 4, sink: 1 }, feasible: true });
    });
    it('ground truth: the per-operator minimum is infeasible when the machine is short; the bottleneck is the operator short at the stretch', () => {
      const truth = new ModelTruth(job, { ...t, mode: 'flink' });
      // 30,000/s x 100 us = 3 cores of records on 2.
      assert.deepEqual(truth.oracle(30_000), { parallelism: { src: 1, a: 3, sink: 1 }, feasible: false, reason: "the machine's 2 cores: the per-operator minimum needs 3.00 cores for its records, 2.00 are left (background, per-subtask overhead)" });
      assert.deepEqual(truth.oracle(15_000), { parallelism: { src: 1, a: 2, sink: 1 }, feasible: true });
      assert.deepEqual(truth.bottlenecks({ src: 1, a: 4, sink: 1 }, 30_000), { src: false, a: true, sink: false });
      assert.deepEqual(truth.bottlenecks({ src: 1, a: 4, sink: 1 }, 15_000), { src: false, a: false, sink: false });
    });
  });

  describe('persistent key skew (keySkew, measuredSkew)', () => {
    const keyed = (name: string): JobGraph => line(name, { type: 'keyedAggregate', keySkew: 0.25 }, 'hash');
    it("the workload's hot key of 0.25 at p = 4: h = 0.25 + 0.75 / 4 = 0.4375, capacity 10,000 / 0.4375 = 22,857/s; off: 40,000", () => {
      const j = keyed('synthetic-x');
      near(capacity(j, j.operator('a'), 4, terms()), 10_000 / 0.4375);
      near(capacity(j, j.operator('a'), 4, terms({ keySkew: false })), 40_000);
    });
    it('a measured hot share of 0.5 on "<job>/<operator>": h = 0.5 + 0.5 / 4 = 0.625, capacity 16,000/s', () => {
      const j = line('nexmark-q9', { type: 'keyedAggregate' }, 'hash');
      near(capacity(j, j.operator('a'), 4, terms({ measuredSkew: { 'nexmark-q9/a': 0.5 } })), 16_000);
      near(capacity(j, j.operator('a'), 4, terms({ measuredSkew: { 'other/a': 0.5 } })), 40_000);
    });
  });
});
