/**
 * The oracle is the smallest configuration meeting the SLO the episodes are judged by, it is monotone in the rate,
 * and it says when a rate is infeasible and why: on every Nexmark template, synthetic jobs of the generator and
 * every committed profile.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobGraph } from '../../../src/core/job.js';
import { profilesDir } from '../../../src/core/project.js';
import { totalParallelism } from '../../../src/core/parallelism.js';
import { ModelTruth } from '../../../src/engines/simulator/model.js';
import { LINEAR, type PhysicsTerms } from '../../../src/engines/simulator/physics.js';
import { loadProfile } from '../../../src/engines/simulator/profile.js';
import { nexmark, NEXMARK_QUERIES } from '../../../src/workloads/nexmark/templates.js';
import { syntheticJob } from '../../../src/workloads/synthetic/generator.js';
import type { Workload } from '../../../src/workloads/workload.js';

/** Every committed machine profile (a file with a "terms" object, not a Timely profile), and the built-in linear one. */
function profiles(): string[] {
  const dir = profilesDir();
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.includes('.measurements') && !f.includes('.fidelity'));
  const machine = (n: string): boolean => {
    const p = JSON.parse(readFileSync(join(dir, `${n}.json`), 'utf8')) as { terms?: unknown; engine?: string };
    return p.terms !== undefined && p.engine !== 'timely';
  };
  return ['linear', ...files.map((f) => f.slice(0, -5)).filter(machine)];
}

function workloads(): Workload[] {
  return [...NEXMARK_QUERIES.map((q) => nexmark(q)), ...[1, 2, 3, 7, 13].map((seed) => syntheticJob({ seed }))];
}

describe('the oracle (ground truth)', () => {
  const names = profiles();
  it('covers the committed profiles', () => {
    assert.ok(names.includes('flink-2core') && names.includes('flink-calibrated-64'), names.join(', '));
  });
  for (const name of names)
    for (const mode of ['flink', 'timely'] as const)
      it(`${name}, ${mode} mode: total parallelism non-decreasing in the rate on every Nexmark template and synthetic job, no bottleneck at its answer; once infeasible, infeasible above`, () => {
        const terms = loadProfile(name);
        for (const w of workloads()) {
          const truth = new ModelTruth(w.job, { ...terms, mode });
          let last = 0;
          let infeasibleFrom: number | undefined;
          for (let k = 0.5; k <= 16; k += 0.5) {
            const rate = k * w.workloadUnit;
            const a = truth.oracle(rate, 0.01);
            const where = `${w.job.name} at ${k} x W_u`;
            if (!a.feasible) {
              infeasibleFrom ??= k;
              assert.match(a.reason ?? '', /operator .* at its max parallelism \d+ covers|cores|shared workers/, `${where}: ${a.reason}`);
              continue;
            }
            assert.equal(infeasibleFrom, undefined, `${where}: feasible again above ${infeasibleFrom} x W_u`);
            // The answer holds with every operator's producers and consumers at their answer (channels in and out).
            const short = Object.entries(truth.bottlenecks(a.parallelism, rate * 0.99)).filter(([, b]) => b).map(([id]) => id);
            assert.deepEqual(short, [], `${where}: bottlenecks at the oracle's own configuration`);
            const total = totalParallelism(a.parallelism);
            assert.ok(total >= last, `${where}: ${total} after ${last}`);
            last = total;
          }
        }
      });

  it('meets the same SLO as the episodes: with tolerance 0.01 it covers 99 % of the rate (a lag trend of 0.0025 passes, so 14 of 15 may do)', () => {
    // One map of 100 us (10,000/s per instance, kappa 0): 139,000/s needs 14 instances at tolerance 0.01 (138,610 <= 140,000) and 14 without.
    const job = JobGraph.create({ name: 'nexmark-x', operators: [{ id: 'src', type: 'source', cost: 0, maxParallelism: 64 }, { id: 'a', type: 'map', cost: 100, maxParallelism: 64 }], edges: [{ from: 'src', to: 'a' }] });
    const t: PhysicsTerms = { ...structuredClone(LINEAR), coordinationOverhead: 0 };
    const truth = new ModelTruth(job, { ...t, mode: 'flink' });
    assert.equal(truth.oracle(140_500).parallelism.a, 15, 'exact: 140,500 needs 15');
    assert.equal(truth.oracle(140_500, 0.01).parallelism.a, 14, '99 % of 140,500 = 139,095 fits 14');
  });

  it('an infeasible rate says which operator is at its max and how far short, or the cores', () => {
    const job = JobGraph.create({ name: 'nexmark-x', operators: [{ id: 'src', type: 'source', cost: 0, maxParallelism: 64 }, { id: 'a', type: 'map', cost: 100, maxParallelism: 4 }], edges: [{ from: 'src', to: 'a' }] });
    const t: PhysicsTerms = { ...structuredClone(LINEAR), coordinationOverhead: 0 };
    const a = new ModelTruth(job, { ...t, mode: 'flink' }).oracle(50_000);
    assert.deepEqual(a, { parallelism: { src: 1, a: 4 }, feasible: false, reason: 'operator a at its max parallelism 4 covers 80.0 % of its demand' });
    const b = new ModelTruth(job, { ...t, cores: 2, mode: 'flink' }).oracle(30_000);
    assert.equal(b.feasible, false);
    assert.match(b.reason ?? '', /^operator a at its max parallelism 4 covers 133\.3 %|the machine's 2 cores/);
    const c = new ModelTruth(job, { ...t, cores: 2, mode: 'flink' }).oracle(25_000);
    assert.equal(c.feasible, false);
    // 25,000/s x 100 us = 2.5 cores of records on a 2-core machine.
    assert.equal(c.reason, "the machine's 2 cores: the per-operator minimum needs 2.50 cores for its records, 2.00 are left (background, per-subtask overhead)");
  });
});
