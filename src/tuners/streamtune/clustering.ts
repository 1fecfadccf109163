/**
 * Clustering of job DAGs by graph edit distance (streamtune.md §6): the all-pairs GED of the distinct DAGs
 * (src/graph/ged.ts; operator types and topology, parallelism is not structure), k-medoids on that matrix with k
 * chosen by silhouette (or given), and the assignment of a new job to its nearest medoid.
 */
import { gedMatrix, gedPrepared, prepareGraphs, type GedMatrixResult, type LabelledGraph as DagGraph } from '../../graph/ged.js';
import { kMedoids, silhouette } from './kmedoids.js';

export interface DagClustering {
  /** Chosen k. */
  k: number;
  /** 'silhouette' when k was chosen by the mean silhouette, 'given' otherwise, 'single' with fewer than 3 DAGs. */
  chosenBy: 'silhouette' | 'given' | 'single';
  /** Index (into the DAG list) of each cluster's medoid. */
  medoids: number[];
  /** Cluster of each DAG. */
  assignment: number[];
  /** Mean silhouette per candidate k (silhouette choice only). */
  silhouettes: Record<string, number>;
  ged: Omit<GedMatrixResult, 'distances'>;
  distances: number[][];
}

export interface ClusterOptions {
  /** A number, or 'auto' for the k in [2, kMax] with the largest mean silhouette. */
  k: number | 'auto';
  kMax: number;
  gedExactMaxNodes: number;
}

/** GED matrix of the DAGs, then k-medoids. Deterministic. */
export function clusterDags(dags: readonly DagGraph[], o: ClusterOptions): DagClustering {
  const m = gedMatrix(dags, { gedExactMaxNodes: o.gedExactMaxNodes });
  const { distances, ...ged } = m;
  const n = dags.length;
  if (n === 0) throw new Error('clusterDags: no DAGs');
  const single = (): DagClustering => {
    const one = kMedoids(distances, 1);
    return { k: 1, chosenBy: 'single', medoids: one.medoids, assignment: one.assignment, silhouettes: {}, ged, distances };
  };
  if (o.k !== 'auto') {
    const k = Math.max(1, Math.min(o.k, n));
    const r = kMedoids(distances, k);
    return { k, chosenBy: 'given', medoids: r.medoids, assignment: r.assignment, silhouettes: {}, ged, distances };
  }
  if (n < 3) return single();
  let best: { k: number; s: number; medoids: number[]; assignment: number[] } | undefined;
  const silhouettes: Record<string, number> = {};
  for (let k = 2; k <= Math.min(o.kMax, n - 1); k++) {
    const r = kMedoids(distances, k);
    const s = silhouette(distances, r.assignment);
    silhouettes[String(k)] = Number(s.toFixed(4));
    if (!best || s > best.s + 1e-12) best = { k, s, medoids: r.medoids, assignment: r.assignment };
  }
  if (!best) return single();
  return { k: best.k, chosenBy: 'silhouette', medoids: best.medoids, assignment: best.assignment, silhouettes, ged, distances };
}

/** GED from one DAG to each of the given DAGs (the same options as the clustering). */
export function distancesTo(dag: DagGraph, others: readonly DagGraph[], gedExactMaxNodes: number): number[] {
  const [a, ...rest] = prepareGraphs([dag, ...others]);
  return rest.map((b) => gedPrepared(a as NonNullable<typeof a>, b, { gedExactMaxNodes }).distance);
}
