/**
 * One external tuner process and its JSON-lines channel: started with an argument array through the engines'
 * child-process registry (so the harness's signal handling kills it), one request line out, one response line
 * back within a timeout, its stderr kept as a tail for failure messages, and always stopped (close: a `close`
 * request and a grace period, then SIGKILL; on any failure: SIGKILL at once).
 */
import type { ChildProcess } from 'node:child_process';
import { spawnTracked } from '../../engines/shared/processes.js';

/** Why a request got no usable answer (the tuner's index.ts turns it into one line naming the tuner). */
export class ChannelError extends Error {
  constructor(
    message: string,
    /** The line the tuner sent, when the failure is about a line. */
    readonly line?: string,
  ) {
    super(message);
    this.name = 'ChannelError';
  }
}

const STDERR_TAIL = 4000;

export class TunerProcess {
  private readonly child: ChildProcess;
  private buffer = '';
  private readonly lines: string[] = [];
  private waiter: ((line: string | Error) => void) | undefined;
  private stderr = '';
  private exited: { code: number | null; signal: string | null } | undefined;
  private startError: Error | undefined;
  private readonly exitPromise: Promise<void>;

  constructor(command: readonly string[], cwd?: string) {
    const [cmd, ...args] = command;
    if (cmd === undefined) throw new ChannelError('no command');
    this.child = spawnTracked(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(cwd !== undefined ? { cwd } : {}),
      // Python buffers a pipe's output: a tuner that forgets to flush would look hung.
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    this.exitPromise = new Promise((resolve) => {
      // 'close', not 'exit': it comes after the last stdout data, so an answer written just before exiting is read.
      this.child.on('close', (code, signal) => {
        this.exited = { code, signal };
        this.wake(new ChannelError(this.exitText()));
        resolve();
      });
      this.child.on('error', (e) => {
        // spawn failed (ENOENT, EACCES): no exit event follows.
        this.startError = e;
        this.exited ??= { code: null, signal: null };
        this.wake(new ChannelError(`could not start: ${e.message}`));
        resolve();
      });
    });
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL);
    });
    // A tuner that exits while we write gets EPIPE: the exit event reports it.
    this.child.stdin?.on('error', () => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  /** The last non-empty line the tuner wrote to stderr (a Python traceback's last line names the error). */
  lastStderrLine(): string {
    const ls = this.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    return ls[ls.length - 1] ?? '';
  }

  private exitText(): string {
    if (this.startError) return `could not start: ${this.startError.message}`;
    const how = this.exited?.signal ? `killed by ${this.exited.signal}` : `exited with code ${this.exited?.code}`;
    const last = this.lastStderrLine();
    return `${how}${last ? `; its last stderr line: ${last}` : ''}`;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim() === '') continue;
      if (this.waiter) this.wake(line);
      else this.lines.push(line);
    }
  }

  private wake(x: string | Error): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.(x);
  }

  /** Writes one request line and resolves with the next line the tuner sends (rejects on exit or timeout). */
  async request(message: unknown, timeoutMs: number): Promise<string> {
    if (!this.alive) throw new ChannelError(this.exitText());
    const early = this.lines.shift();
    if (early !== undefined) throw new ChannelError('sent a line nobody asked for', early);
    const answer = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new ChannelError(`no answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiter = (x) => {
        clearTimeout(timer);
        if (x instanceof Error) reject(x);
        else resolve(x);
      };
    });
    this.child.stdin?.write(`${JSON.stringify(message)}\n`);
    return answer;
  }

  /** Sends a last line without waiting for an answer (close); false when the process is gone. */
  send(message: unknown): boolean {
    if (!this.alive || !this.child.stdin?.writable) return false;
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
    return true;
  }

  /** Resolves once the process has exited, killing it (SIGKILL) after graceMs. */
  async stop(graceMs: number): Promise<void> {
    if (!this.alive) return;
    this.child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.exitPromise, grace]);
    clearTimeout(timer);
    if (this.alive) {
      this.child.kill('SIGKILL');
      await this.exitPromise;
    }
  }
}
