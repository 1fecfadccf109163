/**
 * The control loop: owns time. For each rate phase (episode): set the rate, warm up, then observe -> decide ->
 * rescale until the tuner keeps (converged), the reconfiguration cap is hit, or the phase's time runs out.
 * Every observed window becomes a timeline row and history rows.
 */
import type { Observation, Tuner, TunerView } from '../tuners/tuner.js';
import { isWait } from '../tuners/shared/decisions.js';
import type { Deployment, Engine, GroundTruth } from '../engines/engine.js';
import type { JobGraph } from '../core/job.js';
import { totalLag, type Snapshot } from '../core/metrics.js';
import { parallelismKey, totalParallelism, uniformParallelism, validateParallelism, type Parallelism } from '../core/parallelism.js';
import type { RateSchedule } from '../core/rates.js';
import { metricLabels } from '../history/labels.js';
import { historyRows, type HistoryRow } from '../history/record.js';
import type { LoopConfig } from './schema.js';
import type { EpisodeRow, Outcome, TimelineRow } from './rows.js';

export interface LoopInput {
  run: string;
  sweep: string;
  seed: number;
  job: JobGraph;
  engine: Engine;
  tuner: Tuner;
  schedule: RateSchedule;
  loop: LoopConfig;
  keepHistory: boolean;
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

const round = (x: number): number => (Number.isFinite(x) ? Number(x.toPrecision(8)) : x);

export async function runLoop(input: LoopInput): Promise<LoopResult> {
  const { job, engine, tuner, schedule, loop } = input;
  const truth: GroundTruth | undefined = engine.groundTruth?.(job);
  const shared = engine.capabilities.sharedWorkers;
  const initial = initialParallelism(job, loop);
  const first = schedule[0];
  if (!first) throw new Error('the rate schedule has no phases');
  const episodes: EpisodeRow[] = [];
  const timeline: TimelineRow[] = [];
  const history: HistoryRow[] = [];
  const runHistory: Observation[] = [];
  const ids = { run: input.run, sweep: input.sweep, tuner: tuner.name, seed: input.seed };
  let windowIndex = 0;
  const deployment: Deployment = await engine.deploy(job, initial, first.rate);
  try {
    for (const [k, phase] of schedule.entries()) {
      await deployment.setRate(phase.rate);
      if (k > 0 && !loop.carryOver) await deployment.rescale(initial);
      tuner.startEpisode?.(phase.rate);
      const start = deployment.now();
      const episode: Observation[] = [];
      let reconfigurations = 0;
      let downtime = 0;
      let invalid = 0;
      let sinceRescale = 0;
      let outcome: Outcome = 'timeout';
      let convergedAt = Number.NaN;
      let last: Snapshot | undefined;
      const extra = Math.max(0, (loop.policyIntervalSec ?? loop.windowSec) - loop.windowSec);
      /** Records a keep; true once the configuration has held for settleSec (or the phase is over). */
      const settled = (): boolean => {
        if (outcome !== 'converged') {
          outcome = 'converged';
          convergedAt = deployment.now() - start;
        }
        return deployment.now() - start - convergedAt >= loop.settleSec;
      };
      await deployment.advance(loop.warmupSec);
      const row = (event: string, reason: string, s: Snapshot): void => {
        timeline.push({
          ...ids,
          episode: k,
          window: windowIndex,
          time: round(s.time),
          targetRate: round(s.targetRate),
          achievedRate: round(s.achievedRate),
          totalParallelism: deployedSize(deployment.parallelism, shared),
          lagRecords: round(totalLag(s)),
          event,
          reason,
        });
      };
      while (deployment.now() - start < phase.durationSec) {
        if (extra > 0) await deployment.advance(extra);
        const snapshot = await deployment.observe(loop.windowSec);
        windowIndex++;
        const p = deployment.parallelism;
        if (input.keepHistory) {
          history.push(
            ...historyRows({
              job,
              run: input.run,
              seed: input.seed,
              episode: k,
              window: windowIndex,
              snapshot,
              parallelism: p,
              labelMetric: metricLabels(job, snapshot),
              ...(truth
                ? { truth: { labels: truth.bottlenecks(p, phase.rate), demand: truth.demandedRates(phase.rate), capacity: truth.capacities(p) } }
                : {}),
            }),
          );
        }
        if (!snapshot.valid) {
          invalid++;
          row('invalid', snapshot.note ?? 'window invalidated by the engine', snapshot);
          continue;
        }
        last = snapshot;
        const obs: Observation = { parallelism: p, snapshot, rate: phase.rate };
        episode.push(obs);
        runHistory.push(obs);
        const view: TunerView = {
          job,
          parallelism: p,
          snapshot,
          targetRate: phase.rate,
          episode,
          history: runHistory,
          clock: deployment.now(),
          sharedWorkers: shared,
        };
        const decision = await tuner.decide(view);
        sinceRescale++;
        if (decision.kind === 'keep') {
          if (isWait(decision)) {
            row('wait', decision.reason, snapshot);
            continue;
          }
          row('keep', decision.reason, snapshot);
          if (settled()) break;
          continue;
        }
        if (sinceRescale < loop.activation) {
          row('pending', decision.reason, snapshot);
          continue;
        }
        if (reconfigurations >= loop.maxReconfigurations) {
          row('capped', decision.reason, snapshot);
          outcome = 'capped';
          break;
        }
        if (parallelismKey(decision.parallelism) === parallelismKey(p)) {
          row('keep', `${decision.reason} (same configuration)`, snapshot);
          if (settled()) break;
          continue;
        }
        const report = await deployment.rescale(decision.parallelism);
        reconfigurations++;
        outcome = 'timeout';
        convergedAt = Number.NaN;
        downtime += report.downtimeSeconds;
        sinceRescale = 0;
        row('rescale', decision.reason, snapshot);
        await deployment.advance(loop.warmupSec);
      }
      const final = deployment.parallelism;
      const oracle = truth?.oracle(phase.rate).parallelism;
      const finalSize = deployedSize(final, shared);
      const oracleSize = oracle ? deployedSize(oracle, shared) : undefined;
      episodes.push({
        ...ids,
        episode: k,
        targetRate: round(phase.rate),
        reconfigurations,
        outcome,
        finalTotalParallelism: finalSize,
        oracleTotalParallelism: oracleSize ?? '',
        parallelismOverOracle: oracleSize ? round(finalSize / oracleSize) : '',
        timeToConvergeSec: Number.isNaN(convergedAt) ? '' : round(convergedAt),
        backlogRecords: last ? round(totalLag(last)) : '',
        throughputRatio: last && last.targetRate > 0 ? round(last.achievedRate / last.targetRate) : '',
        downtimeSec: round(downtime),
        invalidWindows: invalid,
        finalParallelism: job.operatorIds.map((id) => `${id}=${final[id]}`).join(';'),
      });
      input.onEpisode?.();
    }
  } finally {
    await deployment.stop();
  }
  return { episodes, timeline, history };
}
