/** Operator kinds and input partitionings: the closed vocabulary every room shares. */

export const OPERATOR_TYPES = [
  'source',
  'map',
  'filter',
  'flatMap',
  'keyedAggregate',
  'window',
  'join',
  'sink',
] as const;
export type OperatorType = (typeof OPERATOR_TYPES)[number];

/** How records travel over an edge (Flink's ship strategy). */
export const PARTITIONINGS = ['forward', 'hash', 'rebalance', 'broadcast'] as const;
export type Partitioning = (typeof PARTITIONINGS)[number];

export function isOperatorType(x: unknown): x is OperatorType {
  return typeof x === 'string' && (OPERATOR_TYPES as readonly string[]).includes(x);
}

export function isPartitioning(x: unknown): x is Partitioning {
  return typeof x === 'string' && (PARTITIONINGS as readonly string[]).includes(x);
}

/** Operator types whose state is keyed: their input is hash-partitioned and can be skewed. */
export const KEYED_TYPES: ReadonlySet<OperatorType> = new Set(['keyedAggregate', 'window', 'join']);
