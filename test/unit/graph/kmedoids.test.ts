import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/random.js';
import { chain, permuteNodes } from '../../../src/graph/dag.js';
import { gedDistance, gedMatrix, type LabelledGraph } from '../../../src/graph/ged.js';
import { chooseK, kMedoids, nearestMedoid, silhouetteSamples, silhouetteScore } from '../../../src/graph/kmedoids.js';

/** Distance matrix of points on a line. */
const lineMatrix = (xs: readonly number[]): number[][] => xs.map((x) => xs.map((y) => Math.abs(x - y)));

/** Three well-separated groups on a line, shuffled so that group members are not contiguous. */
function threeGroups(seed: number): { xs: number[]; group: number[] } {
  const rng = new Rng(seed);
  const pts: [number, number][] = [];
  [0, 100, 200].forEach((centre, gi) => {
    for (let k = 0; k < 12; k++) pts.push([centre + rng.uniform(-5, 5), gi]);
  });
  const shuffled = rng.shuffle(pts);
  return { xs: shuffled.map((p) => p[0]), group: shuffled.map((p) => p[1]) };
}

/** Same partition up to renaming of the clusters. */
function samePartition(a: readonly number[], b: readonly number[]): boolean {
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  return a.every((x, i) => {
    const y = b[i] as number;
    if ((ab.has(x) && ab.get(x) !== y) || (ba.has(y) && ba.get(y) !== x)) return false;
    ab.set(x, y);
    ba.set(y, x);
    return true;
  });
}

describe('graph/kmedoids', () => {
  it('recovers three obvious clusters with medoids inside them', () => {
    const { xs, group } = threeGroups(1);
    const D = lineMatrix(xs);
    const r = kMedoids(D, 3);
    assert.equal(r.k, 3);
    assert.ok(samePartition(r.labels, group));
    const medoidGroups = r.medoids.map((m) => group[m]).sort();
    assert.deepEqual(medoidGroups, [0, 1, 2]);
    // Each medoid is its cluster's 1-median: no member has a smaller total distance to the others.
    r.medoids.forEach((m, c) => {
      const members = r.labels.flatMap((l, i) => (l === c ? [i] : []));
      const total = (x: number) => members.reduce((s, i) => s + (D[x]?.[i] ?? 0), 0);
      for (const i of members) assert.ok(total(m) <= total(i) + 1e-9);
    });
  });

  it('reaches the optimal cost on small random instances (checked by enumerating all medoid sets)', () => {
    const rng = new Rng(2);
    for (let t = 0; t < 20; t++) {
      const pts = Array.from({ length: 9 }, () => [rng.uniform(0, 10), rng.uniform(0, 10)] as const);
      const D = pts.map(([x1, y1]) => pts.map(([x2, y2]) => Math.hypot(x1 - x2, y1 - y2)));
      const k = 3;
      let best = Infinity;
      for (let a = 0; a < 9; a++)
        for (let b = a + 1; b < 9; b++)
          for (let c = b + 1; c < 9; c++) best = Math.min(best, D.reduce((s, row) => s + Math.min(row[a] as number, row[b] as number, row[c] as number), 0));
      const r = kMedoids(D, k, { restarts: 5, seed: t });
      // PAM is a local search; with restarts it finds the optimum on instances this small.
      assert.ok(r.cost <= best + 1e-9, `cost ${r.cost} > optimum ${best}`);
    }
  });

  it('is deterministic given the seed or the injected rng', () => {
    const { xs } = threeGroups(3);
    const D = lineMatrix(xs.map((x, i) => x + (i % 7)));
    const a = kMedoids(D, 4, { init: 'random', restarts: 3, seed: 9 });
    const b = kMedoids(D, 4, { init: 'random', restarts: 3, rng: new Rng(9) });
    assert.deepEqual(a, b);
    assert.deepEqual(kMedoids(D, 4), kMedoids(D, 4));
  });

  it('computes the silhouette by hand on two tight pairs', () => {
    const D = lineMatrix([0, 1, 10, 11]);
    const s = silhouetteSamples(D, [0, 0, 1, 1]);
    // Point 0: a = 1, b = (10 + 11) / 2 = 10.5. Point 1: a = 1, b = (9 + 10) / 2 = 9.5. Points 2, 3 mirror them.
    const expected = [9.5 / 10.5, 8.5 / 9.5, 8.5 / 9.5, 9.5 / 10.5];
    s.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) < 1e-12));
    assert.ok(Math.abs(silhouetteScore(D, [0, 0, 1, 1]) - (9.5 / 10.5 + 8.5 / 9.5) / 2) < 1e-12);
    // Singletons score 0, one cluster scores 0.
    assert.deepEqual(silhouetteSamples(D, [0, 1, 2, 2]).slice(0, 2), [0, 0]);
    assert.equal(silhouetteScore(D, [0, 0, 0, 0]), 0);
  });

  it('chooseK picks k = 3 on three clear groups', () => {
    const { xs, group } = threeGroups(4);
    const r = chooseK(lineMatrix(xs), { kMin: 2, kMax: 8 });
    assert.equal(r.k, 3);
    assert.equal(r.scores.length, 7);
    assert.ok(samePartition(r.clustering.labels, group));
    for (const s of r.scores) assert.ok(s.silhouette <= r.silhouette);
  });

  it('nearestMedoid returns the closest medoid (ties: the lowest index)', () => {
    const d = (a: number, b: number) => Math.abs(a - b);
    assert.deepEqual(nearestMedoid(7, [0, 10, 6], d), { cluster: 2, distance: 1 });
    assert.deepEqual(nearestMedoid(5, [0, 10], d), { cluster: 0, distance: 5 });
    assert.throws(() => nearestMedoid(1, [], d), /no medoids/);
  });

  it('rejects bad input', () => {
    assert.throws(() => kMedoids([[0, 1], [1]], 1), /row 1/);
    assert.throws(() => kMedoids(lineMatrix([0, 1]), 3), /k must be/);
    assert.throws(() => kMedoids([[0, NaN], [NaN, 0]], 1), /finite/);
    assert.throws(() => chooseK(lineMatrix([0, 1])), /at least 3/);
  });

  it('clusters job DAG families by GED and routes a new job to its family', () => {
    const rng = new Rng(6);
    const families: ((r: Rng) => LabelledGraph)[] = [
      // Long pipelines (each family is one DAG under random node orders: GED must see through the renumbering).
      () => chain(['source', 'map', 'filter', 'map', 'map', 'filter', 'map', 'sink']),
      // Two-source joins followed by one aggregation.
      () => {
        const labels = ['source', 'source', 'join', 'window', 'sink'];
        const edges: [number, number][] = [[0, 2], [1, 2]];
        for (let i = 3; i < labels.length; i++) edges.push([i - 1, i]);
        return { labels, edges };
      },
      // Fan-out to three aggregating branches, each into a sink.
      () => {
        const labels = ['source'];
        const edges: [number, number][] = [];
        for (let b = 0; b < 3; b++) {
          labels.push(b === 0 ? 'window' : 'keyedAggregate', 'sink');
          edges.push([0, labels.length - 2], [labels.length - 2, labels.length - 1]);
        }
        return { labels, edges };
      },
    ];
    const graphs: LabelledGraph[] = [];
    const family: number[] = [];
    for (let k = 0; k < 30; k++) {
      const f = k % 3;
      const gr = (families[f] as (r: Rng) => LabelledGraph)(rng);
      graphs.push(permuteNodes(gr, rng.shuffle(gr.labels.map((_, i) => i))));
      family.push(f);
    }
    const D = gedMatrix(graphs).distances;
    const r = chooseK(D, { kMax: 6 });
    assert.equal(r.k, 3);
    assert.ok(samePartition(r.clustering.labels, family));
    const medoidGraphs = r.clustering.medoids.map((m) => graphs[m] as LabelledGraph);
    const fresh = (families[1] as (r: Rng) => LabelledGraph)(new Rng(99));
    const { cluster } = nearestMedoid(fresh, medoidGraphs, (a, b) => gedDistance(a, b));
    assert.equal(family[r.clustering.medoids[cluster] as number], 1);
  });
});
