/**
 * One keep-alive connection pool per endpoint, and one HTTP attempt per call. An attempt
 * never throws: every way it can end becomes an AttemptResult for the classifier's verdict.
 */
import { Pool } from 'undici';
import type { RouteConfig } from '../config/types.ts';
import { revealHeader } from '../config/secret.ts';
import type { BridgeRecord } from '../kafka/record.ts';
import { resultFromError, resultFromStatus, oneLine } from './classify-response.ts';
import { Verdict, type AttemptResult } from './outcome.ts';
import { buildRequestHeaders, RecordRejection, type HeaderPlan } from './request-headers.ts';

/** How much of an error response body is kept for the `bridge-error` message. */
const ERROR_SNIPPET_BYTES = 200;

export class HttpEndpoint {
  readonly #pool: Pool;
  readonly #path: string;
  readonly #method: RouteConfig['endpoint']['method'];
  readonly #timeout: number;
  readonly #maxResponseBytes: number;
  readonly #route: RouteConfig;
  readonly #plan: HeaderPlan;

  constructor(route: RouteConfig) {
    const url = new URL(route.endpoint.url);
    this.#route = route;
    this.#path = `${url.pathname}${url.search}`;
    this.#method = route.endpoint.method;
    this.#timeout = route.endpoint.timeout;
    this.#maxResponseBytes = route.endpoint.maxResponseBytes;
    const fixed: string[] = [];
    for (const [name, value] of Object.entries(route.endpoint.headers)) fixed.push(name.toLowerCase(), revealHeader(value));
    this.#plan = { fixed, forward: new Set(route.forwardHeaders.map((h) => h.toLowerCase())) };
    // The pool is bounded by `connections` (at most maxInFlight): a record waiting for a
    // connection is still counted in flight, so the bound on memory holds end to end.
    // undici follows no redirects unless a redirect interceptor is added, and we add none:
    // an endpoint answering 3xx cannot point the bridge at another host.
    this.#pool = new Pool(url.origin, {
      connections: route.endpoint.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: this.#timeout,
      bodyTimeout: this.#timeout,
      connect: { rejectUnauthorized: true, timeout: Math.min(this.#timeout, 10_000) },
    });
  }

  /** Sends one attempt of `record`; `attempt` counts across all hops. */
  async send(record: BridgeRecord, attempt: number, signal?: AbortSignal): Promise<AttemptResult> {
    const headers = buildRequestHeaders(record, attempt, this.#plan);
    if (headers instanceof RecordRejection) {
      return { verdict: Verdict.permanent, reason: headers.reason, message: headers.message };
    }
    try {
      const response = await this.#pool.request({
        path: this.#path,
        method: this.#method,
        headers,
        // The record value is the body, byte for byte: no parse, no copy.
        body: record.value ?? Buffer.alloc(0),
        headersTimeout: this.#timeout,
        bodyTimeout: this.#timeout,
        ...(signal === undefined ? {} : { signal }),
      });
      const status = response.statusCode;
      if (status >= 200 && status < 300) {
        // Drain (bounded) so the connection goes back to the pool; an endpoint that sends a
        // huge body cannot make us buffer it.
        await response.body.dump({ limit: this.#maxResponseBytes });
        return resultFromStatus(status, this.#route.statuses);
      }
      const snippet = await readSnippet(response.body, this.#maxResponseBytes);
      return resultFromStatus(status, this.#route.statuses, response.headers['retry-after'], snippet);
    } catch (error) {
      return resultFromError(error);
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** Reads the start of an error body for the log/header message, discarding the rest (bounded). */
async function readSnippet(
  body: AsyncIterable<Buffer> & { destroy(): void },
  limit: number,
): Promise<string> {
  const parts: Buffer[] = [];
  let kept = 0;
  let seen = 0;
  try {
    for await (const chunk of body) {
      seen += chunk.length;
      if (kept < ERROR_SNIPPET_BYTES) {
        parts.push(chunk.subarray(0, ERROR_SNIPPET_BYTES - kept));
        kept += Math.min(chunk.length, ERROR_SNIPPET_BYTES - kept);
      }
      if (seen > limit) {
        body.destroy();
        break;
      }
    }
  } catch {
    // A broken error body does not change the status we already have.
  }
  return oneLine(Buffer.concat(parts).toString('utf8'), ERROR_SNIPPET_BYTES);
}
