/**
 * A real HTTP server on 127.0.0.1 that records every request the bridge makes and answers
 * as the test scripts it. It also tracks how many requests are open at once.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly receivedAt: number;
  /** Requests open (including this one) when it arrived. */
  readonly concurrent: number;
  /** 1-based position among all requests. */
  readonly n: number;
}

export interface SinkAnswer {
  status?: number;
  delayMs?: number;
  headers?: Record<string, string>;
  body?: string;
}

export type Responder = (req: SinkRequest) => SinkAnswer | Promise<SinkAnswer>;

export class RecordingSink {
  readonly requests: SinkRequest[] = [];
  responder: Responder = () => ({ status: 200 });
  readonly #server: Server;
  #open = 0;
  maxConcurrent = 0;

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.#open++;
        this.maxConcurrent = Math.max(this.maxConcurrent, this.#open);
        const entry: SinkRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
          receivedAt: Date.now(),
          concurrent: this.#open,
          n: this.requests.length + 1,
        };
        this.requests.push(entry);
        void Promise.resolve(this.responder(entry)).then(async (answer) => {
          if (answer.delayMs !== undefined && answer.delayMs > 0) await new Promise((r) => setTimeout(r, answer.delayMs));
          this.#open--;
          if (res.destroyed) return;
          res.writeHead(answer.status ?? 200, answer.headers ?? {});
          res.end(answer.body ?? '');
        });
      });
    });
  }

  static async start(responder?: Responder): Promise<RecordingSink> {
    const sink = new RecordingSink();
    if (responder !== undefined) sink.responder = responder;
    await new Promise<void>((resolve) => sink.#server.listen(0, '127.0.0.1', resolve));
    return sink;
  }

  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Requests answered or pending, by idempotency key. */
  byKey(): Map<string, SinkRequest[]> {
    const m = new Map<string, SinkRequest[]>();
    for (const r of this.requests) {
      const k = String(r.headers['idempotency-key']);
      m.set(k, [...(m.get(k) ?? []), r]);
    }
    return m;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
