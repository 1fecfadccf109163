/** Result rows and their CSV columns (episodes.csv, timeline.csv); history rows live in history/record.ts. */

export const EPISODE_COLUMNS = [
  'run',
  'sweep',
  'tuner',
  'seed',
  'episode',
  'targetRate',
  'reconfigurations',
  'outcome',
  'finalTotalParallelism',
  'oracleTotalParallelism',
  'parallelismOverOracle',
  'timeToConvergeSec',
  'backlogRecords',
  'throughputRatio',
  'downtimeSec',
  'invalidWindows',
  'finalParallelism',
] as const;
export type EpisodeRow = Record<(typeof EPISODE_COLUMNS)[number], string | number>;

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
  'event',
  'reason',
] as const;
export type TimelineRow = Record<(typeof TIMELINE_COLUMNS)[number], string | number>;

/** Episode outcomes: the tuner said keep, the reconfiguration cap was hit, or the phase ran out of time. */
export type Outcome = 'converged' | 'capped' | 'timeout';
