/**
 * Fits the physics terms (src/engines/simulator/physics.ts) to measured real runs (measure.ts):
 *
 * 1. Per-record, per-buffer and per-subtask terms by non-negative least squares over every unsaturated (operator, point):
 *      busy_v p_v - in_v cost_v  =  f p_v + in_v deserialize[ship in] + Bin_v receivePerBuffer[ship in]
 *                                   + sum_e (out_e serialize[ship e] + B_e perBuffer[ship e])
 *    with B the buffers per second summed over the subtasks at the measured rates (physics.ts buffersPerSecond:
 *    min(R, max(R / n, ch / T)) per subtask, Flink's 32 KiB buffers and 100 ms timeout, REAL_BUFFERS)
 *    (ms/s summed over subtasks, rates in records/s, costs in us). Synthetic operators' costs are known (the job
 *    runs them as specified); a Nexmark operator's cost is one more unknown of the same regression, so it comes
 *    out net of the exchange terms. Rows are weighted towards relative error.
 * 2. The machine: the cores left to the subtasks (cores - backgroundCores) by a search over the overload points
 *    (largest sustainable rate), simulating each candidate through the same loop as the real runs, with and
 *    without queueing below saturation (cpuQueueing); the better on all points is kept.
 * 3. kappa: the coordination overhead that best fits all points given the above (0 unless the data want it).
 * 4. Persistent key skew of Nexmark keyed operators from the busiest subtask's share at p >= 2, kept when >= 0.03;
 *    only points where the operator is busy enough for the imbalance to be above the noise (>= SKEW_MIN_BUSY).
 */
import type { JobGraph } from '../core/job.js';
import type { Partitioning } from '../core/operators.js';
import { PARTITIONINGS } from '../core/operators.js';
import { buffersPerSecond, channels, inputChannels, LINEAR, recordsPerBuffer, type PhysicsTerms } from '../engines/simulator/physics.js';
import { SimulatorEngine } from '../engines/simulator/simulator.js';
import { withCosts, type Block, type Plan } from './design.js';
import { measureBlock, SIM_TIMING, type Measurement } from './measure.js';

export interface FitResult {
  terms: PhysicsTerms;
  /** Measured per-operator costs (us per input record, net of the exchange terms) per Nexmark job. */
  costs: Record<string, Record<string, number>>;
  /** What the linear model gets from the same runs, today's method: busy slope between two rates at p = 1. */
  linearCosts: Record<string, Record<string, number>>;
  diagnostics: {
    rows: number;
    sustainableRateError: number;
    busyError: number;
    kappaTried: Record<string, number>;
    effectiveCoresTried: Record<string, number>;
  };
}

/** Nexmark jobs' operator costs are measured; synthetic jobs run their specified costs. */
export function isMeasuredJob(job: JobGraph): boolean {
  return job.name.startsWith('nexmark-');
}

/** Usable for the regression: measured, unsaturated (the sources kept up), nothing backpressured. */
export function unsaturated(m: Measurement): boolean {
  return !m.overload && m.windows > 0 && m.achieved >= 0.97 * m.rate && Object.values(m.operators).every((o) => o.bp < 100);
}

/** Non-negative least squares by exact coordinate descent on the normal equations (small, well-scaled problems). */
export function nnls(rows: readonly number[][], b: readonly number[], w: readonly number[], sweeps = 5000): number[] {
  const n = rows[0]?.length ?? 0;
  const M = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const g = new Array<number>(n).fill(0);
  rows.forEach((r, k) => {
    const wk = w[k] as number;
    for (let i = 0; i < n; i++) {
      const ri = r[i] as number;
      if (ri === 0) continue;
      g[i] = (g[i] as number) + wk * ri * (b[k] as number);
      for (let j = 0; j < n; j++) (M[i] as number[])[j] = ((M[i] as number[])[j] as number) + wk * ri * (r[j] as number);
    }
  });
  const x = new Array<number>(n).fill(0);
  for (let s = 0; s < sweeps; s++) {
    let moved = 0;
    for (let i = 0; i < n; i++) {
      const Mi = M[i] as number[];
      const d = Mi[i] as number;
      if (d <= 0) continue;
      let r = -(g[i] as number);
      for (let j = 0; j < n; j++) r += (Mi[j] as number) * (x[j] as number);
      const next = Math.max(0, (x[i] as number) - r / d);
      moved = Math.max(moved, Math.abs(next - (x[i] as number)) / (Math.abs(next) + 1e-9));
      x[i] = next;
    }
    if (moved < 1e-10) break;
  }
  return x;
}

interface Column {
  name: string;
}

/** The network-buffer setting of the real runs: Flink's defaults and the synthetic record's size. */
export interface BufferSetting {
  bufferBytes: number;
  bufferTimeoutMs: number;
  recordBytes: number;
}

/**
 * jobs/flink runs with Flink's defaults (taskmanager.memory.segment-size 32 KiB, execution.buffer-timeout 100 ms);
 * a synthetic record (two longs, POJO-serialised, with the 4-byte length prefix of a record in a buffer) is about
 * 24 bytes. The exchange terms are fitted on the synthetic jobs, so the profile's recordBytes is that size.
 */
export const REAL_BUFFERS: BufferSetting = { bufferBytes: 32 * 1024, bufferTimeoutMs: 100, recordBytes: 24 };

/** Step 1: the per-record and per-buffer terms and the Nexmark costs. */
export function fitLinearTerms(plan: Plan, measured: readonly Measurement[], buffers: BufferSetting = REAL_BUFFERS): { f: number; exchange: PhysicsTerms['exchange']; costs: Record<string, Record<string, number>>; rows: number } {
  const cols: Column[] = [{ name: 'f' }];
  const col = new Map<string, number>([['f', 0]]);
  const add = (name: string): number => {
    if (!col.has(name)) {
      col.set(name, cols.length);
      cols.push({ name });
    }
    return col.get(name) as number;
  };
  for (const s of PARTITIONINGS) for (const k of ['deserialize', 'serialize', 'perBuffer', 'receivePerBuffer']) add(`${k}:${s}`);
  const n = recordsPerBuffer(buffers);
  const T = buffers.bufferTimeoutMs / 1000;
  const jobs = new Map<string, Block>(plan.blocks.map((b) => [b.name, b]));
  const A: number[][] = [];
  const y: number[] = [];
  const w: number[] = [];
  const pending: { rowIndex: number; column: string; value: number }[] = [];
  for (const m of measured) {
    const block = jobs.get(m.block);
    if (!block || !unsaturated(m)) continue;
    const job = block.job;
    for (const op of job.operators()) {
      const o = m.operators[op.id];
      if (!o) continue;
      const row = new Array<number>(cols.length).fill(0);
      row[0] = o.p;
      const ins = job.inEdges(op.id);
      const bump = (name: string, v: number): void => {
        const i = col.get(name) as number;
        row[i] = (row[i] as number) + v;
      };
      // Per record and per buffer (physics.ts: B(R, ch) = min(R, max(R / n, ch / T)) buffers/s per instance).
      for (const e of ins) {
        const r = o.recordsIn / ins.length;
        bump(`deserialize:${e.ship}`, r / 1000);
        bump(`receivePerBuffer:${e.ship}`, (o.p * buffersPerSecond(r / o.p, inputChannels(e.ship, m.parallelism[e.from] ?? 1, o.p), n, T)) / 1000);
      }
      for (const d of job.downstream(op.id)) {
        const e = job.edge(op.id, d);
        const out = o.recordsOut * e.share;
        const ch = channels(e.ship, o.p, m.parallelism[d] ?? 1);
        bump(`serialize:${e.ship}`, out / 1000);
        const buffers = e.ship === 'broadcast' ? ch * buffersPerSecond(out / o.p, 1, n, T) : buffersPerSecond(out / o.p, ch, n, T);
        bump(`perBuffer:${e.ship}`, (o.p * buffers) / 1000);
      }
      let target = o.busy * o.p;
      if (isMeasuredJob(job)) pending.push({ rowIndex: A.length, column: `cost:${job.name}/${op.id}`, value: o.recordsIn / 1000 });
      else target -= (o.recordsIn * op.cost) / 1000;
      A.push(row);
      y.push(target);
      w.push(1 / (o.busy * o.p + 20) ** 2);
    }
  }
  for (const p of pending) add(p.column);
  const rows = A.map((r) => [...r, ...new Array<number>(cols.length - r.length).fill(0)]);
  for (const p of pending) (rows[p.rowIndex] as number[])[col.get(p.column) as number] = p.value;
  const x = nnls(rows, y, w);
  const value = (name: string): number => round(x[col.get(name) as number] ?? 0);
  const exchange = Object.fromEntries(PARTITIONINGS.map((s) => [s, { serializeUs: value(`serialize:${s}`), perBufferUs: value(`perBuffer:${s}`), deserializeUs: value(`deserialize:${s}`), receivePerBufferUs: value(`receivePerBuffer:${s}`), perChannelUs: 0 }])) as PhysicsTerms['exchange'];
  const costs: Record<string, Record<string, number>> = {};
  for (const c of cols) {
    if (!c.name.startsWith('cost:')) continue;
    const [job, op] = c.name.slice(5).split('/') as [string, string];
    (costs[job] ??= {})[op] = value(c.name);
  }
  return { f: value('f'), exchange, costs, rows: rows.length };
}

/** Today's method (src/cli/calibrate.ts fitCosts): per operator, the busy slope between the lowest and highest rate at p = 1. */
export function linearCosts(plan: Plan, measured: readonly Measurement[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const block of plan.blocks) {
    if (!isMeasuredJob(block.job)) continue;
    const ones = measured.filter((m) => m.block === block.name && unsaturated(m) && Object.entries(m.parallelism).every(([, p]) => p === 1));
    if (ones.length < 2) continue;
    const lo = ones.reduce((a, b) => (b.rate < a.rate ? b : a));
    const hi = ones.reduce((a, b) => (b.rate > a.rate ? b : a));
    for (const op of block.job.operators()) {
      const a = lo.operators[op.id];
      const b = hi.operators[op.id];
      if (!a || !b) continue;
      const dr = b.recordsIn - a.recordsIn;
      const slope = dr > Math.max(5, 0.1 * b.recordsIn) ? (1000 * (b.busy - a.busy)) / dr : 0;
      // Not measurable (a sink fed once per window): today's template default would stay; busy/records is the closest.
      (out[block.job.name] ??= {})[op.id] = round(slope > 0 ? slope : b.recordsIn > 0 ? (1000 * b.busy) / b.recordsIn : op.cost);
    }
  }
  return out;
}

/** Job of a block as the simulator runs it: measured costs for Nexmark, the specified ones for synthetic jobs. */
export function simulatedJob(block: Block, costs: Record<string, Record<string, number>>): JobGraph {
  const c = costs[block.job.name];
  return c ? withCosts(block.job, c) : block.job;
}

/** Runs every block of a plan on the simulator with the given terms, through the same loop. */
export async function simulatePlan(plan: Plan, terms: PhysicsTerms, costs: Record<string, Record<string, number>>, blocks?: ReadonlySet<string>): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const block of plan.blocks) {
    if (blocks && !blocks.has(block.name)) continue;
    const engine = new SimulatorEngine({ ...terms, noise: 0 });
    out.push(...(await measureBlock(engine, block, SIM_TIMING, simulatedJob(block, costs))));
  }
  return out;
}

export interface Errors {
  /** Per (point, operator) with real busy >= BUSY_FLOOR ms/s: |sim - real| / real. */
  busy: number[];
  /** Per overload point the job could not keep up with: |sim - real| / real of the achieved source rate. */
  sustainable: number[];
  pairs: { block: string; point: number; operator: string; real: number; simulated: number; kind: 'busy' | 'sustainable'; parallelism: string; rate: number; maxParallelism: number; maxChannels: number }[];
}

/** Busy ratios below this (5 %) are too small for a relative error to mean anything; they are not scored. */
export const BUSY_FLOOR = 50;

/** The largest parallelism and channels per sender of a point (for the scale a fidelity figure covers). */
function pointScale(m: Measurement, job: JobGraph | undefined): { maxParallelism: number; maxChannels: number } {
  const maxParallelism = Math.max(1, ...Object.values(m.parallelism));
  let maxChannels = 1;
  if (job) for (const e of job.edges()) maxChannels = Math.max(maxChannels, channels(e.ship, m.parallelism[e.from] ?? 1, m.parallelism[e.to] ?? 1));
  return { maxParallelism, maxChannels };
}

export function compare(real: readonly Measurement[], sim: readonly Measurement[], plan?: Plan): Errors {
  const jobs = new Map((plan?.blocks ?? []).map((b) => [b.name, b.job]));
  const e: Errors = { busy: [], sustainable: [], pairs: [] };
  // A point is its block, configuration, rate and kind (so real runs of a larger plan serve a subset).
  const key = (m: Measurement): string => `${m.block}|${JSON.stringify(m.parallelism)}|${m.rate}|${m.overload}`;
  const index = new Map<string, Measurement>(sim.map((m) => [key(m), m]));
  const order = new Map<string, number>();
  for (const r of real) {
    const k = order.get(r.block) ?? 0;
    order.set(r.block, k + 1);
    const s = index.get(key(r));
    if (!s || r.windows === 0 || s.windows === 0) continue;
    const p = Object.values(r.parallelism).join('/');
    const sc = pointScale(r, jobs.get(r.block));
    if (r.overload) {
      // The job kept up with the overload rate: its sustainable rate is only known to be above it (censored).
      if (r.achieved >= 0.97 * r.rate) continue;
      e.sustainable.push(Math.abs(s.achieved - r.achieved) / r.achieved);
      e.pairs.push({ block: r.block, point: k, operator: '(sources)', real: r.achieved, simulated: s.achieved, kind: 'sustainable', parallelism: p, rate: r.rate, ...sc });
      continue;
    }
    if (!unsaturated(r)) continue;
    for (const [id, o] of Object.entries(r.operators)) {
      const so = s.operators[id];
      if (!so || o.busy < BUSY_FLOOR) continue;
      e.busy.push(Math.abs(so.busy - o.busy) / o.busy);
      e.pairs.push({ block: r.block, point: k, operator: id, real: o.busy, simulated: so.busy, kind: 'busy', parallelism: p, rate: r.rate, ...sc });
    }
  }
  return e;
}

export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (i - lo);
}

/** The whole fit (steps 1-4 of the header). `cores`: the machine's cores (the profile states them). */
export async function fitProfile(plan: Plan, measured: readonly Measurement[], cores: number): Promise<FitResult> {
  const lin = fitLinearTerms(plan, measured);
  const base: PhysicsTerms = { ...structuredClone(LINEAR), ...REAL_BUFFERS, coordinationOverhead: 0, subtaskOverheadMs: lin.f, exchange: lin.exchange, cores, backgroundCores: 0, waitFraction: 0.8 };
  // Step 2: the cores left to the subtasks, on the overload points; with and without queueing below saturation
  // (the better on every point wins).
  const overloadBlocks = new Set(measured.filter((m) => m.overload && m.windows > 0).map((m) => m.block));
  const score = (e: Errors): number => mean(e.sustainable) + 0.5 * quantile(e.busy, 0.5);
  const tried: Record<string, number> = {};
  let bestMachine = { bg: 0, queueing: false, s: Infinity };
  for (const queueing of [false, true]) {
    let best = { bg: 0, s: Infinity };
    for (let effective = cores; effective >= 0.5 - 1e-9; effective -= 0.05) {
      const bg = round(cores - effective);
      const real = measured.filter((m) => overloadBlocks.has(m.block));
      const e = compare(real, await simulatePlan(plan, { ...base, backgroundCores: bg, cpuQueueing: queueing }, lin.costs, overloadBlocks));
      const s = mean(e.sustainable);
      tried[`${queueing ? 'queueing ' : ''}${effective.toFixed(2)}`] = round(s);
      if (s < best.s - 1e-9) best = { bg, s };
    }
    const all = score(compare(measured, await simulatePlan(plan, { ...base, backgroundCores: best.bg, cpuQueueing: queueing }, lin.costs)));
    if (all < bestMachine.s - 1e-9) bestMachine = { bg: best.bg, queueing, s: all };
  }
  base.backgroundCores = bestMachine.bg;
  base.cpuQueueing = bestMachine.queueing;
  // Step 3: kappa over every point.
  const kappaTried: Record<string, number> = {};
  let bestK = { k: 0, s: Infinity };
  for (const k of [0, 0.005, 0.01, 0.02]) {
    const e = compare(measured, await simulatePlan(plan, { ...base, coordinationOverhead: k }, lin.costs));
    const s = score(e);
    kappaTried[String(k)] = round(s);
    if (s < bestK.s - 1e-6) bestK = { k, s };
  }
  base.coordinationOverhead = bestK.k;
  // Step 4: persistent skew of Nexmark keyed operators.
  base.measuredSkew = measuredSkew(plan, measured, lin.f);
  const final = compare(measured, await simulatePlan(plan, base, lin.costs));
  return {
    terms: base,
    costs: lin.costs,
    linearCosts: linearCosts(plan, measured),
    diagnostics: { rows: lin.rows, sustainableRateError: round(quantile(final.sustainable, 0.5)), busyError: round(quantile(final.busy, 0.5)), kappaTried, effectiveCoresTried: tried },
  };
}

/** Busy ms/s per subtask (beyond the fixed overhead) below which busiest-vs-average is noise, not skew. */
export const SKEW_MIN_BUSY = 100;

/** Hot-key share of hash-input Nexmark operators from the busiest subtask at p >= 2 (median over points). */
export function measuredSkew(plan: Plan, measured: readonly Measurement[], f: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const block of plan.blocks) {
    if (!isMeasuredJob(block.job)) continue;
    for (const op of block.job.operators()) {
      if (!block.job.inEdges(op.id).some((e) => e.ship === ('hash' as Partitioning))) continue;
      const shares: number[] = [];
      for (const m of measured) {
        const o = m.block === block.name && unsaturated(m) ? m.operators[op.id] : undefined;
        if (!o || o.p < 2 || o.busy - f < SKEW_MIN_BUSY) continue;
        const h = (o.busyMax - f) / ((o.busy - f) * o.p);
        shares.push(Math.min(1, Math.max(0, (h * o.p - 1) / (o.p - 1))));
      }
      const s = shares.length ? quantile(shares, 0.5) : 0;
      if (s >= 0.03) out[`${block.job.name}/${op.id}`] = round(s);
    }
  }
  return out;
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(4)) : x;
}
