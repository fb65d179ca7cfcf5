/**
 * One keep-alive connection pool per endpoint, and one HTTP attempt per call. An attempt
 * never throws: every way it can end becomes an AttemptResult for the classifier's verdict.
 *
 * An endpoint can be hostile or broken as well as down, and none of that may cost memory or
 * a delivery slot:
 * - response bodies are read only up to `maxResponseBytes` (then the connection is closed);
 * - every attempt has one deadline, `endpoint.timeout`, for everything: connecting, sending,
 *   the response headers AND the body. undici's own bodyTimeout only bounds the pause
 *   between two chunks, so a body trickling a byte a second would never trip it;
 * - redirects are never followed (see the pool below).
 */
import { Pool } from 'undici';
import type { RouteConfig } from '../config/types.ts';
import { revealHeader } from '../config/secret.ts';
import type { BridgeRecord } from '../kafka/record.ts';
import { idempotencyKey } from '../kafka/record.ts';
import { createEndpointAuth, type EndpointAuth } from './auth/endpoint-auth.ts';
import { resultFromError, resultFromStatus, oneLine } from './classify-response.ts';
import { Verdict, type AttemptResult, type Outage } from './outcome.ts';
import { buildRequestHeaders, RecordRejection, type HeaderPlan } from './request-headers.ts';
import { endpointConnect } from './tls-connect.ts';
import { SIGNATURE_HEADERS, WebhookSigner } from './webhook-signature.ts';

/** How much of an error response body is kept for the `bridge-error` message. */
const ERROR_SNIPPET_BYTES = 200;
const EMPTY = Buffer.alloc(0);

/** The reason a deadline aborts a request with, so it is told apart from other aborts. */
class AttemptDeadline extends Error {
  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`);
    this.name = 'AttemptDeadline';
  }
}

export class HttpEndpoint {
  readonly #pool: Pool;
  readonly #path: string;
  readonly #method: RouteConfig['endpoint']['method'];
  readonly #timeout: number;
  readonly #maxResponseBytes: number;
  readonly #route: RouteConfig;
  readonly #plan: HeaderPlan;
  readonly #auth: EndpointAuth | undefined;
  readonly #signer: WebhookSigner | undefined;

  constructor(route: RouteConfig) {
    const { endpoint } = route;
    const url = new URL(endpoint.url);
    this.#route = route;
    this.#path = `${url.pathname}${url.search}`;
    this.#method = endpoint.method;
    this.#timeout = endpoint.timeout;
    this.#maxResponseBytes = endpoint.maxResponseBytes;
    this.#auth = endpoint.auth === undefined ? undefined : createEndpointAuth(endpoint.auth, { timeout: endpoint.timeout });
    this.#signer = endpoint.signing === undefined ? undefined : new WebhookSigner(endpoint.signing.key);
    const fixed: string[] = [];
    for (const [name, value] of Object.entries(endpoint.headers)) fixed.push(name.toLowerCase(), revealHeader(value));
    // Headers the bridge computes itself are never taken from a Kafka record, whatever
    // forwardHeaders says: a producer must not be able to supply credentials or signatures.
    const own = new Set<string>([...(this.#auth === undefined ? [] : ['authorization']), ...(this.#signer === undefined ? [] : SIGNATURE_HEADERS)]);
    this.#plan = { fixed, forward: new Set(route.forwardHeaders.map((h) => h.toLowerCase()).filter((h) => !own.has(h))) };
    // The pool is bounded by `connections` (at most maxInFlight): a record waiting for a
    // connection is still counted in flight, so the bound on memory holds end to end.
    // undici follows no redirects unless a redirect interceptor is added, and we add none:
    // an endpoint answering 3xx cannot point the bridge at another host.
    this.#pool = new Pool(url.origin, {
      connections: endpoint.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: this.#timeout,
      bodyTimeout: this.#timeout,
      connect: endpointConnect(endpoint.tls, Math.min(this.#timeout, 10_000)),
    });
  }

  /**
   * Resolves undefined when an attempt can be made now, or the outage that prevents it (the
   * OAuth token endpoint is down). Called before an attempt, so that the wait for a token is
   * flow control and not an attempt against the endpoint.
   */
  readonly ready = async (): Promise<Outage | undefined> => {
    if (this.#auth === undefined) return undefined;
    const credential = await this.#auth.authorization();
    return typeof credential === 'string' ? undefined : credential;
  };

  /** Sends one attempt of `record`; `attempt` counts across all hops. */
  async send(record: BridgeRecord, attempt: number, signal?: AbortSignal): Promise<AttemptResult> {
    const headers = buildRequestHeaders(record, attempt, this.#plan);
    if (headers instanceof RecordRejection) {
      return { verdict: Verdict.permanent, reason: headers.reason, message: headers.message };
    }
    const body = record.value ?? EMPTY;
    let credential = await this.#auth?.authorization();
    if (credential !== undefined && typeof credential !== 'string') return outageResult(credential);

    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new AttemptDeadline(this.#timeout)), this.#timeout);
    const aborted = signal === undefined ? deadline.signal : AbortSignal.any([deadline.signal, signal]);
    try {
      const id = idempotencyKey(record.origin);
      let result = await this.#exchange(headers, body, id, credential, aborted);
      // A 401 may mean the token was just rotated or revoked: fresh credentials get one retry,
      // within the same deadline.
      if (result.status === 401 && credential !== undefined && (await this.#auth?.rejected(credential)) === true) {
        credential = await this.#auth?.authorization();
        if (credential !== undefined && typeof credential !== 'string') return outageResult(credential);
        result = await this.#exchange(headers, body, id, credential, aborted);
      }
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  async #exchange(base: readonly string[], body: Buffer, id: string, credential: string | undefined, signal: AbortSignal): Promise<AttemptResult> {
    const headers = [...base];
    if (credential !== undefined) headers.push('authorization', credential);
    if (this.#signer !== undefined) headers.push(...this.#signer.headers(id, body));
    try {
      const response = await this.#pool.request({
        path: this.#path,
        method: this.#method,
        headers,
        // The record value is the body, byte for byte: no parse, no copy.
        body,
        headersTimeout: this.#timeout,
        bodyTimeout: this.#timeout,
        signal,
      });
      const status = response.statusCode;
      // The status is the endpoint's answer; the body is only drained (2xx) or sampled for
      // the log (errors). A body cut short by the limit or the deadline closes the
      // connection but does not change the verdict: a 200 whose body never ends was still
      // accepted, and sending the record again would only make a duplicate.
      if (status >= 200 && status < 300) {
        // undici reads a limit of 0 as "the default" (128 KiB): ask for one byte instead.
        await response.body.dump({ limit: Math.max(1, this.#maxResponseBytes) });
        return resultFromStatus(status, this.#route.statuses);
      }
      const snippet = await readSnippet(response.body, this.#maxResponseBytes);
      return resultFromStatus(status, this.#route.statuses, response.headers['retry-after'], snippet);
    } catch (error) {
      if (signal.reason instanceof AttemptDeadline) {
        return { verdict: Verdict.transient, reason: 'timeout', message: `timeout: ${signal.reason.message}` };
      }
      return resultFromError(error);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#pool.close(), this.#auth?.close()]);
  }
}

function outageResult(outage: Outage): AttemptResult {
  return { verdict: Verdict.transient, reason: outage.reason, message: `OAuth token endpoint unavailable: ${outage.detail}`, outage };
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
    // A broken error body (or one cut off by the deadline) does not change the status we
    // already have.
  }
  return oneLine(Buffer.concat(parts).toString('utf8'), ERROR_SNIPPET_BYTES);
}
