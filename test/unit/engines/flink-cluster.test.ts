/** The standalone cluster's configuration and the slot arithmetic of the Flink engine (no JVM). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobGraph } from '../../../src/core/job.js';
import {
  clampParallelism,
  ClusterError,
  clusterConfiguration,
  configYaml,
  flinkJobName,
  grantableSlots,
  LOCAL_TEMP_PREFIX,
  staleLocalTempDirs,
  slotsNeeded,
  StandaloneCluster,
  taskManagerJvmArgs,
  taskManagerMemory,
} from '../../../src/engines/flink/index.js';

describe('Flink engine: slots', () => {
  it('needs as many slots as the largest operator parallelism (one slot-sharing group)', () => {
    assert.deepEqual(slotsNeeded({ src: 1, work: 6, out: 2 }), { slots: 6, operator: 'work' });
  });
  it('clamps each operator to the cap, and leaves a vector alone without one', () => {
    assert.deepEqual(clampParallelism({ src: 1, work: 7, out: 4 }, 4), { src: 1, work: 4, out: 4 });
    assert.deepEqual(clampParallelism({ src: 1, work: 7 }, undefined), { src: 1, work: 7 });
    assert.deepEqual(clampParallelism({ src: 1, work: 7 }, 0), { src: 1, work: 1 }, 'never below 1');
  });
});

describe('Flink standalone cluster: configuration', () => {
  const dir = '/data/cluster-x';
  const memory = taskManagerMemory(2);
  const conf = clusterConfiguration({ dir, slots: 2, rpcPort: 40001, restPort: 40002, metricsIntervalMs: 500, memory, jobManagerHeapMb: 512 });

  it('spells out every TaskManager memory size (TaskManagerRunner does not compute them) and the CPU cores', () => {
    for (const k of [
      'taskmanager.memory.framework.heap.size',
      'taskmanager.memory.task.heap.size',
      'taskmanager.memory.framework.off-heap.size',
      'taskmanager.memory.task.off-heap.size',
      'taskmanager.memory.network.min',
      'taskmanager.memory.network.max',
      'taskmanager.memory.managed.size',
      'taskmanager.memory.jvm-metaspace.size',
      'taskmanager.memory.jvm-overhead.min',
      'taskmanager.memory.jvm-overhead.max',
      'taskmanager.cpu.cores',
    ])
      assert.ok(conf[k], k);
    assert.equal(conf['taskmanager.memory.network.min'], conf['taskmanager.memory.network.max'], 'network memory fixed');
    assert.equal(conf['taskmanager.numberOfTaskSlots'], '2');
  });

  it('derives the JVM flags from the same sizes', () => {
    const args = taskManagerJvmArgs(memory);
    const heap = memory.frameworkHeapMb + memory.taskHeapMb;
    assert.ok(args.includes(`-Xmx${heap}m`));
    assert.ok(args.includes(`-XX:MaxDirectMemorySize=${memory.frameworkOffHeapMb + memory.taskOffHeapMb + memory.networkMb}m`));
  });

  it('runs on loopback with the adaptive scheduler, zero cooldowns, and every file in its folder', () => {
    assert.equal(conf['jobmanager.scheduler'], 'adaptive');
    assert.equal(conf['jobmanager.adaptive-scheduler.executing.cooldown-after-rescaling'], '0 ms');
    for (const k of ['jobmanager.rpc.address', 'rest.bind-address', 'taskmanager.host']) assert.equal(conf[k], '127.0.0.1', k);
    assert.equal(conf['rest.port'], '40002');
    for (const k of ['io.tmp.dirs', 'web.tmpdir', 'web.upload.dir', 'blob.storage.directory', 'process.working-dir', 'execution.checkpointing.dir'])
      assert.ok(conf[k]?.replace('file://', '').startsWith(dir), `${k} = ${conf[k]}`);
  });

  it('writes config.yaml as flat keys with quoted values', () => {
    assert.equal(configYaml({ 'a.b': '1 s', 'c.d': 'x: y' }), 'a.b: "1 s"\nc.d: "x: y"\n');
  });

  it('stop and status without a cluster name the folder and how to start one', () => {
    const empty = mkdtempSync(join(tmpdir(), 'streamtune-flink-cluster-unit-'));
    try {
      assert.throws(() => StandaloneCluster.attach(empty), (e: unknown) => e instanceof ClusterError && /no Flink cluster in .*flink-cluster -- start/.test(e.message));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses nonsense sizes before starting anything', async () => {
    await assert.rejects(StandaloneCluster.start({ dir: '/nonexistent/x', taskManagers: 1, slots: 0 }), /slots must be an integer >= 1/);
    await assert.rejects(StandaloneCluster.start({ dir: '/nonexistent/x', taskManagers: -1, slots: 2 }), /taskManagers must be an integer >= 0/);
  });
});

describe('Flink engine: the slots Flink would grant a job', () => {
  const overview = { 'slots-total': 4, 'slots-available': 0 };
  it('counts the slots allocated to the job, idle ones included (held after a scale-down)', () => {
    // work went from 4 to 1: one slot in use, three held idle by the JobMaster, none free.
    assert.equal(grantableSlots(overview, 1, 4), 4);
  });
  it('adds the free slots, never beyond the total', () => {
    assert.equal(grantableSlots({ 'slots-total': 4, 'slots-available': 3 }, 1, 1), 4);
    assert.equal(grantableSlots({ 'slots-total': 6, 'slots-available': 2 }, 1, 3), 5);
  });
  it('falls back to the slots the running graph uses when the TaskManagers do not say', () => {
    assert.equal(grantableSlots(overview, 2, undefined), 2);
  });
});

describe('Flink engine: what an interrupted harness leaves', () => {
  it('names each job for its harness and a random tag, so a resumed run finds it by name', () => {
    const job = JobGraph.create({ name: 'named', operators: [{ id: 'src', type: 'source' }, { id: 'out', type: 'sink' }], edges: [{ from: 'src', to: 'out' }] });
    const a = flinkJobName(job);
    assert.match(a, new RegExp(`^named \\[streamtune .+:${process.pid} [0-9a-f]{8}\\]$`));
    assert.notEqual(flinkJobName(job), a, 'two deployments get two names');
  });
  it('finds the temporary folders of dead harnesses only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flink-stale-test-'));
    try {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid as number; // a pid that has exited
      for (const n of [`${LOCAL_TEMP_PREFIX}${dead}-abc`, `${LOCAL_TEMP_PREFIX}${process.pid}-abc`, `${LOCAL_TEMP_PREFIX}abc`, 'other-1-abc']) mkdirSync(join(dir, n));
      assert.deepEqual(staleLocalTempDirs(dir), [join(dir, `${LOCAL_TEMP_PREFIX}${dead}-abc`)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
