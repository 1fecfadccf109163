/**
 * The control loop: owns time. One loop for experiments, the history generator and the test fixtures, as typed
 * stages per window:
 *
 *   observe -> Snapshot -> decide -> Decision -> gate (activation, cap, same configuration, SLO) -> actuate
 *     (rescale; RescaleReport decides whether it counts) -> recorders (timeline, history, episode: LoopSink)
 *
 * Per rate phase (episode): set the rate, warm up, then run the stages until the tuner keeps while the SLO holds
 * (sustained), the tuner wants more than the reconfiguration cap (capped), or the phase's time runs out (then the
 * SLO decides: sustained or violated). The SLO is judged on the windows of the configuration now running (slo.ts).
 */
import type { Decision } from '../core/decision.js';
import type { JobGraph } from '../core/job.js';
import { totalLag, type EngineEvent, type Snapshot } from '../core/metrics.js';
import { parallelismKey, sameParallelism, totalParallelism, uniformParallelism, validateParallelism, workersParallelism, type Parallelism } from '../core/parallelism.js';
import type { RateSchedule } from '../core/rates.js';
import type { Deployment, Engine, GroundTruth } from '../engines/engine.js';
import type { Observation, RescaleOutcome, Tuner, TunerView } from '../tuners/tuner.js';
import { judgeSlo, type LagPoint, type SloVerdict } from './slo.js';
import type { LoopConfig, SloConfig } from './schema.js';
import type { EpisodeRow, Outcome, TimelineRow } from './rows.js';
import { EpisodeRecorder, HistoryRecorder, TimelineRecorder } from './recorders.js';
import type { HistoryRow } from '../history/record.js';

/** What the loop did with one window (the timeline's `event`). */
export type LoopEvent =
  | 'invalid' // the engine invalidated the window: recorded, never decided on
  | 'wait' // the tuner's own cadence: observe again
  | 'keep' // the tuner keeps, the SLO does not hold yet: observe again
  | 'same' // the tuner asked for the configuration already running (or all the cap allows): a keep
  | 'pending' // a rescale before `activation` evaluations: not acted on
  | 'sustained' // the tuner keeps and the SLO holds: the episode ends
  | 'capped' // the tuner wants a rescale beyond the cap: the episode ends
  | 'rescale' // a rescale that ran as asked (counted)
  | 'rescale-partial' // granted in part (counted: the configuration changed)
  | 'rescale-failed' // nothing changed (not counted; the tuner is told)
  | 'failed'; // the run stopped with an error (the engine's job failed): the last row of a failed run

/** One observed window with what the loop made of it; every recorder sees these. */
export interface WindowRecord {
  readonly episode: number;
  /** Run-wide window index, from 1. */
  readonly window: number;
  readonly rate: number;
  readonly snapshot: Snapshot;
  /** The parallelism that ran during the window. */
  readonly parallelism: Parallelism;
  /** Total parallelism as the paper counts it (worker count on shared workers). */
  readonly size: number;
  readonly verdict: SloVerdict;
  readonly event: LoopEvent;
  readonly reason: string;
  /** Present when the tuner was asked. */
  readonly view?: TunerView;
  readonly decision?: Decision;
  /** On a rescale: what the tuner asked for, and what the engine granted (runs now). */
  readonly rescale?: { readonly requested: Parallelism; readonly granted: Parallelism };
}

/** One finished episode, as the loop judged it. */
export interface EpisodeRecord {
  readonly episode: number;
  readonly rate: number;
  readonly outcome: Outcome;
  readonly violation: string;
  readonly reconfigurations: number;
  readonly failedRescales: number;
  /** Seconds from the rate change until the SLO held for the final configuration (sustained episodes). */
  readonly timeToSloSec?: number;
  readonly durationSec: number;
  readonly final: Parallelism;
  readonly finalSize: number;
  readonly oracleSize?: number;
  readonly verdict: SloVerdict;
  readonly lagStart: number;
  readonly lagEnd: number;
  readonly lagPeak: number;
  /** Record-seconds, trapezoid over the lag at the start and at each valid window's end. */
  readonly lagIntegral: number;
  readonly downtimeSec: number;
  readonly failovers: number;
  readonly invalidWindows: number;
}

/** A recorder: the loop pushes every window, engine event and finished episode to each sink, in order. */
export interface LoopSink {
  window?(w: WindowRecord): void;
  engineEvent?(episode: number, e: EngineEvent, at: Snapshot): void;
  episode?(e: EpisodeRecord): void;
  /** The run stopped with an error during `episode`, at engine time `time`. */
  failure?(episode: number, time: number, rate: number, error: string): void;
}

/**
 * A run that stopped with an error (the engine's job failed, or an episode had no valid window): the message,
 * and what the recorders kept until then (finished episodes, every observed window, a last `failed` row).
 */
export class LoopFailedError extends Error {
  constructor(
    message: string,
    readonly partial: LoopResult,
  ) {
    super(message);
    this.name = 'LoopFailedError';
  }
}

export interface LoopInput {
  run: string;
  sweep: string;
  seed: number;
  job: JobGraph;
  engine: Engine;
  tuner: Tuner;
  schedule: RateSchedule;
  loop: LoopConfig;
  slo: SloConfig;
  keepHistory: boolean;
  /** Extra recorders (tests, the history generator); the timeline, history and episode recorders are built in. */
  sinks?: readonly LoopSink[];
  /** Called after each episode (progress). */
  onEpisode?: () => void;
}

export interface LoopResult {
  episodes: EpisodeRow[];
  timeline: TimelineRow[];
  history: HistoryRow[];
}

/** Total parallelism as the paper counts it; on a shared-worker engine (Timely) it is the worker count. */
export function deployedSize(p: Parallelism, sharedWorkers: boolean): number {
  return sharedWorkers ? Math.max(...Object.values(p)) : totalParallelism(p);
}

export function initialParallelism(job: JobGraph, loop: LoopConfig): Parallelism {
  if (typeof loop.initialParallelism === 'number') return uniformParallelism(job, loop.initialParallelism);
  const given = loop.initialParallelism;
  return validateParallelism(job, Object.fromEntries(job.operatorIds.map((id) => [id, given[id] ?? 1])));
}

/** What the gate makes of a decision. */
export type GateResult =
  | { readonly kind: 'observe'; readonly event: 'wait' | 'keep' | 'same' | 'pending'; readonly reason: string }
  | { readonly kind: 'end'; readonly event: 'sustained' | 'capped'; readonly reason: string }
  | { readonly kind: 'actuate'; readonly parallelism: Parallelism; readonly requested: Parallelism; readonly reason: string };

export interface GateState {
  readonly job: JobGraph;
  readonly running: Parallelism;
  readonly sharedWorkers: boolean;
  /** Evaluations since the last counted rescale (this one included). */
  readonly sinceRescale: number;
  readonly reconfigurations: number;
  readonly verdict: SloVerdict;
  /** The engine's per-operator limit now (cluster slots), if any. */
  readonly cap?: number;
}

/** The configuration a request really deploys: shared workers run W everywhere, and nothing exceeds the cap. */
export function effectiveRequest(s: Pick<GateState, 'job' | 'sharedWorkers' | 'cap'>, requested: Parallelism): Parallelism {
  const capped = s.cap === undefined ? requested : Object.fromEntries(Object.entries(requested).map(([id, v]) => [id, Math.min(v, Math.max(1, s.cap as number))]));
  return s.sharedWorkers ? workersParallelism(s.job, Math.max(...Object.values(capped))) : capped;
}

/** The gate: pure, so each rule is tested on its own. */
export function gate(d: Decision, s: GateState, loop: Pick<LoopConfig, 'activation' | 'maxReconfigurations'>): GateResult {
  const keepOrEnd = (event: 'keep' | 'same', reason: string): GateResult =>
    s.verdict.holds ? { kind: 'end', event: 'sustained', reason } : { kind: 'observe', event, reason: `${reason}; SLO not yet held: ${s.verdict.violation}` };
  if (d.kind === 'wait') return { kind: 'observe', event: 'wait', reason: d.reason };
  if (d.kind === 'keep') return keepOrEnd('keep', d.reason);
  const target = effectiveRequest(s, d.parallelism);
  if (parallelismKey(target) === parallelismKey(s.running))
    return keepOrEnd('same', `${d.reason} (${s.cap === undefined ? 'the configuration already running' : `all that the cap of ${s.cap} allows is running`})`);
  if (s.sinceRescale < loop.activation) return { kind: 'observe', event: 'pending', reason: d.reason };
  if (s.reconfigurations >= loop.maxReconfigurations) return { kind: 'end', event: 'capped', reason: d.reason };
  return { kind: 'actuate', parallelism: target, requested: effectiveRequest({ ...s, cap: undefined }, d.parallelism), reason: d.reason };
}

/**
 * Actuate: rescale to `target` (the request within the engine's cap) and classify what happened against what the
 * tuner `requested`: as asked (rescale), changed but short of the request, whether the cap or the engine cut it
 * (rescale-partial), or unchanged (rescale-failed).
 */
export async function actuate(
  deployment: Deployment,
  target: Parallelism,
  requested: Parallelism = target,
  cap?: number,
): Promise<{ event: 'rescale' | 'rescale-partial' | 'rescale-failed'; counted: boolean; downtime: number; outcome: RescaleOutcome; note: string }> {
  const before = deployment.parallelism;
  const report = await deployment.rescale(target);
  const changed = !sameParallelism(report.parallelism, before);
  const asked = report.requested && !sameParallelism(report.requested, target) ? report.requested : requested;
  const event = !changed ? 'rescale-failed' : report.tookEffect && sameParallelism(report.parallelism, asked) ? 'rescale' : 'rescale-partial';
  const capNote = !sameParallelism(target, requested) && cap !== undefined ? `the engine allows at most ${cap} per operator now: asked ${parallelismKey(requested)}, granted ${parallelismKey(report.parallelism)}` : '';
  const note = [capNote, report.note ?? ''].filter(Boolean).join('; ') || (event === 'rescale-failed' ? 'the engine did not apply it' : event === 'rescale-partial' ? 'granted in part' : '');
  return {
    event,
    counted: changed,
    downtime: report.downtimeSeconds,
    outcome: { requested: asked, running: report.parallelism, tookEffect: changed, ...(note ? { note } : {}) },
    note,
  };
}

interface LagStats {
  start: number;
  end: number;
  peak: number;
  integral: number;
  t: number;
}

export async function runLoop(input: LoopInput): Promise<LoopResult> {
  const { job, engine, tuner, schedule, loop, slo } = input;
  const truth: GroundTruth | undefined = engine.capabilities.groundTruth ? engine.groundTruth?.(job) : undefined;
  const shared = engine.capabilities.sharedWorkers;
  const initial = initialParallelism(job, loop);
  const first = schedule[0];
  if (!first) throw new Error('the rate schedule has no phases');
  const ids = { run: input.run, sweep: input.sweep, tuner: tuner.name, seed: input.seed };
  const timeline = new TimelineRecorder(ids, job);
  const history = new HistoryRecorder({ job, run: input.run, seed: input.seed, ...(truth ? { truth } : {}) });
  const episodes = new EpisodeRecorder(ids, job);
  const sinks: LoopSink[] = [timeline, ...(input.keepHistory ? [history] : []), episodes, ...(input.sinks ?? [])];
  const emit = {
    window: (w: WindowRecord) => sinks.forEach((s) => s.window?.(w)),
    engineEvent: (k: number, e: EngineEvent, at: Snapshot) => sinks.forEach((s) => s.engineEvent?.(k, e, at)),
    episode: (e: EpisodeRecord) => sinks.forEach((s) => s.episode?.(e)),
    failure: (k: number, time: number, rate: number, error: string) => sinks.forEach((s) => s.failure?.(k, time, rate, error)),
  };
  const result = (): LoopResult => ({ episodes: episodes.rows, timeline: timeline.rows, history: history.rows });
  let episodeNow = 0;
  let rateNow = first.rate;
  const runHistory: Observation[] = [];
  let windowIndex = 0;
  let lastLag = 0;
  const deployment: Deployment = await engine.deploy(job, initial, first.rate);
  try {
    for (const [k, phase] of schedule.entries()) {
      const rate = phase.rate;
      episodeNow = k;
      rateNow = rate;
      await deployment.setRate(rate);
      if (k > 0 && !loop.carryOver) await deployment.rescale(initial);
      tuner.startEpisode?.(rate);
      const start = deployment.now();
      const episode: Observation[] = [];
      const lag: LagStats = { start: lastLag, end: lastLag, peak: lastLag, integral: 0, t: start };
      let configWindows: LagPoint[] = [];
      let configKey = parallelismKey(deployment.parallelism);
      let reconfigurations = 0;
      let failedRescales = 0;
      let downtime = 0;
      let failovers = 0;
      let invalid = 0;
      let sinceRescale = 0;
      let sloSince: number | undefined;
      let ended: 'sustained' | 'capped' | undefined;
      let verdict: SloVerdict = judgeSlo([], rate, slo);
      let lastRescale: RescaleOutcome | undefined;
      let windows = 0;
      let lastNote = '';
      const extra = Math.max(0, (loop.policyIntervalSec ?? loop.windowSec) - loop.windowSec);
      await deployment.advance(loop.warmupSec);

      while (ended === undefined && deployment.now() - start < phase.durationSec) {
        // observe
        if (extra > 0) await deployment.advance(extra);
        const snapshot = await deployment.observe(loop.windowSec);
        windowIndex++;
        windows++;
        const p = snapshot.parallelism ?? deployment.parallelism;
        for (const e of snapshot.events ?? []) {
          emit.engineEvent(k, e, snapshot);
          downtime += e.downtimeSeconds;
          if (e.kind === 'failover') failovers++;
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
        const base = { episode: k, window: windowIndex, rate, snapshot, parallelism: p, size: deployedSize(p, shared), verdict };
        if (!snapshot.valid) {
          invalid++;
          lastNote = snapshot.note ?? '';
          emit.window({ ...base, event: 'invalid', reason: snapshot.note ?? 'window invalidated by the engine' });
          continue;
        }
        addLag(lag, snapshot.time, totalLag(snapshot));

        // decide
        const obs: Observation = { parallelism: p, snapshot, rate };
        episode.push(obs);
        runHistory.push(obs);
        const cap = deployment.maxOperatorParallelism;
        const view: TunerView = {
          job,
          parallelism: p,
          snapshot,
          targetRate: rate,
          episode,
          history: runHistory,
          clock: deployment.now(),
          sharedWorkers: shared,
          ...(cap !== undefined ? { maxOperatorParallelism: cap } : {}),
          ...(lastRescale ? { lastRescale } : {}),
        };
        const decision = await tuner.decide(view);
        sinceRescale++;

        // gate
        const g = gate(decision, { job, running: p, sharedWorkers: shared, sinceRescale, reconfigurations, verdict, ...(cap !== undefined ? { cap } : {}) }, loop);
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
        downtime += a.downtime;
        emit.window({ ...decided, event: a.event, reason: a.note ? `${g.reason} [${a.note}]` : g.reason, rescale: { requested: a.outcome.requested, granted: a.outcome.running } });
        if (a.event === 'rescale') lastRescale = undefined;
        else lastRescale = a.outcome;
        if (!a.counted) {
          failedRescales++;
          continue;
        }
        reconfigurations++;
        sinceRescale = 0;
        configKey = parallelismKey(deployment.parallelism);
        configWindows = [];
        sloSince = undefined;
        verdict = judgeSlo([], rate, slo);
        await deployment.advance(loop.warmupSec);
      }

      if (windows > 0 && invalid === windows)
        throw new Error(
          `episode ${k} (rate ${rate}/s) had no valid window: all ${windows} were invalid, so nothing was measured or decided (the last: ${lastNote || 'invalidated by the engine'})`,
        );
      const final = deployment.parallelism;
      const outcome: Outcome = ended === 'capped' ? 'capped' : ended === 'sustained' || verdict.holds ? 'sustained' : 'violated';
      const oracle = truth?.oracle(rate).parallelism;
      lastLag = lag.end;
      emit.episode({
        episode: k,
        rate,
        outcome,
        violation: outcome === 'sustained' ? '' : outcome === 'capped' ? `wanted a rescale beyond the cap of ${loop.maxReconfigurations}${verdict.holds ? '' : `; ${verdict.violation}`}` : verdict.violation,
        reconfigurations,
        failedRescales,
        ...(outcome === 'sustained' && sloSince !== undefined ? { timeToSloSec: sloSince } : {}),
        durationSec: deployment.now() - start,
        final,
        finalSize: deployedSize(final, shared),
        ...(oracle ? { oracleSize: deployedSize(oracle, shared) } : {}),
        verdict,
        lagStart: lag.start,
        lagEnd: lag.end,
        lagPeak: lag.peak,
        lagIntegral: lag.integral,
        downtimeSec: downtime,
        failovers,
        invalidWindows: invalid,
      });
      input.onEpisode?.();
    }
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    emit.failure(episodeNow, deployment.now(), rateNow, message);
    throw new LoopFailedError(message, result());
  } finally {
    await deployment.stop();
  }
  return result();
}

/** Adds the lag at time t: trapezoid integral, peak, end. */
function addLag(s: LagStats, t: number, value: number): void {
  s.integral += ((s.end + value) / 2) * Math.max(0, t - s.t);
  s.t = t;
  s.end = value;
  s.peak = Math.max(s.peak, value);
}
