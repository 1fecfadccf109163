/**
 * One streamtune-timely process: spawned with an argument array (tracked: killed when the harness exits or is
 * interrupted; it also exits by itself when its stdin closes), controlled by JSON lines on its stdin ({"rate"},
 * {"sample"}, {"stop"}) and answering JSON lines on stdout (jobs/timely/src/main.rs).
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { spawnTracked } from '../shared/processes.js';

/** Per worker: cumulative busy ns, records in (processed), records out, schedules, records pulled per operator (logging clock). */
export interface WorkerSample {
  readonly index: number;
  /** Logging-clock ns up to which the counters are complete. */
  readonly asOfNs: number;
  readonly epochUnixMs: number;
  readonly parkNs: number;
  readonly ops: Readonly<Record<string, readonly [busyNs: number, recordsIn: number, recordsOut: number, schedules: number, pulled: number]>>;
}

export interface SourceWorkerSample {
  readonly worker: number;
  readonly emitted: number;
  readonly nextId: number;
  readonly cursorMs: number;
  /** This worker's share of the source's target rate, records/s. */
  readonly rate: number;
  readonly lag: number;
  readonly blockedNs: number;
}

export interface ProcessSample {
  readonly sample: number;
  readonly process: number;
  readonly unixMs: number;
  readonly rate: number;
  readonly logging: boolean;
  readonly workers: readonly WorkerSample[];
  readonly sources: Readonly<Record<string, readonly SourceWorkerSample[]>>;
  readonly stopped?: boolean;
}

export interface ReadyLine {
  readonly event: 'ready';
  readonly workers: number;
  readonly threads: number;
  readonly process: number;
  readonly processes: number;
  readonly pid: number;
  readonly logging: boolean;
  readonly operators: readonly string[];
  /** Operator -> [base, k]: it runs on workers base..base+k-1 (mod W). */
  readonly placement: Readonly<Record<string, readonly [number, number]>>;
}

export class TimelyProcessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimelyProcessError';
  }
}

export class TimelyProcess {
  private readonly waiting = new Map<number, { ok: (s: ProcessSample) => void; fail: (e: Error) => void }>();
  private counter = 0;
  private stderrTail = '';
  private exitInfo: string | undefined;
  private readonly exitPromise: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly ready: ReadyLine,
    exitPromise: Promise<void>,
    stderr: () => string,
  ) {
    this.exitPromise = exitPromise;
    this.stderrOf = stderr;
  }

  private readonly stderrOf: () => string;

  /** Spawns the binary and resolves once it reports every local worker built. */
  static start(binary: string, args: readonly string[], startTimeoutSec: number): Promise<TimelyProcess> {
    const child = spawnTracked(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-4000);
    });
    let exited: string | undefined;
    const exitPromise = new Promise<void>((r) =>
      child.on('exit', (code, signal) => {
        exited = signal ?? `exit ${code}`;
        r();
      }),
    );
    return new Promise<TimelyProcess>((ok, fail) => {
      let proc: TimelyProcess | undefined;
      let settled = false;
      const failWith = (msg: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        void exitPromise.then(() => fail(new TimelyProcessError(`${msg}${stderr.trim() ? `\n${stderr.trim()}` : ''}`)));
      };
      const timer = setTimeout(() => failWith(`streamtune-timely did not get ready within ${startTimeoutSec} s`), startTimeoutSec * 1000);
      child.on('error', (e) => failWith(`could not start ${binary}: ${e.message}`));
      child.on('exit', () => {
        if (!settled) failWith(`streamtune-timely exited before it was ready (${exited})`);
        else proc?.onExit();
      });
      child.stdin?.on('error', () => undefined); // EPIPE after an exit is reported through 'exit'
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        if (msg.event === 'ready' && !settled) {
          settled = true;
          clearTimeout(timer);
          proc = new TimelyProcess(child, msg as unknown as ReadyLine, exitPromise, () => stderr);
          ok(proc);
        } else if (proc && typeof msg.sample === 'number') {
          proc.onSample(msg as unknown as ProcessSample);
        }
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Why the process ended (exit code or signal) and its last stderr, once it has. */
  get failure(): string | undefined {
    if (!this.exited) return undefined;
    const tail = this.stderrOf().trim();
    return `${this.exitInfo ?? `exit ${this.child.exitCode ?? this.child.signalCode}`}${tail ? `: ${tail}` : ''}`;
  }

  private onExit(): void {
    this.exitInfo = this.child.signalCode ?? `exit ${this.child.exitCode}`;
    for (const w of this.waiting.values()) w.fail(new TimelyProcessError(`streamtune-timely (pid ${this.pid}) exited: ${this.failure ?? ''}`));
    this.waiting.clear();
  }

  private onSample(s: ProcessSample): void {
    const w = this.waiting.get(s.sample);
    if (!w) return;
    this.waiting.delete(s.sample);
    w.ok(s);
  }

  private send(msg: Record<string, unknown>): void {
    if (this.exited) throw new TimelyProcessError(`streamtune-timely (pid ${this.pid}) is not running: ${this.failure ?? ''}`);
    this.child.stdin?.write(`${JSON.stringify(msg)}\n`);
  }

  setRate(rate: number): void {
    this.send({ rate });
  }

  private request(key: 'sample' | 'stop', timeoutMs: number): Promise<ProcessSample> {
    const id = ++this.counter;
    return new Promise<ProcessSample>((ok, fail) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        fail(new TimelyProcessError(`streamtune-timely (pid ${this.pid}) did not answer '${key}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        ok: (s) => (clearTimeout(timer), ok(s)),
        fail: (e) => (clearTimeout(timer), fail(e)),
      });
      try {
        this.send({ [key]: id });
      } catch (e) {
        clearTimeout(timer);
        this.waiting.delete(id);
        fail(e as Error);
      }
    });
  }

  /** Cumulative counters now. */
  sample(timeoutMs = 5000): Promise<ProcessSample> {
    return this.request('sample', timeoutMs);
  }

  /**
   * Asks the process to stop: resolves with its last sample (the sources' next event ids, to resume from) once
   * it has exited; kills it after `timeoutSec` (then the sample is undefined). Idempotent; never throws.
   */
  async stop(timeoutSec: number): Promise<ProcessSample | undefined> {
    if (this.exited) return undefined;
    const last = await this.request('stop', timeoutSec * 1000).catch(() => undefined);
    try {
      this.child.stdin?.end();
    } catch {
      // already closed
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutSec * 1000);
    await this.exitPromise;
    clearTimeout(timer);
    return last;
  }

  /** Kills the process (SIGKILL) and waits for it to exit. */
  async kill(): Promise<void> {
    if (!this.exited) this.child.kill('SIGKILL');
    await this.exitPromise;
  }
}
