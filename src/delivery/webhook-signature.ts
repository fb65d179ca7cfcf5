/**
 * Request signing the Standard Webhooks way (https://www.standardwebhooks.com), so an
 * endpoint reachable by others can tell the bridge's requests from forgeries and replays:
 *
 *   webhook-id:        the record's idempotency key (the same on every attempt and hop)
 *   webhook-timestamp: unix seconds when this attempt was sent
 *   webhook-signature: v1,<base64 HMAC-SHA256 over "<id>.<timestamp>.<body>">
 *
 * The key is the secret's base64 text decoded (a `whsec_` prefix is removed when the
 * configuration is loaded). Each attempt is signed afresh, so its timestamp is current and a
 * receiver can reject stale ones (the spec suggests a five-minute tolerance).
 */
import { createHmac } from 'node:crypto';
import type { Secret } from '../config/secret.ts';

export const SIGNATURE_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

/** `v1,<signature>` for one message; pure, for tests and receivers alike. */
export function webhookSignature(key: Buffer, id: string, timestampSeconds: number, body: Buffer): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

export class WebhookSigner {
  readonly #key: Buffer;

  constructor(key: Secret) {
    this.#key = Buffer.from(key.reveal(), 'base64');
  }

  /** The three headers, flat (undici's [name, value, …] form). */
  headers(id: string, body: Buffer, nowMs = Date.now()): string[] {
    const timestamp = Math.floor(nowMs / 1000);
    return ['webhook-id', id, 'webhook-timestamp', String(timestamp), 'webhook-signature', webhookSignature(this.#key, id, timestamp, body)];
  }
}
