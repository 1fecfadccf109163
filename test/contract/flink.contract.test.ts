/**
 * Real Flink passes the engine contract twice: on a local MiniCluster (one JVM per deployment) and in remote mode on
 * a standalone session cluster (a JobManager and two TaskManager JVMs, started once for its block). Skipped when
 * java or mvn is missing, unless REQUIRE_ENGINES=1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobGraph } from '../../src/core/job.js';
import { commandWorks, FlinkEngine, FlinkRestClient, livePids, StandaloneCluster } from '../../src/engines/flink/index.js';
import { engineContract, type ContractSubject } from './engine-contract.js';

const job = JobGraph.create({
  name: 'flink-contract',
  operators: [
    { id: 'src', type: 'source', cost: 5 },
    { id: 'work', type: 'keyedAggregate', cost: 100, keySkew: 0 },
    { id: 'out', type: 'sink', cost: 10 },
  ],
  edges: [
    { from: 'src', to: 'work' },
    { from: 'work', to: 'out' },
  ],
});

let javaAndMaven: string | undefined | null = null;
function available(): string | undefined {
  if (javaAndMaven === null) {
    const missing = ['java', 'mvn'].filter((c) => !commandWorks(c));
    javaAndMaven = missing.length > 0 ? `${missing.join(' and ')} cannot run` : undefined;
  }
  return javaAndMaven;
}

const common = {
  available,
  job,
  parallelism: { src: 1, work: 1, out: 1 },
  rescaleTo: { src: 1, work: 2, out: 1 },
  rate: 1000,
  higherRate: 3000,
  windowSec: 4,
  warmupSec: 3,
} satisfies Partial<ContractSubject>;

engineContract({
  ...common,
  name: 'flink (MiniCluster)',
  engine: async () => new FlinkEngine({ slots: 4 }),
  leftovers: async () => livePids().map((pid) => `MiniCluster JVM ${pid}`),
});

describe('flink on a standalone cluster', function () {
  let dir: string | undefined;
  let cluster: StandaloneCluster | undefined;

  before(async function () {
    this.timeout(600_000);
    if (available() !== undefined) return; // the contract's own before() skips (or fails under REQUIRE_ENGINES=1)
    dir = mkdtempSync(join(tmpdir(), 'streamtune-flink-contract-'));
    cluster = await StandaloneCluster.start({ dir, taskManagers: 2, slots: 2 });
  });

  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  engineContract({
    ...common,
    name: 'flink (standalone cluster, remote mode)',
    engine: async () => FlinkEngine.fromConfig({ kind: 'flink', rest: (cluster as StandaloneCluster).url }),
    // Remote mode starts no process: what it may leave behind is a job still running on the cluster.
    leftovers: async () => {
      const jobs = await new FlinkRestClient((cluster as StandaloneCluster).url).jobs();
      return jobs.filter((j) => !['CANCELED', 'FAILED', 'FINISHED'].includes(j.status)).map((j) => `job ${j.id} ${j.status}`);
    },
  });
});
