/**
 * The embedded simulator: a discrete-time fluid model of the job DAG with finite buffers (model.ts has the
 * capacity physics). Each step of dt seconds, operators are visited sinks first: an operator processes what its
 * input buffer holds, up to its capacity and to the free space of its downstream buffers; what it cannot push
 * is time spent backpressured. Sources emit the target rate plus their backlog (lag), so backpressure
 * throttles them and lag grows at (target - achieved). A rescale stops processing for a downtime proportional
 * to the state of the operators that change, after which the backlog is caught up.
 *
 * On a finite machine (physics term `cores`), each step first finds the CPU stretch sigma at which what the
 * operators can process fits the cores (processor sharing, physics.ts), then runs at the stretched rates; busy
 * time includes the stretch (as Flink's does: a subtask waiting for a CPU is busy) and each subtask's fixed
 * overhead.
 *
 * Virtual clock: nothing sleeps; with the same seed the snapshot stream is identical.
 */
import type { JobGraph } from '../../core/job.js';
import type { OperatorMetrics, Snapshot, SourceMetrics } from '../../core/metrics.js';
import { sameParallelism, validateParallelism, workersParallelism, type Parallelism } from '../../core/parallelism.js';
import { Rng } from '../../core/random.js';
import type { Deployment, Engine, EngineCapabilities, GroundTruth, RescaleReport } from '../engine.js';
import { instanceRate, ModelTruth, type ModelOptions } from './model.js';
import { processedRate, progressMs, timelyBudget, timelyUs, workerSpeed, withTimelyCosts, type TimelyTerms } from './timely-physics.js';
import { cpuBudget, cpuStretch, efficiency, hotShare, instanceBusy, LINEAR, operatorCpu, processingRate, queueingStretch, timelyExchangeUs, timing, utilisation, type OperatorTiming } from './physics.js';
import { clipToWorkers, PlacedJob, PlacementTruth } from './placement.js';

export interface SimulatorOptions extends ModelOptions {
  /** Step of the fluid model, seconds. */
  dt: number;
  /** Input buffer per instance, in seconds of that instance's processing rate. */
  bufferSeconds: number;
  /** Relative standard deviation of the multiplicative measurement noise (0 = exact metrics). */
  noise: number;
  /** Fixed part of a rescale's downtime, seconds. */
  rescaleBaseSec: number;
  /** Downtime per MB of state of every operator whose parallelism changes, seconds. */
  rescaleSecPerMb: number;
  seed: number;
  /** Timely mode: the terms of a Timely profile (timely-physics.ts); null keeps the shared-W model of kappa alone. */
  timely: TimelyTerms | null;
  /**
   * Timely mode only. 'workers': every operator on all W workers (W = the largest value); 'placement': operator v
   * confined to p_v of the W workers, each worker's time shared by its operators (placement.ts).
   */
  parallelism: 'workers' | 'placement';
  /** Placement mode: the worker count W (default: the largest p_v); every p_v is clipped to it. */
  workers?: number | undefined;
}

/** Defaults: the `linear` physics (physics.ts); the registry resolves a named profile on top. */
export const SIMULATOR_DEFAULTS: SimulatorOptions = {
  mode: 'flink',
  ...LINEAR,
  dt: 0.1,
  bufferSeconds: 0.5,
  noise: 0.03,
  rescaleBaseSec: 5,
  rescaleSecPerMb: 0.01,
  seed: 1,
  timely: null,
  parallelism: 'workers',
};

export class SimulatorEngine implements Engine {
  readonly kind = 'simulator';
  readonly options: SimulatorOptions;
  constructor(options: Partial<SimulatorOptions> = {}) {
    this.options = { ...SIMULATOR_DEFAULTS, ...options };
    if (this.options.parallelism === 'placement' && this.options.mode !== 'timely') throw new RangeError("simulator: parallelism 'placement' needs mode 'timely'");
  }
  get capabilities(): EngineCapabilities {
    return { groundTruth: true, parallelDeployments: true, inPlaceRescale: true, sharedWorkers: this.options.mode === 'timely' && this.options.parallelism !== 'placement' };
  }
  async deploy(job: JobGraph, parallelism: Parallelism, rate: number): Promise<SimulatedDeployment> {
    const timely = this.options.mode === 'timely' ? this.options.timely : null;
    return new SimulatedDeployment(timely ? withTimelyCosts(job, timely) : job, this.normalise(job, parallelism), rate, this.options);
  }
  /** The ground truth of the job as it runs here (in Timely mode with a Timely profile: the profile's costs and terms). */
  groundTruth(job: JobGraph): GroundTruth {
    const timely = this.options.mode === 'timely' ? this.options.timely : null;
    const ran = timely ? withTimelyCosts(job, timely) : job;
    if (this.options.parallelism === 'placement') return new PlacementTruth(ran, this.options, this.options.workers, timely);
    return new ModelTruth(ran, this.options);
  }
  /** Timely mode runs every operator on all W workers (W the largest requested value), or places each on p_v. */
  normalise(job: JobGraph, p: Parallelism): Parallelism {
    return normalised(job, p, this.options);
  }
  async close(): Promise<void> {}
}

export class SimulatedDeployment implements Deployment {
  private p: Parallelism;
  private rate: number;
  private t = 0;
  private readonly rng: Rng;
  private readonly ids: readonly string[];
  private readonly n: number;
  private readonly isSource: Uint8Array;
  private readonly share: Float64Array; // source share of the total rate
  private readonly selectivity: Float64Array;
  private readonly downTo: Int32Array[]; // downstream operator indexes
  private readonly downEdge: Int32Array[]; // the edge index of each downstream connection
  private readonly downFactor: Float64Array[]; // records into each downstream buffer per record processed
  private readonly inEdges: Int32Array[]; // each operator's input edge indexes
  private readonly fanIn: Float64Array; // input edges per operator (each gets an equal share of the buffer)
  private readonly edgeQueue: Float64Array; // records waiting on each edge (Flink: per-channel credit)
  // Per deployment (recomputed on rescale):
  private readonly mu = new Float64Array(0);
  private readonly hot = new Float64Array(0);
  private readonly buffer = new Float64Array(0);
  private readonly avail: Float64Array; // share of a second an instance can process (1 - overhead)
  private readonly overhead: Float64Array; // busy seconds per second of one instance at zero load
  private readonly pInst: Float64Array; // instances per operator
  private timings: OperatorTiming[] = [];
  private placed: PlacedJob | undefined; // placement mode: the workers each operator runs on
  private workerLoad = new Float64Array(0);
  private budget = Infinity; // cores left to the records (finite machine)
  private readonly claim: Float64Array; // records each operator could process this step (finite machine)
  private utilEma = 0; // utilisation of the cores, smoothed over about a second (cpuQueueing)
  private cpuUsed = 0; // CPU seconds the records used in the current step
  private sigma = 1; // CPU stretch of the current step (finite machine)
  private readonly stepMu: Float64Array; // Timely mode: records per busy second this step (timely's exchange cost depends on the rate)
  private readonly baseRate: Float64Array; // instance rate without overhead
  private readonly queue: Float64Array; // input buffer (records); for a source: its lag
  private downtime = 0;
  private stopped = false;
  // Accumulators of the current window.
  private readonly aIn: Float64Array;
  private readonly aBusy: Float64Array;
  private readonly aBp: Float64Array;
  private readonly aBusyMax: Float64Array;
  private readonly aBpMax: Float64Array;

  constructor(
    private readonly job: JobGraph,
    parallelism: Parallelism,
    rate: number,
    private readonly o: SimulatorOptions,
  ) {
    if (!(rate >= 0)) throw new RangeError(`simulator: rate must be >= 0, got ${rate}`);
    this.p = parallelism;
    this.rate = rate;
    this.rng = new Rng(o.seed).fork(`sim:${job.name}`);
    this.ids = job.operatorIds;
    const n = (this.n = this.ids.length);
    const index = new Map(this.ids.map((id, i) => [id, i]));
    const shares = job.sourceShares();
    const ops = job.operators();
    this.isSource = Uint8Array.from(ops, (op) => (op.type === 'source' ? 1 : 0));
    this.share = Float64Array.from(ops, (op) => shares[op.id] ?? 0);
    this.selectivity = Float64Array.from(ops, (op) => op.selectivity);
    this.baseRate = Float64Array.from(ops, (op) => instanceRate(op));
    this.downTo = ops.map((op) => Int32Array.from(job.downstream(op.id), (d) => index.get(d) as number));
    this.downFactor = ops.map((op) => Float64Array.from(job.downstream(op.id), (d) => op.selectivity * job.edge(op.id, d).share));
    const edges = job.edges();
    const edgeIndex = new Map(edges.map((e, k) => [`${e.from}->${e.to}`, k]));
    this.downEdge = ops.map((op) => Int32Array.from(job.downstream(op.id), (d) => edgeIndex.get(`${op.id}->${d}`) as number));
    this.inEdges = ops.map((op) => Int32Array.from(job.upstream(op.id), (u) => edgeIndex.get(`${u}->${op.id}`) as number));
    this.fanIn = Float64Array.from(ops, (op) => Math.max(1, job.upstream(op.id).length));
    this.edgeQueue = new Float64Array(edges.length);
    this.mu = new Float64Array(n);
    this.hot = new Float64Array(n);
    this.buffer = new Float64Array(n);
    this.avail = new Float64Array(n).fill(1);
    this.overhead = new Float64Array(n);
    this.pInst = new Float64Array(n);
    this.claim = new Float64Array(n);
    this.stepMu = new Float64Array(n);
    this.queue = new Float64Array(n);
    this.aIn = new Float64Array(n);
    this.aBusy = new Float64Array(n);
    this.aBp = new Float64Array(n);
    this.aBusyMax = new Float64Array(n);
    this.aBpMax = new Float64Array(n);
    this.configure();
  }

  get parallelism(): Parallelism {
    return this.p;
  }

  now(): number {
    return this.t;
  }

  async setRate(rate: number): Promise<void> {
    this.checkRunning();
    if (!(rate >= 0)) throw new RangeError(`simulator: rate must be >= 0, got ${rate}`);
    this.rate = rate;
    // A Timely profile's costs grow with the rate per worker.
    if (this.o.mode === 'timely' && this.o.timely) this.configure();
  }

  async advance(seconds: number): Promise<void> {
    this.run(seconds);
  }

  async observe(windowSeconds: number): Promise<Snapshot> {
    for (const a of [this.aIn, this.aBusy, this.aBp, this.aBusyMax, this.aBpMax]) a.fill(0);
    const steps = this.run(windowSeconds);
    const T = steps * this.o.dt;
    const operators: Record<string, OperatorMetrics> = {};
    const sources: Record<string, SourceMetrics> = {};
    const sigma = this.o.noise;
    const noisy = (x: number): number => (sigma > 0 ? x * Math.exp(sigma * this.rng.normal() - (sigma * sigma) / 2) : x);
    let achieved = 0;
    for (let i = 0; i < this.n; i++) {
      const id = this.ids[i] as string;
      const p = this.instances(id);
      const sel = this.selectivity[i] as number;
      const exactIn = (this.aIn[i] as number) / T;
      const inRate = noisy(exactIn);
      const outRate = inRate * sel;
      const bp = Math.min(1000, (1000 * (this.aBp[i] as number)) / (p * T));
      const busy = Math.min(1000 - bp, noisy((1000 * (this.aBusy[i] as number)) / (p * T)));
      const busyMax = Math.max(busy, Math.min(1000, noisy((1000 * (this.aBusyMax[i] as number)) / T)));
      const bpMax = Math.min(1000 - busyMax, Math.max(bp, (1000 * (this.aBpMax[i] as number)) / T));
      const busySec = busy / 1000;
      operators[id] = {
        parallelism: p,
        busyMsPerSecond: busy,
        busyMsPerSecondMax: busyMax,
        idleMsPerSecond: Math.max(0, 1000 - busy - bp),
        backPressuredMsPerSecond: bp,
        backPressuredMsPerSecondMax: bpMax,
        recordsInPerSecond: inRate,
        recordsOutPerSecond: outRate,
        trueProcessingRate: busySec > 0 ? inRate / busySec : 0,
        trueOutputRate: busySec > 0 ? outRate / busySec : 0,
      };
      if (this.isSource[i]) {
        achieved += exactIn;
        sources[id] = { targetRate: this.rate * (this.share[i] as number), achievedRate: exactIn, lagRecords: this.queue[i] as number };
      }
    }
    return { time: this.t, windowSeconds: T, operators, sources, targetRate: this.rate, achievedRate: achieved, valid: true };
  }

  async rescale(parallelism: Parallelism): Promise<RescaleReport> {
    this.checkRunning();
    const next = normalised(this.job, parallelism, this.o);
    if (sameParallelism(next, this.p)) return { downtimeSeconds: 0, tookEffect: true, parallelism: this.p };
    const stateMb = this.job.operators().reduce((s, op) => s + (next[op.id] !== this.p[op.id] ? op.stateSizeMb : 0), 0);
    const downtime = this.o.rescaleBaseSec + stateMb * this.o.rescaleSecPerMb;
    this.p = next;
    this.configure();
    this.downtime += downtime;
    return { downtimeSeconds: downtime, tookEffect: true, parallelism: next };
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  /** Instances of an operator: its entry (in Timely mode W, or its max parallelism when that is below W). */
  private instances(id: string): number {
    return this.p[id] ?? 1;
  }

  private configure(): void {
    const timely = this.o.mode === 'timely';
    this.timings = this.job.operators().map((op) => timing(this.job, op, this.p, this.o));
    this.budget = timely ? Infinity : cpuBudget(this.o, this.p);
    const placedTimely = timely && this.o.timely ? { terms: this.o.timely, rate: this.rate } : null;
    this.placed = this.o.parallelism === 'placement' ? new PlacedJob(this.job, this.p, this.o, this.o.workers, placedTimely) : undefined;
    this.workerLoad = new Float64Array(this.placed?.workers ?? 0);
    this.job.operators().forEach((op, i) => {
      const p = this.instances(op.id);
      const t = this.timings[i] as OperatorTiming;
      const tt = timely ? this.o.timely : null;
      if (tt && this.placed) {
        // Placement mode with a Timely profile: the placed job's per-record time (placement.ts) and the progress
        // overhead of its W workers.
        this.mu[i] = 1 / (this.placed.secPerRecord[i] as number);
        this.hot[i] = hotShare(this.job, op, p, this.o);
        this.avail[i] = 1 - progressMs(tt, this.placed.workers) / 1000;
      } else if (tt) {
        // A Timely profile: measured per-record cost growing with the rate per worker, the exchange and the
        // per-operator progress overhead of W workers.
        const w = Math.max(...Object.values(this.p));
        const r = processedRate(this.job, w, this.rate, tt);
        this.mu[i] = (workerSpeed(tt, w) * 1e6) / Math.max(1e-6, timelyUs(this.job, op.id, op.cost, w, r, tt));
        this.hot[i] = hotShare(this.job, op, p, this.o);
        this.avail[i] = 1 - progressMs(tt, w) / 1000;
      } else {
        // Timely mode without a Timely profile: kappa and the workload's skew only.
        this.mu[i] = timely ? (this.baseRate[i] as number) * efficiency(p, this.o.coordinationOverhead) : processingRate(t);
        this.hot[i] = timely ? hotShare(this.job, op, p, this.o) : t.hot;
        this.avail[i] = timely ? 1 : t.available;
      }
      this.overhead[i] = 1 - (this.avail[i] as number);
      this.pInst[i] = p;
      this.buffer[i] = (this.mu[i] as number) * this.o.bufferSeconds * p;
    });
  }

  /** Finite machine: processing rates this step at the CPU stretch where the claims fit the cores. */
  private stretchRates(out: Float64Array): void {
    this.claims(this.claim);
    let sigma = cpuStretch(this.timings, this.claim, this.budget, this.o.dt);
    if (this.o.cpuQueueing && this.o.cores !== null) sigma = Math.max(sigma, queueingStretch(this.utilEma, this.o.cores));
    this.sigma = sigma;
    for (let i = 0; i < this.n; i++) out[i] = sigma === 1 ? (this.mu[i] as number) : processingRate(this.timings[i] as OperatorTiming, sigma);
  }

  /** Runs whole steps covering `seconds`; returns the number of steps. */
  private checkRunning(): void {
    if (this.stopped) throw new Error('simulator: deployment already stopped');
  }

  private run(seconds: number): number {
    this.checkRunning();
    const steps = Math.max(1, Math.round(seconds / this.o.dt));
    const budgets = this.o.mode === 'timely' ? new Float64Array(this.n) : null;
    const rates = this.budget < Infinity ? new Float64Array(this.n) : null;
    for (let i = 0; i < steps; i++) this.step(budgets, rates);
    return steps;
  }

  private step(budgets: Float64Array | null, rates: Float64Array | null): void {
    const dt = this.o.dt;
    const q = this.queue;
    this.t += dt;
    if (this.downtime > 1e-12) {
      // Restarting: nothing runs; the sources' due records pile up as lag.
      const frac = Math.min(1, this.downtime / dt);
      this.downtime = Math.max(0, this.downtime - dt);
      for (let i = 0; i < this.n; i++) if (this.isSource[i]) q[i] = (q[i] as number) + this.rate * (this.share[i] as number) * dt * frac;
      if (frac >= 1) return;
    }
    if (budgets && this.placed) {
      this.claims(budgets);
      this.placed.share(budgets, dt, this.workerLoad);
      this.stepMu.set(this.mu); // placement: each operator's own per-record rate (placement.ts shares the workers)
    } else if (budgets) this.timelyBudgets(budgets);
    if (rates) this.stretchRates(rates);
    this.cpuUsed = 0;
    // Sinks first: downstream buffers drain before upstream operators push into them.
    if (!rates) this.sigma = 1;
    for (let i = this.n - 1; i >= 0; i--) {
      const mu = budgets ? (this.stepMu[i] as number) : rates ? (rates[i] as number) : (this.mu[i] as number);
      const h = this.hot[i] as number;
      const a = this.avail[i] as number;
      const cap = budgets ? Math.min(budgets[i] as number, (mu * dt) / h) : (a * mu * dt) / h;
      const avail = this.isSource[i] ? this.rate * (this.share[i] as number) * dt + (q[i] as number) : (q[i] as number);
      const want = avail < cap ? avail : cap;
      // Placement mode reports a source's flow-control wait as backpressure, as the real Timely engine does: the
      // records due that it could have emitted but its consumers had no room for.
      const held = this.placed && this.isSource[i] ? Math.min(avail, (mu * dt) / h) : want;
      let x = want;
      const to = this.downTo[i] as Int32Array;
      const f = this.downFactor[i] as Float64Array;
      const out = this.downEdge[i] as Int32Array;
      for (let k = 0; k < to.length; k++) {
        const fk = f[k] as number;
        if (fk <= 0) continue;
        const room = this.edgeRoom(to[k] as number, out[k] as number);
        const lim = room > 0 ? room / fk : 0;
        if (lim < x) x = lim;
      }
      if (!this.isSource[i] && x > 0 && avail > 0) {
        // Inputs are consumed in proportion to what waits on each (Flink reads every channel with credit).
        const ins = this.inEdges[i] as Int32Array;
        const keep = 1 - x / avail;
        for (let k = 0; k < ins.length; k++) this.edgeQueue[ins[k] as number] = (this.edgeQueue[ins[k] as number] as number) * keep;
      }
      q[i] = avail - x; // a source's buffer is its lag
      for (let k = 0; k < to.length; k++) {
        const add = x * (f[k] as number);
        q[to[k] as number] = (q[to[k] as number] as number) + add;
        this.edgeQueue[out[k] as number] = (this.edgeQueue[out[k] as number] as number) + add;
      }
      this.aIn[i] = (this.aIn[i] as number) + x;
      const ti = this.timings[i] as OperatorTiming;
      if (rates) this.cpuUsed += ti.buffers.length ? operatorCpu(ti, x / dt) * dt : x * ti.cpu;
      const fixed = (this.overhead[i] as number) * dt; // each instance's fixed busy time this step
      const pi = this.pInst[i] as number;
      // Busy time of the records: per record, and (Flink mode) per buffer handed on or received at the step's rate.
      const buffered = !budgets && ti.buffers.length > 0;
      const work = buffered ? instanceBusy(ti, x / (pi * dt), this.sigma) * pi * dt : x / mu;
      this.aBusy[i] = (this.aBusy[i] as number) + work + fixed * pi;
      this.aBp[i] = (this.aBp[i] as number) + (held - x) / mu;
      const hb = (buffered ? instanceBusy(ti, (x * h) / dt, this.sigma) * dt : (x * h) / mu) + fixed;
      this.aBusyMax[i] = (this.aBusyMax[i] as number) + (hb < dt ? hb : dt);
      const hbp = ((held - x) * h) / mu;
      this.aBpMax[i] = (this.aBpMax[i] as number) + (hbp < dt ? hbp : dt);
    }
    if (rates && this.o.cpuQueueing) {
      // Utilisation of the cores this step, smoothed with a time constant of about a second (no step-to-step ringing).
      const u = utilisation(this.o, this.cpuUsed / dt, this.budget);
      this.utilEma += Math.min(1, dt) * (u - this.utilEma);
    }
  }

  /** Free space on one input edge of operator d: each input edge owns an equal share of d's buffer. */
  private edgeRoom(d: number, edge: number): number {
    return (this.buffer[d] as number) / (this.fanIn[d] as number) - (this.edgeQueue[edge] as number);
  }

  /** Records each operator could process this step if nothing limited it but its input and its downstream room. */
  private claims(out: Float64Array): void {
    const dt = this.o.dt;
    for (let i = 0; i < this.n; i++) {
      let claim = this.isSource[i] ? this.rate * (this.share[i] as number) * dt + (this.queue[i] as number) : (this.queue[i] as number);
      // Work that could not be pushed downstream claims no worker time.
      const to = this.downTo[i] as Int32Array;
      const via = this.downEdge[i] as Int32Array;
      const f = this.downFactor[i] as Float64Array;
      for (let k = 0; k < to.length; k++) {
        const fk = f[k] as number;
        if (fk > 0) claim = Math.min(claim, Math.max(0, this.edgeRoom(to[k] as number, via[k] as number)) / fk);
      }
      out[i] = claim;
    }
  }

  /** Timely: W workers time-share all operators; each gets its wanted work scaled to the shared budget. */
  private timelyBudgets(out: Float64Array): void {
    const dt = this.o.dt;
    const w = Math.max(...Object.values(this.p));
    const tt = this.o.timely;
    const budget = tt ? timelyBudget(tt, w, this.n) * dt : w * efficiency(w, this.o.coordinationOverhead) * dt;
    this.claims(out);
    let work = 0;
    const ops = this.job.operators();
    for (let i = 0; i < this.n; i++) {
      if (tt) {
        // A Timely profile: its measured per-record cost (configure()) already holds the exchange.
        this.stepMu[i] = this.mu[i] as number;
        work += (out[i] as number) / (this.mu[i] as number);
        continue;
      }
      const op = ops[i] as (typeof ops)[number];
      // Timely's exchange cost per record at this step's rate (containers fill as the rate grows).
      const xUs = timelyExchangeUs(this.job, op, this.p, (out[i] as number) / dt, this.o);
      const us = op.cost + xUs;
      this.stepMu[i] = (us > 0 ? 1e6 / us : 1e12) * efficiency(this.pInst[i] as number, this.o.coordinationOverhead);
      work += xUs === 0 ? (out[i] as number) / (this.baseRate[i] as number) : ((out[i] as number) * us) / 1e6;
    }
    const scale = work > budget ? budget / work : 1;
    for (let i = 0; i < this.n; i++) out[i] = (out[i] as number) * scale;
  }
}

/** Timely: W = the largest requested value; each operator's entry is W bounded by its own max parallelism. */
function uniformMax(job: JobGraph, p: Parallelism): Parallelism {
  return workersParallelism(job, Math.max(...Object.values(p)));
}

/** What a requested configuration runs: Flink as asked; Timely on all W workers, or placed (clipped to `workers`). */
function normalised(job: JobGraph, p: Parallelism, o: SimulatorOptions): Parallelism {
  validateParallelism(job, p);
  if (o.mode !== 'timely') return p;
  return o.parallelism === 'placement' ? clipToWorkers(job, p, o.workers) : uniformMax(job, p);
}
