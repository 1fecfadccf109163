/**
 * GED and clustering speed (`npm run bench -- graph`):
 *  - the all-pairs GED matrix of 500 synthetic job DAGs of 5 to 40 operators (auto: exact A* when both graphs have
 *    at most 12 nodes, the bipartite approximation otherwise), then k chosen by silhouette on it;
 *  - exact A* time on small pairs, and how far the approximation is above it there;
 *  - a check against networkx.graph_edit_distance (tools/networkx_ged.py), when python3 has networkx: our exact GED
 *    must equal networkx's on every pair networkx finishes within its timeout; reports the speed ratio.
 * Sizes can be lowered for a quick look: BENCH_GRAPH_JOBS (500), BENCH_GRAPH_NX_PAIRS (60), BENCH_GRAPH_NX_TIMEOUT (10 s).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Rng } from '../src/core/random.js';
import { fromJobGraph, ged, gedMatrix, gedPrepared, prepareGraphs, type LabelledGraph, type PreparedGraph } from '../src/graph/ged.js';
import { chooseK } from '../src/graph/kmedoids.js';
import { syntheticJob } from '../src/workloads/synthetic/generator.js';

type Row = Record<string, string | number>;

const envInt = (name: string, def: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : def;
};

/**
 * Job structures from the synthetic generator with an explicit operator count each. Seeds are spread over 32 bits:
 * Rng's first draws from small consecutive seeds are nearly constant, which would make every job the same size.
 */
function syntheticDags(count: number, minOps: number, maxOps: number, salt: number): LabelledGraph[] {
  const sizes = new Rng(0x5eed0000 + salt);
  return Array.from({ length: count }, (_, i) => {
    const n = sizes.int(minOps, maxOps);
    const seed = Math.imul(i + 1 + salt * 100_003, 0x9e3779b1) >>> 0;
    return fromJobGraph(syntheticJob({ seed, minOperators: n, maxOperators: n }).job);
  });
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** CPU time of the process in ms (steadier than wall time on a shared machine). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Mean CPU time of f in ms, repeating it until at least `minMs` have passed. */
function timeIt(f: () => void, minMs = 5): number {
  let reps = 0;
  const t0 = cpuMs();
  let t: number;
  do {
    f();
    reps++;
    t = cpuMs();
  } while (t - t0 < minMs);
  return (t - t0) / reps;
}

function allPairs(count: number): Row[] {
  const graphs = syntheticDags(count, 5, 40, 1);
  const sizes = graphs.map((g) => g.labels.length);
  // Warm the JIT on a few pairs first.
  gedMatrix(graphs.slice(0, 30));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const m = gedMatrix(graphs);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const rows: Row[] = [
    {
      bench: `all-pairs GED, ${count} synthetic DAGs of ${Math.min(...sizes)}-${Math.max(...sizes)} operators (auto)`,
      pairs: m.pairs,
      seconds: seconds.toFixed(1),
      cpuSeconds: cpuSeconds.toFixed(1),
      pairsPerSecond: Math.round(m.pairs / seconds),
      pairsPerCpuSecond: Math.round(m.pairs / cpuSeconds),
      exactA: m.exactMethodPairs,
      approx: m.approxMethodPairs,
      provenOptimal: m.provenPairs,
      budgetExhausted: m.budgetExhausted,
    },
  ];
  const t1 = performance.now();
  const k = chooseK(m.distances, { kMin: 2, kMax: 12 });
  rows.push({
    bench: `k-medoids (PAM) for k = 2..12 + silhouette on the ${count}x${count} matrix`,
    seconds: ((performance.now() - t1) / 1000).toFixed(2),
    bestK: k.k,
    silhouette: k.silhouette.toFixed(3),
  });
  return rows;
}

function exactSmall(): Row[] {
  const rows: Row[] = [];
  const pool = syntheticDags(600, 5, 14, 2);
  const P = prepareGraphs(pool);
  for (const [lo, hi] of [[5, 8], [9, 10], [11, 12], [13, 14]] as const) {
    const idx = P.flatMap((g, i) => (g.n >= lo && g.n <= hi ? [i] : []));
    const rng = new Rng(0xabcdef + lo);
    const times: number[] = [];
    const expanded: number[] = [];
    let gap = 0;
    let equal = 0;
    let exhausted = 0;
    const pairs = 100;
    for (let k = 0; k < pairs; k++) {
      const a = P[rng.pick(idx)] as PreparedGraph;
      const b = P[rng.pick(idx)] as PreparedGraph;
      const r = gedPrepared(a, b, { method: 'exact' });
      times.push(timeIt(() => gedPrepared(a, b, { method: 'exact' }), 2));
      expanded.push(r.expanded);
      if (!r.exact) exhausted++;
      const ap = gedPrepared(a, b, { method: 'approx' }).distance;
      gap += ap - r.distance;
      if (ap === r.distance) equal++;
    }
    times.sort((x, y) => x - y);
    expanded.sort((x, y) => x - y);
    rows.push({
      bench: `exact A*, ${pairs} synthetic pairs of ${lo}-${hi} operators`,
      meanCpuMs: (times.reduce((s, x) => s + x, 0) / pairs).toFixed(3),
      medianCpuMs: quantile(times, 0.5).toFixed(3),
      p95CpuMs: quantile(times, 0.95).toFixed(2),
      maxCpuMs: (times[times.length - 1] as number).toFixed(2),
      medianExpanded: quantile(expanded, 0.5),
      budgetExhausted: exhausted,
      approxMeanGap: (gap / pairs).toFixed(2),
      approxExactShare: `${equal}%`,
    });
  }
  return rows;
}

interface NxResult {
  distance: number;
  seconds: number;
  cpuSeconds: number;
  finished: boolean;
}

function networkxAvailable(): boolean {
  const r = spawnSync('python3', ['-c', 'import networkx, numpy, scipy'], { stdio: 'ignore' });
  return r.status === 0;
}

function networkxComparison(count: number, timeout: number): Row[] {
  if (!networkxAvailable())
    return [{ bench: 'networkx comparison', skipped: 'python3 cannot import networkx (pip install -r tools/requirements.txt)' }];
  // networkx's exact search slows down steeply past ~8 nodes: pairs of 3 to 10 operators.
  const pool = syntheticDags(400, 3, 10, 3);
  const rng = new Rng(0xc0ffee);
  const pairs = Array.from({ length: count }, () => ({ a: rng.pick(pool), b: rng.pick(pool) }));
  const script = fileURLToPath(new URL('../tools/networkx_ged.py', import.meta.url));
  const out = execFileSync('python3', [script], {
    input: JSON.stringify({ pairs, timeout }),
    maxBuffer: 64 << 20,
    timeout: (count * timeout + 60) * 1000,
  }).toString();
  const parsed = JSON.parse(out) as { networkx: string; results: NxResult[] };
  let finished = 0;
  let agree = 0;
  const disagreements: string[] = [];
  let nxSeconds = 0;
  let ourSeconds = 0;
  const ratios: number[] = [];
  pairs.forEach((p, i) => {
    const nx = parsed.results[i] as NxResult;
    if (!nx.finished) return;
    finished++;
    const ours = ged(p.a, p.b, { method: 'exact' });
    if (ours.exact && Math.abs(ours.distance - nx.distance) < 1e-9) agree++;
    else disagreements.push(`#${i}: ours ${ours.distance} networkx ${nx.distance}`);
    const ms = timeIt(() => ged(p.a, p.b, { method: 'exact' }));
    nxSeconds += nx.cpuSeconds;
    ourSeconds += ms / 1000;
    ratios.push(nx.cpuSeconds / (ms / 1000));
  });
  ratios.sort((x, y) => x - y);
  return [
    {
      bench: `networkx ${parsed.networkx} graph_edit_distance vs our exact GED, ${count} pairs of 3-10 operators (timeout ${timeout} s)`,
      nxFinished: finished,
      agree,
      disagree: disagreements.length === 0 ? 0 : disagreements.slice(0, 5).join('; '),
      nxCpuSeconds: nxSeconds.toFixed(2),
      oursCpuSeconds: ourSeconds.toFixed(4),
      speedRatioTotal: Math.round(nxSeconds / ourSeconds),
      speedRatioMedian: Math.round(quantile(ratios, 0.5)),
    },
  ];
}

export async function benchGraph(): Promise<Row[]> {
  const rows: Row[] = [];
  rows.push(...exactSmall());
  rows.push(...allPairs(envInt('BENCH_GRAPH_JOBS', 500)));
  rows.push(...networkxComparison(envInt('BENCH_GRAPH_NX_PAIRS', 60), envInt('BENCH_GRAPH_NX_TIMEOUT', 10)));
  return rows;
}

// Run directly: `npx tsx bench/graph.ts`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const row of await benchGraph()) console.log(Object.entries(row).map(([k, v]) => `${k}: ${v}`).join(' | '));
}
