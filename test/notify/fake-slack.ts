import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake answers for one request: a status, optional headers and body. */
export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * A real HTTP server on 127.0.0.1 (random port) standing in for a Slack incoming webhook. It records
 * every posted body and answers from `script` (1-based request number → reply) or `decide`;
 * anything unscripted gets 200 "ok", like Slack.
 */
export class FakeSlack {
  readonly requests: Array<{ path: string; body: string; contentType: string | undefined; status: number }> = [];
  script: Record<number, FakeReply> = {};
  decide: ((n: number, body: string) => FakeReply | undefined) | undefined;
  url = '';
  #server: Server | undefined;

  async start(): Promise<this> {
    this.#server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const n = this.requests.length + 1;
        const reply = this.decide?.(n, body) ?? this.script[n] ?? { status: 200, body: 'ok' };
        this.requests.push({ path: req.url ?? '', body, contentType: req.headers['content-type'], status: reply.status });
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...(reply.headers ?? {}) });
        res.end(reply.body ?? (reply.status < 300 ? 'ok' : 'error'));
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/services/T000/B000/secret-token`;
    return this;
  }

  /** Bodies Slack "accepted" (answered 2xx), parsed. */
  delivered(): Array<Record<string, unknown>> {
    return this.requests.filter((r) => r.status < 300).map((r) => JSON.parse(r.body) as Record<string, unknown>);
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function startFakeSlack(): Promise<FakeSlack> {
  return new FakeSlack().start();
}
