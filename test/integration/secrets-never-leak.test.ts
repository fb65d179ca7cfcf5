/**
 * No secret from the configuration, and no access token the bridge fetched, ever shows up in
 * a log line (at trace level, through failures, outages, refreshes, dead-lettering and
 * shutdown), in /ready, in /metrics, in a dead-letter copy, or in a configuration error.
 * Covered: header secrets, the Kafka SASL password, a TLS private key, the Basic password,
 * the OAuth2 client secret and its access tokens, the bearer token and the signing key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors.ts';
import { createKafka } from '../../src/kafka/kafka-client.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';
import { fullyCommitted, produce, readAll, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { LogSink, testConfigObject } from '../support/test-bridge.ts';
import { makeTestPki, type TestPki } from '../support/test-certificates.ts';
import { TokenEndpoint } from '../support/token-endpoint.ts';

const SECRETS = {
  header: 'hdr-secret-8f3a1c',
  sasl: 'sasl-secret-2b7e9d',
  basic: 'basic-secret-6d0f4a',
  clientSecret: 'client-secret-9a5c3e',
  accessToken: 'access-token-4e8b2f',
  bearer: 'bearer-secret-1c6d7b',
  signingKey: Buffer.from('signing-secret-3f9e0a-0123456789abcdef').toString('base64'),
};

let dir: string;
let pki: TestPki;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bridge-leak-'));
  pki = makeTestPki();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  pki?.remove();
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Every secret value, and the parts of the private key PEM that would give it away. */
function secretValues(): string[] {
  const keyBody = pki.client.key.split('\n').find((line) => line.length > 40) ?? '';
  return [...Object.values(SECRETS), Buffer.from(SECRETS.signingKey, 'base64').toString('latin1'), keyBody, 'PRIVATE KEY'];
}

function expectNoSecret(where: string, text: string): void {
  for (const secret of secretValues()) expect(text, `${where} contains a secret`).not.toContain(secret);
}

describe('secrets never leak', () => {
  test('not in logs at trace level, /ready, /metrics or dead-letter copies of a running bridge', async ({ cluster, kafka, sink, bridges }) => {
    const topics = {
      orders: (await createRouteTopics(cluster, 'leak-orders')).topic,
      billing: (await createRouteTopics(cluster, 'leak-billing')).topic,
      audit: (await createRouteTopics(cluster, 'leak-audit')).topic,
    };
    const idp = await TokenEndpoint.start();
    idp.prefix = SECRETS.accessToken;
    idp.mode = '503';
    let rejectedOnce = false;
    sink.responder = (req) => {
      if (req.url === '/orders') {
        // One 401 to make the bridge drop its token and refresh; "fail" records get a 500
        // with a body that names the token the way careless servers do.
        if (!rejectedOnce) {
          rejectedOnce = true;
          return { status: 401, body: 'token expired' };
        }
        return req.body.toString() === 'fail' ? { status: 500, body: 'internal error' } : { status: 200 };
      }
      if (req.url === '/audit') return { status: 400, body: 'rejected by validation' };
      return { status: 200 };
    };
    const groupId = uniqueTopic('group');
    const base = testConfigObject({
      bootstrap: cluster.bootstrap,
      groupId,
      logLevel: 'trace',
      routes: [
        {
          name: 'orders',
          topics: [topics.orders],
          url: `${sink.url}/orders`,
          attempts: 2,
          endpoint: {
            url: `${sink.url}/orders`,
            timeout: '1s',
            headers: { 'x-api-key': { fromFile: file('header-secret', SECRETS.header) } },
            auth: { oauth2: { tokenUrl: idp.url, clientId: 'bridge', clientSecret: { fromFile: file('client-secret', SECRETS.clientSecret) } } },
            signing: { secretFile: file('signing', `whsec_${SECRETS.signingKey}`) },
          },
        },
        {
          name: 'billing',
          topics: [topics.billing],
          url: `${sink.url}/billing`,
          endpoint: { url: `${sink.url}/billing`, timeout: '1s', auth: { bearer: { tokenFile: file('bearer', SECRETS.bearer) } } },
        },
        {
          name: 'audit',
          topics: [topics.audit],
          url: `${sink.url}/audit`,
          endpoint: {
            url: `${sink.url}/audit`,
            timeout: '1s',
            auth: { basic: { username: 'bridge', password: { fromFile: file('basic', SECRETS.basic) } } },
          },
        },
      ],
    });
    const config = parseConfig(stringify(base), {}, 'leak.yaml');
    const logs = new LogSink();
    let ready = '';
    let metrics = '';
    try {
      const { bridge } = await bridges.inProcess(config, logs);
      await produce(kafka, topics.orders, [...Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })), { key: 'x', value: 'fail' }]);
      await produce(kafka, topics.billing, Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
      await produce(kafka, topics.audit, [{ key: 'a', value: 'bad' }]);
      await waitFor('orders paused for its token endpoint', () => bridge.routeStatus()[0]!.pausedReasons.includes('token-endpoint'), 20_000, 20);
      idp.mode = 'up';
      for (const topic of Object.values(topics)) {
        await waitFor(`${topic} committed`, () => fullyCommitted(kafka, groupId, topic), 30_000, 200);
      }
      ready = await (await fetch(`http://127.0.0.1:${bridge.port}/ready`)).text();
      metrics = await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text();
      await bridge.stop();
    } finally {
      await idp.stop();
    }

    // The secrets were really used: a test that sends nothing proves nothing.
    const byPath = (path: string) => sink.requests.filter((r) => r.url === path);
    expect(byPath('/orders').some((r) => r.headers.authorization === `Bearer ${SECRETS.accessToken}-2`)).toBe(true);
    expect(byPath('/orders').every((r) => r.headers['x-api-key'] === SECRETS.header && r.headers['webhook-signature'] !== undefined)).toBe(true);
    expect(byPath('/billing').every((r) => r.headers.authorization === `Bearer ${SECRETS.bearer}`)).toBe(true);
    expect(byPath('/audit')[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`bridge:${SECRETS.basic}`).toString('base64')}`);
    expect(logs.lines.some((l) => l['msg'] === 'token-endpoint unavailable: pausing the route')).toBe(true);
    expect(logs.lines.some((l) => String(l['msg']).startsWith('record dead_lettered'))).toBe(true);
    expect(logs.lines.length).toBeGreaterThan(50);

    expectNoSecret('logs', logs.lines.map((line) => JSON.stringify(line)).join('\n'));
    expectNoSecret('/ready', ready);
    expectNoSecret('/metrics', metrics);
    for (const topic of Object.values(topics)) {
      for (const copy of await readAll(kafka, `${topic}-dlt`)) expectNoSecret('a dead-letter copy', JSON.stringify(copy.headers));
    }
    expectNoSecret('the configuration', `${JSON.stringify(config)}\n${inspect(config, { depth: Infinity, showHidden: true })}\n${String(config)}`);
  }, 90_000);

  test('not in kafkajs logs when the broker refuses SASL', async ({ cluster }) => {
    const config = parseConfig(
      stringify({
        kafka: {
          brokers: cluster.bootstrap.split(','),
          connectionTimeout: '500ms',
          requestTimeout: '1s',
          sasl: { mechanism: 'scram-sha-512', username: 'bridge', password: { fromFile: file('sasl', SECRETS.sasl) } },
        },
        routes: [{ name: 'a', topics: ['a'], endpoint: { url: 'http://127.0.0.1:9/' } }],
      }),
      {},
    );
    const logs = new LogSink();
    const client = createKafka(config.kafka, createLogger('trace', logs.stream));
    const admin = client.admin();
    // The cluster's bootstrap listener is PLAINTEXT: the broker refuses the SASL handshake,
    // and kafkajs logs that at error level with the connection details.
    const outcome = await Promise.race([
      admin.connect().then(
        () => 'connected',
        (error: unknown) => `failed: ${error instanceof Error ? error.message : String(error)}`,
      ),
      new Promise<string>((resolve) => setTimeout(() => resolve('still trying'), 5000)),
    ]);
    await admin.disconnect();
    expect(outcome).not.toBe('connected');
    expect(logs.lines.length).toBeGreaterThan(0);
    expectNoSecret('kafkajs logs', logs.lines.map((line) => JSON.stringify(line)).join('\n'));
    expectNoSecret('the outcome', outcome);
  }, 30_000);

  test('not in configuration errors, whatever is wrong', () => {
    const files = {
      header: file('e-header', SECRETS.header),
      sasl: file('e-sasl', SECRETS.sasl),
      basic: file('e-basic', SECRETS.basic),
      client: file('e-client', SECRETS.clientSecret),
      bearerWithNewline: file('e-bearer', `${SECRETS.bearer}\nsecond line`),
      shortSigning: file('e-signing', `whsec_${Buffer.from(SECRETS.header).toString('base64')}`),
    };
    const endpoint = (over: Record<string, unknown>) => ({ url: 'https://orders.internal/x', ...over });
    const texts = [
      // Valid secrets next to an unrelated problem (stage 1) and a rule between keys (stage 2).
      {
        kafka: { sasl: { mechanism: 'scram-sha-512', username: 'u', password: { fromFile: files.sasl } }, tls: { enabled: true, cert: pki.client.certFile, key: pki.client.keyFile } },
        routes: [{ name: 'a', topics: ['a'], attempts: 0, endpoint: endpoint({ headers: { 'x-key': { fromFile: files.header } }, auth: { basic: { username: 'u', password: { fromFile: files.basic } } } }) }],
      },
      {
        kafka: { sasl: { mechanism: 'plain', username: 'u', password: { fromFile: files.sasl } } },
        routes: [{ name: 'a', topics: ['a'], backoff: { initial: '5s', max: '1s' }, endpoint: endpoint({ auth: { oauth2: { tokenUrl: 'https://id.example/token', clientId: 'c', clientSecret: { fromFile: files.client } } } }) }],
      },
      // Secrets written where only references belong, or unusable.
      {
        kafka: { sasl: { mechanism: 'scram-sha-256', username: 'u', password: SECRETS.sasl } },
        routes: [
          { name: 'a', topics: ['a'], endpoint: endpoint({ auth: { basic: { username: 'u', password: SECRETS.basic } }, signing: { secretFile: files.shortSigning } }) },
          { name: 'b', topics: ['b'], endpoint: endpoint({ auth: { oauth2: { tokenUrl: `https://c:${SECRETS.clientSecret}@id.example/token`, clientId: 'c', clientSecret: SECRETS.clientSecret } } }) },
          { name: 'c', topics: ['c'], endpoint: endpoint({ auth: { bearer: { tokenFile: files.bearerWithNewline } } }) },
          { name: 'd', topics: ['d'], endpoint: endpoint({ signing: { secretFile: files.shortSigning }, tls: { cert: pki.client.certFile, key: pki.server.keyFile } }) },
        ],
      },
    ];
    for (const text of texts) {
      let caught: unknown;
      try {
        parseConfig(stringify(text), {});
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      const error = caught as ConfigError;
      expect(error.problems.length).toBeGreaterThan(0);
      expectNoSecret('a configuration error', `${error.message}\n${error.problems.join('\n')}\n${inspect(error)}\n${String(error.stack)}`);
    }
  });
});
