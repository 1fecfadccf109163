/** Everything ContTune carries from one decision to the next, in one object (step.ts reads and updates it). */
import { deployedWorkers } from '../shared/workers.js';
import { parallelismKey, type Parallelism } from '../../core/parallelism.js';
import { PaHistory } from './history.js';

/** Where the current tuning stands (Algorithm 1). */
export interface Tuning {
  /** 'big': a Big step was deployed and Small has not run since; 'small': Small ran with `lambda`. */
  readonly phase: 'big' | 'small';
  /** The real upstream rates Small used (records/s per operator), and the target rate they belong to. */
  readonly lambda?: Readonly<Record<string, number>>;
  readonly rate?: number;
}

export interface ContTuneState {
  /** PA observations per operator and parallelism (kept across episodes: assumed workload-independent). */
  readonly history: PaHistory;
  /** Keys of the observations already recorded (observe.ts observationKey). */
  readonly ingested: Set<string>;
  /** Configurations observed under-provisioned (configurationKey), with that observation's bottleneck operators. */
  readonly bottlenecked: Map<string, readonly string[]>;
  /** p_max: the largest parallelism in the job's history (doubled by Big). */
  pMax: number;
  /** Configurations are compared by worker count on shared workers (set from each view). */
  shared: boolean;
  tuning: Tuning | undefined;
  /** Windows still to wait after the sources caught up. */
  settling: number;
}

export function initState(): ContTuneState {
  return { history: new PaHistory(), ingested: new Set(), bottlenecked: new Map(), pMax: 0, shared: false, tuning: undefined, settling: 0 };
}

/** The key of a configuration at a rate: by worker count on shared workers, else by the whole vector. */
export function configurationKey(rate: number, p: Parallelism, shared: boolean): string {
  return `${rate}|${shared ? `W=${deployedWorkers(p)}` : parallelismKey(p)}`;
}
