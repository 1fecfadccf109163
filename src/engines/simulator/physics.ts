/**
 * The simulator's physics terms: named, each with a documented default, measured on real Flink by src/calibration
 * and stored as machine profiles (datasets/calibration/profiles/<profile>.json, profile.ts). The built-in profile
 * `linear` is capacity linear in p up to kappa = 0.01 and no other term, so old results reproduce with
 * `"engine": {"kind": "simulator", "profile": "linear"}`.
 *
 * Per operator v at parallelism p, one instance processing r records/s of input (times in seconds):
 *   exchange  per record: deserialize[ship in] + sum over out-edges e of s_e serialize[ship e]
 *                         (+ the channel-linear term s_e perChannel[ship e] (ch_e - 1) of profiles fitted before the
 *                         buffer model; 0 in it)       s_e = records sent on e per input record
 *             per buffer: a channel's buffer (bufferBytes, records per buffer n = floor(bufferBytes / recordBytes))
 *                         is handed on when full or when the buffer timeout T fires with data in it, so the buffers
 *                         per second on ch channels carrying R records/s in total are
 *                           B(R, ch) = min(R, max(R / n, ch / T))
 *                         (every record its own buffer when fewer than one arrives per channel per timeout; ch / T
 *                         partly filled buffers in the timeout regime; R / n full ones). The sender pays perBuffer
 *                         per buffer (broadcast: one shared buffer, B(R, 1), handed to each of its ch channels, so
 *                         ch perBuffer per buffer); the receiver pays receivePerBuffer per buffer it receives,
 *                         B(r, its input channels). Per record this is at most perBuffer (B <= R): bounded as the
 *                         channels grow at a fixed total rate (broadcast excepted: ch perBuffer per shared buffer).
 *             ch_e = channels of one sender: p_down for hash/rebalance/broadcast; forward (Flink's pointwise
 *             `rescale`) ceil(p_down / p_v). A receiver's input channels: p_up, forward ceil(p_up / p_v).
 *   cpu       c_v(r) = (cost_v (1 - w) + x_v) 1e-6 r + buffers_v(r)   w = waitFraction for synthetic jobs (parked), 0 else
 *   wall      busy_v(r, sigma) = r (cost_v w 1e-6 / eff(p) + x_v 1e-6 (1/eff(p) - 1)) + sigma c_v(r)    eff(p) = 1 / (1 + kappa (p - 1))
 *             (the coordination stretch is waiting, not CPU)
 *   capacity  C_v(p, sigma) = r* / h_v(p), r* the instance rate at which busy_v(r*, sigma) = 1 - f / 1000
 *             (busy is increasing and piecewise linear in r: solved exactly)   f = subtaskOverheadMs, h = hottest instance share
 * Busy time per subtask = f + 1000 busy_v(r, sigma) ms/s. sigma >= 1 is the CPU stretch of processor sharing:
 * with a finite machine of `cores` (minus `backgroundCores` for the JVM, JobManager, harness), all subtasks share
 * it, and sigma is the smallest value at which the CPU they use fits:
 *   sum_v p_v c_v(min(work_v, C_v(sigma)) / p_v) + f/1000 sum_v p_v  <=  cores - backgroundCores
 * so adding instances to a saturated machine stops helping (it only adds overhead). With cores = null the machine
 * is unbounded and sigma = 1. With cpuQueueing, below saturation sigma is also at least 1 / (1 - u^cores) at
 * utilisation u of the cores (threads woken at random find them busy: the M/M/c approximation).
 *
 * Timely mode (every operator on all W workers of one process): an exchange edge (hash, rebalance, broadcast)
 * sends each record into a per-destination container of batchBytes / recordBytes records (timely's
 * BUFFER_SIZE_BYTES = 8 KiB over the record's size), which is pushed when full or when the operator's activation
 * ends (timely flushes its output session at the end of every activation), so a batch on one of the W x W channels
 * holds min(capacity, R_c stepMs) records (at least 1), R_c = the channel's records/s. Per record:
 * perRecordUs + perBatchUs / batch (broadcast: W copies). Forward edges are timely's Pipeline: no exchange.
 */
import type { JobGraph, OperatorSpec } from '../../core/job.js';
import { PARTITIONINGS, type Partitioning } from '../../core/operators.js';
import type { Parallelism } from '../../core/parallelism.js';

export interface ExchangeCost {
  /** Microseconds of the sender's CPU per record sent on an edge of this ship strategy (serialisation into the channel's buffer; a broadcast record is serialised once). */
  serializeUs: number;
  /** Microseconds of the sender's CPU per buffer handed on (a new buffer from the pool, finishing it, handing it to the channel; broadcast: per channel). */
  perBufferUs: number;
  /** Microseconds of the receiver's CPU per record received on an edge of this ship strategy (deserialisation). */
  deserializeUs: number;
  /** Microseconds of the receiver's CPU per buffer received (polling the channel, recycling the buffer, announcing credit). */
  receivePerBufferUs: number;
  /** Channel-linear model of profiles fitted before the buffer model: extra microseconds per record for each channel beyond the first (0 in the buffer model). */
  perChannelUs: number;
}

/** Timely's exchange (Timely mode of the simulator). */
export interface TimelyExchange {
  /** Microseconds per record pushed into a destination's container. */
  perRecordUs: number;
  /** Microseconds per container pushed to another worker (channel send, allocation). */
  perBatchUs: number;
  /** Bytes of one container: timely's BUFFER_SIZE_BYTES, 8 KiB (container/src/lib.rs). */
  batchBytes: number;
  /** Seconds of input an operator drains in one activation under load, milliseconds: a container is pushed at the latest when the activation ends. */
  stepMs: number;
}

export interface PhysicsTerms {
  /** kappa: coordination overhead per extra instance; wall time per record x (1 + kappa (p - 1)). */
  coordinationOverhead: number;
  /** f: busy ms per second of every subtask at zero load (timers, watermarks, checkpoints, metrics); CPU too. */
  subtaskOverheadMs: number;
  /** Exchange costs by ship strategy: per record and per buffer, sender and receiver. */
  exchange: Record<Partitioning, ExchangeCost>;
  /** Bytes of a network buffer (Flink's taskmanager.memory.segment-size, 32 KiB). */
  bufferBytes: number;
  /** Flink's execution.buffer-timeout, ms (100): a partly filled buffer is handed on at the latest after it. 0: after every record. */
  bufferTimeoutMs: number;
  /** Serialised bytes of a record (records per buffer = floor(bufferBytes / recordBytes)). */
  recordBytes: number;
  /** Timely mode's exchange: per record, per container, container size, activation. */
  timelyExchange: TimelyExchange;
  /** Cores shared by all subtasks (processor sharing); null = unbounded (no contention). */
  cores: number | null;
  /** Cores taken by everything but the subtasks (JobManager, GC, REST, the harness); only with finite cores. */
  backgroundCores: number;
  /** Share of a synthetic job's per-record cost spent parked off-CPU (jobs/flink --wait-fraction); Nexmark: 0. */
  waitFraction: number;
  /**
   * Queueing for the cores below saturation (finite cores only): threads woken at random find the cores busy, so
   * CPU time stretches by 1 / (1 - u^cores) at utilisation u of the cores (the M/M/c approximation), besides the
   * fluid stretch at saturation.
   */
  cpuQueueing: boolean;
  /** Apply the workload's persistent key skew (OperatorSpec.keySkew) to hash-partitioned inputs. */
  keySkew: boolean;
  /** Measured persistent hot-key share per "<job name>/<operator id>" (e.g. a Nexmark keyed operator). */
  measuredSkew: Record<string, number>;
}

/** The names of the terms, in the order profiles list them. */
export const PHYSICS_TERMS = ['coordinationOverhead', 'subtaskOverheadMs', 'exchange', 'bufferBytes', 'bufferTimeoutMs', 'recordBytes', 'timelyExchange', 'cores', 'backgroundCores', 'cpuQueueing', 'waitFraction', 'keySkew', 'measuredSkew'] as const;

/** The keys of one ship strategy's exchange cost. */
export const EXCHANGE_KEYS = ['serializeUs', 'perBufferUs', 'deserializeUs', 'receivePerBufferUs', 'perChannelUs'] as const;
export const TIMELY_EXCHANGE_KEYS = ['perRecordUs', 'perBatchUs', 'batchBytes', 'stepMs'] as const;

export const zeroExchange = (): Record<Partitioning, ExchangeCost> => Object.fromEntries(PARTITIONINGS.map((s) => [s, { serializeUs: 0, perBufferUs: 0, deserializeUs: 0, receivePerBufferUs: 0, perChannelUs: 0 }])) as Record<Partitioning, ExchangeCost>;

/** Flink's defaults: taskmanager.memory.segment-size 32 KiB, execution.buffer-timeout 100 ms. */
export const FLINK_BUFFER_BYTES = 32 * 1024;
export const FLINK_BUFFER_TIMEOUT_MS = 100;
/** Timely's BUFFER_SIZE_BYTES (container/src/lib.rs): 1 << 13. */
export const TIMELY_BATCH_BYTES = 1 << 13;

/** Capacity linear in p up to kappa, an unbounded machine, the workloads' own skew, no exchange cost. */
export const LINEAR: Readonly<PhysicsTerms> = Object.freeze({
  coordinationOverhead: 0.01,
  subtaskOverheadMs: 0,
  exchange: zeroExchange(),
  bufferBytes: FLINK_BUFFER_BYTES,
  bufferTimeoutMs: FLINK_BUFFER_TIMEOUT_MS,
  recordBytes: 100,
  timelyExchange: { perRecordUs: 0, perBatchUs: 0, batchBytes: TIMELY_BATCH_BYTES, stepMs: 1 },
  cores: null,
  backgroundCores: 0,
  cpuQueueing: false,
  waitFraction: 0,
  keySkew: true,
  measuredSkew: {},
});

/** One-line docs of each term (config schema, profile errors). */
export const PHYSICS_DOCS: Record<(typeof PHYSICS_TERMS)[number], string> = {
  coordinationOverhead: 'kappa: wall time per record x (1 + kappa (p - 1)) (linear: 0.01)',
  subtaskOverheadMs: 'busy ms/s of every subtask at zero load, also CPU (linear: 0)',
  exchange:
    'per ship strategy {serializeUs, perBufferUs, deserializeUs, receivePerBufferUs, perChannelUs}: sender CPU per record and per buffer handed on, receiver CPU per record and per buffer received; perChannelUs: the channel-linear model of older profiles (linear: all 0)',
  bufferBytes: "bytes of a network buffer, Flink's taskmanager.memory.segment-size (linear: 32768)",
  bufferTimeoutMs: "Flink's execution.buffer-timeout: a partly filled buffer is handed on after it, ms; 0 = after every record (linear: 100)",
  recordBytes: 'serialised bytes of a record; records per buffer = floor(bufferBytes / recordBytes) (linear: 100)',
  timelyExchange: "Timely mode: {perRecordUs, perBatchUs, batchBytes, stepMs}: CPU per record and per container pushed, container bytes (timely's 8 KiB), input drained per activation in ms (linear: 0, 0, 8192, 1)",
  cores: 'cores shared by all subtasks (processor sharing); null = unbounded (linear: null)',
  backgroundCores: 'cores used outside the subtasks (JobManager, GC, harness) when cores is finite (linear: 0)',
  cpuQueueing: 'finite cores: CPU time also stretches by 1 / (1 - u^cores) at utilisation u below saturation (linear: false)',
  waitFraction: "share of a synthetic job's cost parked off-CPU, as jobs/flink --wait-fraction (linear: 0; irrelevant with unbounded cores)",
  keySkew: "apply the workload's persistent hot-key share to hash inputs (linear: true)",
  measuredSkew: 'measured hot-key share per "<job name>/<operator id>" (linear: {})',
};

/** Synthetic jobs park part of their cost (jobs/flink); Nexmark templates (job name nexmark-*) do real CPU work. */
export function isSynthetic(job: JobGraph): boolean {
  return !job.name.startsWith('nexmark-');
}

export function efficiency(p: number, kappa: number): number {
  return 1 / (1 + kappa * (p - 1));
}

/** Channels one sender instance of an edge writes to. */
export function channels(ship: Partitioning, pUp: number, pDown: number): number {
  return ship === 'forward' ? Math.max(1, Math.ceil(pDown / Math.max(1, pUp))) : Math.max(1, pDown);
}

/** Input channels of one receiver instance of an edge (forward, pointwise: ceil(p_up / p_down)). */
export function inputChannels(ship: Partitioning, pUp: number, pDown: number): number {
  return channels(ship, pDown, pUp);
}

/** Records per network buffer: floor(bufferBytes / recordBytes), at least 1. */
export function recordsPerBuffer(t: Pick<PhysicsTerms, 'bufferBytes' | 'recordBytes'>): number {
  return Math.max(1, Math.floor(t.bufferBytes / Math.max(1e-9, t.recordBytes)));
}

/**
 * Buffers per second handed on over `ch` channels carrying `r` records/s in total (split evenly): a buffer goes
 * when full (n records) or when the timeout fires with data in it, so min(r, max(r / n, ch / T)). T = 0: every
 * record is flushed on its own (r buffers/s).
 */
export function buffersPerSecond(r: number, ch: number, n: number, timeoutSec: number): number {
  if (!(r > 0)) return 0;
  if (!(timeoutSec > 0)) return r;
  return Math.min(r, Math.max(r / n, ch / timeoutSec));
}

/**
 * A group of buffers an instance pays for: `cost` CPU seconds per buffer, `share` records on the group per input
 * record of the instance, `ch` channels, `n` records per full buffer, `timeout` seconds. Buffers per second at
 * instance rate r: buffersPerSecond(share r, ch, n, timeout).
 */
export interface BufferGroup {
  cost: number;
  share: number;
  ch: number;
  n: number;
  timeout: number;
}

/** Microseconds of per-record exchange CPU per input record of `op` at configuration `p` (no per-buffer part). */
export function exchangeUs(job: JobGraph, op: OperatorSpec, p: Parallelism, t: PhysicsTerms): number {
  let us = 0;
  const ins = job.inEdges(op.id);
  for (const e of ins) us += t.exchange[e.ship].deserializeUs / ins.length;
  const pv = p[op.id] ?? 1;
  for (const d of job.downstream(op.id)) {
    const e = job.edge(op.id, d);
    const x = t.exchange[e.ship];
    if (x.serializeUs === 0 && x.perChannelUs === 0) continue;
    us += op.selectivity * e.share * (x.serializeUs + x.perChannelUs * (channels(e.ship, pv, p[d] ?? 1) - 1));
  }
  return us;
}

/** The per-buffer exchange groups of `op` at configuration `p`: one per out-edge (sender) and one per in-edge (receiver). */
export function bufferGroups(job: JobGraph, op: OperatorSpec, p: Parallelism, t: PhysicsTerms): BufferGroup[] {
  const out: BufferGroup[] = [];
  const n = recordsPerBuffer(t);
  const timeout = t.bufferTimeoutMs / 1000;
  const pv = p[op.id] ?? 1;
  const ins = job.inEdges(op.id);
  for (const e of ins) {
    const cost = t.exchange[e.ship].receivePerBufferUs * 1e-6;
    // Records of this instance's input that arrive on e: an equal share of the inputs, as deserializeUs.
    if (cost > 0) out.push({ cost, share: 1 / ins.length, ch: inputChannels(e.ship, p[e.from] ?? 1, pv), n, timeout });
  }
  for (const d of job.downstream(op.id)) {
    const e = job.edge(op.id, d);
    const per = t.exchange[e.ship].perBufferUs * 1e-6;
    if (per === 0) continue;
    const ch = channels(e.ship, pv, p[d] ?? 1);
    const share = op.selectivity * e.share;
    // Broadcast: one shared buffer, handed to each of the ch channels.
    if (e.ship === 'broadcast') out.push({ cost: per * ch, share, ch: 1, n, timeout });
    else out.push({ cost: per, share, ch, n, timeout });
  }
  return out;
}

/** CPU seconds per second of the buffer groups of one instance processing r records/s. */
export function bufferCpu(groups: readonly BufferGroup[], r: number): number {
  let s = 0;
  for (const g of groups) s += g.cost * buffersPerSecond(g.share * r, g.ch, g.n, g.timeout);
  return s;
}

/** Hottest instance's share of the input. */
export function hotShare(job: JobGraph, op: OperatorSpec, p: number, t: Pick<PhysicsTerms, 'keySkew' | 'measuredSkew'> = LINEAR): number {
  const ins = job.inEdges(op.id);
  if (ins.some((e) => e.ship === 'broadcast')) return 1;
  const hashed = ins.some((e) => e.ship === 'hash');
  const s = Math.max(t.keySkew ? op.keySkew : 0, t.measuredSkew[`${job.name}/${op.id}`] ?? 0);
  if (hashed && s > 0) return Math.max(1 / p, s + (1 - s) / p);
  return 1 / p;
}

/** Per-instance timing of one operator at a configuration: the inputs of every capacity and busy formula. */
export interface OperatorTiming {
  /** Seconds per record off-CPU (parked waiting, coordination stretch). */
  wait: number;
  /** CPU seconds per record (own work and per-record exchange), stretched by sigma under contention. */
  cpu: number;
  /** Per-buffer exchange CPU, a function of the instance's rate (bufferCpu); stretched by sigma too. */
  buffers: readonly BufferGroup[];
  /** Fraction of each second an instance can process: 1 - f / 1000. */
  available: number;
  /** Hottest instance's share of the input. */
  hot: number;
  p: number;
  /** Records per busy second at capacity, sigma = 1 (1e12 when free). */
  rate: number;
}

export function timing(job: JobGraph, op: OperatorSpec, p: Parallelism, t: PhysicsTerms): OperatorTiming {
  const pv = p[op.id] ?? 1;
  const w = isSynthetic(job) ? t.waitFraction : 0;
  const xUs = exchangeUs(job, op, p, t);
  const cpuUs = op.cost * (1 - w) + xUs;
  const waitUs = op.cost * w;
  const eff = efficiency(pv, t.coordinationOverhead);
  const stretch = 1 / eff;
  // Coordination overhead stretches wall time; the stretch is waiting, not CPU.
  const x: OperatorTiming = {
    wait: (waitUs * stretch + cpuUs * (stretch - 1)) * 1e-6,
    cpu: cpuUs * 1e-6,
    buffers: bufferGroups(job, op, p, t),
    available: 1 - t.subtaskOverheadMs / 1000,
    hot: hotShare(job, op, pv, t),
    p: pv,
    rate: 0,
  };
  x.rate = busyRate(x, 1);
  return x;
}

/** Busy seconds per second of one instance processing r records/s at CPU stretch sigma (without the fixed overhead). */
export function instanceBusy(x: OperatorTiming, r: number, sigma = 1): number {
  return r * (x.wait + sigma * x.cpu) + (x.buffers.length ? sigma * bufferCpu(x.buffers, r) : 0);
}

/** CPU seconds per second of the whole operator processing R records/s in total (instances equally loaded). */
export function operatorCpu(x: OperatorTiming, R: number): number {
  return R * x.cpu + (x.buffers.length ? x.p * bufferCpu(x.buffers, R / x.p) : 0);
}

/**
 * The instance rate r at which instanceBusy(r, sigma) = `busy` seconds per second: busy time is increasing and
 * piecewise linear in r (breakpoints where a group leaves the one-record-per-buffer regime, r share = ch / T, and
 * where its buffers start to fill, r share = n ch / T), so the segment holding it is found and interpolated.
 */
export function rateAtBusy(x: OperatorTiming, busy: number, sigma = 1): number {
  const k = x.wait + sigma * x.cpu;
  if (x.buffers.length === 0) return k > 0 ? busy / k : 1e12;
  const points: number[] = [];
  for (const g of x.buffers) {
    if (!(g.share > 0) || !(g.timeout > 0)) continue;
    points.push(g.ch / g.timeout / g.share, (g.n * g.ch) / g.timeout / g.share);
  }
  points.sort((a, b) => a - b);
  let lo = 0;
  let hLo = 0;
  for (const r of points) {
    if (r <= lo) continue;
    const h = instanceBusy(x, r, sigma);
    if (h >= busy) return lo + ((busy - hLo) * (r - lo)) / (h - hLo);
    lo = r;
    hLo = h;
  }
  // Beyond the last breakpoint busy time is linear in r.
  const next = lo > 0 ? 2 * lo : 1;
  const slope = (instanceBusy(x, next, sigma) - hLo) / (next - lo);
  return slope > 0 ? lo + (busy - hLo) / slope : 1e12;
}

/** Records per busy second of one instance at capacity, at CPU stretch sigma (cost 0: effectively free). */
function busyRate(x: OperatorTiming, sigma: number): number {
  if (x.buffers.length === 0) {
    const tau = x.wait + sigma * x.cpu;
    return tau > 0 ? 1 / tau : 1e12;
  }
  return x.available > 0 ? rateAtBusy(x, x.available, sigma) / x.available : 0;
}

/** Records/s one instance processes while busy (at capacity), at CPU stretch sigma (cost 0: effectively free). */
export function processingRate(x: OperatorTiming, sigma = 1): number {
  if (sigma === 1) return x.rate;
  return busyRate(x, sigma);
}

/** Capacity of the operator (records/s of input) at CPU stretch sigma. */
export function operatorCapacity(x: OperatorTiming, sigma = 1): number {
  return (x.available * processingRate(x, sigma)) / x.hot;
}

/** Cores left to the subtasks' records: cores - background - every subtask's fixed overhead (Infinity: unbounded). */
export function cpuBudget(t: PhysicsTerms, p: Parallelism): number {
  if (t.cores === null) return Infinity;
  const subtasks = Object.values(p).reduce((a, b) => a + b, 0);
  return t.cores - t.backgroundCores - (t.subtaskOverheadMs / 1000) * subtasks;
}

/** Queueing stretch of CPU time at utilisation u of `cores` cores (M/M/c approximation; u capped at 0.99). */
export function queueingStretch(u: number, cores: number): number {
  const x = Math.min(Math.max(u, 0), 0.99);
  return 1 / (1 - x ** cores);
}

/** Utilisation of the cores: the records' CPU plus everything the budget already took off (background, overhead). */
export function utilisation(t: PhysicsTerms, recordsCpu: number, budget: number): number {
  return t.cores === null ? 0 : (recordsCpu + (t.cores - budget)) / t.cores;
}

/**
 * Processor sharing: the smallest sigma >= 1 at which the CPU the operators use, each processing min(work,
 * capacity at sigma) records/s, fits the budget. `work[i]` in records/s (or records per step, with `scale` = dt:
 * capacity is multiplied by it). Returns 1 when it fits unstretched; bisection otherwise.
 */
export function cpuStretch(timings: readonly OperatorTiming[], work: ArrayLike<number>, budget: number, scale = 1): number {
  if (budget === Infinity) return 1;
  const used = (sigma: number): number => {
    let u = 0;
    for (let i = 0; i < timings.length; i++) {
      const x = timings[i] as OperatorTiming;
      if (x.cpu === 0 && x.buffers.length === 0) continue;
      const c = operatorCapacity(x, sigma) * scale;
      const w = work[i] as number;
      const done = w < c ? w : c;
      u += x.buffers.length ? operatorCpu(x, done / scale) * scale : done * x.cpu;
    }
    return u;
  };
  const b = Math.max(budget, 1e-6) * scale;
  if (used(1) <= b) return 1;
  let hi = 2;
  while (used(hi) > b && hi < 1e9) hi *= 2;
  let lo = hi / 2 < 1 ? 1 : hi / 2;
  for (let k = 0; k < 40 && hi - lo > 1e-6 * lo; k++) {
    const mid = (lo + hi) / 2;
    if (used(mid) > b) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Timely mode: records per container, floor(batchBytes / recordBytes), at least 1. */
export function timelyBatchCapacity(t: Pick<PhysicsTerms, 'timelyExchange' | 'recordBytes'>): number {
  return Math.max(1, Math.floor(t.timelyExchange.batchBytes / Math.max(1e-9, t.recordBytes)));
}

/** Timely mode: records in one container on a channel carrying rc records/s: min(capacity, rc stepMs), at least 1. */
export function timelyBatch(rc: number, t: Pick<PhysicsTerms, 'timelyExchange' | 'recordBytes'>): number {
  return Math.max(1, Math.min(timelyBatchCapacity(t), (rc * t.timelyExchange.stepMs) / 1000));
}

/**
 * Timely mode: microseconds of exchange CPU per input record of `op`, its input at R records/s in total, its
 * workers and its consumers' as in `p` (min(W, max parallelism) each). An exchange edge (hash, rebalance,
 * broadcast) of a sender on p_v workers to p_d workers has p_v p_d channels, each carrying s R / (p_v p_d)
 * records/s (broadcast: s R / p_v, to each of the p_d); one worker to one worker is no exchange (timely pushes
 * straight through), nor is a forward (Pipeline) edge.
 */
export function timelyExchangeUs(job: JobGraph, op: OperatorSpec, p: Parallelism, R: number, t: PhysicsTerms): number {
  const x = t.timelyExchange;
  if (x.perRecordUs === 0 && x.perBatchUs === 0) return 0;
  const pv = Math.max(1, p[op.id] ?? 1);
  let us = 0;
  for (const d of job.downstream(op.id)) {
    const e = job.edge(op.id, d);
    const pd = Math.max(1, p[d] ?? 1);
    if (e.ship === 'forward' || (pv === 1 && pd === 1)) continue;
    const s = op.selectivity * e.share;
    const copies = e.ship === 'broadcast' ? pd : 1;
    const rc = e.ship === 'broadcast' ? (s * R) / pv : (s * R) / (pv * pd);
    us += s * copies * (x.perRecordUs + x.perBatchUs / timelyBatch(rc, t));
  }
  return us;
}
