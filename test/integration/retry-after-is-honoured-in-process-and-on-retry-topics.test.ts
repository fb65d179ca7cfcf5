/**
 * Retry-After (README "Failure handling"): in process it stretches the backoff, but never
 * beyond `backoff.max` (a wait there holds an in-flight slot); on the ladder it pushes a retry
 * copy's due time (`bridge-due-at`) past the tier's delay when it asks for more, never less.
 * Every wait is measured where it matters, at the endpoint: the times between attempts.
 */
import { describe, expect } from 'vitest';
import type { SinkRequest } from '../support/recording-sink.ts';
import { fullyCommitted, produce, readAll, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';

/** The sink's requests for one record body, in arrival order. */
const attemptsOf = (requests: SinkRequest[], body: string) => requests.filter((r) => r.body.toString() === body);
const gaps = (requests: SinkRequest[]) => requests.slice(1).map((r, i) => r.receivedAt - requests[i]!.receivedAt);

// Node may fire a timer up to a millisecond before its time by Date.now(): lower bounds
// allow 5 ms. Upper bounds allow a whole second on top: a loaded 2-core machine delays
// timers and requests, never hastens them, and a second is still far from what a broken
// bound would give (3.5 s more here).
const EARLY_TIMER_MS = 5;
const LOAD_MARGIN_MS = 1000;

describe('Retry-After', () => {
  test('in process: the wait is at least Retry-After and at most backoff.max', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'retryafter-inproc');
    // Two records fail twice each, then succeed: "short" asks for 1 s (below backoff.max),
    // "long" for 5 s (above it). Without Retry-After the backoff is at most 20 ms here.
    const asked: Record<string, string> = { short: '1', long: '5' };
    sink.responder = (req) => {
      const attempt = Number(req.headers['kafka-delivery-attempt']);
      return attempt <= 2 ? { status: 503, headers: { 'retry-after': asked[req.body.toString()]! } } : { status: 200 };
    };
    await produce(kafka, topic, [
      { key: 'short', value: 'short' },
      { key: 'long', value: 'long' },
    ]);
    const groupId = uniqueTopic('group');
    const backoffMax = 1500;
    await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        // The retry budget (3 × 1s + 2 × 1.5s) must fit in half the session.
        kafka: { sessionTimeout: '20s' },
        routes: [{ topics: [topic], url: sink.url, attempts: 3, backoff: { initial: '10ms', max: `${backoffMax}ms` } }],
      }),
    );
    await waitFor('both delivered on their third attempt', () => sink.requests.filter((r) => r.headers['kafka-delivery-attempt'] === '3').length === 2, 20_000, 20);
    await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 10_000, 200);
    const short = attemptsOf(sink.requests, 'short');
    const long = attemptsOf(sink.requests, 'long');
    expect(short.map((r) => r.headers['kafka-delivery-attempt'])).toEqual(['1', '2', '3']);
    expect(long.map((r) => r.headers['kafka-delivery-attempt'])).toEqual(['1', '2', '3']);
    for (const gap of gaps(short)) {
      expect(gap).toBeGreaterThanOrEqual(1000 - EARLY_TIMER_MS);
      expect(gap).toBeLessThanOrEqual(backoffMax + LOAD_MARGIN_MS);
    }
    // Asked for 5 s: waits backoff.max, no less (Retry-After is above it) and no more.
    for (const gap of gaps(long)) {
      expect(gap).toBeGreaterThanOrEqual(backoffMax - EARLY_TIMER_MS);
      expect(gap).toBeLessThanOrEqual(backoffMax + LOAD_MARGIN_MS);
    }
  }, 60_000);

  test("on the ladder: a retry copy is due at least Retry-After later when that exceeds the tier's delay, and is not attempted before", async ({
    cluster,
    kafka,
    sink,
    bridges,
  }) => {
    const { topic, retry } = await createRouteTopics(cluster, 'retryafter-ladder', { tiers: 1 });
    const tierDelay = 2000;
    // "far" asks for 5 s (more than the tier's 2 s), "near" for 1 s (less: the tier's delay wins).
    const asked: Record<string, string> = { far: '5', near: '1' };
    sink.responder = (req) => (req.headers['kafka-delivery-attempt'] === '1' ? { status: 503, headers: { 'retry-after': asked[req.body.toString()]! } } : { status: 200 });
    await produce(kafka, topic, [
      { key: 'far', value: 'far' },
      { key: 'near', value: 'near' },
    ]);
    const groupId = uniqueTopic('group');
    await bridges.inProcess(
      testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url, attempts: 1, retry: { delays: [`${tierDelay}ms`] } }] }),
    );
    await waitFor('both delivered from the retry tier', () => sink.requests.filter((r) => r.headers['kafka-delivery-attempt'] === '2').length === 2, 30_000, 20);
    await waitFor('retry group committed', () => fullyCommitted(kafka, `${groupId}-retry`, retry[0]!), 10_000, 200);
    const copies = await readAll(kafka, retry[0]!);
    const dueAt = (body: string) => Date.parse(copies.find((c) => c.value?.toString() === body)!.headers['bridge-due-at']!);
    const far = attemptsOf(sink.requests, 'far');
    const near = attemptsOf(sink.requests, 'near');
    expect(far).toHaveLength(2);
    expect(near).toHaveLength(2);

    // The due time is set after the failed answer came back: at least Retry-After after the
    // failed attempt reached the endpoint. At most 2 s later than that: the record waits one
    // evidence window (backoff.max, 200 ms) before it climbs, then its copy is written.
    expect(dueAt('far') - far[0]!.receivedAt).toBeGreaterThanOrEqual(5000);
    expect(dueAt('far') - far[0]!.receivedAt).toBeLessThan(5000 + 2000);
    // And the endpoint does not see the record again before then (the retry consumer reads the
    // same clock as the sink here: both run in this process).
    expect(far[1]!.receivedAt).toBeGreaterThanOrEqual(dueAt('far'));
    expect(far[1]!.receivedAt - far[0]!.receivedAt).toBeGreaterThanOrEqual(5000);

    // Retry-After below the tier's delay never shortens it.
    expect(dueAt('near') - near[0]!.receivedAt).toBeGreaterThanOrEqual(tierDelay);
    expect(dueAt('near') - near[0]!.receivedAt).toBeLessThan(tierDelay + 2000);
    expect(near[1]!.receivedAt).toBeGreaterThanOrEqual(dueAt('near'));
  }, 60_000);
});
