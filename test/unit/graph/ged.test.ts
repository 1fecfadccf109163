import assert from 'node:assert/strict';
import { JobGraph } from '../../../src/core/job.js';
import { Rng } from '../../../src/core/random.js';
import { chain, permuteNodes, randomLabelledDag } from '../../../src/graph/dag.js';
import {
  editPathCost,
  fromJobGraph,
  ged,
  gedDistance,
  gedLowerBound,
  gedMatrix,
  GedInputError,
  type LabelledGraph,
} from '../../../src/graph/ged.js';
import { bruteForceGed, isomorphic, pathCost } from './helpers.js';

const g = (labels: string[], edges: [number, number][]): LabelledGraph => ({ labels, edges });
const EMPTY = g([], []);
const diamond = g(['source', 'map', 'filter', 'join'], [[0, 1], [0, 2], [1, 3], [2, 3]]);
const line4 = chain(['source', 'map', 'filter', 'join']);

/** Random small DAG pairs, reproducible. */
function randomPairs(seed: number, count: number, minN: number, maxN: number): [LabelledGraph, LabelledGraph][] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => [
    randomLabelledDag(rng, { nodes: rng.int(minN, maxN) }),
    randomLabelledDag(rng, { nodes: rng.int(minN, maxN) }),
  ]);
}

describe('graph/ged', () => {
  describe('exact values on hand-made pairs', () => {
    const cases: [string, LabelledGraph, LabelledGraph, number][] = [
      ['identical chains', chain(['source', 'map', 'sink']), chain(['source', 'map', 'sink']), 0],
      ['one relabelled operator', chain(['source', 'map', 'sink']), chain(['source', 'filter', 'sink']), 1],
      // Delete 'sink' and relabel map->sink (2 node ops) and delete the edge map->sink: 3. Deleting 'map' costs 4.
      ['a chain one operator shorter', chain(['source', 'map', 'sink']), chain(['source', 'sink']), 3],
      // Either delete and re-insert the edge (2) or swap the two labels (2).
      ['a reversed edge', g(['x', 'y'], [[0, 1]]), g(['x', 'y'], [[1, 0]]), 2],
      ['one node against nothing', g(['map'], []), EMPTY, 1],
      ['nothing against a 3-chain', EMPTY, chain(['source', 'map', 'sink']), 5],
      ['two empty graphs', EMPTY, EMPTY, 0],
      // Same labels; a path matches at most 2 of the diamond's 4 edges: delete 2, insert 1.
      ['diamond against a chain', diamond, line4, 3],
      ['isolated nodes, different labels', g(['a', 'b'], []), g(['a', 'c'], []), 1],
      // Edge counts 3 vs 0 and a node more: 1 node + 3 edges.
      ['a star against isolated nodes', g(['s', 'x', 'x', 'x'], [[0, 1], [0, 2], [0, 3]]), g(['s', 'x', 'x'], []), 4],
    ];
    for (const [name, a, b, expected] of cases) {
      it(`${name}: ${expected}`, () => {
        const r = ged(a, b, { method: 'exact' });
        assert.equal(r.distance, expected);
        assert.equal(r.exact, true);
        assert.equal(r.method, 'exact');
        assert.equal(bruteForceGed(a, b), expected, 'brute force disagrees with the hand-computed value');
        assert.equal(pathCost(a, b, [...r.mapping]), expected, 'the returned mapping does not realise the distance');
      });
    }

    it('substitution cost is configurable: min(nodeSub, delete + insert with their 4 edge ops)', () => {
      const a = chain(['source', 'map', 'sink']);
      const b = chain(['source', 'filter', 'sink']);
      for (const [nodeSub, expected] of [[0, 0], [1, 1], [3, 3], [5, 5], [10, 6]] as const)
        assert.equal(gedDistance(a, b, { method: 'exact', costs: { nodeSub } }), expected, `nodeSub ${nodeSub}`);
    });

    it('insertion, deletion and edge costs are configurable and asymmetric costs swap with the arguments', () => {
      const a = chain(['source', 'map', 'sink']);
      const b = chain(['source', 'map', 'map', 'sink']);
      const costs = { nodeIns: 2, nodeDel: 5, edgeIns: 3, edgeDel: 7 };
      // a -> b: relabel sink -> map (1), insert a sink (2) and the edge into it (3) = 6; inserting the middle map
      // instead costs 2 + 2 * 3 + 7 = 15.
      assert.equal(gedDistance(a, b, { method: 'exact', costs }), 6);
      assert.equal(bruteForceGed(a, b, { nodeSub: 1, ...costs }), 6);
      // b -> a: relabel the second map -> sink (1), delete the sink (5) and its edge (7) = 13; deleting a map
      // costs 5 + 2 * 7 + 3 = 22.
      assert.equal(gedDistance(b, a, { method: 'exact', costs }), 13);
      assert.equal(bruteForceGed(b, a, { nodeSub: 1, ...costs }), 13);
    });
  });

  describe('exact search agrees with brute force', () => {
    it('on 150 random pairs of 1 to 5 nodes', () => {
      const rng = new Rng(11);
      for (let k = 0; k < 150; k++) {
        const mk = (): LabelledGraph => {
          const n = rng.int(1, 5);
          return n === 1 ? g([rng.pick(['source', 'map'])], []) : randomLabelledDag(rng, { nodes: n });
        };
        const a = mk();
        const b = mk();
        assert.equal(gedDistance(a, b, { method: 'exact' }), bruteForceGed(a, b), JSON.stringify({ a, b }));
      }
    });

    it('with non-unit costs on random pairs', () => {
      const costs = { nodeSub: 1.5, nodeIns: 0.5, nodeDel: 2, edgeIns: 1.25, edgeDel: 0.75 };
      for (const [a, b] of randomPairs(12, 60, 2, 5)) {
        const d = gedDistance(a, b, { method: 'exact', costs });
        assert.ok(Math.abs(d - bruteForceGed(a, b, costs)) < 1e-9, JSON.stringify({ a, b }));
      }
    });
  });

  describe('approximation', () => {
    it('is never below the exact GED (300 seeded random pairs of 3 to 11 nodes)', () => {
      let equal = 0;
      for (const [a, b] of randomPairs(21, 300, 3, 11)) {
        const exact = ged(a, b, { method: 'exact' });
        const approx = ged(a, b, { method: 'approx' });
        assert.equal(exact.exact, true);
        assert.ok(approx.distance >= exact.distance - 1e-9, `approx ${approx.distance} < exact ${exact.distance}`);
        if (approx.distance === exact.distance) equal++;
        // The approximation's distance is the cost of the edit path of its own mapping.
        assert.equal(approx.distance, pathCost(a, b, [...approx.mapping]));
      }
      assert.ok(equal > 100, `the approximation should often be exact on small graphs (was exact on ${equal}/300)`);
    });

    it('plain bipartite (no refinement) is also an upper bound', () => {
      for (const [a, b] of randomPairs(22, 100, 3, 10)) {
        const exact = gedDistance(a, b, { method: 'exact' });
        const plain = gedDistance(a, b, { method: 'approx', approxRefinePasses: 0, approxIterations: 0 });
        assert.ok(plain >= exact - 1e-9);
      }
    });

    it('lower bounds never exceed the exact GED', () => {
      for (const [a, b] of randomPairs(23, 100, 2, 10)) {
        const exact = gedDistance(a, b, { method: 'exact' });
        assert.ok(gedLowerBound(a, b) <= exact + 1e-9);
        assert.ok(ged(a, b, { method: 'approx' }).lowerBound <= exact + 1e-9);
      }
    });
  });

  describe('metric properties of the exact GED', () => {
    it('is symmetric (exact and approximate)', () => {
      for (const [a, b] of randomPairs(31, 80, 2, 12)) {
        assert.equal(gedDistance(a, b, { method: 'exact' }), gedDistance(b, a, { method: 'exact' }));
        assert.equal(gedDistance(a, b, { method: 'approx' }), gedDistance(b, a, { method: 'approx' }));
      }
    });

    it('obeys the triangle inequality on 150 sampled triples', () => {
      const rng = new Rng(32);
      for (let k = 0; k < 150; k++) {
        const [a, b, c] = [0, 1, 2].map(() => randomLabelledDag(rng, { nodes: rng.int(2, 9) })) as [LabelledGraph, LabelledGraph, LabelledGraph];
        const ab = gedDistance(a, b, { method: 'exact' });
        const bc = gedDistance(b, c, { method: 'exact' });
        const ac = gedDistance(a, c, { method: 'exact' });
        assert.ok(ac <= ab + bc + 1e-9, `d(a,c)=${ac} > d(a,b)+d(b,c)=${ab}+${bc}`);
      }
    });

    it('is zero for a relabelling of the node indices', () => {
      const rng = new Rng(33);
      for (let k = 0; k < 40; k++) {
        const a = randomLabelledDag(rng, { nodes: rng.int(2, 14) });
        const b = permuteNodes(a, rng.shuffle(a.labels.map((_, i) => i)));
        assert.equal(gedDistance(a, b, { method: 'exact' }), 0);
        assert.equal(gedDistance(a, b, { method: 'approx' }), 0, 'the approximation should find an isomorphism of a small DAG');
      }
    });

    it('is zero iff the graphs are isomorphic with labels (small cases)', () => {
      const rng = new Rng(34);
      let zeros = 0;
      let nonzeros = 0;
      const shapes: LabelledGraph[] = [];
      // Few labels and small sizes so that isomorphic pairs occur by chance, plus near-misses.
      for (let k = 0; k < 60; k++) {
        const n = rng.int(2, 5);
        const labels = Array.from({ length: n }, () => rng.pick(['x', 'y']));
        const edges: [number, number][] = [];
        for (let u = 0; u < n; u++) for (let v = u + 1; v < n; v++) if (rng.next() < 0.4) edges.push([u, v]);
        const base = g(labels, edges);
        shapes.push(base, permuteNodes(base, rng.shuffle(labels.map((_, i) => i))));
      }
      for (let i = 0; i < shapes.length; i++) {
        for (let j = i; j < Math.min(shapes.length, i + 6); j++) {
          const a = shapes[i] as LabelledGraph;
          const b = shapes[j] as LabelledGraph;
          const d = gedDistance(a, b, { method: 'exact' });
          assert.equal(d === 0, isomorphic(a, b), JSON.stringify({ a, b, d }));
          if (d === 0) zeros++;
          else nonzeros++;
        }
      }
      assert.ok(zeros > 60 && nonzeros > 60, `${zeros} zero / ${nonzeros} non-zero pairs`);
    });
  });

  describe('entry point and budget', () => {
    it('auto uses the exact search up to gedExactMaxNodes, the approximation above', () => {
      const rng = new Rng(41);
      const small = randomLabelledDag(rng, { nodes: 8 });
      const large = randomLabelledDag(rng, { nodes: 20 });
      assert.equal(ged(small, small).method, 'exact');
      assert.equal(ged(small, large).method, 'approx');
      assert.equal(ged(small, large, { gedExactMaxNodes: 20, maxExpansions: 1000 }).method, 'exact');
      assert.equal(ged(small, small, { gedExactMaxNodes: 4 }).method, 'approx');
    });

    it('an exhausted budget returns an upper bound with exact: false and a valid lower bound', () => {
      const rng = new Rng(42);
      let exhausted = 0;
      for (let k = 0; k < 20; k++) {
        const a = randomLabelledDag(rng, { nodes: 11 });
        const b = randomLabelledDag(rng, { nodes: 11 });
        const truth = ged(a, b, { method: 'exact' });
        const r = ged(a, b, { method: 'exact', maxExpansions: 2 });
        assert.ok(r.distance >= truth.distance - 1e-9 && r.lowerBound <= truth.distance + 1e-9);
        assert.equal(r.distance, pathCost(a, b, [...r.mapping]));
        if (!r.exact) {
          exhausted++;
          assert.ok(r.expanded <= 2);
        } else assert.equal(r.distance, truth.distance);
      }
      assert.ok(exhausted > 0, 'a budget of 2 expansions should run out on some 11-node pair');
    });

    it('editPathCost evaluates a mapping and rejects invalid ones', () => {
      assert.equal(editPathCost(diamond, line4, [0, 1, 2, 3]), 3);
      assert.equal(editPathCost(diamond, line4, [-1, -1, -1, -1]), 4 + 4 + 4 + 3);
      assert.throws(() => editPathCost(diamond, line4, [0, 0, 1, 2]), GedInputError);
      assert.throws(() => editPathCost(diamond, line4, [0, 1]), GedInputError);
    });

    it('rejects malformed graphs and options', () => {
      assert.throws(() => ged(g(['a'], [[0, 0]]), EMPTY), /self-loop/);
      assert.throws(() => ged(g(['a', 'b'], [[0, 2]]), EMPTY), /outside/);
      assert.throws(() => ged(g(['a', 'b'], [[0, 1], [0, 1]]), EMPTY), /duplicate/);
      assert.throws(() => ged(EMPTY, EMPTY, { costs: { nodeIns: -1 } }), /nodeIns/);
      assert.throws(() => ged(EMPTY, EMPTY, { method: 'magic' as 'auto' }), /method/);
    });

    it('gedMatrix is symmetric with a zero diagonal and matches pairwise ged', () => {
      const rng = new Rng(43);
      const graphs = Array.from({ length: 12 }, () => randomLabelledDag(rng, { nodes: rng.int(3, 16) }));
      const m = gedMatrix(graphs);
      assert.equal(m.pairs, 66);
      assert.equal(m.exactMethodPairs + m.approxMethodPairs, 66);
      for (let i = 0; i < 12; i++) {
        assert.equal(m.distances[i]?.[i], 0);
        for (let j = 0; j < 12; j++) {
          assert.equal(m.distances[i]?.[j], m.distances[j]?.[i]);
          if (i < j) assert.equal(m.distances[i]?.[j], gedDistance(graphs[i] as LabelledGraph, graphs[j] as LabelledGraph));
        }
      }
    });
  });

  describe('JobGraph adapter', () => {
    const job = (name: string, middle: 'map' | 'filter', parallelismHint: number) =>
      JobGraph.create({
        name,
        operators: [
          { id: 'src', type: 'source' },
          { id: 'mid', type: middle, cost: 5 * parallelismHint },
          { id: 'agg', type: 'keyedAggregate', maxParallelism: parallelismHint },
          { id: 'out', type: 'sink' },
        ],
        edges: [
          { from: 'src', to: 'mid' },
          { from: 'mid', to: 'agg' },
          { from: 'agg', to: 'out' },
        ],
      });

    it('labels operators by type in topological order with index edges', () => {
      const lg = fromJobGraph(job('j', 'map', 4));
      assert.deepEqual(lg.labels, ['source', 'map', 'keyedAggregate', 'sink']);
      assert.deepEqual(lg.edges, [[0, 1], [1, 2], [2, 3]]);
    });

    it('ignores everything but operator types and topology', () => {
      assert.equal(gedDistance(fromJobGraph(job('a', 'map', 2)), fromJobGraph(job('b', 'map', 64))), 0);
      assert.equal(gedDistance(fromJobGraph(job('a', 'map', 2)), fromJobGraph(job('b', 'filter', 2))), 1);
    });
  });
});
