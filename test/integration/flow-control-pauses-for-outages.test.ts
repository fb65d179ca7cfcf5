import { describe, expect } from 'vitest';
import type { RecordingSink, SinkRequest } from '../support/recording-sink.ts';
import { fullyCommitted, produce, recordCount, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';
import { expectRampAfterResume, rampBacklog, rampRoute } from '../support/ramp-profile.ts';

/** Turns `sink` into a downstream with an /health URL and a switchable outage. */
function downstream(sink: RecordingSink, delayMs: number) {
  const state = { down: false };
  sink.responder = async (req) => {
    if (req.url === '/health') return { status: state.down ? 503 : 200 };
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    return { status: state.down ? 503 : 200 };
  };
  const deliveries = () => sink.requests.filter((r) => r.url === '/orders');
  return { state, deliveries };
}

const distinct = (requests: SinkRequest[]) => new Set(requests.filter((r) => r.headers['idempotency-key'] !== undefined).map((r) => String(r.headers['idempotency-key'])));

describe('flow control', () => {
  test('an outage pauses the route within interval × unhealthyAfter, sends nothing while paused, and loses nothing', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'outage', { partitions: 2, tiers: 1 });
    const { state, deliveries } = downstream(sink, 2);
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [
          {
            name: 'orders',
            topics: [topic],
            url: `${sink.url}/orders`,
            retry: { delays: ['2s'] },
            healthCheck: { url: `${sink.url}/health`, interval: '1s', timeout: '500ms', unhealthyAfter: 2, healthyAfter: 2 },
            // The breaker opens within milliseconds of the outage (failures in a row); it must
            // not half-open before the health check's pause is in place, or its probe record
            // would reach the sink during the pause this test watches.
            circuitBreaker: { resetTimeout: '5s' },
            recovery: { rampUp: '1s' },
          },
        ],
      }),
    );
    const producing = produce(kafka, topic, Array.from({ length: 2000 }, (_, i) => ({ key: `k${i % 200}`, value: `v${i}` })), 200);
    await waitFor('deliveries under way', () => deliveries().length > 300, 20_000, 10);
    state.down = true;
    const outageAt = Date.now();
    await waitFor('route paused', () => bridge.routeStatus()[0]!.paused, 5_000, 10);
    const pausedAt = Date.now();
    expect(pausedAt - outageAt).toBeLessThanOrEqual(1000 * 2 + 200);
    await producing;
    await new Promise((r) => setTimeout(r, 10_000 - (Date.now() - outageAt)));
    // Nothing but health probes reached the downstream while the route was paused (requests
    // already on the wire when it paused may land just after).
    const duringPause = deliveries().filter((r) => r.receivedAt > pausedAt + 100);
    expect(duringPause).toEqual([]);
    state.down = false;
    await waitFor('every record delivered', () => distinct(deliveries()).size >= 2000, 30_000, 100);
    await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 10_000, 200);
    expect(await recordCount(kafka, `${topic}-retry`)).toBe(0);
    expect(await recordCount(kafka, `${topic}-dlt`)).toBe(0);
    const metrics = await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text();
    expect(metrics).toMatch(/kafka_http_bridge_health_check_up\{route="orders"\} 1/);
    expect(metrics).toMatch(/kafka_http_bridge_route_paused\{route="orders",reason="health-check"\} 0/);
  }, 90_000);

  test('at low traffic, a record about to climb the ladder asks the health check first and waits out the outage', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'lowtraffic', { tiers: 1 });
    const { state, deliveries } = downstream(sink, 0);
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [
          {
            name: 'orders',
            topics: [topic],
            url: `${sink.url}/orders`,
            attempts: 2,
            retry: { delays: ['1s'] },
            // Neither the schedule nor the breaker would notice in time: three failed probes 4 s
            // apart, and far more failures than five records make.
            healthCheck: { url: `${sink.url}/health`, interval: '4s', timeout: '500ms', unhealthyAfter: 3, healthyAfter: 1 },
            circuitBreaker: { volumeThreshold: 100 },
            recovery: { rampUp: '0s' },
          },
        ],
      }),
    );
    state.down = true;
    const outageAt = Date.now();
    // Timed from its own start, so that the producing loop below (a producer connect per
    // record on a loaded machine) does not count against the bridge.
    const pausedAt = waitFor('route paused by the on-demand probe', () => bridge.routeStatus()[0]!.pausedReasons.includes('health-check'), 10_000, 20).then(
      () => Date.now(),
    );
    for (let i = 0; i < 5; i++) {
      await produce(kafka, topic, [{ key: `k${i}`, value: `v${i}` }]);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect((await pausedAt) - outageAt).toBeLessThan(4000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await recordCount(kafka, `${topic}-retry`)).toBe(0);
    expect(await recordCount(kafka, `${topic}-dlt`)).toBe(0);
    state.down = false;
    // Committed to the end with nothing copied anywhere: all five were delivered.
    await waitFor('committed after the outage', () => fullyCommitted(kafka, groupId, topic), 20_000, 200);
    expect(distinct(deliveries()).size).toBe(5);
    expect(await recordCount(kafka, `${topic}-retry`)).toBe(0);
    expect(await recordCount(kafka, `${topic}-dlt`)).toBe(0);
  }, 40_000);

  test('up but failing: the breaker opens and pauses the route instead of escalating, then half-open probes close it', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'failing', { tiers: 1 });
    const { state, deliveries } = downstream(sink, 1);
    const groupId = uniqueTopic('group');
    const { bridge, logs } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        logLevel: 'warn',
        routes: [
          {
            name: 'orders',
            topics: [topic],
            url: `${sink.url}/orders`,
            retry: { delays: ['1s'] },
            circuitBreaker: { resetTimeout: '1s', volumeThreshold: 10 },
            recovery: { rampUp: '1s' },
          },
        ],
      }),
    );
    state.down = true; // /health would say so too, but this route has no health check
    await produce(kafka, topic, Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 30}`, value: `v${i}` })));
    await waitFor('breaker open', () => bridge.routeStatus()[0]!.pausedReasons.includes('circuit-open'), 15_000, 10);
    expect(bridge.routeStatus()[0]!.breaker).toBe('open');
    // Several open → half-open → open cycles while the endpoint keeps failing.
    await new Promise((r) => setTimeout(r, 4000));
    const states = logs.lines.filter((l) => l['msg'] === 'circuit breaker half-open').length;
    expect(states).toBeGreaterThanOrEqual(2);
    expect(await recordCount(kafka, `${topic}-retry`)).toBe(0);
    expect(await recordCount(kafka, `${topic}-dlt`)).toBe(0);
    state.down = false;
    await waitFor('every record delivered', () => distinct(deliveries().filter((r) => r.receivedAt > 0)).size >= 300, 30_000, 100);
    await waitFor('breaker closed', () => bridge.routeStatus()[0]!.breaker === 'closed', 5_000, 50);
    await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 10_000, 200);
    expect(await recordCount(kafka, `${topic}-retry`)).toBe(0);
    expect(await recordCount(kafka, `${topic}-dlt`)).toBe(0);
  }, 60_000);

  test('permanent 4xx answers do not open the breaker', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'fourxx', { tiers: 1 });
    sink.responder = () => ({ status: 400 });
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [{ name: 'orders', topics: [topic], url: sink.url, retry: { delays: ['1s'] }, circuitBreaker: { volumeThreshold: 5 } }],
      }),
    );
    await produce(kafka, topic, Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    await waitFor('all dead-lettered', async () => (await recordCount(kafka, `${topic}-dlt`)) === 50, 20_000, 100);
    expect(bridge.routeStatus()[0]!.breaker).toBe('closed');
    expect(bridge.routeStatus()[0]!.paused).toBe(false);
  }, 40_000);

  test('ramp-up: after a resume, concurrency at the downstream grows over the ramp window', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'ramp', { partitions: 4, tiers: 1 });
    const { state, deliveries } = downstream(sink, 100);
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [
          rampRoute(topic, `${sink.url}/orders`, {
            // unhealthyAfter 3: one probe slowed past its timeout by a loaded machine must not
            // pause the route again and restart the ramp this test measures.
            healthCheck: { url: `${sink.url}/health`, interval: '200ms', timeout: '100ms', unhealthyAfter: 3, healthyAfter: 1 },
          }),
        ],
      }),
    );
    state.down = true;
    await waitFor('paused', () => bridge.routeStatus()[0]!.paused, 10_000, 10);
    await rampBacklog(kafka, topic);
    await new Promise((r) => setTimeout(r, 1000));
    state.down = false;
    await expectRampAfterResume(bridge, deliveries, 5_000);
  }, 60_000);

  test('ramp-up after the circuit breaker: from the half-open resume, concurrency grows over the ramp window', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'rampbreaker', { partitions: 4, tiers: 1 });
    const { state, deliveries } = downstream(sink, 100);
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId: uniqueTopic('group'),
        // No health check: only the breaker pauses and resumes this route.
        routes: [rampRoute(topic, `${sink.url}/orders`, { circuitBreaker: { volumeThreshold: 10, resetTimeout: '1s' } })],
      }),
    );
    state.down = true;
    await rampBacklog(kafka, topic);
    await waitFor('breaker open', () => bridge.routeStatus()[0]!.pausedReasons.includes('circuit-open'), 15_000, 10);
    state.down = false;
    // Half-open after resetTimeout: the route resumes (the ramp starts) and a record that had
    // not failed yet probes the endpoint, which closes the breaker.
    await expectRampAfterResume(bridge, deliveries, 5_000);
    expect(bridge.routeStatus()[0]!.breaker).toBe('closed');
  }, 60_000);

  test('rate limit 200/s: never more than 10% above it over 5 s, and close to it', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'rate', { partitions: 4, tiers: 1 });
    await produce(kafka, topic, Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })), 1000);
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [{ name: 'orders', topics: [topic], url: sink.url, ordering: 'none', rateLimit: 200, retry: { delays: ['1s'] } }],
      }),
    );
    await waitFor('traffic started', () => sink.requests.length > 0, 15_000, 10);
    const start = sink.requests[0]!.receivedAt + 1000;
    await waitFor('six seconds of traffic', () => Date.now() > start + 5200, 10_000, 50);
    const inWindow = sink.requests.filter((r) => r.receivedAt >= start && r.receivedAt < start + 5000).length;
    // The limit is the promise: at most 10% above it. Below it, the bucket holds only 50 ms of
    // tokens, so event-loop stalls of a loaded machine cost requests; 80% still shows pacing.
    expect(inWindow).toBeGreaterThanOrEqual(800);
    expect(inWindow).toBeLessThanOrEqual(1100);
    const metrics = await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text();
    expect(metrics).toMatch(/kafka_http_bridge_rate_limited_total\{route="orders"\} [1-9]/);
  }, 40_000);

  test('rate limit 50/s is shared: a main backlog and due retry records together stay within it, second by second', async ({ cluster, kafka, sink, bridges }) => {
    const { topic, retry } = await createRouteTopics(cluster, 'sharedrate', { partitions: 2, tiers: 1 });
    const count = 400;
    await produce(kafka, topic, Array.from({ length: count }, (_, i) => ({ key: `m${i}`, value: `main-${i}` })));
    // Retry copies already due, as an earlier failure would have left them (copy-headers.ts):
    // the retry consumer delivers them at once, alongside the main backlog.
    const due = new Date(Date.now() - 1000).toISOString();
    const copyOf = (i: number) => ({
      'bridge-original-topic': topic,
      'bridge-original-partition': String(i % 2),
      'bridge-original-offset': String(100_000 + i),
      'bridge-attempts': '1',
      'bridge-due-at': due,
    });
    await produce(kafka, retry[0]!, Array.from({ length: count }, (_, i) => ({ key: `r${i}`, value: `retry-${i}`, headers: copyOf(i) })));
    const limit = 50;
    await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId: uniqueTopic('group'),
        // Waiters take tokens in arrival order, so main and retry records alternate in runs
        // of about maxInFlight; 8 keeps a run far shorter than the one-second samples.
        routes: [{ name: 'orders', topics: [topic], url: sink.url, ordering: 'none', maxInFlight: 8, rateLimit: limit, retry: { delays: ['1s'] } }],
      }),
    );
    const kind = (r: SinkRequest) => (r.body.toString().startsWith('retry-') ? 'retry' : 'main');
    // From the moment both consumers deliver (they join their groups separately).
    await waitFor('main and retry traffic both under way', () => sink.requests.some((r) => kind(r) === 'main') && sink.requests.some((r) => kind(r) === 'retry'), 20_000, 10);
    const start = Date.now() + 500;
    const seconds = 5;
    await waitFor('five seconds of mixed traffic', () => Date.now() > start + seconds * 1000 + 200, 15_000, 50);
    const perSecond = Array.from({ length: seconds }, (_, s) => {
      const inSecond = sink.requests.filter((r) => r.receivedAt >= start + s * 1000 && r.receivedAt < start + (s + 1) * 1000);
      return { total: inSecond.length, main: inSecond.filter((r) => kind(r) === 'main').length, retry: inSecond.filter((r) => kind(r) === 'retry').length };
    });
    // Both kinds were sent in every second: the limit is measured on shared traffic, not on
    // one consumer while the other idles.
    for (const s of perSecond) {
      expect(s.main, JSON.stringify(perSecond)).toBeGreaterThan(0);
      expect(s.retry, JSON.stringify(perSecond)).toBeGreaterThan(0);
    }
    // The bucket holds 50 ms of tokens, so no second can see more than the limit plus 2.5;
    // 10% above the limit is the promise, and a bucket per consumer would give about 100/s.
    for (const s of perSecond) expect(s.total, JSON.stringify(perSecond)).toBeLessThanOrEqual(limit * 1.1);
    const total = perSecond.reduce((sum, s) => sum + s.total, 0);
    expect(total).toBeLessThanOrEqual(limit * seconds * 1.1);
    // Below the limit, event-loop stalls of a loaded machine cost tokens (as in the test
    // above); 80% still shows that the two consumers together are paced, not starved.
    expect(total).toBeGreaterThanOrEqual(limit * seconds * 0.8);
  }, 60_000);

  test('records waiting in a retry tier during an outage are not attempted until the route is healthy again', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'retrywait', { tiers: 1 });
    const { state } = downstream(sink, 0);
    let failX = true;
    sink.responder = (req) => {
      if (req.url === '/health') return { status: state.down ? 503 : 200 };
      if (state.down) return { status: 503 };
      if (req.body.toString() === 'X' && failX) {
        failX = false;
        return { status: 503 };
      }
      return { status: 200 };
    };
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [
          {
            name: 'orders',
            topics: [topic],
            url: `${sink.url}/orders`,
            attempts: 1,
            retry: { delays: ['2s'] },
            healthCheck: { url: `${sink.url}/health`, interval: '200ms', timeout: '100ms', unhealthyAfter: 1, healthyAfter: 2 },
            recovery: { rampUp: '0s' },
          },
        ],
      }),
    );
    await produce(kafka, topic, [{ key: 'x', value: 'X' }]);
    await waitFor('X parked on the retry topic', async () => (await recordCount(kafka, `${topic}-retry`)) === 1, 15_000, 50);
    state.down = true;
    await waitFor('paused', () => bridge.routeStatus()[0]!.paused, 5_000, 10);
    await new Promise((r) => setTimeout(r, 4000)); // X is due after 2 s: well past due now
    const xRequests = () => sink.requests.filter((r) => r.url === '/orders' && r.body.toString() === 'X');
    expect(xRequests()).toHaveLength(1);
    state.down = false;
    const healedAt = Date.now();
    await waitFor('X delivered after the outage', () => xRequests().length === 2, 10_000, 20);
    expect(xRequests()[1]!.receivedAt).toBeGreaterThanOrEqual(healedAt);
    expect(xRequests()[1]!.headers['kafka-delivery-attempt']).toBe('2');
    expect(await recordCount(kafka, `${topic}-dlt`)).toBe(0);
  }, 40_000);
});
