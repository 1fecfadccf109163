/** The control loop's room: what drivers above it (experiments, the corpus, calibration, the oracle) use. */
export { SLO_DEFAULTS, loopConfig, sloConfig, type LoopConfig, type SloConfig } from './config.js';
export { actuate, effectiveRequest, gate, type GateResult, type GateState } from './gate.js';
export { deployedSize, driveLoop, initialParallelism } from './loop.js';
export type { EpisodeRecord, LoopEvent, LoopInput, LoopSink, WindowRecord } from './records.js';
export { LoopFailedError, runLoop, type LoopResult, type RecordedLoopInput } from './run.js';
export { EPISODE_COLUMNS, TIMELINE_COLUMNS, type EpisodeRow, type Outcome, type TimelineRow } from './rows.js';
export { judgeSlo, type LagPoint, type SloVerdict } from './slo.js';
