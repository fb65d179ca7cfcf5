/**
 * HTTP Basic authentication (RFC 7617): one fixed header value, UTF-8 encoded. A 401 is not
 * retried: the same credentials would be sent again.
 */
import { revealHeader, type Secret } from '../../config/secret.ts';
import type { EndpointAuth } from './endpoint-auth.ts';

export class BasicCredentials implements EndpointAuth {
  readonly #header: string;

  constructor(username: Secret | string, password: Secret) {
    const pair = `${revealHeader(username)}:${password.reveal()}`;
    this.#header = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
  }

  authorization(): Promise<string> {
    return Promise.resolve(this.#header);
  }

  rejected(): Promise<boolean> {
    return Promise.resolve(false);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
