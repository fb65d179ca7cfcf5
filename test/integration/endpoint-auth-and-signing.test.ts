/**
 * endpoint.auth and endpoint.signing against real local servers: bearer tokens rotated in
 * their file (atomic rename and the Kubernetes symlink swap), Basic, OAuth2 client
 * credentials (cache, one token request at a time, expiry, 401 → one refresh and one retry,
 * both client authentication methods, outage and recovery), and signatures the receiver
 * verifies with the same key, on every attempt and retry hop of a record (on Apache Kafka).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpEndpoint } from '../../src/delivery/http-endpoint.ts';
import { endpointFor, record } from '../support/endpoint-harness.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';
import { fullyCommitted, produce, recordCount, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { RecordingSink, type SinkRequest } from '../support/recording-sink.ts';
import { testConfig } from '../support/test-bridge.ts';
import { TokenEndpoint } from '../support/token-endpoint.ts';

let dir: string;
let sink: RecordingSink;
/** The authorization values the sink accepts; anything else gets 401. */
let accepted: (authorization: string | undefined) => boolean;
const open: HttpEndpoint[] = [];

function endpoint(settings: Record<string, unknown>): HttpEndpoint {
  const http = endpointFor({ url: `${sink.url}/orders`, ...settings });
  open.push(http);
  return http;
}

const authorizations = (requests: readonly SinkRequest[] = sink.requests): Array<string | undefined> =>
  requests.map((r) => (typeof r.headers.authorization === 'string' ? r.headers.authorization : undefined));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a receiver does: recompute the HMAC over id, timestamp and the raw body it received, and compare. */
function expectValidSignature(key: Buffer, request: SinkRequest): void {
  const id = String(request.headers['webhook-id']);
  const timestamp = String(request.headers['webhook-timestamp']);
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(request.body).digest();
  const [version, signature] = String(request.headers['webhook-signature']).split(',');
  expect(version).toBe('v1');
  expect(timingSafeEqual(Buffer.from(signature!, 'base64'), expected)).toBe(true);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bridge-auth-'));
  sink = await RecordingSink.start((req) => {
    const value = typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined;
    return { status: accepted(value) ? 200 : 401 };
  });
});

beforeEach(() => {
  sink.requests.length = 0;
  accepted = () => true;
});

afterAll(async () => {
  await Promise.all(open.map((h) => h.close()));
  await sink.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bearer token file', () => {
  it('re-reads a token replaced by an atomic rename', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'tok-a\n');
    const http = endpoint({ auth: { bearer: { tokenFile } } });
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered' });
    writeFileSync(`${tokenFile}.tmp`, 'tok-b\n');
    renameSync(`${tokenFile}.tmp`, tokenFile);
    await sleep(1100);
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered' });
    expect(authorizations()).toEqual(['Bearer tok-a', 'Bearer tok-b']);
  });

  it('follows a Kubernetes secret volume update (the ..data symlink swapped to a new directory)', async () => {
    const volume = join(dir, 'volume');
    mkdirSync(join(volume, '..v1'), { recursive: true });
    writeFileSync(join(volume, '..v1', 'token'), 'tok-k1');
    symlinkSync('..v1', join(volume, '..data'));
    symlinkSync(join('..data', 'token'), join(volume, 'token'));
    const http = endpoint({ auth: { bearer: { tokenFile: join(volume, 'token') } } });
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered' });

    mkdirSync(join(volume, '..v2'));
    writeFileSync(join(volume, '..v2', 'token'), 'tok-k2');
    symlinkSync('..v2', join(volume, '..data_tmp'));
    renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
    rmSync(join(volume, '..v1'), { recursive: true });
    await sleep(1100);
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered' });
    expect(authorizations()).toEqual(['Bearer tok-k1', 'Bearer tok-k2']);
  });

  it('on a 401, reads the file at once and retries once with the new token', async () => {
    const tokenFile = join(dir, 'token-401');
    writeFileSync(tokenFile, 'tok-old');
    const http = endpoint({ auth: { bearer: { tokenFile } } });
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered' });
    // Rotated, and the old token revoked at once: no waiting for the next check.
    writeFileSync(tokenFile, 'tok-new');
    accepted = (value) => value === 'Bearer tok-new';
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered', status: 200 });
    expect(authorizations()).toEqual(['Bearer tok-old', 'Bearer tok-old', 'Bearer tok-new']);
  });

  it('keeps the last good token while the file is missing, and a 401 then is final', async () => {
    const tokenFile = join(dir, 'token-gone');
    writeFileSync(tokenFile, 'tok-last');
    const http = endpoint({ auth: { bearer: { tokenFile } } });
    unlinkSync(tokenFile);
    await sleep(1100);
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered' });
    accepted = () => false;
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'permanent', reason: 'http-401' });
    expect(authorizations()).toEqual(['Bearer tok-last', 'Bearer tok-last']);
  });
});

describe('basic', () => {
  it('sends the user and the password from the secret, and does not retry a 401', async () => {
    const passwordFile = join(dir, 'basic-password');
    writeFileSync(passwordFile, 'pä55:word\n');
    const http = endpoint({ auth: { basic: { username: 'bridge', password: { fromFile: passwordFile } } } });
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered' });
    const expected = `Basic ${Buffer.from('bridge:pä55:word', 'utf8').toString('base64')}`;
    accepted = () => false;
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'permanent', reason: 'http-401' });
    expect(authorizations()).toEqual([expected, expected]);
  });
});

describe('oauth2 client credentials', () => {
  let idp: TokenEndpoint;
  let secretFile: string;

  beforeAll(async () => {
    idp = await TokenEndpoint.start();
    secretFile = join(dir, 'client-secret');
    writeFileSync(secretFile, 's3cr3t&=+\n');
  });

  beforeEach(() => {
    idp.requests.length = 0;
    idp.mode = 'up';
    idp.delayMs = 0;
    idp.expiresIn = 3600;
  });

  afterAll(async () => {
    await idp.stop();
  });

  const oauth2 = (over: Record<string, unknown> = {}) => ({
    auth: { oauth2: { tokenUrl: idp.url, clientId: 'bridge client', clientSecret: { fromFile: secretFile }, ...over } },
  });

  it('asks for one token with client_secret_basic, scope and audience, and reuses it', async () => {
    const http = endpoint(oauth2({ scope: 'orders.write', audience: 'https://orders.internal' }));
    for (let i = 0; i < 20; i++) expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered' });
    expect(idp.requests).toHaveLength(1);
    const [request] = idp.requests;
    // RFC 6749 §2.3.1: form-encoded, then Basic.
    expect(request!.headers.authorization).toBe(`Basic ${Buffer.from('bridge+client:s3cr3t%26%3D%2B').toString('base64')}`);
    expect(Object.fromEntries(request!.form)).toEqual({ grant_type: 'client_credentials', scope: 'orders.write', audience: 'https://orders.internal' });
    expect(new Set(authorizations())).toEqual(new Set([`Bearer ${idp.lastToken}`]));
  });

  it('client_secret_post sends the credentials in the form', async () => {
    const http = endpoint(oauth2({ authMethod: 'client_secret_post' }));
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered' });
    const [request] = idp.requests;
    expect(request!.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(request!.form)).toEqual({ grant_type: 'client_credentials', client_id: 'bridge client', client_secret: 's3cr3t&=+' });
  });

  it('makes one token request for many concurrent deliveries', async () => {
    idp.delayMs = 300;
    const http = endpoint(oauth2());
    const results = await Promise.all(Array.from({ length: 30 }, () => http.send(record(), 1)));
    expect(results.every((r) => r.verdict === 'delivered')).toBe(true);
    expect(idp.requests).toHaveLength(1);
  });

  it('refreshes shortly before expires_in', async () => {
    idp.expiresIn = 3; // refreshed after 2.7 s
    const http = endpoint(oauth2());
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered' });
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered' });
    expect(idp.requests).toHaveLength(1);
    await sleep(3000);
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered' });
    expect(idp.requests).toHaveLength(2);
  });

  it('on a 401, refreshes once (for all requests that had the same token) and retries each once', async () => {
    const http = endpoint(oauth2());
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered' });
    const revoked = `Bearer ${idp.lastToken}`;
    accepted = (value) => value !== revoked;
    const results = await Promise.all(Array.from({ length: 10 }, () => http.send(record(), 1)));
    expect(results.every((r) => r.verdict === 'delivered')).toBe(true);
    expect(idp.requests).toHaveLength(2);
    const after = authorizations(sink.requests.slice(1));
    expect(after.filter((a) => a === revoked)).toHaveLength(10);
    expect(after.filter((a) => a === `Bearer ${idp.lastToken}`)).toHaveLength(10);
  });

  it('a second 401 is final: one refresh, one retry, then a permanent failure', async () => {
    const http = endpoint(oauth2());
    accepted = () => false;
    const result = await http.send(record(), 1);
    expect(result).toMatchObject({ verdict: 'permanent', reason: 'http-401' });
    expect(sink.requests).toHaveLength(2);
    expect(idp.requests).toHaveLength(2);
  });

  it.each(['503', 'reset', '401'] as const)('token endpoint answering %s: an outage, recovered once it hands out a token again', async (mode) => {
    idp.mode = mode;
    const http = endpoint(oauth2());
    expect(http.ready).toBeTypeOf('function');
    const outage = await http.ready?.();
    expect(outage).toMatchObject({ reason: 'token-endpoint' });
    expect(outage?.detail).not.toContain('s3cr3t');
    const result = await http.send(record(), 1);
    expect(result).toMatchObject({ verdict: 'transient', reason: 'token-endpoint' });
    expect(result.outage).toBe(outage);
    expect(sink.requests).toEqual([]);
    let recovered = false;
    void outage!.recovered.then(() => (recovered = true));
    idp.mode = 'up';
    await waitFor('the token endpoint recovered', () => recovered, 5_000, 20);
    expect(await http.ready?.()).toBeUndefined();
    expect(await http.send(record(), 1)).toMatchObject({ verdict: 'delivered' });
  });
});

describe('signing', () => {
  it('signs id, timestamp and body so that the receiver can verify them with the same key', async () => {
    const key = Buffer.alloc(32, 0x5a);
    const secretFile = join(dir, 'signing-secret');
    writeFileSync(secretFile, `whsec_${key.toString('base64')}\n`);
    const http = endpoint({ signing: { secretFile } });
    const body = Buffer.from('{"order":42,"note":"ünïcode"}');
    const sent = record(body);
    const before = Math.floor(Date.now() / 1000);
    expect(await http.send(sent, 3)).toMatchObject({ verdict: 'delivered' });
    const [request] = sink.requests;
    const id = String(request!.headers['webhook-id']);
    const timestamp = String(request!.headers['webhook-timestamp']);
    expect(id).toBe(request!.headers['idempotency-key']);
    expect(Number(timestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(timestamp)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expectValidSignature(key, request!);
    expect(request!.body.equals(body)).toBe(true);
  });

  test('a second attempt and a retry hop keep webhook-id, get a fresh webhook-timestamp and a valid signature', async ({ cluster, kafka, sink: receiver, bridges }) => {
    const { topic, retry } = await createRouteTopics(cluster, 'signed', { tiers: 1 });
    const key = Buffer.alloc(32, 0x2b);
    const secretFile = join(dir, 'signing-secret-hops');
    writeFileSync(secretFile, `whsec_${key.toString('base64')}`);
    // Each failed answer takes 1.1 s, so every attempt starts more than a second after the one
    // before: a timestamp taken afresh for each attempt must be a later unix second.
    receiver.responder = (req) => (req.n <= 2 ? { status: 503, delayMs: 1100 } : { status: 200 });
    await produce(kafka, topic, [{ key: 'k', value: '{"signed":"über"}' }]);
    const groupId = uniqueTopic('group');
    await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [{ topics: [topic], url: receiver.url, attempts: 2, retry: { delays: ['1s'] }, endpoint: { url: receiver.url, timeout: '2s', signing: { secretFile } } }],
      }),
    );
    await waitFor('delivered from the retry topic', () => receiver.requests.length >= 3, 30_000);
    await waitFor('both groups committed', async () => (await fullyCommitted(kafka, groupId, topic)) && (await fullyCommitted(kafka, `${groupId}-retry`, retry[0]!)), 10_000, 200);
    const requests = receiver.requests;
    // Attempt 1 and 2 in process on the main topic, attempt 3 after a hop through the retry topic.
    expect(requests.map((r) => r.headers['kafka-delivery-attempt'])).toEqual(['1', '2', '3']);
    expect(await recordCount(kafka, retry[0]!)).toBe(1);
    for (const request of requests) {
      expect(request.headers['webhook-id']).toBe(`${topic}-0-0`);
      expect(request.headers['webhook-id']).toBe(request.headers['idempotency-key']);
      expectValidSignature(key, request);
      // The attempt's own time: the second the request left, not the first attempt's.
      const sentAt = Number(request.headers['webhook-timestamp']);
      expect(sentAt).toBeLessThanOrEqual(Math.floor(request.receivedAt / 1000));
      expect(sentAt).toBeGreaterThanOrEqual(Math.floor(request.receivedAt / 1000) - 1);
    }
    const stamps = requests.map((r) => Number(r.headers['webhook-timestamp']));
    expect(stamps[1]).toBeGreaterThan(stamps[0]!);
    expect(stamps[2]).toBeGreaterThan(stamps[1]!);
    expect(new Set(requests.map((r) => r.headers['webhook-signature'])).size).toBe(3);
  }, 60_000);

  it('producers cannot supply the signature or the authorization header through forwarded Kafka headers', async () => {
    const secretFile = join(dir, 'signing-secret-2');
    writeFileSync(secretFile, Buffer.alloc(32, 1).toString('base64'));
    const tokenFile = join(dir, 'token-forward');
    writeFileSync(tokenFile, 'tok-real');
    const forged = { ...record(), headers: { 'webhook-signature': 'v1,forged', authorization: 'Bearer forged', traceparent: '00-abc-def-01' } };
    const withForward = endpointFor({ url: `${sink.url}/orders`, signing: { secretFile }, auth: { bearer: { tokenFile } } }, {
      forwardHeaders: ['traceparent', 'authorization', 'webhook-signature'],
    });
    open.push(withForward);
    expect(await withForward.send(forged, 1)).toMatchObject({ verdict: 'delivered' });
    const [request] = sink.requests;
    expect(request!.headers.authorization).toBe('Bearer tok-real');
    expect(request!.headers['webhook-signature']).not.toBe('v1,forged');
    expect(request!.headers.traceparent).toBe('00-abc-def-01');
  });
});
