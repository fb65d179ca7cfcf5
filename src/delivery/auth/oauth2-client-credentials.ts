/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4): the bridge asks the token endpoint for an
 * access token and sends it as `authorization: Bearer <token>`.
 *
 * - One token at a time is cached, until shortly before `expires_in` runs out (a tenth of its
 *   lifetime, at most a minute, so a request never leaves with a token about to expire).
 *   Without `expires_in` it is used until the endpoint answers 401.
 * - One request to the token endpoint at a time: every delivery that needs a token while it
 *   runs waits for the same answer, so a burst of records never becomes a burst of logins.
 * - A 401 from the endpoint drops the token it was sent with (unless a newer one already
 *   replaced it); the request is retried once with the next token.
 * - When no token can be had (connection error, timeout, 5xx, or an answer that is not a
 *   token: 4xx means the client credentials are wrong), the auth is in outage: every caller
 *   gets the same Outage at once, without a request, and a recovery loop asks the token
 *   endpoint again with backoff until it answers; then the outage's `recovered` resolves.
 *   The route pauses meanwhile (RouteFlow), so no record fails because of it.
 *
 * Redirects are not followed (undici's Pool follows none) and the response body is read up
 * to 64 KiB within the timeout. Neither the client secret nor a token ever appears in an
 * outage detail: only statuses, the OAuth `error` code and network error classes do.
 */
import { Pool } from 'undici';
import { revealHeader } from '../../config/secret.ts';
import type { EndpointAuthConfig } from '../../config/types.ts';
import { resultFromError } from '../classify-response.ts';
import type { Outage } from '../outcome.ts';
import type { EndpointAuth } from './endpoint-auth.ts';

type OAuth2Config = Extract<EndpointAuthConfig, { kind: 'oauth2' }>;

const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;
const MAX_EARLY_REFRESH_MS = 60_000;
const RECOVERY_FIRST_MS = 1000;
const RECOVERY_MAX_MS = 15_000;

export interface Token {
  readonly header: string;
  /** performance.now() after which the token is not used for a new request. */
  readonly refreshAt: number;
}

/** Why no token could be had; `detail` is safe to log. */
class TokenUnavailable extends Error {}

interface OutageState {
  notice: Outage;
  readonly resolve: () => void;
  delayMs: number;
  timer: NodeJS.Timeout | undefined;
}

export class OAuth2ClientCredentials implements EndpointAuth {
  readonly #config: OAuth2Config;
  readonly #timeout: number;
  readonly #pool: Pool;
  readonly #path: string;
  #token: Token | undefined;
  #fetching: Promise<Token> | undefined;
  #outage: OutageState | undefined;
  #closed = false;

  constructor(config: OAuth2Config, timeoutMs: number) {
    const url = new URL(config.tokenUrl);
    this.#config = config;
    this.#timeout = timeoutMs;
    this.#path = `${url.pathname}${url.search}`;
    this.#pool = new Pool(url.origin, {
      connections: 2,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: { rejectUnauthorized: true, timeout: timeoutMs },
    });
  }

  async authorization(): Promise<string | Outage> {
    if (this.#outage !== undefined) return this.#outage.notice;
    const token = this.#token;
    if (token !== undefined && performance.now() < token.refreshAt) return token.header;
    try {
      return (await this.#fetchOnce()).header;
    } catch (error) {
      return this.#enterOutage(error instanceof TokenUnavailable ? error.message : 'token request failed');
    }
  }

  rejected(used: string): Promise<boolean> {
    // Concurrent 401s for the same token drop it once; a 401 for a token that a newer one
    // has replaced just retries with the newer one.
    if (this.#token?.header === used) this.#token = undefined;
    return Promise.resolve(true);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#outage?.timer);
    await this.#pool.close();
  }

  /** The single in-flight token request, shared by every caller. */
  #fetchOnce(): Promise<Token> {
    this.#fetching ??= this.#requestToken()
      .then((token) => {
        this.#token = token;
        return token;
      })
      .finally(() => {
        this.#fetching = undefined;
      });
    return this.#fetching;
  }

  #enterOutage(detail: string): Outage {
    if (this.#outage !== undefined) return this.#outage.notice;
    const { promise, resolve } = Promise.withResolvers<void>();
    const state: OutageState = { notice: { reason: 'token-endpoint', detail, recovered: promise }, resolve, delayMs: RECOVERY_FIRST_MS, timer: undefined };
    this.#outage = state;
    this.#scheduleRecovery(state);
    return state.notice;
  }

  #scheduleRecovery(state: OutageState): void {
    if (this.#closed) return;
    // Jitter keeps a fleet of bridges from asking the recovering token endpoint in lockstep.
    const wait = state.delayMs * (0.8 + Math.random() * 0.4);
    state.timer = setTimeout(() => void this.#recover(state), wait);
    state.timer.unref();
  }

  async #recover(state: OutageState): Promise<void> {
    try {
      await this.#fetchOnce();
    } catch (error) {
      const detail = error instanceof TokenUnavailable ? error.message : 'token request failed';
      state.notice = { ...state.notice, detail };
      state.delayMs = Math.min(state.delayMs * 2, RECOVERY_MAX_MS);
      this.#scheduleRecovery(state);
      return;
    }
    this.#outage = undefined;
    state.resolve();
  }

  async #requestToken(): Promise<Token> {
    const config = this.#config;
    const started = performance.now();
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (config.scope !== undefined) form.set('scope', config.scope);
    if (config.audience !== undefined) form.set('audience', config.audience);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const clientId = revealHeader(config.clientId);
    const clientSecret = config.clientSecret.reveal();
    if (config.authMethod === 'client_secret_post') {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    } else {
      // RFC 6749 §2.3.1: both parts form-encoded before they are joined and base64-encoded.
      const pair = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
      headers['authorization'] = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
    }

    const signal = AbortSignal.timeout(this.#timeout);
    let status: number;
    let text: string;
    try {
      const response = await this.#pool.request({ path: this.#path, method: 'POST', headers, body: form.toString(), signal });
      status = response.statusCode;
      text = await readBounded(response.body, MAX_TOKEN_RESPONSE_BYTES);
    } catch (error) {
      if (signal.aborted) throw new TokenUnavailable(`token request timed out after ${this.#timeout} ms`);
      if (error instanceof TokenUnavailable) throw error;
      throw new TokenUnavailable(`token request failed: ${resultFromError(error).message}`);
    }
    return parseTokenResponse(status, text, started);
  }
}

/** application/x-www-form-urlencoded encoding of one value. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

async function readBounded(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new TokenUnavailable(`token endpoint answered more than ${limit / 1024} KiB`);
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Reads a token response (RFC 6749 §5.1 and §5.2); `started` is when it was requested. */
export function parseTokenResponse(status: number, text: string, started: number): Token {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const field = (name: string): unknown => (typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[name] : undefined);
  if (status < 200 || status >= 300) {
    // The `error` code is a fixed vocabulary (invalid_client, …): safe and useful to log.
    const code = field('error');
    const detail = typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? ` (${code})` : '';
    const hint = status >= 400 && status < 500 ? ': check clientId, clientSecret, scope and audience' : '';
    throw new TokenUnavailable(`token endpoint answered ${status}${detail}${hint}`);
  }
  const token = field('access_token');
  if (typeof token !== 'string' || token === '' || /[^\x21-\x7e]/.test(token)) {
    throw new TokenUnavailable(`token endpoint answered ${status} without a usable access_token`);
  }
  const type = field('token_type');
  if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) {
    throw new TokenUnavailable(`token endpoint answered a token_type other than Bearer`);
  }
  const raw = field('expires_in');
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : undefined;
  if (seconds === undefined || !(seconds > 0)) return { header: `Bearer ${token}`, refreshAt: Infinity };
  const lifetime = seconds * 1000;
  return { header: `Bearer ${token}`, refreshAt: started + lifetime - Math.min(MAX_EARLY_REFRESH_MS, lifetime / 10) };
}
