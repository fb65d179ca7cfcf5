/**
 * No secret from the configuration, and no access token the bridge fetched, ever shows up in
 * a log line (at trace level, through failures, outages, refreshes, dead-lettering and
 * shutdown), in /ready or /metrics (while the token endpoint is down and after), in a
 * dead-letter copy (even when the endpoint echoes the credentials it was sent in its error
 * body), on the real CLI's standard output and error, or in a configuration error.
 * Covered: header secrets, the Kafka SASL password, a TLS private key, the Basic password,
 * the OAuth2 client secret and its access tokens, the bearer token and the signing key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { stringify } from 'yaml';
import type { Kafka } from 'kafkajs';
import type { KafkaCluster } from '../../tools/kafka/kafka-cluster.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors.ts';
import { createKafka } from '../../src/kafka/kafka-client.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';
import { endpointFor, record } from '../support/endpoint-harness.ts';
import { fullyCommitted, produce, readAll, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { RecordingSink, type SinkRequest } from '../support/recording-sink.ts';
import { LogSink, testConfigObject, waitForPort } from '../support/test-bridge.ts';
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

/** Every secret value, the Basic credentials as sent, and the parts of the private key PEM that would give it away. */
function secretValues(): string[] {
  const keyBody = pki.client.key.split('\n').find((line) => line.length > 40) ?? '';
  return [
    ...Object.values(SECRETS),
    Buffer.from(SECRETS.signingKey, 'base64').toString('latin1'),
    Buffer.from(`bridge:${SECRETS.basic}`).toString('base64'),
    keyBody,
    'PRIVATE KEY',
  ];
}

function expectNoSecret(where: string, text: string): void {
  for (const secret of secretValues()) expect(text, `${where} contains a secret`).not.toContain(secret);
}

/** A bridge under test, in this process or as the real CLI. */
interface RunningBridge {
  readonly port: number;
  /** Its log lines, parsed. */
  readonly lines: readonly Record<string, unknown>[];
  /** Everything else it wrote (the CLI's standard error). */
  other(): string;
  stop(): Promise<void>;
}

/**
 * Answers the way careless servers do: every error body names the credentials the request
 * carried. One 401 on /orders makes the bridge drop its OAuth2 token and fetch another.
 */
function carelessEndpoint(): (req: SinkRequest) => { status: number; body?: string } {
  let rejectedOnce = false;
  return (req) => {
    const echo = `authorization=${String(req.headers.authorization)} x-api-key=${String(req.headers['x-api-key'])}`;
    const fail = req.body.toString() === 'fail';
    if (req.url === '/orders') {
      if (!rejectedOnce) {
        rejectedOnce = true;
        return { status: 401, body: 'token expired' };
      }
      return fail ? { status: 500, body: `internal error for ${echo}` } : { status: 200 };
    }
    if (req.url === '/billing') return fail ? { status: 500, body: `no billing for ${echo}` } : { status: 200 };
    if (req.url === '/audit') {
      const basic = Buffer.from(String(req.headers.authorization).replace(/^Basic /, ''), 'base64').toString('utf8');
      return { status: 400, body: `rejected by validation: ${echo} (${basic})` };
    }
    return { status: 200 };
  };
}

/**
 * Three routes that use every kind of endpoint credential, through a token-endpoint outage,
 * a 401 refresh, retries and dead-lettering of records whose error bodies echo credentials.
 * /ready and /metrics are read while the route is paused for its token endpoint and after.
 */
async function leakScenario(
  { cluster, kafka, sink }: { cluster: KafkaCluster; kafka: Kafka; sink: RecordingSink },
  start: (config: Record<string, unknown>) => Promise<RunningBridge>,
): Promise<void> {
  const topics = {
    orders: (await createRouteTopics(cluster, 'leak-orders')).topic,
    billing: (await createRouteTopics(cluster, 'leak-billing')).topic,
    audit: (await createRouteTopics(cluster, 'leak-audit')).topic,
  };
  const idp = await TokenEndpoint.start();
  idp.prefix = SECRETS.accessToken;
  idp.mode = '503';
  sink.responder = carelessEndpoint();
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
  const ops = async (path: string) => (await fetch(`http://127.0.0.1:${bridge.port}${path}`)).text();
  const pausedForToken = async () => {
    const status = JSON.parse(await ops('/ready')) as { routes: { name: string; pausedReasons: string[] }[] };
    return status.routes.find((r) => r.name === 'orders')?.pausedReasons.includes('token-endpoint') ?? false;
  };
  const texts: Record<string, string> = {};
  let bridge: RunningBridge;
  try {
    bridge = await start(base);
    await produce(kafka, topics.orders, [...Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })), { key: 'x', value: 'fail' }]);
    await produce(kafka, topics.billing, [...Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })), { key: 'x', value: 'fail' }]);
    await produce(kafka, topics.audit, [{ key: 'a', value: 'bad' }]);
    await waitFor('orders paused for its token endpoint', pausedForToken, 20_000, 20);
    // While the route is paused, not only once it recovered: the pause carries the token
    // endpoint's detail, and the refresh is under way.
    texts['/ready during the pause'] = await ops('/ready');
    texts['/metrics during the pause'] = await ops('/metrics');
    expect(await pausedForToken(), 'still paused after the reads').toBe(true);
    idp.mode = 'up';
    for (const topic of Object.values(topics)) {
      await waitFor(`${topic} committed`, () => fullyCommitted(kafka, groupId, topic), 30_000, 200);
    }
    texts['/ready'] = await ops('/ready');
    texts['/metrics'] = await ops('/metrics');
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
  const { lines } = bridge;
  expect(lines.some((l) => l['msg'] === 'token-endpoint unavailable: pausing the route')).toBe(true);
  expect(lines.some((l) => String(l['msg']).startsWith('record dead_lettered'))).toBe(true);
  expect(lines.length).toBeGreaterThan(50);
  expect(texts['/ready during the pause']).toContain('token-endpoint');
  expect(texts['/metrics during the pause']).toContain('kafka_http_bridge_route_paused{route="orders",reason="token-endpoint"} 1');

  expectNoSecret('logs', lines.map((line) => JSON.stringify(line)).join('\n'));
  expectNoSecret('the other output', bridge.other());
  for (const [where, text] of Object.entries(texts)) expectNoSecret(where, text);
  const errors: string[] = [];
  for (const topic of Object.values(topics)) {
    for (const copy of await readAll(kafka, `${topic}-dlt`)) {
      expectNoSecret('a dead-letter copy', JSON.stringify(copy.headers));
      errors.push(copy.headers['bridge-error'] ?? '');
    }
  }
  // Each route dead-lettered one record whose error body named its credentials: the copies
  // say what the endpoint answered, with the credentials cut out.
  expect(errors).toHaveLength(3);
  for (const error of errors) expect(error).toContain('[redacted]');
  expectNoSecret('the configuration', `${JSON.stringify(config)}\n${inspect(config, { depth: Infinity, showHidden: true })}\n${String(config)}`);
}

describe('secrets never leak', () => {
  test('not in logs at trace level, /ready, /metrics or dead-letter copies of a running bridge', async ({ cluster, kafka, sink, bridges }) => {
    await leakScenario({ cluster, kafka, sink }, async (base) => {
      const logs = new LogSink();
      const { bridge } = await bridges.inProcess(parseConfig(stringify(base), {}, 'leak.yaml'), logs);
      return { port: bridge.port, lines: logs.lines, other: () => '', stop: () => bridge.stop() };
    });
  }, 90_000);

  test('not on the standard output or error of the real CLI, running or checking', async ({ cluster, kafka, sink, bridges }) => {
    let checked = '';
    await leakScenario({ cluster, kafka, sink }, async (base) => {
      const check = bridges.spawn(base, ['check']);
      expect(await check.exited).toBe(0);
      checked = `${check.logs.map((line) => JSON.stringify(line)).join('\n')}\n${check.stderr.join('')}`;
      const run = bridges.spawn(base, ['run']);
      return {
        port: await waitForPort(run),
        lines: run.logs,
        other: () => run.stderr.join(''),
        async stop() {
          run.child.kill('SIGTERM');
          expect(await run.exited).toBe(0);
        },
      };
    });
    expect(checked).not.toBe('');
    expectNoSecret('check', checked);
  }, 90_000);

  test('not in bridge-error when the endpoint echoes a credential anywhere in its error body', async () => {
    const header = 'hdr-echo-5b1e7c';
    const bearer = 'bearer-echo-0d4f2a';
    const tokenFile = file('bearer-echo', bearer);
    const headerFile = file('header-echo', header);
    let body = '';
    const server = await RecordingSink.start(() => ({ status: 500, body }));
    const http = endpointFor({ url: server.url, headers: { 'x-api-key': { fromFile: headerFile } }, auth: { bearer: { tokenFile } } });
    try {
      const bodies = [
        // At the start, as the whole header value.
        `Bearer ${bearer} refused`,
        // Across the end of the 200 bytes a message keeps: only its start is read.
        `${'.'.repeat(190)}${bearer}${'.'.repeat(100)}`,
        `${'.'.repeat(195)}${header}`,
        // One whole, one cut.
        `${header}${'.'.repeat(170)}${bearer}${'.'.repeat(5000)}`,
      ];
      for (const text of bodies) {
        body = text;
        const result = await http.send(record(), 1);
        expect(result.reason).toBe('http-500');
        expect(result.message, text).not.toContain(bearer);
        expect(result.message, text).not.toContain(header);
        expect(result.message, text).not.toContain(bearer.slice(0, 6));
      }
      body = bodies[0]!;
      expect((await http.send(record(), 1)).message).toBe('endpoint answered 500: Bearer [redacted] refused');
    } finally {
      await http.close();
      await server.stop();
    }
  });

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
