/**
 * The rate endpoint the generator sources poll (every 250 ms): GET /rate/<token> answers the current total
 * target rate as a plain number. One server per engine, one token per deployment.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export class RateServer {
  private readonly rates = new Map<string, number>();
  private server?: Server;
  private base?: string;

  constructor(
    private readonly host = '127.0.0.1',
    private readonly advertise?: string,
  ) {}

  /** Starts listening (once); resolves to the base URL the sources use. */
  async start(): Promise<string> {
    if (this.base) return this.base;
    const server = createServer((req, res) => {
      const m = /^\/rate\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
      const rate = m ? this.rates.get(m[1] as string) : undefined;
      if (req.method !== 'GET' || rate === undefined) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('unknown rate token\n');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }).end(`${rate}\n`);
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(0, this.host, () => ok());
    });
    server.unref();
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.base = (this.advertise ?? `http://${host}:${port}`).replace(/\/+$/, '');
    return this.base;
  }

  /** Registers a deployment's rate; returns the URL its sources poll. */
  async register(rate: number): Promise<{ token: string; url: string }> {
    const base = await this.start();
    const token = randomBytes(8).toString('hex');
    this.rates.set(token, rate);
    return { token, url: `${base}/rate/${token}` };
  }

  set(token: string, rate: number): void {
    if (!(rate >= 0 && Number.isFinite(rate))) throw new RangeError(`rate must be a finite number >= 0, got ${rate}`);
    this.rates.set(token, rate);
  }

  get(token: string): number | undefined {
    return this.rates.get(token);
  }

  unregister(token: string): void {
    this.rates.delete(token);
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    this.base = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
