import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the fake does with one request. `status` answers normally. The faults:
 * - `delayMs`: Slack posts the message, then answers after this much *virtual* time (`onDelay`
 *   advances the test's clock), so "answers at 9.5 s" vs "10.5 s" is exact on any machine;
 * - `late`: Slack posts the message but answers only after the client gave up (`onHang` is called so
 *   the test aborts the attempt — no real timer involved);
 * - `hang`: Slack never posts and never answers (`onHang` as above);
 * - `resetBefore`: the connection is reset before Slack posts anything;
 * - `resetAfter`: Slack posts the message, then the connection is reset before the answer.
 */
export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  fault?: 'late' | 'hang' | 'resetBefore' | 'resetAfter';
}

/**
 * A real HTTP server on 127.0.0.1 (random port) standing in for a Slack incoming webhook. It records
 * every request, whether Slack "posted" it to the channel, and answers from `script` (1-based request
 * number → reply) or `decide`; anything unscripted gets 200 "ok", like Slack.
 */
export class FakeSlack {
  readonly requests: Array<{ path: string; body: string; contentType: string | undefined; status: number; posted: boolean; fault?: string }> = [];
  script: Record<number, FakeReply> = {};
  decide: ((n: number, body: string) => FakeReply | undefined) | undefined;
  /** Called with a reply's `delayMs` before answering (advance the virtual clock). */
  onDelay: ((ms: number) => void) | undefined;
  /** Called when the fake will not answer (`late`, `hang`): the test aborts the client's attempt. */
  onHang: (() => void) | undefined;
  /** When it returns true the fake refuses to post (the caller was killed: nothing it sends lands). */
  refuse: (() => boolean) | undefined;
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
        const refused = this.refuse?.() === true;
        const fault = refused ? 'resetBefore' : reply.fault;
        const posted = !refused && reply.status < 300 && fault !== 'hang' && fault !== 'resetBefore';
        this.requests.push({ path: req.url ?? '', body, contentType: req.headers['content-type'], status: reply.status, posted, ...(fault ? { fault } : {}) });
        if (fault === 'resetBefore' || fault === 'resetAfter') {
          req.socket.destroy();
          return;
        }
        if (fault === 'late' || fault === 'hang') {
          this.onHang?.();
          return;
        }
        if (reply.delayMs) this.onDelay?.(reply.delayMs);
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...(reply.headers ?? {}) });
        res.end(reply.body ?? (reply.status < 300 ? 'ok' : 'error'));
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/services/T000/B000/secret-token`;
    return this;
  }

  /** Bodies Slack posted to the channel, parsed. */
  delivered(): Array<Record<string, unknown>> {
    return this.requests.filter((r) => r.posted).map((r) => JSON.parse(r.body) as Record<string, unknown>);
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
