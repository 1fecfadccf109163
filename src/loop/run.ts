/**
 * A recorded run: the loop with the standard recorders (timeline, history, episodes) plus any the caller adds,
 * returning their rows. The experiment runner, the tests and the benches use this; drivers that need only their
 * own records (calibration, the history corpus) call driveLoop() with their sinks.
 */
import type { HistoryRow } from '../history/record.js';
import { driveLoop } from './loop.js';
import type { LoopInput, LoopSink } from './records.js';
import { EpisodeRecorder, HistoryRecorder, TimelineRecorder } from './recorders.js';
import type { EpisodeRow, TimelineRow } from './rows.js';

export interface RecordedLoopInput extends Omit<LoopInput, 'sinks'> {
  /** Keep history.csv's rows (per operator per window). */
  keepHistory: boolean;
  /** Extra recorders after the standard ones. */
  sinks?: LoopInput['sinks'];
}

export interface LoopResult {
  episodes: EpisodeRow[];
  timeline: TimelineRow[];
  history: HistoryRow[];
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

export async function runLoop(input: RecordedLoopInput): Promise<LoopResult> {
  const { job, engine, tuner } = input;
  const truth = input.truth ?? (engine.capabilities.groundTruth ? engine.groundTruth?.(job) : undefined);
  const ids = { run: input.run, sweep: input.sweep, tuner: tuner.name, seed: input.seed };
  const timeline = new TimelineRecorder(ids, job);
  const history = new HistoryRecorder({ job, run: input.run, seed: input.seed, ...(truth ? { truth } : {}) });
  const episodes = new EpisodeRecorder(ids, job);
  const { keepHistory, sinks = [], ...rest } = input;
  const rows = (): LoopResult => ({ episodes: episodes.rows, timeline: timeline.rows, history: history.rows });
  // The loop tells its sinks of a failure after the deploy; one before it (the deploy's) is thrown as it is.
  let failedAfterDeploy = false;
  const failure: LoopSink = { failure: () => (failedAfterDeploy = true) };
  try {
    await driveLoop({ ...rest, ...(truth ? { truth } : {}), sinks: [timeline, ...(keepHistory ? [history] : []), episodes, ...sinks, failure] });
  } catch (e) {
    if (!failedAfterDeploy) throw e;
    throw new LoopFailedError((e as Error).message ?? String(e), rows());
  }
  return rows();
}
