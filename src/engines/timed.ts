/**
 * The timing decorator (as YCSB's wrapper around every binding): wraps any Engine so that deploy, observe and
 * rescale of it and of its deployments are timed on the wall clock and failures counted, without the engine
 * measuring itself. What the engine answers passes through untouched (a snapshot, a rescale report and its
 * downtime are the engine's own), and a deployment keeps every member of its engine's class (a Flink
 * deployment's job id, a Timely deployment's workers).
 *
 *   const engine = timed(new TimelyEngine({}));
 *   const d = await engine.deploy(job, p, rate);     // d.callTimings.deploy.lastSeconds: spawn to every worker built
 *   engine.callTimings.observe.calls ...
 */
import type { JobGraph } from '../core/job.js';
import type { Parallelism } from '../core/parallelism.js';
import type { Deployment, Engine } from './engine.js';

/** The timed calls. */
export const TIMED_CALLS = ['deploy', 'observe', 'rescale'] as const;
export type TimedCall = (typeof TIMED_CALLS)[number];

/** Wall-clock statistics of one call, over every time it was made. */
export interface CallTiming {
  /** Calls that returned. */
  readonly calls: number;
  /** Calls that threw. */
  readonly failures: number;
  /** Wall seconds of all calls, those that threw included. */
  readonly totalSeconds: number;
  /** Wall seconds of the last call that returned (0 before one). */
  readonly lastSeconds: number;
  readonly maxSeconds: number;
}

export type Timings = { readonly [K in TimedCall]: CallTiming };

const idle = (): CallTiming => ({ calls: 0, failures: 0, totalSeconds: 0, lastSeconds: 0, maxSeconds: 0 });

/** A tally of call timings, written by the decorator. */
class Tally {
  private readonly t: Record<TimedCall, CallTiming> = { deploy: idle(), observe: idle(), rescale: idle() };

  get timings(): Timings {
    return { deploy: { ...this.t.deploy }, observe: { ...this.t.observe }, rescale: { ...this.t.rescale } };
  }

  async time<T>(call: TimedCall, body: () => Promise<T>, also?: Tally): Promise<T> {
    const t0 = performance.now();
    let ok = false;
    try {
      const r = await body();
      ok = true;
      return r;
    } finally {
      const s = (performance.now() - t0) / 1000;
      for (const tally of also ? [this, also] : [this]) tally.add(call, s, ok);
    }
  }

  private add(call: TimedCall, seconds: number, ok: boolean): void {
    const c = this.t[call];
    this.t[call] = {
      calls: c.calls + (ok ? 1 : 0),
      failures: c.failures + (ok ? 0 : 1),
      totalSeconds: c.totalSeconds + seconds,
      lastSeconds: ok ? seconds : c.lastSeconds,
      maxSeconds: Math.max(c.maxSeconds, seconds),
    };
  }
}

/** A deployment of a timed engine: its own calls' timings (its deploy included). */
export type TimedDeployment<D extends Deployment = Deployment> = D & { readonly callTimings: Timings };

/** A timed engine: the timings of all its deployments' calls together. */
export type TimedEngine<E extends Engine = Engine> = Omit<E, 'deploy'> & {
  readonly callTimings: Timings;
  deploy(job: JobGraph, parallelism: Parallelism, rate: number): Promise<TimedDeployment<Awaited<ReturnType<E['deploy']>>>>;
};

/** Forwards every other member to the target, methods bound to it (so private fields keep working). */
function forward(target: object, key: string | symbol): unknown {
  const v: unknown = Reflect.get(target, key, target);
  return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
}

function timedDeployment<D extends Deployment>(d: D, own: Tally, all: Tally): TimedDeployment<D> {
  const observe = (windowSeconds: number) => own.time('observe', () => d.observe(windowSeconds), all);
  const rescale = (...a: Parameters<D['rescale']>) => own.time('rescale', () => (d.rescale as (...x: unknown[]) => ReturnType<D['rescale']>)(...a), all);
  return new Proxy(d, {
    get(target, key) {
      if (key === 'observe') return observe;
      if (key === 'rescale') return rescale;
      if (key === 'callTimings') return own.timings;
      return forward(target, key);
    },
  }) as TimedDeployment<D>;
}

/** `engine`, timed. Wrapping a timed engine again returns it as it is. */
export function timed<E extends Engine>(engine: E): TimedEngine<E> {
  if (isTimed(engine)) return engine as unknown as TimedEngine<E>;
  const all = new Tally();
  const deploy = async (job: JobGraph, parallelism: Parallelism, rate: number) => {
    const own = new Tally();
    const d = await own.time('deploy', () => engine.deploy(job, parallelism, rate), all);
    return timedDeployment(d, own, all);
  };
  return new Proxy(engine, {
    get(target, key) {
      if (key === 'deploy') return deploy;
      if (key === 'callTimings') return all.timings;
      if (key === TIMED) return true;
      return forward(target, key);
    },
  }) as unknown as TimedEngine<E>;
}

const TIMED = Symbol('timed');

export function isTimed(engine: Engine): boolean {
  return (engine as unknown as Record<symbol, unknown>)[TIMED] === true;
}
