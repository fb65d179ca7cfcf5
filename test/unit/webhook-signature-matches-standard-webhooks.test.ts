/**
 * Request signing produces what Standard Webhooks receivers verify. The vector is the one in
 * the Standard Webhooks reference libraries' tests (secret, id, timestamp, payload, signature).
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.ts';
import { WebhookSigner, webhookSignature } from '../../src/delivery/webhook-signature.ts';

const SECRET = 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'; // whsec_ prefix already removed, as the loader does

describe('webhook signatures', () => {
  it('match the Standard Webhooks reference vector', () => {
    const signature = webhookSignature(Buffer.from(SECRET, 'base64'), 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, Buffer.from('{"test": 2432232314}'));
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('sign id, timestamp (unix seconds) and the body bytes as sent', () => {
    const signer = new WebhookSigner(new Secret(SECRET, 'file /s'));
    const body = Buffer.from([0xff, 0x00, 0x41]);
    const headers = signer.headers('orders-2-41', body, 1_700_000_000_999);
    expect(headers.slice(0, 4)).toEqual(['webhook-id', 'orders-2-41', 'webhook-timestamp', '1700000000']);
    const key = Buffer.from(SECRET, 'base64');
    const expected = createHmac('sha256', key).update(Buffer.concat([Buffer.from('orders-2-41.1700000000.'), body])).digest('base64');
    expect(headers.slice(4)).toEqual(['webhook-signature', `v1,${expected}`]);
  });
});
