/**
 * Clustering of job DAGs by graph edit distance (streamtune.md §6), on the graph room's public API: the all-pairs
 * GED of the distinct DAGs (operator types and topology; parallelism is not structure), then k-medoids (PAM) on that
 * matrix for a given k, or for the k with the largest mean silhouette. The pre-training's default choice of k, by the
 * validation loss of the cluster encoders, needs trained models and lives in pretrain.ts; it calls dagDistances()
 * once and clusterAt() per candidate k. A new job goes to its nearest medoid (graph/kmedoids nearestMedoid).
 */
import { chooseK, gedMatrix, kMedoids, type GedMatrixResult, type LabelledGraph as DagGraph } from '../../graph/index.js';

/** The all-pairs GED of a DAG list and how it was computed. */
export interface DagDistances {
  distances: number[][];
  ged: Omit<GedMatrixResult, 'distances'>;
}

/** One k-medoids outcome. */
export interface KClustering {
  k: number;
  /** Index (into the DAG list) of each cluster's medoid, ascending. */
  medoids: number[];
  /** Cluster of each DAG. */
  assignment: number[];
}

export interface DagClustering extends KClustering, DagDistances {
  /** 'silhouette' when k was chosen by the mean silhouette, 'given' otherwise, 'single' with fewer than 3 DAGs. */
  chosenBy: 'silhouette' | 'given' | 'single';
  /** Mean silhouette per candidate k (silhouette choice only). */
  silhouettes: Record<string, number>;
}

export interface ClusterOptions {
  /** A number, or 'silhouette' for the k in [2, kMax] with the largest mean silhouette. */
  k: number | 'silhouette';
  kMax: number;
  gedExactMaxNodes: number;
}

/** The candidate k of the validation choice: these, capped at kMax and at the DAG count - 1 (k = 1 is no clustering). */
export const K_CANDIDATES: readonly number[] = [2, 3, 4, 6, 8, 12];

/** The candidate k for `dags` distinct DAGs ([] with fewer than 3 DAGs: one cluster is all there is). */
export function kCandidates(dags: number, kMax: number): number[] {
  return K_CANDIDATES.filter((k) => k <= kMax && k <= dags - 1);
}

/** All-pairs GED of the DAGs. Deterministic. */
export function dagDistances(dags: readonly DagGraph[], gedExactMaxNodes: number): DagDistances {
  if (dags.length === 0) throw new Error('clusterDags: no DAGs');
  const { distances, ...ged } = gedMatrix(dags, { gedExactMaxNodes });
  return { distances, ged };
}

/** k-medoids (PAM, deterministic BUILD initialisation) on a distance matrix; k is capped at the point count. */
export function clusterAt(distances: readonly (readonly number[])[], k: number): KClustering {
  const kk = Math.max(1, Math.min(k, distances.length));
  const r = kMedoids(distances, kk);
  return { k: kk, medoids: r.medoids, assignment: r.labels };
}

/** GED matrix of the DAGs, then k-medoids with the given k or the k by silhouette. Deterministic. */
export function clusterDags(dags: readonly DagGraph[], o: ClusterOptions): DagClustering {
  const d = dagDistances(dags, o.gedExactMaxNodes);
  const n = dags.length;
  if (o.k !== 'silhouette' || n < 3) {
    const c = clusterAt(d.distances, o.k === 'silhouette' ? 1 : o.k);
    return { ...c, ...d, chosenBy: o.k === 'silhouette' ? 'single' : 'given', silhouettes: {} };
  }
  const best = chooseK(d.distances, { kMin: 2, kMax: Math.max(2, Math.min(o.kMax, n - 1)) });
  const silhouettes = Object.fromEntries(best.scores.map((s) => [String(s.k), Number(s.silhouette.toFixed(4))]));
  return { k: best.k, medoids: best.clustering.medoids, assignment: best.clustering.labels, ...d, chosenBy: 'silhouette', silhouettes };
}
