/**
 * The Flink engine on a real standalone session cluster (1 JobManager and 2 TaskManagers with 2 slots each, as
 * separate JVMs, started once for this file), driven in remote mode as a user's cluster would be: DS2 tuning,
 * the slot limit (deploy refused, rescale partial and not repeated), kill -9 of a TaskManager (failover to fewer
 * slots), a replacement TaskManager (the job scales back), and no TaskManager left (the run fails within the
 * bound). Skipped when java or mvn is missing, unless REQUIRE_ENGINES=1. Never asserts on wall time.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { JobGraph } from '../../src/core/job.js';
import type { Snapshot } from '../../src/core/metrics.js';
import type { Parallelism } from '../../src/core/parallelism.js';
import {
  commandWorks,
  ensureJobJar,
  FlinkCapacityError,
  FlinkEngine,
  FlinkJobFailedError,
  livePids,
  pidAlive,
  StandaloneCluster,
  type FlinkDeployment,
} from '../../src/engines/flink/index.js';
import type { Tuner, TunerView, Observation } from '../../src/tuners/tuner.js';
import { killHard, startExperiment, waitWhileRunning } from '../helpers/cli.js';
import { runWithEpisodeHook } from '../helpers/experiment.js';

const REQUIRED = process.env.REQUIRE_ENGINES === '1';
const SLOTS = 4; // 2 TaskManagers x 2 slots

function describeSnapshot(s: Snapshot): string {
  const ops = Object.entries(s.operators)
    .map(([id, m]) => `${id}[p=${m.parallelism} in=${m.recordsInPerSecond.toFixed(0)}/s busy=${m.busyMsPerSecond.toFixed(0)}]`)
    .join(' ');
  const events = (s.events ?? []).map((e) => `${e.kind} at ${e.at.toFixed(1)} s, down ${e.downtimeSeconds.toFixed(2)} s, ${JSON.stringify(e.parallelismAfter)}`);
  return `t=${s.time.toFixed(1)} valid=${s.valid}${s.note ? ` (${s.note})` : ''} achieved=${s.achievedRate.toFixed(0)}/${s.targetRate}/s ${ops}${events.length ? ` events: ${events.join('; ')}` : ''}`;
}

function ones(job: JobGraph): Parallelism {
  return Object.fromEntries(job.operatorIds.map((id) => [id, 1]));
}

function chain(name: string, cost: number): JobGraph {
  return JobGraph.create({
    name,
    operators: [
      { id: 'src', type: 'source', cost: 5 },
      { id: 'work', type: 'keyedAggregate', cost, keySkew: 0 },
      { id: 'out', type: 'sink', cost: 10 },
    ],
    edges: [
      { from: 'src', to: 'work' },
      { from: 'work', to: 'out' },
    ],
  });
}

/** What the loop gives a tuner: the deployment's (true) parallelism, with the latest valid snapshot. */
function view(job: JobGraph, d: FlinkDeployment, snapshot: Snapshot, rate: number, history: Observation[]): TunerView {
  return { job, parallelism: d.parallelism, snapshot, targetRate: rate, episode: history, history, clock: d.now(), sharedWorkers: false };
}

async function observeValid(d: FlinkDeployment, seconds: number, tries = 4): Promise<Snapshot> {
  let s = await d.observe(seconds);
  for (let i = 1; i < tries && !s.valid; i++) {
    console.log(`      (invalid: ${describeSnapshot(s)})`);
    s = await d.observe(seconds);
  }
  return s;
}

describe('Flink engine on a standalone cluster (1 JobManager, 2 TaskManagers x 2 slots)', function () {
  this.timeout(240_000);
  let dir: string | undefined;
  let cluster: StandaloneCluster | undefined;
  let ds2: ((o: { overProvisioning: number }) => Tuner) | undefined;
  /** Entries of the temp folder a Flink JVM could leave (compared before and after: none may be new). */
  const flinkTemp = (): string[] => readdirSync(tmpdir()).filter((n) => /^(flink-|blobStore-|tm_|localState|jobmanager|hsperfdata|streamtune-flink-cluster-it-)/.test(n));
  let tempBefore: string[] = [];

  before(async function () {
    this.timeout(600_000);
    const missing = ['java', 'mvn'].filter((c) => !commandWorks(c));
    if (missing.length > 0) {
      if (REQUIRED) throw new Error(`REQUIRE_ENGINES=1 but ${missing.join(' and ')} cannot run`);
      this.skip();
    }
    await ensureJobJar();
    ds2 = ((await import('../../src/tuners/ds2/index.js')) as { create(o: { overProvisioning: number }): Tuner }).create;
    tempBefore = flinkTemp();
    dir = mkdtempSync(join(tmpdir(), 'streamtune-flink-cluster-it-'));
    cluster = await StandaloneCluster.start({ dir, taskManagers: 2, slots: 2 });
    const status = await cluster.status();
    console.log(`      cluster up: ${status.url}, ${status.overview?.taskmanagers} TaskManagers, ${status.overview?.slotsTotal} slots`);
    assert.equal(status.overview?.slotsTotal, SLOTS);
    assert.equal(status.processes.length, 3, 'one JobManager and two TaskManager JVMs');
  });

  after(async () => {
    const pids = cluster ? [cluster.state.jobManager, ...cluster.state.taskManagers].map((p) => p.pid) : [];
    await cluster?.stop();
    for (const pid of pids) assert.equal(pidAlive(pid), false, `cluster JVM ${pid} stopped`);
    assert.deepEqual(livePids(), [], 'no JVM left that the harness or the tests started');
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(flinkTemp().filter((n) => !tempBefore.includes(n)), [], 'the temp folder is as it was (Flink kept its files in the cluster folder)');
  });

  it('refuses a deployment beyond the slots up front, with the numbers', async () => {
    const engine = FlinkEngine.fromConfig({ kind: 'flink', rest: (cluster as StandaloneCluster).url });
    try {
      const job = chain('flink-cluster-too-wide', 100);
      await assert.rejects(engine.deploy(job, { ...ones(job), work: 6 }, 1000), (e: unknown) => {
        assert.ok(e instanceof FlinkCapacityError, String(e));
        console.log(`      ${e.message}`);
        assert.match(e.message, /work at parallelism 6 needs 6 task slots/);
        assert.match(e.message, /4 free of 4 task slots \(2 TaskManagers\)/);
        return true;
      });
      const jobs = await new (await import('../../src/engines/flink/rest.js')).FlinkRestClient((cluster as StandaloneCluster).url).jobs();
      assert.deepEqual(jobs.filter((j) => j.status === 'RUNNING'), [], 'nothing was submitted');
    } finally {
      await engine.close();
    }
  });

  it('DS2 tunes the synthetic job in remote mode: it scales up the bottleneck', async () => {
    const tuner = (ds2 as NonNullable<typeof ds2>)({ overProvisioning: 0 });
    // 'work' needs 3000/s x 500 us = 1.5 instances: at parallelism 1 it is the bottleneck.
    const job = chain('flink-cluster-ds2', 500);
    const rate = 3000;
    const engine = FlinkEngine.fromConfig({ kind: 'flink', rest: (cluster as StandaloneCluster).url });
    try {
      const d = await engine.deploy(job, ones(job), rate);
      assert.equal(d.maxOperatorParallelism, SLOTS, 'the cap is the slots this job can use');
      await d.advance(4);
      const history: Observation[] = [];
      let steps = 0;
      for (let i = 0; i < 3; i++) {
        const snapshot = await observeValid(d, 5);
        console.log(`      DS2 step ${i}: ${describeSnapshot(snapshot)}`);
        if (!snapshot.valid) continue;
        assert.deepEqual(snapshot.parallelism, d.parallelism, 'the snapshot carries the parallelism that ran');
        history.push({ parallelism: d.parallelism, snapshot, rate });
        const decision = await tuner.decide(view(job, d, snapshot, rate, history));
        console.log(`      DS2 decision: ${decision.kind} ${decision.kind === 'rescale' ? JSON.stringify(decision.parallelism) : decision.reason}`);
        if (decision.kind !== 'rescale') break;
        const r = await d.rescale(decision.parallelism);
        console.log(`      rescale: took effect ${r.tookEffect}, downtime ${r.downtimeSeconds.toFixed(2)} s (${r.mode})`);
        assert.equal(r.tookEffect, true, r.note);
        steps++;
        await d.advance(4);
      }
      assert.ok(steps >= 1, 'DS2 reconfigured at least once');
      assert.ok((d.parallelism.work ?? 1) >= 2, `DS2 scaled up the bottleneck: ${JSON.stringify(d.parallelism)}`);
      const final = await observeValid(d, 5);
      console.log(`      after DS2: ${describeSnapshot(final)}`);
      assert.ok(final.valid, final.note);
      assert.ok(final.achievedRate > 0.8 * rate, `the tuned job keeps up: ${final.achievedRate}/s`);
    } finally {
      await engine.close();
    }
  });

  it('in the loop, DS2 asking beyond the slots gets a rescale-partial row with what it asked and what runs, and is told', async () => {
    // 'work' needs 3000/s x 1500 us = 4.5 instances: DS2 asks for 5, the 4 slots grant 4.
    const job = chain('flink-cluster-partial', 1500);
    const engine = FlinkEngine.fromConfig({ kind: 'flink', rest: (cluster as StandaloneCluster).url });
    const views: TunerView[] = [];
    const inner = (ds2 as NonNullable<typeof ds2>)({ overProvisioning: 0 });
    const tuner: Tuner = { name: 'ds2', decide: (v) => (views.push(v), inner.decide(v)) };
    try {
      const { runLoop, SLO_DEFAULTS } = await import('../../src/loop/index.js');
      const { timeline } = await runLoop({
        run: 'partial',
        sweep: 'base',
        seed: 1,
        job,
        engine,
        tuner,
        schedule: [{ rate: 3000, durationSec: 30 }],
        loop: { warmupSec: 4, windowSec: 5, activation: 1, maxReconfigurations: 5, initialParallelism: 1, carryOver: true },
        slo: SLO_DEFAULTS,
        keepHistory: false,
      });
      for (const t of timeline) console.log(`      timeline: w${t.window} t=${t.time} P=${t.totalParallelism} ${t.event} requested=${t.requestedParallelism} granted=${t.grantedParallelism}`);
      const partial = timeline.find((t) => t.event === 'rescale-partial');
      assert.ok(partial, 'a partial rescale');
      assert.ok(Number(/work=(\d+)/.exec(String(partial.requestedParallelism))?.[1]) > SLOTS, `asked beyond the slots: ${partial.requestedParallelism}`);
      assert.equal(partial.grantedParallelism, `src=1;work=${SLOTS};out=1`);
      assert.ok(!timeline.some((t) => t.event === 'rescale'), 'no rescale recorded as granted in full');
      const told = views.find((v) => v.lastRescale)?.lastRescale;
      assert.ok(told && (told.requested.work ?? 0) > SLOTS && told.running.work === SLOTS, 'the tuner sees what it asked and what runs');
    } finally {
      await engine.close();
    }
  });

  it('--resume cancels the job a killed harness left on the cluster, then runs the run again', async () => {
    const c = cluster as StandaloneCluster;
    const work = mkdtempSync(join(tmpdir(), 'streamtune-orphan-it-'));
    try {
      const config = join(work, 'orphan.json');
      writeFileSync(
        config,
        JSON.stringify({
          name: 'orphan',
          engine: { kind: 'flink', rest: c.url },
          workload: { kind: 'wordcount', workloadUnit: 500 },
          rates: { kind: 'constant', rate: 1, durationSec: 12 },
          tuners: { static: {} },
          seeds: [1],
          loop: { warmupSec: 2, windowSec: 4, initialParallelism: 1 },
          outputs: { charts: false },
        }),
      );
      const { child, output } = startExperiment([config, '--out', join(work, 'results')]);
      const leftovers = await waitWhileRunning(child, output, 'deploying', () => {
        const dir = /run folder: (.+)/.exec(output())?.[1]?.trim();
        const f = dir ? join(dir, 'runs', 'p0-static-s1', 'leftovers.json') : undefined;
        return f && existsSync(f) ? f : undefined;
      });
      await killHard(child);
      const runDir = join(leftovers, '..', '..', '..');
      const { jobName } = JSON.parse(readFileSync(leftovers, 'utf8')) as { jobName: string };
      const client = new (await import('../../src/engines/flink/rest.js')).FlinkRestClient(c.url);
      const orphan = async () => (await client.get<{ jobs: { jid: string; name: string; state: string }[] }>('/jobs/overview')).jobs.filter((j) => j.name === jobName);
      const left = await orphan();
      console.log(`      killed the harness; on the cluster: ${JSON.stringify(left)}`);
      assert.equal(left.filter((j) => j.state === 'RUNNING').length, 1, 'the killed harness left its job running');

      const lines: string[] = [];
      const { runExperiment } = await import('../../src/experiment/experiment.js');
      const outcome = await runExperiment({ resume: runDir, onReclaim: (l) => lines.push(l) });
      for (const l of lines) console.log(`      resume: ${l}`);
      assert.deepEqual(outcome.failed, []);
      assert.equal(lines.length, 1, 'one thing found');
      assert.match(lines[0] as string, new RegExp(`cancelled Flink job ${left[0]?.jid}`));
      assert.deepEqual(outcome.reclaimed, lines);
      assert.equal(existsSync(leftovers), false, 'the leftovers file went with the finished run');
      const after = await orphan();
      assert.ok(after.every((j) => j.state === 'CANCELED' || j.state === 'CANCELLING'), JSON.stringify(after));
      const running = (await client.jobs()).filter((j) => j.status === 'RUNNING');
      assert.deepEqual(running, [], 'nothing left running on the cluster');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  describe('one job through the slot limit and TaskManager faults', () => {
    const job = chain('flink-cluster-faults', 400);
    const rate = 2000;
    let engine: FlinkEngine | undefined;
    let d: FlinkDeployment | undefined;

    before(async () => {
      engine = FlinkEngine.fromConfig({ kind: 'flink', rest: (cluster as StandaloneCluster).url, recoveryTimeoutSec: 20, rescaleTimeoutSec: 600 });
      d = await engine.deploy(job, { ...ones(job), work: 2 }, rate);
      await d.advance(3);
    });

    after(async () => {
      const jobId = d?.jobId;
      await engine?.close();
      if (jobId) {
        const state = (await d?.client.job(jobId).catch(() => undefined))?.state;
        assert.ok(state === undefined || state === 'CANCELED' || state === 'FAILED', `the job was stopped (${state})`);
      }
    });

    it('a rescale beyond the slots is applied as far as they allow, reported as partial, and not repeated', async () => {
      const dep = d as FlinkDeployment;
      // rescaleTimeoutSec is 600 s and this test's timeout 240 s: passing shows no wait for the timeout.
      const r = await dep.rescale({ ...ones(job), work: 7 });
      console.log(`      partial: ${JSON.stringify(r)}`);
      assert.equal(r.tookEffect, false, 'not what was asked');
      assert.deepEqual(r.requested, { ...ones(job), work: 7 });
      assert.deepEqual(r.parallelism, { ...ones(job), work: SLOTS }, 'granted as far as the slots allow');
      assert.deepEqual(dep.parallelism, r.parallelism);
      assert.match(r.note ?? '', /4 task slots/);
      assert.equal(dep.maxOperatorParallelism, SLOTS, 'the cap a tuner view carries');
      const again = await dep.rescale({ ...ones(job), work: 7 });
      console.log(`      asked again: ${JSON.stringify(again)}`);
      assert.equal(again.mode, 'none', 'nothing restarted');
      assert.equal(again.downtimeSeconds, 0);
      assert.deepEqual(again.parallelism, r.parallelism);
      const s = await observeValid(dep, 4);
      assert.ok(s.valid, s.note);
      assert.equal(s.parallelism?.work, SLOTS);
      assert.equal(s.operators.work?.parallelism, SLOTS);
    });

    it('after a scale-down the slots Flink still holds for the job count: the cap stays and a scale-up is granted', async () => {
      const dep = d as FlinkDeployment;
      const down = await dep.rescale({ ...ones(job), work: 1 });
      assert.equal(down.tookEffect, true, down.note);
      const s = await observeValid(dep, 3);
      const o = await dep.client.overview();
      console.log(`      after the scale-down: ${describeSnapshot(s)}; cluster: ${o['slots-available']} free of ${o['slots-total']}; cap ${dep.maxOperatorParallelism}`);
      // The JobMaster keeps the freed slots for its idle timeout: they are not free, yet they are this job's.
      assert.ok(o['slots-available'] < SLOTS - 1, `the freed slots are held, not free (${o['slots-available']} free)`);
      assert.equal(dep.maxOperatorParallelism, SLOTS, 'the cap counts the held slots');
      const up = await dep.rescale({ ...ones(job), work: SLOTS });
      console.log(`      scale-up: ${JSON.stringify(up)}`);
      assert.equal(up.tookEffect, true, up.note);
      assert.equal(up.requested, undefined, 'granted as asked');
      assert.equal(dep.parallelism.work, SLOTS);
    });

    it('kill -9 of a TaskManager mid-window: an invalid window, then snapshots at the reduced parallelism, a failover event, and DS2 decides on it', async () => {
      const dep = d as FlinkDeployment;
      const c = cluster as StandaloneCluster;
      const window = dep.observe(8);
      await new Promise((ok) => setTimeout(ok, 3000));
      const killed = c.killTaskManager();
      console.log(`      killed ${killed.name} (pid ${killed.pid})`);
      const hit = await window;
      console.log(`      window with the kill: ${describeSnapshot(hit)}`);
      assert.equal(hit.valid, false, 'the window with the failure is invalid');
      const events = [...(hit.events ?? [])];
      let s = await dep.observe(5);
      for (let i = 0; i < 5 && !(s.valid && events.length + (s.events?.length ?? 0) > 0); i++) {
        events.push(...(s.events ?? []));
        console.log(`      ${describeSnapshot(s)}`);
        s = await dep.observe(5);
      }
      events.push(...(s.events ?? []));
      console.log(`      after the failover: ${describeSnapshot(s)}`);
      assert.ok(s.valid, s.note);
      const failover = events.find((e) => e.kind === 'failover');
      assert.ok(failover, `a failover event: ${JSON.stringify(events)}`);
      console.log(`      failover: recovery ${failover.recoverySeconds.toFixed(2)} s, downtime ${failover.downtimeSeconds.toFixed(2)} s, cause ${failover.cause}`);
      assert.ok(failover.recoverySeconds > 0 && failover.downtimeSeconds > 0);
      assert.equal(failover.parallelismBefore.work, SLOTS);
      assert.equal(failover.parallelismAfter.work, 2, 'restarted on the remaining 2 slots');
      assert.equal(s.parallelism?.work, 2, 'the snapshot carries the reduced parallelism');
      assert.equal(s.operators.work?.parallelism, 2);
      assert.equal(dep.parallelism.work, 2, 'the deployment reports what runs');
      assert.equal(dep.maxOperatorParallelism, 2, 'the cap follows the slots');
      const tuner = (ds2 as NonNullable<typeof ds2>)({ overProvisioning: 0 });
      const v = view(job, dep, s, rate, [{ parallelism: dep.parallelism, snapshot: s, rate }]);
      assert.equal(v.parallelism.work, 2);
      const decision = await tuner.decide(v);
      console.log(`      DS2 on the reduced job: ${decision.kind} ${decision.kind === 'rescale' ? JSON.stringify(decision.parallelism) : decision.reason}`);
      // 'work' needs 2000/s x 400 us = 0.8 instances: measured at its true parallelism DS2 never asks for more than 2.
      if (decision.kind === 'rescale') assert.ok((decision.parallelism.work ?? 0) <= 2, JSON.stringify(decision.parallelism));
    });

    it('a replacement TaskManager lets the job scale back, seen as a rescale by the cluster', async () => {
      const dep = d as FlinkDeployment;
      // As `npm run flink-cluster -- add-taskmanager` does: a new view of the state file, which lists the killed
      // TaskManager too; only the new one is judged.
      const tm = await StandaloneCluster.attach((cluster as StandaloneCluster).dir).addTaskManager();
      cluster = StandaloneCluster.attach((cluster as StandaloneCluster).dir);
      console.log(`      added ${tm.name} (pid ${tm.pid}); the state file lists ${cluster.state.taskManagers.length} TaskManagers, ${cluster.liveProcesses().length - 1} alive`);
      assert.equal(cluster.state.taskManagers.filter((t) => !pidAlive(t.pid)).length, 1, 'the killed TaskManager is still in the state file');
      const events = [];
      let s = await dep.observe(5);
      for (let i = 0; i < 5 && !(s.valid && s.parallelism?.work === SLOTS); i++) {
        events.push(...(s.events ?? []));
        console.log(`      ${describeSnapshot(s)}`);
        s = await dep.observe(5);
      }
      events.push(...(s.events ?? []));
      console.log(`      after the replacement: ${describeSnapshot(s)}`);
      assert.ok(s.valid, s.note);
      assert.equal(s.parallelism?.work, SLOTS, 'back at the granted parallelism');
      assert.equal(dep.parallelism.work, SLOTS);
      assert.equal(dep.maxOperatorParallelism, SLOTS);
      const back = events.find((e) => e.kind === 'clusterRescale');
      assert.ok(back, `a clusterRescale event: ${JSON.stringify(events)}`);
      console.log(`      cluster rescale: downtime ${back.downtimeSeconds.toFixed(2)} s (${back.cause})`);
      assert.equal(back.parallelismBefore.work, 2);
      assert.equal(back.parallelismAfter.work, SLOTS);
    });

    it('with no TaskManager left the run fails with one clear message within the bound', async () => {
      const dep = d as FlinkDeployment;
      const c = cluster as StandaloneCluster;
      for (const tm of c.liveProcesses().filter((p) => p.role === 'taskmanager')) c.killTaskManager(c.state.taskManagers.indexOf(tm));
      let error: unknown;
      try {
        for (let i = 0; i < 10; i++) {
          const s = await dep.observe(5);
          console.log(`      ${describeSnapshot(s)}`);
          assert.equal(s.valid, false, 'no valid window without TaskManagers');
        }
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof FlinkJobFailedError, `fails with FlinkJobFailedError: ${String(error)}`);
      console.log(`      ${error.message}`);
      assert.match(error.message, /did not recover within 20 s/);
      assert.match(error.message, /0 TaskManagers/);
    });
  });


  describe('runs that lose every TaskManager after their first episode', () => {
    /** Replaces the TaskManagers (all are dead after the fault tests), as `flink-cluster add-taskmanager` does. */
    async function twoTaskManagers(): Promise<StandaloneCluster> {
      const dir = (cluster as StandaloneCluster).dir;
      const alive = StandaloneCluster.attach(dir).liveProcesses().filter((p) => p.role === 'taskmanager').length;
      for (let i = alive; i < 2; i++) await StandaloneCluster.attach(dir).addTaskManager();
      cluster = StandaloneCluster.attach(dir);
      return cluster;
    }

    /** Runs a two-episode experiment on the cluster and kills every TaskManager when the first episode ends. */
    async function runLosingTaskManagers(name: string, engine: Record<string, unknown>) {
      const c = await twoTaskManagers();
      const work = mkdtempSync(join(tmpdir(), 'streamtune-flink-cluster-run-'));
      const config = join(work, `${name}.json`);
      writeFileSync(
        config,
        JSON.stringify({
          name,
          engine: { kind: 'flink', rest: c.url, ...engine },
          workload: { kind: 'wordcount', workloadUnit: 500 },
          rates: { kind: 'steps', rates: [1, 1], durationSec: 16 },
          tuners: { static: {} },
          seeds: [1],
          loop: { warmupSec: 2, windowSec: 4, initialParallelism: 1 },
          outputs: { charts: false },
        }),
      );
      let killedAt = 0;
      const outcome = await runWithEpisodeHook(config, join(work, 'results'), () => {
        if (killedAt++ > 0) return;
        for (const tm of c.liveProcesses().filter((p) => p.role === 'taskmanager')) c.killTaskManager(c.state.taskManagers.indexOf(tm));
      });
      const read = (f: string) => parse(readFileSync(join(outcome.dir, f), 'utf8'), { columns: true }) as Record<string, string>[];
      const result = { outcome, timeline: read('timeline.csv'), episodes: read('episodes.csv'), history: read('history.csv'), summary: readFileSync(join(outcome.dir, 'summary.md'), 'utf8') };
      for (const t of result.timeline) console.log(`      timeline: e${t.episode} w${t.window} t=${t.time} ${t.event}: ${String(t.reason).slice(0, 160)}`);
      rmSync(work, { recursive: true, force: true });
      return result;
    }

    it('a job that fails keeps the finished episode and its windows, and summary.md states the failure', async () => {
      const r = await runLosingTaskManagers('fails', { recoveryTimeoutSec: 8 });
      assert.equal(r.outcome.failed.length, 1);
      const error = r.outcome.failed[0]?.error ?? '';
      assert.match(error, /did not recover within 8 s/);
      assert.deepEqual(
        r.episodes.map((e) => e.episode),
        ['0'],
        'the finished episode is kept',
      );
      assert.ok(r.timeline.filter((t) => t.episode === '0' && t.event === 'keep').length >= 2, 'its windows are kept');
      assert.equal(r.timeline[r.timeline.length - 1]?.event, 'failed');
      assert.ok(r.summary.includes(`\`p0-static-s1\`: ${error}`), r.summary);
    });

    it('an episode with no valid window fails the run with one message; history.csv marks its windows invalid', async () => {
      // The job waits for slots (never longer than the recovery bound): every window of the second episode is invalid.
      const r = await runLosingTaskManagers('unmeasured', { recoveryTimeoutSec: 600 });
      assert.equal(r.outcome.failed.length, 1);
      const error = r.outcome.failed[0]?.error ?? '';
      console.log(`      run failed: ${error}`);
      assert.match(error, /^episode 1 \(rate 500\/s\) had no valid window: all \d+ were invalid/);
      const invalid = r.history.filter((h) => h.episode === '1');
      assert.ok(invalid.length > 0 && invalid.every((h) => h.valid === '0' && h.labelMetric === ''), 'marked invalid, no label');
      assert.ok(r.history.filter((h) => h.episode === '0').every((h) => h.valid === '1'));
      assert.ok(r.summary.includes(error.split('\n')[0] as string));
    });
  });
});
