/**
 * What a killed harness leaves on Flink, and its cleanup: remote jobs are named for their harness (host, pid,
 * tag) and described by leftovers the runner keeps; reclaimFlink cancels those still running and removes the
 * temporary folders of killed local runs.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobGraph } from '../../core/job.js';
import type { Leftovers } from '../engine.js';
import type { FlinkConfig } from './config.js';
import { pidAlive } from './launcher.js';
import { FlinkRestClient, TERMINAL_STATES } from './rest.js';

/** Prefix of a local deployment's temporary folder; the harness's pid follows, so a later harness knows it is stale. */
export const LOCAL_TEMP_PREFIX = 'streamtune-flink-';

/**
 * The name a deployment's Flink job runs under: the harness job's name and who submitted it (host, pid and a
 * random tag), so a job left running by a killed harness is found again by its exact name, and a person looking
 * at the cluster sees whose it is.
 */
export function flinkJobName(job: JobGraph, tag = randomBytes(4).toString('hex')): string {
  return `${job.name} [streamtune ${hostname()}:${process.pid} ${tag}]`;
}

/** Leftovers of a remote deployment: the job (by name: a savepoint rescale gives it a new id) and its jar. */
export interface FlinkLeftovers extends Leftovers {
  readonly engine: 'flink';
  readonly rest: string;
  readonly jobName: string;
  readonly jarId: string;
}

/** Stale local temporary folders: named for a harness pid that is gone, and named by no live process's command line. */
export function staleLocalTempDirs(dir = tmpdir()): string[] {
  const alive = liveCommandLines();
  return readdirSync(dir)
    .map((n) => ({ n, pid: Number(new RegExp(`^${LOCAL_TEMP_PREFIX}(\\d+)-`).exec(n)?.[1]) }))
    .filter(({ pid }) => Number.isInteger(pid) && pid > 0 && pid !== process.pid && !pidAlive(pid))
    .map(({ n }) => join(dir, n))
    .filter((path) => !alive.some((cmd) => cmd.includes(path)));
}

/** The command lines of the machine's processes (Linux /proc; elsewhere none, then a harness's dead pid decides). */
function liveCommandLines(): string[] {
  if (!existsSync('/proc')) return [];
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      out.push(readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * After an interrupted harness: cancels the remote jobs its runs left (found by name, still running) and deletes
 * their jars, cancels jobs named for a dead harness pid of this host on the configured cluster, and removes the
 * temporary folders of killed local runs. One line per thing found.
 */
export async function reclaimFlink(config: FlinkConfig, leftovers: readonly Leftovers[]): Promise<string[]> {
  const lines: string[] = [];
  const cancelled = new Set<string>();
  const client = (rest: string) => new FlinkRestClient(rest, { timeoutMs: config.restTimeoutMs, retries: 1, backoffMs: config.restBackoffMs });
  const cancel = async (c: FlinkRestClient, j: { jid: string; name: string; state: string }, why: string): Promise<void> => {
    if (cancelled.has(j.jid)) return;
    cancelled.add(j.jid);
    try {
      await c.cancel(j.jid);
      lines.push(`cancelled Flink job ${j.jid} '${j.name}' (${j.state}) that ${why} left on ${c.baseUrl}`);
    } catch (e) {
      lines.push(`could not cancel Flink job ${j.jid} '${j.name}' (${j.state}) that ${why} left on ${c.baseUrl}: ${(e as Error).message}`);
    }
  };
  const running = async (c: FlinkRestClient) => (await c.get<{ jobs: { jid: string; name: string; state: string }[] }>('/jobs/overview')).jobs.filter((j) => !TERMINAL_STATES.has(j.state));
  for (const l of leftovers) {
    if (l.engine !== 'flink' || typeof l.rest !== 'string' || typeof l.jobName !== 'string') continue;
    const f = l as FlinkLeftovers;
    const c = client(f.rest);
    try {
      for (const j of (await running(c)).filter((x) => x.name === f.jobName)) await cancel(c, j, 'an interrupted run');
      await c.deleteJar(f.jarId).catch(() => undefined);
    } catch (e) {
      lines.push(`could not look for the Flink job '${f.jobName}' that an interrupted run may have left on ${f.rest}: ${(e as Error).message}`);
    }
  }
  // Jobs of harnesses on this machine that are gone (killed before their run kept its leftovers, e.g. mid-deploy).
  if (config.rest) {
    const c = client(config.rest);
    const mine = new RegExp(`\\[streamtune ${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+) [0-9a-f]+\\]$`);
    try {
      for (const j of await running(c)) {
        const pid = Number(mine.exec(j.name)?.[1]);
        if (pid > 0 && pid !== process.pid && !pidAlive(pid)) await cancel(c, j, `a harness on this machine (pid ${pid}, gone)`);
      }
    } catch {
      // the cluster does not answer: the runs will say so
    }
  }
  for (const dir of staleLocalTempDirs()) {
    try {
      rmSync(dir, { recursive: true, force: true });
      lines.push(`removed ${dir}, the temporary folder of a killed local Flink run`);
    } catch (e) {
      lines.push(`could not remove ${dir}, the temporary folder of a killed local Flink run: ${(e as Error).message}`);
    }
  }
  return lines;
}
