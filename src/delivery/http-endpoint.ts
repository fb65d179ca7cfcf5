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
 * - redirects are never followed (see the pool below);
 * - an error body is sampled for `bridge-error` and the log, with every credential this
 *   request carried redacted first: careless servers echo the authorization header they
 *   refused, and the sample would copy a live token into the dead-letter topic.
 */
import type { EventEmitter } from 'node:events';
import { Pool } from 'undici';
import type { RouteConfig } from '../config/types.ts';
import { revealHeader, Secret } from '../config/secret.ts';
import type { BridgeRecord } from '../kafka/record.ts';
import { idempotencyKey } from '../kafka/record.ts';
import { createEndpointAuth } from './auth/create-endpoint-auth.ts';
import type { EndpointAuth } from './auth/endpoint-auth.ts';
import type { BatchBody } from './batch-body.ts';
import { MULTI_STATUS, readBounded, readMultiStatus, unreadableMultiStatus } from './batch-results.ts';
import { resultFromError, resultFromStatus } from './classify-response.ts';
import { readSnippet, secretForms } from './error-body.ts';
import { AttemptDeadlines, type Deadline } from './attempt-deadlines.ts';
import { Verdict, type AttemptResult, type Outage } from './outcome.ts';
import { payloadBuilder, type PayloadBuilder } from './payload.ts';
import { compileUrlTemplate, type UrlTemplate } from './url-template.ts';
import { buildRequestHeaders, RecordRejection, type HeaderPlan } from './request-headers.ts';
import { endpointConnect } from './tls-connect.ts';
import { SIGNATURE_HEADERS, WebhookSigner } from './webhook-signature.ts';

const EMPTY = Buffer.alloc(0);

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
  readonly #deadlines: AttemptDeadlines;
  /** The secret static headers in every form a body could echo them: redacted from error bodies. */
  readonly #staticSecrets: readonly string[];

  readonly #payload: PayloadBuilder | undefined;
  /** Set when endpoint.url has per-record placeholders; then #path is unused. */
  readonly #template: UrlTemplate | undefined;

  /** `sourceHost`: the first Kafka broker, for the default CloudEvents source. */
  constructor(route: RouteConfig, sourceHost = 'localhost') {
    const { endpoint } = route;
    this.#template = compileUrlTemplate(endpoint.url);
    const url = new URL(this.#template?.origin ?? endpoint.url);
    this.#route = route;
    this.#payload = payloadBuilder(route, sourceHost);
    this.#path = `${url.pathname}${url.search}`;
    this.#method = endpoint.method;
    this.#timeout = endpoint.timeout;
    this.#maxResponseBytes = endpoint.maxResponseBytes;
    this.#deadlines = new AttemptDeadlines(endpoint.timeout);
    const auth = endpoint.auth === undefined ? undefined : createEndpointAuth(endpoint.auth, { timeout: endpoint.timeout });
    this.#auth = auth;
    this.ready =
      auth === undefined
        ? undefined
        : async () => {
            const credential = await auth.authorization();
            return typeof credential === 'string' ? undefined : credential;
          };
    this.#signer = endpoint.signing === undefined ? undefined : new WebhookSigner(endpoint.signing.key);
    const fixed: string[] = [];
    for (const [name, value] of Object.entries(endpoint.headers)) fixed.push(name.toLowerCase(), revealHeader(value));
    this.#staticSecrets = Object.values(endpoint.headers).flatMap((value) => (value instanceof Secret ? secretForms(value.reveal()) : []));
    // Headers the bridge computes itself are never taken from a Kafka record, whatever
    // forwardHeaders says: a producer must not be able to supply credentials or signatures,
    // nor a second content-type next to the one a payload mode sets.
    const own = new Set<string>([
      ...(this.#auth === undefined ? [] : ['authorization']),
      ...(this.#signer === undefined ? [] : SIGNATURE_HEADERS),
      ...(this.#payload === undefined ? [] : ['content-type']),
    ]);
    this.#plan = {
      fixed,
      forward: new Set(route.forwardHeaders.map((h) => h.toLowerCase()).filter((h) => !own.has(h))),
      inBody: route.payload === 'envelope',
    };
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
   * flow control and not an attempt against the endpoint. Absent without auth: then nothing
   * is awaited per record.
   */
  readonly ready: (() => Promise<Outage | undefined>) | undefined;

  /** Sends one attempt of `record`; `attempt` counts across all hops. */
  async send(record: BridgeRecord, attempt: number): Promise<AttemptResult> {
    const headers = buildRequestHeaders(record, attempt, this.#plan);
    if (headers instanceof RecordRejection) {
      return { verdict: Verdict.permanent, reason: headers.reason, message: headers.message };
    }
    const path = this.#template === undefined ? this.#path : this.#template.render(record);
    if (path instanceof RecordRejection) return { verdict: Verdict.permanent, reason: path.reason, message: path.message };
    const id = this.#signer === undefined ? '' : idempotencyKey(record.origin);
    if (this.#payload === undefined) return this.#deliver(path, headers, record.value ?? EMPTY, id, undefined);
    const payload = this.#payload(record);
    for (const item of payload.headers) headers.push(item);
    return this.#deliver(path, headers, payload.body, id, undefined);
  }

  /**
   * Sends one attempt of a batch of `count` records. A 207 answer is read (within
   * maxResponseBytes) for per-record results: the result then carries them in `perRecord`.
   */
  sendBatch(batch: BatchBody, count: number): Promise<AttemptResult> {
    const headers = ['content-type', batch.contentType, 'idempotency-key', batch.idempotencyKey, 'kafka-batch-size', String(count), ...this.#plan.fixed];
    return this.#deliver(this.#path, headers, batch.body, batch.idempotencyKey, count);
  }

  async #deliver(path: string, headers: string[], body: Buffer, id: string, batchSize: number | undefined): Promise<AttemptResult> {
    const auth = this.#auth;
    let credential: string | undefined;
    if (auth !== undefined) {
      const granted = await auth.authorization();
      if (typeof granted !== 'string') return outageResult(granted);
      credential = granted;
    }
    const deadline = this.#deadlines.start();
    try {
      let result = await this.#exchange(path, headers, body, id, credential, deadline, batchSize);
      // A 401 may mean the token was just rotated or revoked: fresh credentials get one retry,
      // within the same deadline.
      if (result.status === 401 && auth !== undefined && credential !== undefined && (await auth.rejected(credential))) {
        const granted = await auth.authorization();
        if (typeof granted !== 'string') return outageResult(granted);
        result = await this.#exchange(path, headers, body, id, granted, deadline, batchSize);
      }
      return result;
    } finally {
      this.#deadlines.finish(deadline);
    }
  }

  async #exchange(
    path: string,
    base: string[],
    body: Buffer,
    id: string,
    credential: string | undefined,
    deadline: Deadline,
    batchSize: number | undefined,
  ): Promise<AttemptResult> {
    // `base` is this attempt's own array: extend a copy only when something is added, so that
    // a retry after a 401 starts from the same headers.
    let headers = base;
    if (credential !== undefined || this.#signer !== undefined) {
      headers = [...base];
      if (credential !== undefined) headers.push('authorization', credential);
      if (this.#signer !== undefined) headers.push(...this.#signer.headers(id, body));
    }
    try {
      const response = await this.#pool.request({
        path,
        method: this.#method,
        headers,
        // The record value is the body, byte for byte: no parse, no copy.
        body,
        headersTimeout: this.#timeout,
        bodyTimeout: this.#timeout,
        // undici's types name AbortSignal and EventEmitter, but at run time it takes any object
        // with addEventListener/removeEventListener (see attempt-deadlines.ts).
        signal: deadline as unknown as EventEmitter,
      });
      const status = response.statusCode;
      // The status is the endpoint's answer; the body is only drained (2xx) or sampled for
      // the log (errors). A body cut short by the limit or the deadline closes the
      // connection but does not change the verdict: a 200 whose body never ends was still
      // accepted, and sending the record again would only make a duplicate.
      if (status === MULTI_STATUS && batchSize !== undefined) {
        const text = await readBounded(response.body, this.#maxResponseBytes);
        if (text === undefined) return unreadableMultiStatus(`its body is larger than endpoint.maxResponseBytes (${this.#maxResponseBytes})`);
        const perRecord = readMultiStatus(text, batchSize, this.#route.statuses);
        return Array.isArray(perRecord) ? { ...resultFromStatus(status, this.#route.statuses), perRecord } : perRecord;
      }
      if (status >= 200 && status < 300) {
        // undici reads a limit of 0 as "the default" (128 KiB): ask for one byte instead.
        await response.body.dump({ limit: Math.max(1, this.#maxResponseBytes) });
        return resultFromStatus(status, this.#route.statuses);
      }
      const secrets = credential === undefined ? this.#staticSecrets : [...this.#staticSecrets, ...secretForms(credential)];
      const snippet = await readSnippet(response.body, this.#maxResponseBytes, secrets);
      return resultFromStatus(status, this.#route.statuses, response.headers['retry-after'], snippet);
    } catch (error) {
      if (deadline.reason !== undefined) {
        return { verdict: Verdict.transient, reason: 'timeout', message: `timeout: ${deadline.reason.message}` };
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

