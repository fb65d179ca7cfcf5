/**
 * How the bridge authenticates to an endpoint: the `authorization` header of each request.
 * Three kinds, one interface, so the HTTP code never knows which one it talks to:
 *
 * - bearer: a token in a file, re-read when a secret manager rotates it;
 * - basic: a user name and password, fixed for the life of the process;
 * - oauth2: client-credentials tokens, cached and refreshed, with an outage signal when the
 *   token endpoint cannot hand one out.
 *
 * Credentials only ever leave these modules as header values handed to undici. The kinds
 * implement this interface; create-endpoint-auth.ts picks one.
 */
import type { Outage } from '../outcome.ts';

export interface EndpointAuth {
  /** The `authorization` value for the next request, or the outage that prevents one. */
  authorization(): Promise<string | Outage>;
  /**
   * The endpoint answered 401 to a request sent with `used`. Resolves true when one retry
   * with fresh credentials is worth it (the next authorization() returns them).
   */
  rejected(used: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface EndpointAuthOptions {
  /** ms allowed for one token request (the endpoint's attempt timeout). */
  readonly timeout: number;
}
