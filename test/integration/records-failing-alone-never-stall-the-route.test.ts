/**
 * A few records that keep failing never stall a route, and a real outage still pauses it:
 *
 * - records that fail on their own climb the ladder on schedule to the DLT while the endpoint
 *   serves the others, with the breaker at its defaults, with and without a health URL, at
 *   low traffic (only they are in flight) and under steady traffic;
 * - an outage (every request fails) pauses the route and escalates nothing, also when it
 *   starts while some records are already failing on their own.
 *
 * Real Kafka, a real HTTP sink; the route's pauses are read from the bridge's log lines and
 * what was escalated from the retry and dead-letter topics themselves.
 */
import { describe, expect } from 'vitest';
import type { Kafka } from 'kafkajs';
import { SteadyProducer } from '../chaos/steady-producer.ts';
import { createRouteTopics, test, type RouteTopics } from '../support/fixtures.ts';
import { fullyCommitted, produce, readAll, recordCount, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import type { RecordingSink, SinkRequest } from '../support/recording-sink.ts';
import { testConfig, type LogSink } from '../support/test-bridge.ts';

const TIERS = ['2s', '3s'];
const key = (r: SinkRequest) => String(r.headers['kafka-key'] ?? '');
const attempt = (r: SinkRequest) => Number(r.headers['kafka-delivery-attempt']);
const pauses = (logs: LogSink) => logs.lines.filter((l) => l['msg'] === 'route paused');

/**
 * The downstream of these tests: `bad-*` always answers 503, `flaky-*` 503 until its third
 * attempt, everything else 200; `/health` is healthy unless `down`, and `down` fails
 * everything. `delivered` holds the idempotency keys it answered with a 2xx, per path.
 */
function downstream(sink: RecordingSink) {
  const state = { down: false, delivered: new Map<string, Set<string>>() };
  sink.responder = (req) => {
    if (req.url === '/health') return { status: state.down ? 503 : 200 };
    if (state.down || key(req).startsWith('bad-')) return { status: 503 };
    if (key(req).startsWith('flaky-') && attempt(req) < 3) return { status: 503 };
    let keys = state.delivered.get(req.url);
    if (keys === undefined) state.delivered.set(req.url, (keys = new Set()));
    keys.add(String(req.headers['idempotency-key']));
    return { status: 200 };
  };
  return { state, delivered: (url = '/orders') => state.delivered.get(url)?.size ?? 0 };
}

async function produceScenario(kafka: Kafka, topic: string): Promise<void> {
  const records = [
    ...Array.from({ length: 50 }, (_, i) => ({ key: `good-${i}`, value: `good ${i}` })),
    ...Array.from({ length: 10 }, (_, i) => ({ key: `flaky-${i}`, value: `flaky ${i}` })),
    ...Array.from({ length: 5 }, (_, i) => ({ key: `bad-${i}`, value: `bad ${i}` })),
  ];
  // Interleaved, as a real topic would hold them: position i takes record (37 i mod 65).
  await produce(kafka, topic, records.map((_, i) => records[(37 * i) % records.length]!));
}

function route(topics: RouteTopics, sink: RecordingSink, extra: Record<string, unknown> = {}) {
  return { name: 'orders', topics: [topics.topic], url: `${sink.url}/orders`, retry: { delays: TIERS }, ...extra };
}

describe('records that fail on their own', () => {
  for (const withHealth of [false, true]) {
    test(`climb to the DLT on schedule while the route is never paused (breaker defaults, ${withHealth ? 'a health URL that stays healthy' : 'no health URL'})`, async ({ cluster, kafka, sink, bridges }) => {
      const topics = await createRouteTopics(cluster, 'alone', { partitions: 2, tiers: 2 });
      downstream(sink);
      await produceScenario(kafka, topics.topic);
      const groupId = uniqueTopic('group');
      const health = withHealth ? { healthCheck: { url: `${sink.url}/health` } } : {};
      const { bridge, logs } = await bridges.inProcess(testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [route(topics, sink, health)], logLevel: 'info' }));
      const startedAt = Date.now();
      await waitFor('the 5 failing records in the DLT', async () => (await recordCount(kafka, topics.dlt)) >= 5, 30_000, 100);
      const elapsed = Date.now() - startedAt;
      await waitFor('main and retry groups committed', async () => (await fullyCommitted(kafka, groupId, topics.topic)) && (await fullyCommitted(kafka, `${groupId}-retry`, topics.retry[1]!)), 15_000, 200);

      const dlt = await readAll(kafka, topics.dlt);
      expect(dlt.map((r) => r.key?.toString()).sort()).toEqual(['bad-0', 'bad-1', 'bad-2', 'bad-3', 'bad-4']);
      for (const r of dlt) {
        expect(r.headers['bridge-reason']).toBe('http-503');
        // Three attempts on the main topic and three on each tier: they went through tier 2.
        expect(r.headers['bridge-attempts']).toBe('9');
      }
      // Within the tiers' delays (2 s + 3 s) plus a few seconds.
      console.log(`the 5 failing records were all in the DLT ${elapsed} ms after the bridge started (tiers 2 s + 3 s)`);
      expect(elapsed).toBeLessThan(5_000 + 5_000);
      const delivered = sink.requests.filter((r) => r.url === '/orders' && !key(r).startsWith('bad-'));
      expect(new Set(delivered.filter((r) => key(r).startsWith('good-')).map(key)).size).toBe(50);
      const flaky = delivered.filter((r) => key(r).startsWith('flaky-'));
      expect(new Set(flaky.filter((r) => attempt(r) === 3).map(key)).size).toBe(10);
      expect(flaky.some((r) => attempt(r) > 3)).toBe(false);
      expect(await recordCount(kafka, topics.retry[0]!)).toBe(5);

      expect(pauses(logs), 'the route was never paused').toEqual([]);
      expect(logs.lines.filter((l) => l['msg'] === 'circuit breaker open')).toEqual([]);
      // Visible without reading the breaker: one line per ladder step, and a counter.
      const alone = logs.lines.filter((l) => l['msg'] === 'record fails on its own: it takes its next ladder step while the route goes on');
      expect(alone.length).toBe(15);
      expect(alone[0]).toMatchObject({ route: 'orders', reason: 'http-503', attempts: expect.any(Number) });
      const metrics = await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text();
      expect(metrics).toMatch(/kafka_http_bridge_records_failing_alone_total\{route="orders",reason="http-503"\} 15/);
    }, 90_000);
  }

  test('among steady traffic they pause nothing and leave the other records\' latency alone', async ({ cluster, kafka, sink, bridges }) => {
    const failing = await createRouteTopics(cluster, 'steady-bad', { partitions: 2, tiers: 2 });
    const baseline = await createRouteTopics(cluster, 'steady-base', { partitions: 2, tiers: 2 });
    const { delivered } = downstream(sink);
    const groupId = uniqueTopic('group');
    const { logs } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [route(failing, sink), { ...route(baseline, sink), name: 'baseline', url: `${sink.url}/baseline` }],
        logLevel: 'info',
      }),
    );
    const producers = [new SteadyProducer(kafka, failing.topic, 50, 50), new SteadyProducer(kafka, baseline.topic, 50, 50)];
    for (const p of producers) await p.start();
    await produce(kafka, failing.topic, [{ key: 'bad-0', value: 'bad 0' }, { key: 'bad-1', value: 'bad 1' }]);
    await new Promise((r) => setTimeout(r, 60_000));
    for (const p of producers) await p.stop();
    await waitFor('both failing records in the DLT', async () => (await recordCount(kafka, failing.dlt)) >= 2, 20_000, 200);
    await waitFor('everything delivered', () => delivered('/orders') >= producers[0]!.produced.length && delivered('/baseline') >= producers[1]!.produced.length, 20_000, 200);

    expect(pauses(logs)).toEqual([]);
    const p99 = (url: string) => {
      const latencies = sink.requests
        .filter((r) => r.url === url && !key(r).startsWith('bad-') && attempt(r) === 1)
        .map((r) => r.receivedAt - Number(r.headers['kafka-timestamp']))
        .sort((a, b) => a - b);
      return latencies[Math.floor(latencies.length * 0.99)]!;
    };
    const withFailing = p99('/orders');
    const without = p99('/baseline');
    console.log(`p99 latency: ${withFailing} ms with two failing records, ${without} ms without`);
    expect(withFailing).toBeLessThanOrEqual(2 * without);
  }, 150_000);
});

describe('a real outage', () => {
  const outageRoute = (topics: RouteTopics, sink: RecordingSink) => route(topics, sink, { retry: { delays: ['1s', '1s'] }, circuitBreaker: { resetTimeout: '3s' }, recovery: { rampUp: '1s' } });

  test('of 10 s still pauses the route and escalates nothing', async ({ cluster, kafka, sink, bridges }) => {
    const topics = await createRouteTopics(cluster, 'outage', { partitions: 2, tiers: 2 });
    const { state, delivered } = downstream(sink);
    const groupId = uniqueTopic('group');
    const { logs } = await bridges.inProcess(testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [outageRoute(topics, sink)], logLevel: 'info' }));
    const producer = new SteadyProducer(kafka, topics.topic, 50, 50);
    await producer.start();
    await new Promise((r) => setTimeout(r, 3_000));
    state.down = true;
    const downAt = Date.now();
    await waitFor('the route paused', () => pauses(logs).length > 0, 10_000, 50);
    const pausedAfter = Date.now() - downAt;
    await new Promise((r) => setTimeout(r, 10_000 - pausedAfter));
    state.down = false;
    const healedAt = Date.now();
    await new Promise((r) => setTimeout(r, 2_000));
    await producer.stop();
    await waitFor('everything delivered', () => delivered() >= producer.produced.length, 30_000, 200);
    console.log(`outage of 10 s: paused after ${pausedAfter} ms; everything delivered ${Date.now() - healedAt} ms after the heal`);
    await waitFor('committed', () => fullyCommitted(kafka, groupId, topics.topic), 15_000, 200);
    expect(pauses(logs).map((l) => l['reason'])).toContain('circuit-open');
    for (const t of [...topics.retry, topics.dlt]) expect(await recordCount(kafka, t), t).toBe(0);
  }, 90_000);

  test('that starts while some records fail on their own makes them all wait: no retry budget is spent during it', async ({ cluster, kafka, sink, bridges }) => {
    const topics = await createRouteTopics(cluster, 'mixed', { partitions: 2, tiers: 2 });
    const { state, delivered } = downstream(sink);
    const groupId = uniqueTopic('group');
    const config = route(topics, sink, { retry: { delays: ['4s', '4s'] }, circuitBreaker: { resetTimeout: '3s' }, recovery: { rampUp: '1s' } });
    const { logs } = await bridges.inProcess(testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [config], logLevel: 'info' }));
    const producer = new SteadyProducer(kafka, topics.topic, 50, 50);
    await producer.start();
    await produce(kafka, topics.topic, [{ key: 'bad-0', value: 'bad 0' }, { key: 'bad-1', value: 'bad 1' }]);
    // The two failing records are on a retry tier, due in 4 s, when the endpoint goes down.
    await waitFor('the failing records on tier 1', async () => (await recordCount(kafka, topics.retry[0]!)) >= 2, 15_000, 100);
    state.down = true;
    const outageAt = Date.now();
    await new Promise((r) => setTimeout(r, 10_000));
    state.down = false;
    const healedAt = Date.now();
    await new Promise((r) => setTimeout(r, 2_000));
    await producer.stop();
    await waitFor('both failing records in the DLT', async () => (await recordCount(kafka, topics.dlt)) >= 2, 30_000, 200);
    await waitFor('everything else delivered', () => delivered() >= producer.produced.length, 30_000, 200);
    await waitFor('committed', () => fullyCommitted(kafka, groupId, topics.topic), 15_000, 200);

    expect(pauses(logs).map((l) => l['reason'])).toContain('circuit-open');
    const copies = [...(await readAll(kafka, topics.retry[0]!)), ...(await readAll(kafka, topics.retry[1]!)), ...(await readAll(kafka, topics.dlt))];
    // Only the two failing records ever left the main topic…
    expect(new Set(copies.map((c) => c.key?.toString()))).toEqual(new Set(['bad-0', 'bad-1']));
    // …and neither climbed while the endpoint was down (a step decided in the outage's first
    // second, before anything could tell, aside): their budget waited with everything else.
    const climbedDuring = copies.filter((c) => c.timestamp > outageAt + 1_000 && c.timestamp < healedAt);
    const dltAt = Math.max(...(await readAll(kafka, topics.dlt)).map((c) => c.timestamp));
    console.log(`outage of 10 s over two failing records: ${climbedDuring.length} ladder steps during it; both in the DLT ${dltAt - healedAt} ms after the heal`);
    expect(climbedDuring.map((c) => `${c.key?.toString()} after ${c.headers['bridge-attempts']} attempts`)).toEqual([]);
  }, 90_000);
});
