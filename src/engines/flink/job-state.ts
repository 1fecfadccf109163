/** The job's state over REST: waiting until it runs, why it failed, Flink's duration text. */
import { FlinkRestClient, FlinkRestError, TERMINAL_STATES, type JobDetails } from './rest.js';

export class FlinkJobFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlinkJobFailedError';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Whether the job runs with every subtask RUNNING (at the expected per-vertex parallelism, if given). */
export function allRunning(d: JobDetails, expect?: Readonly<Record<string, number>>): boolean {
  if (d.state !== 'RUNNING') return false;
  return d.vertices.every((v) => (v.tasks?.RUNNING ?? 0) === v.parallelism && (expect?.[v.id] === undefined || expect[v.id] === v.parallelism));
}

export async function rootCause(client: FlinkRestClient, jobId: string): Promise<string> {
  try {
    const ex = await client.get<{ 'root-exception'?: string; exceptionHistory?: { entries?: { exceptionName?: string; stacktrace?: string }[] } }>(
      `/jobs/${jobId}/exceptions`,
      { retries: 1 },
    );
    const text = ex['root-exception'] ?? ex.exceptionHistory?.entries?.[0]?.stacktrace ?? '';
    const lines = text.split('\n');
    return [lines[0], ...lines.filter((l) => l.startsWith('Caused by'))].filter(Boolean).join(' | ').slice(0, 1500);
  } catch {
    return '';
  }
}

/** Polls until the job runs with every subtask RUNNING (at the expected per-vertex parallelism, if given). */
export async function waitUntilRunning(
  client: FlinkRestClient,
  jobId: string,
  timeoutSec: number,
  expect?: Readonly<Record<string, number>>,
  pollMs = 100,
): Promise<JobDetails> {
  const deadline = performance.now() + timeoutSec * 1000;
  let last: JobDetails | undefined;
  while (performance.now() < deadline) {
    try {
      last = await client.job(jobId);
    } catch (e) {
      if (e instanceof FlinkRestError && e.status === 404) last = undefined;
      else throw e;
    }
    if (last && TERMINAL_STATES.has(last.state)) {
      throw new FlinkJobFailedError(`Flink job ${jobId} is ${last.state}: ${await rootCause(client, jobId)}`);
    }
    if (last && allRunning(last, expect)) return last;
    await sleep(pollMs);
  }
  const where = last ? `${last.state}; ${last.vertices.map((v) => `${v.name}: ${v.tasks?.RUNNING ?? 0}/${v.parallelism} running`).join(', ')}` : 'not found';
  throw new FlinkJobFailedError(`Flink job ${jobId} not running within ${timeoutSec} s (${where})`);
}

/** Flink duration text ("500 ms", "10 s", "1 min", "10000") in ms. */
export function parseDurationMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*([0-9.]+)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const v = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  const scale: Record<string, number> = { '': 1, ms: 1, milli: 1, millis: 1, milliseconds: 1, s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000, min: 60_000, m: 60_000, minute: 60_000, minutes: 60_000, h: 3_600_000 };
  const k = scale[unit];
  return k === undefined ? undefined : v * k;
}
