/**
 * Nexmark query templates (reference/nexmark.md §2): real operator DAGs with one vertex per operator, keyed
 * edges, window shapes and selectivities from the generator's 1:3:46 person:auction:bid mix.
 *
 * Rates are total generator events per second. Per-operator costs are data: the defaults are chosen so that at
 * 10 x W_u (the top of ContTune's protocol) each operator needs about `peak` instances, and a calibration on
 * real Flink (datasets/calibration/costs/flink/<q>.json, written by `npm run calibrate`) overrides them.
 *
 * Key skew: the generator's hot auction/person rotates every 100 ids, i.e. every few milliseconds at these
 * rates, so over a measurement window the hot key spreads across subtasks: the templates carry no persistent
 * skew. Synthetic jobs (`maxKeySkew`) model a persistent hot key.
 */
import { join } from 'node:path';
import { PROJECT_ROOT, queryCostsDir } from '../../core/project.js';
import { existsSync, readFileSync } from 'node:fs';
import { JobGraph, type EdgeSpec, type OperatorSpecInput } from '../../core/job.js';
import type { Workload } from '../workload.js';

/** Event shares of the generator mix (eventId % 50: 1 person, 3 auctions, 46 bids). */
export const MIX = { person: 1 / 50, auction: 3 / 50, bid: 46 / 50 } as const;

/**
 * Sources are sized so that one instance emits 10 x W_u: the generator stands for an external log (Kafka), so
 * sources are not what the tuners compete on (DS2 keeps them fixed, as its paper does).
 */
const SOURCE_PEAK = 0.9;

interface OpTemplate extends Omit<OperatorSpecInput, 'cost'> {
  /** Instances this operator needs at 10 x W_u (sets the default cost). */
  peak: number;
}

interface QueryTemplate {
  /** ContTune's W_u for this query, converted to generator events per second. */
  workloadUnit: number;
  semantics: string;
  operators: OpTemplate[];
  edges: EdgeSpec[];
}

const bidChain = (mid: OpTemplate[], unit: number, semantics: string): QueryTemplate => {
  const ids = ['source', ...mid.map((m) => m.id), 'sink'];
  return {
    workloadUnit: unit,
    semantics,
    operators: [{ id: 'source', type: 'source', peak: SOURCE_PEAK }, ...mid, { id: 'sink', type: 'sink', peak: 4 }],
    edges: ids.slice(1).map((to, i) => ({ from: ids[i] as string, to })),
  };
};

/** q4 and q6: the winning bid per auction (bids joined with auctions), then a keyed aggregate of it. */
const winningBidQuery = (aggregate: OpTemplate, semantics: string): QueryTemplate => ({
  workloadUnit: 1_000_000,
  semantics,
  operators: [
    { id: 'source', type: 'source', peak: SOURCE_PEAK },
    { id: 'bids', type: 'filter', selectivity: MIX.bid, peak: 10 },
    { id: 'auctions', type: 'filter', selectivity: MIX.auction, peak: 8 },
    { id: 'winningBid', type: 'join', selectivity: 0.02, stateSizeMb: 300, peak: 16 },
    aggregate,
    { id: 'sink', type: 'sink', peak: 1 },
  ],
  edges: [
    { from: 'source', to: 'bids' },
    { from: 'source', to: 'auctions' },
    { from: 'bids', to: 'winningBid' },
    { from: 'auctions', to: 'winningBid' },
    { from: 'winningBid', to: aggregate.id },
    { from: aggregate.id, to: 'sink' },
  ],
});

export const NEXMARK_QUERIES = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8', 'q11'] as const;
export type NexmarkQuery = (typeof NEXMARK_QUERIES)[number];

/** ContTune's WordCount companion (3 operators: source, splitter, keyed counter; W_u = 100K lines/s). */
export type TemplateName = NexmarkQuery | 'wordcount';

const TEMPLATES: Record<TemplateName, QueryTemplate> = {
  wordcount: {
    workloadUnit: 100_000,
    semantics: 'WordCount: split lines into words, count per word',
    operators: [
      { id: 'source', type: 'source', peak: SOURCE_PEAK },
      { id: 'splitter', type: 'flatMap', selectivity: 8, peak: 10 },
      { id: 'counter', type: 'keyedAggregate', selectivity: 0, stateSizeMb: 50, peak: 16 },
    ],
    edges: [
      { from: 'source', to: 'splitter' },
      { from: 'splitter', to: 'counter' },
    ],
  },
  q0: bidChain(
    [
      { id: 'bids', type: 'filter', selectivity: MIX.bid, peak: 12 },
      { id: 'project', type: 'map', peak: 10 },
    ],
    700_000 / MIX.bid,
    'pass-through of bids',
  ),
  q1: bidChain(
    [
      { id: 'bids', type: 'filter', selectivity: MIX.bid, peak: 12 },
      { id: 'currency', type: 'map', peak: 14 },
    ],
    700_000 / MIX.bid,
    'currency conversion: price x 0.908',
  ),
  q2: bidChain(
    [
      { id: 'select', type: 'filter', selectivity: MIX.bid / 123, peak: 14 },
      { id: 'project', type: 'map', peak: 1 },
    ],
    900_000 / MIX.bid,
    'selection: auction % 123 == 0',
  ),
  q3: {
    workloadUnit: 3_000_000,
    semantics: 'local item suggestion: auctions in category 10 joined with persons in OR, ID, CA on seller = id',
    operators: [
      { id: 'source', type: 'source', peak: SOURCE_PEAK },
      { id: 'persons', type: 'filter', selectivity: MIX.person * 0.5, peak: 9 },
      { id: 'auctions', type: 'filter', selectivity: MIX.auction * 0.2, peak: 10 },
      { id: 'join', type: 'join', selectivity: 0.5, stateSizeMb: 400, peak: 6 },
      { id: 'sink', type: 'sink', peak: 1 },
    ],
    edges: [
      { from: 'source', to: 'persons' },
      { from: 'source', to: 'auctions' },
      { from: 'persons', to: 'join' },
      { from: 'auctions', to: 'join' },
      { from: 'join', to: 'sink' },
    ],
  },
  q4: winningBidQuery(
    { id: 'average', type: 'keyedAggregate', selectivity: 1, maxParallelism: 5, peak: 2 },
    'average closing price per category: winning bid per auction, then average per category',
  ),
  q5: bidChain(
    [
      { id: 'bids', type: 'filter', selectivity: MIX.bid, peak: 3 },
      {
        id: 'hotCount',
        type: 'window',
        selectivity: 0.02,
        
        stateSizeMb: 200,
        window: { sizeSec: 10, slideSec: 2 },
        peak: 14,
      },
      { id: 'maxCount', type: 'window', selectivity: 0.01, maxParallelism: 1, window: { sizeSec: 10, slideSec: 2 }, peak: 1 },
    ],
    80_000 / MIX.bid,
    'hot items: per sliding window (10 s, slide 2 s) the auction(s) with the most bids',
  ),
  q6: winningBidQuery(
    { id: 'sellerAvg', type: 'keyedAggregate', selectivity: 1, stateSizeMb: 50, peak: 2 },
    'average price of the last 10 closed auctions per seller',
  ),
  q7: bidChain(
    [
      { id: 'bids', type: 'filter', selectivity: MIX.bid, peak: 10 },
      { id: 'preMax', type: 'window', selectivity: 0.001, partitioning: 'forward', window: { sizeSec: 10, slideSec: 10 }, peak: 12 },
      { id: 'globalMax', type: 'window', selectivity: 1, maxParallelism: 1, window: { sizeSec: 10, slideSec: 10 }, peak: 1 },
    ],
    700_000 / MIX.bid,
    'highest bid per tumbling 10 s window',
  ),
  q8: {
    workloadUnit: 2_000_000,
    semantics: 'new users: persons joined with auctions (id = seller) in the same tumbling 10 s window',
    operators: [
      { id: 'source', type: 'source', peak: SOURCE_PEAK },
      { id: 'persons', type: 'map', selectivity: MIX.person, peak: 6 },
      { id: 'auctions', type: 'map', selectivity: MIX.auction, peak: 6 },
      { id: 'join', type: 'join', selectivity: 0.2, stateSizeMb: 150, window: { sizeSec: 10, slideSec: 10 }, peak: 10 },
      { id: 'sink', type: 'sink', peak: 1 },
    ],
    edges: [
      { from: 'source', to: 'persons', share: 1 },
      { from: 'source', to: 'auctions', share: 1 },
      { from: 'persons', to: 'join' },
      { from: 'auctions', to: 'join' },
      { from: 'join', to: 'sink' },
    ],
  },
  q11: bidChain(
    [
      { id: 'bids', type: 'filter', selectivity: MIX.bid, peak: 8 },
      { id: 'sessions', type: 'window', selectivity: 0.05, stateSizeMb: 100, window: { sizeSec: 10, slideSec: 10 }, peak: 9 },
    ],
    500_000 / MIX.bid,
    'user sessions: bids per bidder per session (gap 10 s)',
  ),
};

export interface CalibrationFile {
  query: string;
  operators: Record<string, { cost?: number; selectivity?: number }>;
}

export function isNexmarkQuery(q: string): q is NexmarkQuery {
  return (NEXMARK_QUERIES as readonly string[]).includes(q);
}

/** Default location of a query's calibration, written by `npm run calibrate` (under the project, whatever the cwd). */
export function calibrationPath(q: TemplateName, root = PROJECT_ROOT): string {
  return join(queryCostsDir('flink', root), `${q}.json`);
}

/**
 * Builds a Nexmark workload. Costs come from the calibration file when one exists (or is given), else from the
 * template's defaults.
 */
export function nexmark(
  q: TemplateName,
  options: { calibration?: CalibrationFile | null; maxParallelism?: number; workloadUnit?: number } = {},
): Workload {
  const t = TEMPLATES[q];
  const name = q === 'wordcount' ? q : `nexmark-${q}`;
  const calibration = options.calibration === undefined ? readCalibration(q) : options.calibration;
  const draft = JobGraph.create({ name, operators: t.operators.map((o) => stripPeak(o)), edges: t.edges });
  const load = draft.loadFactors();
  const peakRate = 10 * t.workloadUnit;
  // 0.9: at 10 x W_u an operator at its peak parallelism runs at 90 % (headroom to drain a restart's backlog).
  const defaultCost = (o: OpTemplate): number => (0.9 * 1e6 * o.peak) / (peakRate * (load[o.id] ?? 1) || 1);
  const operators = t.operators.map((o) => {
    // Sources stay sized as an external log: a calibration replaces the operators' costs only.
    const over = o.type === 'source' ? {} : (calibration?.operators[o.id] ?? {});
    return {
      ...stripPeak(o),
      cost: over.cost ?? round3(defaultCost(o)),
      selectivity: over.selectivity ?? o.selectivity,
      maxParallelism: o.maxParallelism ?? options.maxParallelism ?? 128,
    };
  });
  // Calibrated costs are this machine's: scale W_u so that no calibrated operator needs more than its template
  // peak at 10 x W_u (the template's shape of the problem is kept, its absolute rates follow the hardware).
  const scales = t.operators
    .filter((o) => o.type !== 'source' && (calibration?.operators[o.id]?.cost ?? 0) > 0)
    .map((o) => defaultCost(o) / (calibration?.operators[o.id]?.cost as number));
  const workloadUnit = options.workloadUnit ?? (scales.length > 0 ? Math.round(t.workloadUnit * Math.min(...scales)) : t.workloadUnit);
  const sourceCost = round3((0.9 * 1e6) / (10 * workloadUnit));
  return {
    job: JobGraph.create({
      name,
      operators: operators.map((o) => (o.type === 'source' ? { ...o, cost: sourceCost } : o)),
      edges: t.edges,
    }),
    workloadUnit,
    description: `${q === 'wordcount' ? '' : 'nexmark:'}${q}${calibration ? ' (calibrated)' : ''}: ${t.semantics}`,
  };
}

function stripPeak(o: OpTemplate): OperatorSpecInput {
  const { peak: _peak, ...rest } = o;
  return rest;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function readCalibration(q: TemplateName): CalibrationFile | null {
  const p = calibrationPath(q);
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as CalibrationFile;
}
