/**
 * The designed runs of a calibration and of the fidelity report. A *block* is one deployment of one job on the
 * real engine; its *points* (a configuration and a source rate each) run in order through the project's control
 * loop (measure.ts), so a block pays one engine start. Points whose rate is `overload` ask far more than the job
 * can do: what the sources then achieve is the largest sustainable rate of that configuration. They come last
 * in a block, since the backlog they leave would disturb any later unsaturated point.
 *
 * Calibration (fits the terms): three parallelisms per operator and three rates on
 *   - cal-exchange: source -hash-> keyed -forward-> map -rebalance-> filter -broadcast-> sink (every ship strategy,
 *     channels 1..4 on each edge): the fixed overhead and the exchange costs;
 *   - cal-cores: source -rebalance-> work (200 us, mostly parked) -forward-> sink at 2, 6, 12 instances, at two rates
 *     and at overload: where the shared machine stops more instances from helping;
 *   - cal-channels: source -rebalance-> send -hash-> recv (20 us per record each, 80 % parked, so 16-32 subtasks fit
 *     on 2 cores without contention) with send x recv = 1x1, 2x8, 4x16, 4x32, 16x32 (channels per sender 1..32,
 *     per receiver 1..16) at 2,000, 8,000, 24,000 events/s: per-channel rates from 4/s to 24,000/s, so both the
 *     buffer-timeout regime (fewer than n = 1,365 records per channel per 100 ms) and the full-buffer regime are
 *     measured, and the per-buffer costs are told apart from the per-subtask overhead and from CPU contention;
 *   - Nexmark q1, q3, q5, q8 with every non-source operator at 1, 2, 3 instances, at 4,000, 8,000, 12,000 events/s:
 *     their per-operator costs and any persistent key skew.
 * Fidelity (held out: other parallelisms and rates): fidelityPlan().
 */
import { JobGraph, type JobSpec } from '../core/job.js';
import type { Parallelism } from '../core/parallelism.js';
import { nexmark, type NexmarkQuery } from '../workloads/nexmark/templates.js';
import { syntheticJob } from '../workloads/synthetic/generator.js';

export interface Point {
  readonly parallelism: Parallelism;
  /** Total source rate, events/s; OVERLOAD marks a sustainable-rate point. */
  readonly rate: number;
  readonly overload: boolean;
}

export interface Block {
  /** Unique within a plan; names the measurements. */
  readonly name: string;
  readonly job: JobGraph;
  readonly points: readonly Point[];
}

export interface Plan {
  readonly name: string;
  readonly blocks: readonly Block[];
}

/** Source rate of a sustainable-rate point: far beyond what 2 cores sustain on any of the designed jobs. */
export const OVERLOAD_RATE = 400_000;

export const CALIBRATION_QUERIES: readonly NexmarkQuery[] = ['q1', 'q3', 'q5', 'q8'];

export function calExchangeJob(): JobGraph {
  return JobGraph.create({
    name: 'cal-exchange',
    operators: [
      { id: 'src', type: 'source', cost: 2, maxParallelism: 32 },
      { id: 'agg', type: 'keyedAggregate', cost: 10, selectivity: 1, keySkew: 0, maxParallelism: 32 },
      { id: 'map', type: 'map', cost: 10, selectivity: 1, maxParallelism: 32 },
      { id: 'fil', type: 'filter', cost: 10, selectivity: 0.5, maxParallelism: 32 },
      { id: 'sink', type: 'sink', cost: 2, maxParallelism: 32 },
    ],
    edges: [
      { from: 'src', to: 'agg', ship: 'hash' },
      { from: 'agg', to: 'map', ship: 'forward' },
      { from: 'map', to: 'fil', ship: 'rebalance' },
      { from: 'fil', to: 'sink', ship: 'broadcast' },
    ],
  });
}

export function calCoresJob(): JobGraph {
  return JobGraph.create({
    name: 'cal-cores',
    operators: [
      { id: 'src', type: 'source', cost: 1, maxParallelism: 32 },
      { id: 'work', type: 'map', cost: 200, selectivity: 1, maxParallelism: 32 },
      { id: 'sink', type: 'sink', cost: 1, maxParallelism: 32 },
    ],
    edges: [
      { from: 'src', to: 'work', ship: 'rebalance' },
      { from: 'work', to: 'sink', ship: 'forward' },
    ],
  });
}

/** source -rebalance-> send -hash-> recv: channels per sender = recv's parallelism, per receiver = send's. */
export function calChannelsJob(): JobGraph {
  return JobGraph.create({
    name: 'cal-channels',
    operators: [
      { id: 'src', type: 'source', cost: 1, maxParallelism: 32 },
      { id: 'send', type: 'map', cost: 20, selectivity: 1, maxParallelism: 32 },
      { id: 'recv', type: 'sink', cost: 20, maxParallelism: 32 },
    ],
    edges: [
      { from: 'src', to: 'send', ship: 'rebalance' },
      { from: 'send', to: 'recv', ship: 'hash' },
    ],
  });
}

/** Send x recv of the channel design: channels per sender 1, 8, 16, 32, 32; per receiver 1, 2, 4, 4, 16. */
export const CHANNEL_CONFIGS: readonly Parallelism[] = [
  { src: 1, send: 1, recv: 1 },
  { src: 1, send: 2, recv: 8 },
  { src: 1, send: 4, recv: 16 },
  { src: 1, send: 4, recv: 32 },
  { src: 1, send: 16, recv: 32 },
];

/** The synthetic job of the ranking comparison (experiments/configs/fidelity-*.json): seed 7, 5-6 operators. */
export function rankingJob(): JobGraph {
  return syntheticJob({ seed: 7, minOperators: 5, maxOperators: 6, peakParallelism: 6, maxParallelism: 32 }).job;
}

/** The Nexmark job as it runs on Flink (the real query; costs are measured, not the template's). */
export function nexmarkJob(q: NexmarkQuery): JobGraph {
  return nexmark(q, { calibration: null }).job;
}

/** Every non-source operator at n (within its max parallelism), sources at 1. */
export function uniform(job: JobGraph, n: number, over: Parallelism = {}): Parallelism {
  return Object.fromEntries(job.operators().map((o) => [o.id, over[o.id] ?? (o.type === 'source' ? 1 : Math.min(n, o.maxParallelism))]));
}

/** Points: every configuration at every rate (configurations outer: fewer rescales), then the overload points. */
export function grid(configs: readonly Parallelism[], rates: readonly number[], overload: readonly Parallelism[] = []): Point[] {
  return [...configs.flatMap((parallelism) => rates.map((rate) => ({ parallelism, rate, overload: false }))), ...overload.map((parallelism) => ({ parallelism, rate: OVERLOAD_RATE, overload: true }))];
}

export function calibrationPlan(queries: readonly NexmarkQuery[] = CALIBRATION_QUERIES): Plan {
  const ex = calExchangeJob();
  const exConfigs: Parallelism[] = [
    { src: 1, agg: 1, map: 1, fil: 1, sink: 1 },
    { src: 1, agg: 2, map: 4, fil: 3, sink: 2 },
    { src: 1, agg: 4, map: 2, fil: 2, sink: 4 },
  ];
  const cores = calCoresJob();
  const coreConfigs = [2, 6, 12].map((n) => ({ src: 1, work: n, sink: 1 }));
  return {
    name: 'calibration',
    blocks: [
      { name: 'cal-exchange', job: ex, points: grid(exConfigs, [4_000, 12_000, 20_000]) },
      { name: 'cal-channels', job: calChannelsJob(), points: grid(CHANNEL_CONFIGS, [2_000, 8_000, 24_000]) },
      { name: 'cal-cores', job: cores, points: grid(coreConfigs, [3_000, 8_000], coreConfigs) },
      ...queries.map((q) => {
        const job = nexmarkJob(q);
        return { name: `nexmark-${q}`, job, points: grid([1, 2, 3].map((n) => uniform(job, n)), [4_000, 8_000, 12_000]) };
      }),
    ],
  };
}

/** Held-out points: parallelisms and rates the calibration did not use. `quick`: a subset in under 5 minutes. */
export function fidelityPlan(quick = false): Plan {
  const q5 = nexmarkJob('q5');
  const rank = rankingJob();
  const wu = 23_566; // the ranking job's W_u (syntheticJob seed 7)
  const rankIds = rank.operatorIds;
  const rankConfigs: Parallelism[] = [uniform(rank, 1), uniform(rank, 2), Object.fromEntries(rankIds.map((id, i) => [id, i === 1 ? 3 : 1]))];
  const q5Configs = [uniform(q5, 1, { hotCount: 2 }), uniform(q5, 1, { bids: 2, hotCount: 3 })];
  const blocks: Block[] = [
    { name: 'nexmark-q5', job: q5, points: grid(q5Configs, [6_000, 10_000], q5Configs) },
    { name: 'synthetic-7', job: rank, points: grid(quick ? rankConfigs.slice(0, 2) : rankConfigs, [wu, 2 * wu], quick ? [uniform(rank, 1)] : rankConfigs) },
    ...scaleBlocks(),
  ];
  if (quick) return { name: 'fidelity-quick', blocks };
  const cores = calCoresJob();
  blocks.push({ name: 'cal-cores', job: cores, points: grid([{ src: 1, work: 4, sink: 1 }], [5_000], [4, 8].map((n) => ({ src: 1, work: n, sink: 1 }))) });
  for (const q of ['q1', 'q3', 'q8'] as const) {
    const job = nexmarkJob(q);
    const keyed = job.operators().find((o) => o.partitioning === 'hash' && o.maxParallelism > 1)?.id;
    const mixed = uniform(job, 1, keyed ? { [keyed]: 2 } : { [job.operatorIds[1] as string]: 2 });
    blocks.push({ name: `nexmark-${q}`, job, points: grid([mixed, uniform(job, 4)], [6_000, 10_000], [mixed, uniform(job, 4)]) });
  }
  return { name: 'fidelity', blocks };
}

/**
 * Held-out points at scale (in the quick plan too): 16 to 24 subtasks per operator with parked costs (the channel
 * job at send x recv = 16 x 24 and 24 x 16 at 16,000 and 40,000 events/s, configurations the calibration did not use; the ranking job with every
 * operator at 16), and Nexmark q1 at rates where its operators are busy beyond the noise (30,000 and 50,000
 * events/s, then overload).
 */
export function scaleBlocks(): Block[] {
  const ch = calChannelsJob();
  const rank = rankingJob();
  const q1 = nexmarkJob('q1');
  const chConfigs: Parallelism[] = [
    { src: 1, send: 16, recv: 24 },
    { src: 1, send: 24, recv: 16 },
  ];
  return [
    // 40,000/s over 16 senders: 2,500/s each, 50 ms/s of (mostly parked) cost: busy enough to be scored.
    { name: 'scale-channels', job: ch, points: grid(chConfigs, [16_000, 40_000]) },
    { name: 'scale-synthetic-7', job: rank, points: grid([uniform(rank, 16)], [23_566]) },
    { name: 'scale-nexmark-q1', job: q1, points: grid([uniform(q1, 1)], [30_000, 50_000], [uniform(q1, 1)]) },
  ];
}

/** A job with its operators' costs replaced (measured Nexmark costs for the simulator). */
export function withCosts(job: JobGraph, costs: Readonly<Record<string, number>>): JobGraph {
  const spec: JobSpec = job.toSpec();
  return JobGraph.create({ ...spec, operators: spec.operators.map((o) => (costs[o.id] !== undefined ? { ...o, cost: costs[o.id] as number } : o)) });
}
