/**
 * GED approximation quality on 15-25 operator pairs (cluster assignment of large jobs depends on it):
 * per pair the approximation (the `auto` path above gedExactMaxNodes) against the exact A* value with a large
 * expansion budget; only pairs the exact search proves are counted. Two kinds of pairs: a synthetic DAG and a copy
 * with 1-6 random edits (a job and its family: what nearest-medoid assignment decides on), and two unrelated
 * synthetic DAGs. Reports the mean relative excess (approx - exact) / exact, the share of pairs found exactly and
 * the CPU time per pair. BENCH_GED_PAIRS (default 40 per kind), BENCH_GED_BUDGET (default 2e6 expansions).
 *
 * Run alone: npx tsx bench/streamtune-ged.ts
 */
import { pathToFileURL } from 'node:url';
import { Rng } from '../src/core/random.js';
import { fromJobGraph, gedPrepared, prepareGraphs, type GedOptions, type LabelledGraph, type PreparedGraph } from '../src/graph/ged.js';
import { editDag } from '../src/corpus/families.js';
import { syntheticJob } from '../src/workloads/synthetic/generator.js';

type Row = Record<string, string | number>;

const envInt = (name: string, def: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : def;
};

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function dag(seed: number, n: number): LabelledGraph {
  return fromJobGraph(syntheticJob({ seed: Math.imul(seed + 1, 0x9e3779b1) >>> 0, minOperators: n, maxOperators: n }).job);
}

export function gedPairs(kind: 'edited' | 'unrelated', count: number, seed = 1): [LabelledGraph, LabelledGraph][] {
  const rng = new Rng(0x6ed0 + seed).fork(kind);
  return Array.from({ length: count }, (_, i) => {
    const a = dag(i * 7 + seed * 1000, rng.int(15, 25));
    if (kind === 'unrelated') return [a, dag(i * 7 + 3 + seed * 1000, rng.int(15, 25))];
    return [a, editDag(a, rng.int(1, 6), rng)];
  });
}

export interface GedQuality {
  kind: string;
  pairs: number;
  proven: number;
  meanExcess: number;
  maxExcess: number;
  exactShare: number;
  cpuMsPerPair: number;
}

export function gedQuality(pairs: readonly [LabelledGraph, LabelledGraph][], approx: GedOptions, budget: number, kind: string): GedQuality {
  let proven = 0;
  let excess = 0;
  let maxExcess = 0;
  let exactHits = 0;
  let cpu = 0;
  for (const [a, b] of pairs) {
    const [A, B] = prepareGraphs([a, b]) as [PreparedGraph, PreparedGraph];
    const e = gedPrepared(A, B, { method: 'exact', maxExpansions: budget });
    if (!e.exact) continue;
    proven++;
    const t0 = cpuMs();
    const r = gedPrepared(A, B, { ...approx, method: 'approx' });
    cpu += cpuMs() - t0;
    const x = e.distance > 0 ? (r.distance - e.distance) / e.distance : 0;
    excess += x;
    maxExcess = Math.max(maxExcess, x);
    if (r.distance === e.distance) exactHits++;
  }
  return { kind, pairs: pairs.length, proven, meanExcess: proven ? excess / proven : NaN, maxExcess, exactShare: proven ? exactHits / proven : NaN, cpuMsPerPair: proven ? cpu / proven : NaN };
}

export async function benchStreamtuneGed(): Promise<Row[]> {
  const n = envInt('BENCH_GED_PAIRS', 40);
  const budget = envInt('BENCH_GED_BUDGET', 2_000_000);
  const rows: Row[] = [];
  for (const kind of ['edited', 'unrelated'] as const) {
    const pairs = gedPairs(kind, n);
    for (const [label, o] of [
      ['plain bipartite', { approxRefinePasses: 0, approxIterations: 0, approxBeam: 0 }],
      ['without beam refinement (refine 3, IPFP 1)', { approxBeam: 0 }],
      ['default (beam refinement)', {}],
    ] as const) {
      const q = gedQuality(pairs, o as GedOptions, budget, kind);
      rows.push({
        bench: `GED approximation vs exact, ${kind} pairs of 15-25 operators`,
        method: label,
        pairs: q.pairs,
        provenExact: q.proven,
        meanExcess: `${(100 * q.meanExcess).toFixed(1)}%`,
        maxExcess: `${(100 * q.maxExcess).toFixed(1)}%`,
        exactShare: `${(100 * q.exactShare).toFixed(0)}%`,
        cpuMsPerPair: q.cpuMsPerPair.toFixed(2),
      });
    }
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) for (const row of await benchStreamtuneGed()) console.log(Object.entries(row).map(([k, v]) => `${k}: ${v}`).join(' | '));
