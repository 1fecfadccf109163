/**
 * The control loop: owns time. One loop for experiments, the history corpus, calibration and the test fixtures,
 * as typed stages per window:
 *
 *   observe -> Snapshot -> decide -> Decision -> gate (activation, cap, same configuration, SLO) -> actuate
 *     (rescale; RescaleReport decides whether it counts) -> the caller's recorders (LoopSink)
 *
 * Per rate phase (episode): set the rate, warm up, then run the stages until the tuner keeps while the SLO holds
 * (sustained), the tuner wants more than the reconfiguration cap (capped), or the phase's time runs out (then the
 * SLO decides: sustained or violated). The SLO is judged on the windows of the configuration now running (slo.ts).
 * runEpisode() runs the stages of one phase; EpisodeTally counts what happened in it and makes its record.
 */
import type { JobGraph } from '../core/job.js';
import { totalLag, type EngineEvent, type Snapshot } from '../core/metrics.js';
import { parallelismKey, totalParallelism, uniformParallelism, validateParallelism, type Parallelism } from '../core/parallelism.js';
import { rateKey, type RatePhase } from '../core/rates.js';
import type { Deployment, GroundTruth, OracleAnswer } from '../engines/engine.js';
import type { Observation, RescaleOutcome, TunerView } from '../tuners/tuner.js';
import type { LoopConfig } from './config.js';
import { actuate, gate } from './gate.js';
import type { EpisodeRecord, LoopInput, LoopSink, WindowRecord } from './records.js';
import type { Outcome } from './rows.js';
import { judgeSlo, type LagPoint, type SloVerdict } from './slo.js';

/** Total parallelism as the paper counts it; on a shared-worker engine (Timely) it is the worker count. */
export function deployedSize(p: Parallelism, sharedWorkers: boolean): number {
  return sharedWorkers ? Math.max(...Object.values(p)) : totalParallelism(p);
}

export function initialParallelism(job: JobGraph, loop: LoopConfig): Parallelism {
  if (typeof loop.initialParallelism === 'number') return uniformParallelism(job, loop.initialParallelism);
  const given = loop.initialParallelism;
  return validateParallelism(job, Object.fromEntries(job.operatorIds.map((id) => [id, given[id] ?? 1])));
}

/** Every sink gets every record, in the order the sinks were given. */
class Emitter {
  constructor(private readonly sinks: readonly LoopSink[]) {}
  window(w: WindowRecord): void {
    for (const s of this.sinks) s.window?.(w);
  }
  engineEvent(k: number, e: EngineEvent, at: Snapshot): void {
    for (const s of this.sinks) s.engineEvent?.(k, e, at);
  }
  episode(e: EpisodeRecord): void {
    for (const s of this.sinks) s.episode?.(e);
  }
  failure(k: number, time: number, rate: number, error: string): void {
    for (const s of this.sinks) s.failure?.(k, time, rate, error);
  }
}

/** What one episode counted: reconfigurations, failures, downtime and the lag over time (trapezoid integral). */
class EpisodeTally {
  reconfigurations = 0;
  failedRescales = 0;
  downtime = 0;
  failovers = 0;
  invalid = 0;
  windows = 0;
  /** The note of the last invalid window. */
  lastInvalid = '';
  private lagStart: number;
  private lagEnd: number;
  private lagPeak: number;
  private lagIntegral = 0;
  private t: number;

  constructor(lag: number, start: number) {
    this.lagStart = lag;
    this.lagEnd = lag;
    this.lagPeak = lag;
    this.t = start;
  }

  get endLag(): number {
    return this.lagEnd;
  }

  engineEvent(e: EngineEvent): void {
    this.downtime += e.downtimeSeconds;
    if (e.kind === 'failover') this.failovers++;
  }

  /** Adds the lag at time t: trapezoid integral, peak, end. */
  lag(t: number, value: number): void {
    this.lagIntegral += ((this.lagEnd + value) / 2) * Math.max(0, t - this.t);
    this.t = t;
    this.lagEnd = value;
    this.lagPeak = Math.max(this.lagPeak, value);
  }

  record(o: {
    episode: number;
    rate: number;
    ended: 'sustained' | 'capped' | undefined;
    verdict: SloVerdict;
    cap: number;
    sloSince: number | undefined;
    durationSec: number;
    final: Parallelism;
    shared: boolean;
    /** The ground truth's oracle for the rate, meeting the same SLO (absent without ground truth). */
    oracle: OracleAnswer | undefined;
    /** The measured oracle's total parallelism at this rate (used only without ground truth). */
    measured: number | undefined;
  }): EpisodeRecord {
    const { ended, verdict } = o;
    // When no configuration meets the SLO at this rate, every tuner's episode (the oracle's included) is
    // infeasible: its own outcome, never counted as a tuner's failure.
    const infeasible = o.oracle !== undefined && !o.oracle.feasible;
    const judged: Outcome = ended === 'capped' ? 'capped' : ended === 'sustained' || verdict.holds ? 'sustained' : 'violated';
    const outcome: Outcome = infeasible ? 'infeasible' : judged;
    const oracle = infeasible ? undefined : o.oracle?.parallelism;
    return {
      episode: o.episode,
      rate: o.rate,
      outcome,
      violation: infeasible
        ? `no configuration sustains ${Math.round(o.rate)} records/s: ${o.oracle?.reason ?? 'infeasible'}`
        : outcome === 'sustained'
          ? ''
          : outcome === 'capped'
            ? `wanted a rescale beyond the cap of ${o.cap}${verdict.holds ? '' : `; ${verdict.violation}`}`
            : verdict.violation,
      reconfigurations: this.reconfigurations,
      failedRescales: this.failedRescales,
      ...(outcome === 'sustained' && o.sloSince !== undefined ? { timeToSloSec: o.sloSince } : {}),
      durationSec: o.durationSec,
      final: o.final,
      finalSize: deployedSize(o.final, o.shared),
      ...(oracle
        ? { oracleSize: deployedSize(oracle, o.shared), oracleSource: 'ground truth' as const }
        : o.measured !== undefined && o.oracle === undefined
          ? { oracleSize: o.measured, oracleSource: 'measured' as const }
          : {}),
      verdict,
      lagStart: this.lagStart,
      lagEnd: this.lagEnd,
      lagPeak: this.lagPeak,
      lagIntegral: this.lagIntegral,
      downtimeSec: this.downtime,
      failovers: this.failovers,
      invalidWindows: this.invalid,
    };
  }
}

/** What lives across episodes of one run. */
interface RunState {
  readonly input: LoopInput;
  readonly deployment: Deployment;
  readonly emit: Emitter;
  readonly truth: GroundTruth | undefined;
  readonly shared: boolean;
  readonly initial: Parallelism;
  readonly runHistory: Observation[];
  windowIndex: number;
  lastLag: number;
}

/** Runs the stages of one rate phase until it ends; emits its windows and its episode record. */
async function runEpisode(run: RunState, k: number, phase: RatePhase): Promise<void> {
  const { input, deployment, emit, shared } = run;
  const { job, tuner, loop, slo } = input;
  const rate = phase.rate;
  await deployment.setRate(rate);
  if (k > 0 && !loop.carryOver) await deployment.rescale(run.initial);
  tuner.startEpisode?.(rate);
  const start = deployment.now();
  const episode: Observation[] = [];
  const tally = new EpisodeTally(run.lastLag, start);
  let configWindows: LagPoint[] = [];
  let configKey = parallelismKey(deployment.parallelism);
  let sinceRescale = 0;
  let sloSince: number | undefined;
  let ended: 'sustained' | 'capped' | undefined;
  let verdict: SloVerdict = judgeSlo([], rate, slo);
  let lastRescale: RescaleOutcome | undefined;
  const extra = Math.max(0, (loop.policyIntervalSec ?? loop.windowSec) - loop.windowSec);
  await deployment.advance(loop.warmupSec);

  while (ended === undefined && deployment.now() - start < phase.durationSec) {
    // observe
    if (extra > 0) await deployment.advance(extra);
    const snapshot = await deployment.observe(loop.windowSec);
    run.windowIndex++;
    tally.windows++;
    const p = snapshot.parallelism ?? deployment.parallelism;
    for (const e of snapshot.events ?? []) {
      emit.engineEvent(k, e, snapshot);
      tally.engineEvent(e);
    }
    if (parallelismKey(p) !== configKey) {
      // The engine changed the configuration on its own (a failover onto fewer slots): a new configuration.
      configKey = parallelismKey(p);
      configWindows = [];
      sloSince = undefined;
    }
    configWindows.push({ time: snapshot.time, windowSeconds: snapshot.windowSeconds, lag: totalLag(snapshot), valid: snapshot.valid, ...(snapshot.note ? { note: snapshot.note } : {}) });
    verdict = judgeSlo(configWindows, rate, slo);
    if (!verdict.holds) sloSince = undefined;
    else sloSince ??= deployment.now() - start;
    const base = { episode: k, window: run.windowIndex, rate, snapshot, parallelism: p, size: deployedSize(p, shared), verdict };
    if (!snapshot.valid) {
      tally.invalid++;
      tally.lastInvalid = snapshot.note ?? '';
      emit.window({ ...base, event: 'invalid', reason: snapshot.note ?? 'window invalidated by the engine' });
      continue;
    }
    tally.lag(snapshot.time, totalLag(snapshot));

    // decide
    const obs: Observation = { parallelism: p, snapshot, rate };
    episode.push(obs);
    run.runHistory.push(obs);
    const cap = deployment.maxOperatorParallelism;
    const view: TunerView = {
      job,
      parallelism: p,
      snapshot,
      targetRate: rate,
      episode,
      history: run.runHistory,
      clock: deployment.now(),
      sharedWorkers: shared,
      ...(cap !== undefined ? { maxOperatorParallelism: cap } : {}),
      ...(lastRescale ? { lastRescale } : {}),
    };
    const decision = await tuner.decide(view);
    sinceRescale++;

    // gate
    const g = gate(decision, { job, running: p, sharedWorkers: shared, sinceRescale, reconfigurations: tally.reconfigurations, verdict, ...(cap !== undefined ? { cap } : {}) }, loop);
    const decided = { ...base, view, decision };
    if (g.kind === 'observe') {
      emit.window({ ...decided, event: g.event, reason: g.reason });
      continue;
    }
    if (g.kind === 'end') {
      ended = g.event;
      emit.window({ ...decided, event: g.event, reason: g.reason });
      break;
    }

    // actuate
    const a = await actuate(deployment, g.parallelism, g.requested, cap);
    tally.downtime += a.downtime;
    emit.window({ ...decided, event: a.event, reason: a.note ? `${g.reason} [${a.note}]` : g.reason, rescale: { requested: a.outcome.requested, granted: a.outcome.running } });
    lastRescale = a.event === 'rescale' ? undefined : a.outcome;
    if (!a.counted) {
      tally.failedRescales++;
      continue;
    }
    tally.reconfigurations++;
    sinceRescale = 0;
    configKey = parallelismKey(deployment.parallelism);
    configWindows = [];
    sloSince = undefined;
    verdict = judgeSlo([], rate, slo);
    await deployment.advance(loop.warmupSec);
  }

  if (tally.windows > 0 && tally.invalid === tally.windows)
    throw new Error(
      `episode ${k} (rate ${rate}/s) had no valid window: all ${tally.windows} were invalid, so nothing was measured or decided (the last: ${tally.lastInvalid || 'invalidated by the engine'})`,
    );
  run.lastLag = tally.endLag;
  emit.episode(
    tally.record({
      episode: k,
      rate,
      ended,
      verdict,
      cap: loop.maxReconfigurations,
      sloSince,
      durationSec: deployment.now() - start,
      final: deployment.parallelism,
      shared,
      oracle: run.truth?.oracle(rate, slo.maxLagTrend),
      measured: run.input.measuredOracle?.[rateKey(rate)],
    }),
  );
}

/**
 * Deploys the job, runs every phase of the schedule as one episode, and always stops the deployment. An error
 * after the deploy (the engine's job failed, an episode had no valid window) is told to the sinks (failure) and
 * thrown on.
 */
export async function driveLoop(input: LoopInput): Promise<void> {
  const { job, engine, schedule, loop } = input;
  const first = schedule[0];
  if (!first) throw new Error('the rate schedule has no phases');
  const truth = input.truth ?? (engine.capabilities.groundTruth ? engine.groundTruth?.(job) : undefined);
  const initial = initialParallelism(job, loop);
  const deployment: Deployment = await engine.deploy(job, initial, first.rate);
  const run: RunState = {
    input,
    deployment,
    emit: new Emitter(input.sinks),
    truth,
    shared: engine.capabilities.sharedWorkers,
    initial,
    runHistory: [],
    windowIndex: 0,
    lastLag: 0,
  };
  let k = 0;
  try {
    for (const [i, phase] of schedule.entries()) {
      k = i;
      await runEpisode(run, i, phase);
      input.onEpisode?.();
    }
  } catch (e) {
    run.emit.failure(k, deployment.now(), schedule[k]?.rate ?? first.rate, (e as Error).message ?? String(e));
    throw e;
  } finally {
    await deployment.stop();
  }
}
