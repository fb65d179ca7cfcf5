/**
 * A route that authenticates with OAuth2 while its token endpoint is down: the route pauses
 * with reason token-endpoint (in /ready and route_paused), nothing reaches the endpoint,
 * nothing is escalated to a retry topic or the DLT, the breaker is not opened, and once the
 * token endpoint is back every record is delivered and committed. Real Kafka, real servers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { fullyCommitted, produce, recordCount, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { TokenEndpoint } from '../support/token-endpoint.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';
import { expectRampAfterResume, rampBacklog, rampRoute } from '../support/ramp-profile.ts';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bridge-oauth-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('OAuth2 token endpoint outage', () => {
  test('pauses the route like an outage, escalates nothing, and resumes when tokens come back', async ({ cluster, kafka, sink, bridges }) => {
    const { topic, retry, dlt } = await createRouteTopics(cluster, 'oauth', { partitions: 2, tiers: 1 });
    const total = (name: string) => recordCount(kafka, name);
    const idp = await TokenEndpoint.start();
    try {
      idp.mode = '503';
      sink.responder = (req) => ({ status: req.headers.authorization === `Bearer ${idp.lastToken}` ? 200 : 401 });
      const secretFile = join(dir, 'client-secret');
      writeFileSync(secretFile, 'client-s3cret');
      const groupId = uniqueTopic('group');
      const { bridge, logs } = await bridges.inProcess(
        testConfig({
          bootstrap: cluster.bootstrap,
          groupId,
          routes: [
            {
              name: 'orders',
              topics: [topic],
              url: `${sink.url}/orders`,
              endpoint: {
                url: `${sink.url}/orders`,
                timeout: '1s',
                auth: { oauth2: { tokenUrl: idp.url, clientId: 'bridge', clientSecret: { fromFile: secretFile } } },
              },
              retry: { delays: ['1s'] },
              circuitBreaker: { volumeThreshold: 5, resetTimeout: '1s' },
              recovery: { rampUp: '0s' },
            },
          ],
        }),
      );
      await produce(kafka, topic, Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 10}`, value: `v${i}` })));
      await waitFor('paused for the token endpoint', () => bridge.routeStatus()[0]!.pausedReasons.includes('token-endpoint'), 15_000, 20);

      const ready = (await (await fetch(`http://127.0.0.1:${bridge.port}/ready`)).json()) as { routes: Array<{ pausedReasons: string[]; breaker: string }> };
      expect(ready.routes[0]!.pausedReasons).toContain('token-endpoint');
      const metrics = await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text();
      expect(metrics).toMatch(/kafka_http_bridge_route_paused\{route="orders",reason="token-endpoint"\} 1/);
      expect(logs.lines.some((l) => l['msg'] === 'token-endpoint unavailable: pausing the route' && String(l['detail']).includes('503'))).toBe(true);

      // An outage long enough for several recovery attempts, three breaker reset timeouts
      // and the retry tier's delay: none of them may move a record anywhere.
      await new Promise((r) => setTimeout(r, 4000));
      expect(idp.requests.length).toBeGreaterThanOrEqual(2);
      expect(sink.requests).toEqual([]);
      expect(bridge.routeStatus()[0]!.breaker).toBe('closed');
      expect(bridge.routeStatus()[0]!.paused).toBe(true);
      expect(await total(retry[0]!)).toBe(0);
      expect(await total(dlt)).toBe(0);

      idp.mode = 'up';
      await waitFor('every record delivered', () => new Set(sink.requests.map((r) => String(r.headers['idempotency-key']))).size >= 100, 30_000, 50);
      await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 10_000, 200);
      expect(bridge.routeStatus()[0]!.paused).toBe(false);
      expect(sink.requests.every((r) => r.headers.authorization === 'Bearer tok-1')).toBe(true);
      expect(idp.requests.filter((r) => r.form.get('grant_type') === 'client_credentials').length).toBe(idp.requests.length);
      expect(await total(retry[0]!)).toBe(0);
      expect(await total(dlt)).toBe(0);
      const after = await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text();
      expect(after).toMatch(/kafka_http_bridge_route_paused\{route="orders",reason="token-endpoint"\} 0/);
      expect(after).toMatch(/kafka_http_bridge_deliveries_total\{route="orders",outcome="delivered"\} 100/);
    } finally {
      await idp.stop();
    }
  }, 90_000);

  test('resumes with ramp-up: once tokens come back, concurrency grows over the ramp window', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'oauth-ramp', { partitions: 4, tiers: 1 });
    const idp = await TokenEndpoint.start();
    try {
      idp.mode = '503';
      sink.responder = (req) => ({ status: req.headers.authorization === `Bearer ${idp.lastToken}` ? 200 : 401, delayMs: 100 });
      const secretFile = join(dir, 'client-secret-ramp');
      writeFileSync(secretFile, 'client-s3cret');
      const oauth2 = { tokenUrl: idp.url, clientId: 'bridge', clientSecret: { fromFile: secretFile } };
      const route = rampRoute(topic, `${sink.url}/orders`, { endpoint: { url: `${sink.url}/orders`, timeout: '1s', auth: { oauth2 } } });
      const { bridge } = await bridges.inProcess(testConfig({ bootstrap: cluster.bootstrap, groupId: uniqueTopic('group'), routes: [route] }));
      await rampBacklog(kafka, topic);
      await waitFor('paused for the token endpoint', () => bridge.routeStatus()[0]!.pausedReasons.includes('token-endpoint'), 15_000, 20);
      idp.mode = 'up';
      // The bridge asks the token endpoint again with doubling waits (1 s, 2 s, …).
      await expectRampAfterResume(bridge, () => sink.requests, 20_000);
      expect(sink.requests.every((r) => r.headers.authorization === 'Bearer tok-1')).toBe(true);
    } finally {
      await idp.stop();
    }
  }, 60_000);
});
