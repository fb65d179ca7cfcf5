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
import { resultFromError, resultFromStatus, oneLine } from './classify-response.ts';
import { AttemptDeadlines, type Deadline } from './attempt-deadlines.ts';
import { Verdict, type AttemptResult, type Outage } from './outcome.ts';
import { buildRequestHeaders, RecordRejection, type HeaderPlan } from './request-headers.ts';
import { endpointConnect } from './tls-connect.ts';
import { SIGNATURE_HEADERS, WebhookSigner } from './webhook-signature.ts';

/** How much of an error response body is kept for the `bridge-error` message. */
const ERROR_SNIPPET_BYTES = 200;
const REDACTED = '[redacted]';
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

  constructor(route: RouteConfig) {
    const { endpoint } = route;
    const url = new URL(endpoint.url);
    this.#route = route;
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
    const body = record.value ?? EMPTY;
    const auth = this.#auth;
    let credential: string | undefined;
    if (auth !== undefined) {
      const granted = await auth.authorization();
      if (typeof granted !== 'string') return outageResult(granted);
      credential = granted;
    }

    const deadline = this.#deadlines.start();
    try {
      const id = this.#signer === undefined ? '' : idempotencyKey(record.origin);
      let result = await this.#exchange(headers, body, id, credential, deadline);
      // A 401 may mean the token was just rotated or revoked: fresh credentials get one retry,
      // within the same deadline.
      if (result.status === 401 && auth !== undefined && credential !== undefined && (await auth.rejected(credential))) {
        const granted = await auth.authorization();
        if (typeof granted !== 'string') return outageResult(granted);
        result = await this.#exchange(headers, body, id, granted, deadline);
      }
      return result;
    } finally {
      this.#deadlines.finish(deadline);
    }
  }

  async #exchange(base: string[], body: Buffer, id: string, credential: string | undefined, deadline: Deadline): Promise<AttemptResult> {
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
        path: this.#path,
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

/**
 * The forms in which a header value sent as a credential could come back in a body: the value
 * without its scheme (`Bearer <token>` → `<token>`, which also covers the whole value), and for
 * Basic the decoded password as well.
 */
function secretForms(value: string): string[] {
  const space = value.indexOf(' ');
  const param = space < 0 ? value : value.slice(space + 1);
  const forms = [param];
  if (space > 0 && value.slice(0, space).toLowerCase() === 'basic') {
    const pair = Buffer.from(param, 'base64').toString('utf8');
    forms.push(pair.slice(pair.indexOf(':') + 1));
  }
  return forms.filter((form) => form.trim() !== '');
}

/**
 * Replaces every secret in `text` with [redacted], longest first. When `cut` (the sample ends
 * where the body went on), a trailing piece that starts a secret is dropped too: the rest of
 * that secret was not read, so it could not be recognised whole. The message keeps no more
 * than the sample, so no later part of the body can bring a secret into view.
 */
function redact(text: string, secrets: readonly string[], cut: boolean): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.replaceAll(secret, REDACTED);
  if (!cut) return out;
  for (const secret of secrets) {
    for (let n = Math.min(secret.length - 1, out.length); n > 0; n--) {
      if (out.endsWith(secret.slice(0, n))) {
        out = out.slice(0, -n);
        break;
      }
    }
  }
  return out;
}

/**
 * Reads the start of an error body for the log/header message, discarding the rest (bounded),
 * with the secrets in `secrets` redacted.
 */
async function readSnippet(
  body: AsyncIterable<Buffer> & { destroy(): void },
  limit: number,
  secrets: readonly string[],
): Promise<string> {
  const parts: Buffer[] = [];
  let kept = 0;
  let seen = 0;
  let cut = false;
  try {
    for await (const chunk of body) {
      seen += chunk.length;
      if (kept < ERROR_SNIPPET_BYTES) {
        parts.push(chunk.subarray(0, ERROR_SNIPPET_BYTES - kept));
        kept += Math.min(chunk.length, ERROR_SNIPPET_BYTES - kept);
      }
      if (seen > limit) {
        body.destroy();
        cut = true;
        break;
      }
    }
  } catch {
    // A broken error body (or one cut off by the deadline) does not change the status we
    // already have.
    cut = true;
  }
  const text = redact(Buffer.concat(parts).toString('utf8'), secrets, cut || seen > kept);
  return oneLine(text, ERROR_SNIPPET_BYTES);
}
