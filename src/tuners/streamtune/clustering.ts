/**
 * Clustering of job DAGs by graph edit distance (streamtune.md §6), on the graph room's public API: the all-pairs
 * GED of the distinct DAGs (operator types and topology; parallelism is not structure), k-medoids (PAM) on that
 * matrix with k chosen by silhouette (or given). A new job goes to its nearest medoid (graph/kmedoids nearestMedoid).
 */
import { chooseK, gedMatrix, kMedoids, type GedMatrixResult, type LabelledGraph as DagGraph } from '../../graph/index.js';

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
  const n = dags.length;
  if (n === 0) throw new Error('clusterDags: no DAGs');
  const { distances, ...ged } = gedMatrix(dags, { gedExactMaxNodes: o.gedExactMaxNodes });
  if (o.k !== 'auto' || n < 3) {
    const k = o.k === 'auto' ? 1 : Math.max(1, Math.min(o.k, n));
    const r = kMedoids(distances, k);
    return { k, chosenBy: o.k === 'auto' ? 'single' : 'given', medoids: r.medoids, assignment: r.labels, silhouettes: {}, ged, distances };
  }
  const best = chooseK(distances, { kMin: 2, kMax: Math.max(2, Math.min(o.kMax, n - 1)) });
  const silhouettes = Object.fromEntries(best.scores.map((s) => [String(s.k), Number(s.silhouette.toFixed(4))]));
  return { k: best.k, chosenBy: 'silhouette', medoids: best.clustering.medoids, assignment: best.clustering.labels, silhouettes, ged, distances };
}
