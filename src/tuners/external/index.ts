/**
 * A tuner in any language: a child process speaking the tuner protocol (protocol.ts, docs/tuner-protocol.md) on
 * its stdin and stdout. Configured as {"kind": "external", "command": ["python3", "my_tuner.py"], "options": {}}.
 *
 * prepare() starts the process (an argument array, never a shell string), shakes hands and sends the job; each
 * decide() is one request line and one answer line within `timeoutSec`; close() asks it to exit and kills it
 * after a grace period. decide() returns a promise: its only I/O is this tuner's own process, never a file, a
 * clock or an engine. Every failure (it does not start, exits, hangs past its timeout, prints a line that is not a
 * message, answers an invalid parallelism) kills the process and fails the run with one line naming the tuner,
 * the request and the line it sent.
 */
import { z } from 'zod';
import { keep, rescale, wait, type Decision } from '../../core/decision.js';
import type { JobGraph } from '../../core/job.js';
import type { Snapshot } from '../../core/metrics.js';
import type { Parallelism } from '../../core/parallelism.js';
import { TunerSetupError, type Tuner, type TunerContext, type TunerView } from '../tuner.js';
import { ChannelError, TunerProcess } from './channel.js';
import { PROTOCOL_VERSION, response, type DecideRequest, type Response, type WireSnapshot } from './protocol.js';

/** Its colour in every chart (Tableau-10). */
export const color = '#eeca3b';
export const doc = 'A tuner in any language: a child process speaking the JSON-lines tuner protocol (docs/tuner-protocol.md).';

export const options = z.strictObject({
  command: z
    .array(z.string().min(1).max(4096))
    .min(1)
    .max(256)
    .describe('The program and its arguments, e.g. ["python3", "my_tuner.py"] (an argument array; no shell). Relative paths are resolved against `cwd`'),
  options: z.record(z.string(), z.unknown()).default({}).describe("The tuner's own options, sent as they are in `prepare`"),
  cwd: z.string().min(1).max(4096).optional().describe('Working folder of the process; default: the current folder'),
  timeoutSec: z.number().positive().max(3600).default(10).describe('Longest wait for the answer to one decide, seconds of wall time'),
  startTimeoutSec: z.number().positive().max(3600).default(60).describe('Longest wait for the answers to hello and prepare (start-up, model loading), seconds'),
});
export type ExternalOptions = z.infer<typeof options>;

/** Seconds a closing tuner gets to answer bye and exit before it is killed. */
const CLOSE_GRACE_MS = 2000;

/** A failed exchange with an external tuner: one line naming the tuner, the request and the line it sent. */
export class ExternalTunerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExternalTunerError';
  }
}

/** One line, at most n characters (the tuner's output quoted in an error). */
function oneLine(s: string, n = 300): string {
  const flat = s.replace(/\s*\n\s*/g, ' ');
  return flat.length > n ? `${flat.slice(0, n)}...` : flat;
}

/** Non-finite numbers become null: JSON has neither NaN nor Infinity. */
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function wireSnapshot(s: Snapshot): WireSnapshot {
  const map = <T extends object>(o: T): { [K in keyof T]: number | null } =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, finite(v as number)])) as { [K in keyof T]: number | null };
  return {
    time: s.time,
    windowSeconds: s.windowSeconds,
    operators: Object.fromEntries(Object.entries(s.operators).map(([id, m]) => [id, map(m)])),
    sources: Object.fromEntries(Object.entries(s.sources).map(([id, m]) => [id, map(m)])),
    targetRate: s.targetRate,
    achievedRate: s.achievedRate,
    ...(s.note !== undefined ? { note: s.note } : {}),
  };
}

export function decideRequestOf(view: TunerView, window: number, episode: number): DecideRequest {
  return {
    type: 'decide',
    window,
    episode,
    view: {
      parallelism: { ...view.parallelism },
      snapshot: wireSnapshot(view.snapshot),
      targetRate: view.targetRate,
      clock: view.clock,
      sharedWorkers: view.sharedWorkers,
      ...(view.maxOperatorParallelism !== undefined ? { maxOperatorParallelism: view.maxOperatorParallelism } : {}),
      ...(view.lastRescale
        ? {
            lastRescale: {
              requested: { ...view.lastRescale.requested },
              running: { ...view.lastRescale.running },
              tookEffect: view.lastRescale.tookEffect,
              ...(view.lastRescale.note !== undefined ? { note: view.lastRescale.note } : {}),
            },
          }
        : {}),
    },
  };
}

/**
 * The answer's parallelism checked against the job: known operators only, integers within [1, max]; operators
 * left out keep their current parallelism. Returns the complete next parallelism or a reason it is invalid.
 */
export function checkedParallelism(job: JobGraph, current: Parallelism, asked: Readonly<Record<string, number>>): { next: Parallelism } | { error: string } {
  const next: Record<string, number> = { ...current };
  for (const [id, v] of Object.entries(asked)) {
    if (!job.has(id)) return { error: `unknown operator '${oneLine(id, 80)}' (operators: ${job.operatorIds.join(', ')})` };
    const max = job.operator(id).maxParallelism;
    if (!Number.isInteger(v) || v < 1 || v > max) return { error: `operator '${id}': parallelism ${v} is not an integer within [1, ${max}]` };
    next[id] = v;
  }
  return { next };
}

export class ExternalTuner implements Tuner {
  private proc: TunerProcess | undefined;
  private window = 0;
  private episode = -1;
  private failed: string | undefined;
  private job: JobGraph | undefined;

  constructor(
    readonly name: string,
    private readonly opts: ExternalOptions,
  ) {}

  /** The process id while the tuner runs (tests check it is gone after a failure). */
  get pid(): number | undefined {
    return this.proc?.alive ? this.proc.pid : undefined;
  }

  private where(): string {
    return `tuner '${this.name}' (${oneLine(this.opts.command.join(' '), 120)})`;
  }

  /** Kills the process and throws one line: the tuner, the request it was answering, what went wrong. */
  private async fail(request: string, what: string, line?: string): Promise<never> {
    const proc = this.proc;
    const msg = `${this.where()}: ${request}: ${what}${line !== undefined ? `; it sent: ${JSON.stringify(oneLine(line))}` : ''}`;
    this.failed = msg;
    await proc?.stop(0);
    throw new ExternalTunerError(msg);
  }

  /** One request, one validated answer of an expected type. */
  private async exchange<T extends Response['type']>(request: string, message: unknown, expected: readonly T[], timeoutMs: number): Promise<Extract<Response, { type: T }>> {
    if (this.failed) throw new ExternalTunerError(this.failed);
    const proc = this.proc;
    if (!proc) throw new ExternalTunerError(`${this.where()}: ${request}: not started (prepare() was not called)`);
    let line: string;
    try {
      line = await proc.request(message, timeoutMs);
    } catch (e) {
      if (e instanceof ChannelError) return this.fail(request, e.message, e.line);
      throw e;
    }
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return this.fail(request, 'answered with a line that is not JSON (print logs to stderr, not stdout)', line);
    }
    const parsed = response.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
      return this.fail(request, `answered with a line that is not a protocol message (${issue?.message ?? 'invalid'}${at})`, line);
    }
    const answer = parsed.data;
    if (answer.type === 'error') return this.fail(request, `answered error: ${oneLine(answer.message)}`, line);
    if (!(expected as readonly string[]).includes(answer.type)) return this.fail(request, `answered '${answer.type}' (expected ${expected.join(' or ')})`, line);
    return answer as Extract<Response, { type: T }>;
  }

  async prepare(job: JobGraph, context: TunerContext): Promise<void> {
    this.job = job;
    try {
      this.proc = new TunerProcess(this.opts.command, this.opts.cwd);
    } catch (e) {
      throw new TunerSetupError(`${this.where()}: could not start: ${(e as Error).message}`);
    }
    const start = this.opts.startTimeoutSec * 1000;
    const hello = await this.exchange('hello', { type: 'hello', protocol: PROTOCOL_VERSION, tuner: this.name }, ['hello'], start);
    if (hello.protocol !== PROTOCOL_VERSION)
      await this.fail('hello', `speaks protocol version ${hello.protocol}; this harness speaks ${PROTOCOL_VERSION}`, JSON.stringify(hello));
    const spec = job.toSpec();
    await this.exchange(
      'prepare',
      { type: 'prepare', job: spec, options: this.opts.options, seed: context.rng.seed >>> 0, engine: context.engineKind },
      ['ready'],
      start,
    );
  }

  startEpisode(): void {
    this.episode++;
  }

  async decide(view: TunerView): Promise<Decision> {
    this.window++;
    const request = `decide (window ${this.window})`;
    const message = decideRequestOf(view, this.window, Math.max(0, this.episode));
    const answer = await this.exchange(request, message, ['keep', 'wait', 'rescale'], this.opts.timeoutSec * 1000);
    if (answer.type === 'keep') return keep(answer.reason);
    if (answer.type === 'wait') return wait(answer.reason);
    const checked = checkedParallelism(this.job ?? view.job, view.parallelism, answer.parallelism);
    if ('error' in checked) return this.fail(request, `answered an invalid parallelism: ${checked.error}`, JSON.stringify(answer));
    const reasons = answer.reasons ?? {};
    return rescale(view.parallelism, checked.next, answer.reason, (id) => reasons[id] ?? answer.reason);
  }

  async close(): Promise<void> {
    const proc = this.proc;
    if (!proc?.alive) return;
    proc.send({ type: 'close' });
    await proc.stop(CLOSE_GRACE_MS);
  }
}

export function create(opts: ExternalOptions, name = 'external'): Tuner {
  return new ExternalTuner(name, opts);
}
