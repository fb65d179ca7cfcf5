/**
 * A local OAuth 2.0 token endpoint (client credentials grant) for tests. It issues tok-1,
 * tok-2, … (or another prefix) and records every request; a test switches it down (503 or a dropped connection)
 * and up again, delays its answers, or changes the lifetime of the tokens it hands out.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenRequest {
  readonly headers: IncomingHttpHeaders;
  readonly form: URLSearchParams;
}

export class TokenEndpoint {
  readonly requests: TokenRequest[] = [];
  /** 'up' issues tokens; '503' answers 503; 'reset' drops the connection; '401' refuses the client. */
  mode: 'up' | '503' | 'reset' | '401' = 'up';
  delayMs = 0;
  /** undefined = no expires_in in the answer. */
  expiresIn: number | undefined = 3600;
  /** Tokens are `<prefix>-1`, `<prefix>-2`, … */
  prefix = 'tok';
  #issued = 0;
  readonly #server: Server;

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({ headers: req.headers, form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')) });
        const answer = (): void => {
          if (this.mode === 'reset') {
            req.socket.destroy();
            return;
          }
          if (this.mode === '503') {
            res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
            return;
          }
          if (this.mode === '401') {
            res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
            return;
          }
          this.#issued++;
          const body = { access_token: `${this.prefix}-${this.#issued}`, token_type: 'Bearer', ...(this.expiresIn === undefined ? {} : { expires_in: this.expiresIn }) };
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        if (this.delayMs > 0) setTimeout(answer, this.delayMs);
        else answer();
      });
    });
  }

  static async start(): Promise<TokenEndpoint> {
    const endpoint = new TokenEndpoint();
    await new Promise<void>((resolve) => endpoint.#server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/oauth2/token`;
  }

  /** The last token handed out, e.g. "tok-3". */
  get lastToken(): string {
    return `${this.prefix}-${this.#issued}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
