/** Result rows and their CSV columns (episodes.csv, timeline.csv); history rows live in history/record.ts. */

/**
 * One row per episode. Parallelism over the oracle's is filled for sustained episodes only (an under-provisioned
 * end is a violation, never "below the minimum"); the lag figures report backlog as a cost: lag at the start
 * (inherited) and at the end, its peak and its integral over the episode (record-seconds), sampled at window ends.
 */
export const EPISODE_COLUMNS = [
  'run',
  'sweep',
  'tuner',
  'seed',
  'episode',
  'targetRate',
  'outcome',
  'violation',
  'reconfigurations',
  'failedRescales',
  'timeToSloSec',
  'durationSec',
  'finalTotalParallelism',
  'oracleTotalParallelism',
  'parallelismOverOracle',
  'oracleSource',
  'lagTrend',
  'lagStartRecords',
  'lagEndRecords',
  'lagEndSec',
  'lagPeakRecords',
  'lagIntegralRecordSec',
  'downtimeSec',
  'failovers',
  'invalidWindows',
  'finalParallelism',
] as const;
export type EpisodeRow = Record<(typeof EPISODE_COLUMNS)[number], string | number>;

/**
 * One row per observed window and per engine event. On a rescale row (rescale, rescale-partial, rescale-failed)
 * requestedParallelism is what the tuner asked for and grantedParallelism what runs after it (`op=p;...`); an
 * engine event (failover, clusterRescale) fills grantedParallelism with what the job restarted with. A run that
 * stopped with an error ends with a `failed` row whose reason is the error.
 */
export const TIMELINE_COLUMNS = [
  'run',
  'sweep',
  'tuner',
  'seed',
  'episode',
  'window',
  'time',
  'targetRate',
  'achievedRate',
  'totalParallelism',
  'lagRecords',
  'lagTrend',
  'sloHolds',
  'event',
  'reason',
  'requestedParallelism',
  'grantedParallelism',
] as const;
export type TimelineRow = Record<(typeof TIMELINE_COLUMNS)[number], string | number>;

/**
 * Episode outcomes: the SLO held at the end (and the tuner kept, or time ran out with it holding), time ran out
 * without the SLO (the row's `violation` says which part failed), the tuner wanted more than the cap, or the
 * ground truth says no configuration within the operators' max parallelism (and a finite machine's cores) meets
 * the SLO at this rate (`violation` says which operator at its max, or the cores): then every tuner's episode,
 * the oracle's included, is infeasible, and it counts in neither the sustained share nor P / oracle.
 */
export type Outcome = 'sustained' | 'violated' | 'capped' | 'infeasible';
