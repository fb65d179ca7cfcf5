import { describe, expect } from 'vitest';
import { endOffsets, fullyCommitted, produce, readAll, uniqueTopic, waitFor, recordCount, type ReadRecord } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';

/** headers.maxValueBytes by default (8 KiB). */
const CAP = 8192;

/**
 * Headers that only header hygiene tells apart: two small ones on the default strip list
 * (far under the size cap, so only the strip list can drop them), one in another case, an
 * ordinary small one, and one value at the cap and one a byte over it.
 */
const hygieneProbe = {
  'kafka_dlt-exception-stacktrace': 'at Small.trace(Small.java:1)',
  '__connect.errors.exception.stacktrace': 'at Connect.trace',
  'KAFKA_EXCEPTION-STACKTRACE': 'at Upper.case',
  'x-tenant': 'acme',
  'at-cap': Buffer.alloc(CAP, 97),
  'over-cap': Buffer.alloc(CAP + 1, 98),
};

function expectHygiene(copy: ReadRecord, where: string): void {
  expect(copy.headers['kafka_dlt-exception-stacktrace'], where).toBeUndefined();
  expect(copy.headers['__connect.errors.exception.stacktrace'], where).toBeUndefined();
  expect(copy.headers['KAFKA_EXCEPTION-STACKTRACE'], where).toBeUndefined();
  expect(copy.headers['x-tenant'], where).toBe('acme');
  expect(copy.headers['at-cap'], where).toBe('a'.repeat(CAP));
  expect(copy.headers['over-cap'], where).toBeUndefined();
}

describe('failure ladder', () => {
  test('always-503 climbs main → retry-1 → retry-2 → DLT, waiting each delay, with one idempotency key', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'ladder', { tiers: 2 });
    sink.responder = () => ({ status: 503, body: 'down for maintenance' });
    await produce(kafka, topic, [
      {
        key: 'order-1',
        value: '{"id":1}',
        headers: { traceparent: '00-trace-01', 'kafka_exception-stacktrace': Buffer.alloc(20 * 1024, 120), ...hygieneProbe },
      },
    ]);
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [{ name: 'ladder', topics: [topic], url: sink.url, attempts: 2, retry: { delays: ['2s', '4s'] } }],
      }),
    );
    await waitFor('dead-lettered', async () => (await recordCount(kafka, `${topic}-dlt`)) === 1, 30_000, 200);
    await waitFor('every group committed', async () =>
      (await fullyCommitted(kafka, groupId, topic)) &&
      (await fullyCommitted(kafka, `${groupId}-retry`, `${topic}-retry-1`)) &&
      (await fullyCommitted(kafka, `${groupId}-retry`, `${topic}-retry-2`)), 10_000, 200);
    await bridge.stop();
    const attempts = sink.requests;
    expect(attempts.map((r) => r.headers['kafka-delivery-attempt'])).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(new Set(attempts.map((r) => r.headers['idempotency-key']))).toEqual(new Set([`${topic}-0-0`]));
    expect(new Set(attempts.map((r) => r.headers['kafka-topic']))).toEqual(new Set([topic]));
    expect(attempts.every((r) => r.headers['traceparent'] === '00-trace-01')).toBe(true);
    // Hop 1 (retry-1) waits at least 2 s after the main failure; hop 2 at least 4 s after that,
    // and each fires within a second of being due.
    const gap1 = attempts[2]!.receivedAt - attempts[1]!.receivedAt;
    const gap2 = attempts[4]!.receivedAt - attempts[3]!.receivedAt;
    expect(gap1).toBeGreaterThanOrEqual(2000 - 50);
    expect(gap1).toBeLessThan(2000 + 1000 + 100);
    expect(gap2).toBeGreaterThanOrEqual(4000 - 50);
    expect(gap2).toBeLessThan(4000 + 1000 + 100);

    const [dlt] = await readAll(kafka, `${topic}-dlt`);
    expect(dlt!.key?.toString()).toBe('order-1');
    expect(dlt!.value?.toString()).toBe('{"id":1}');
    expect(dlt!.headers).toMatchObject({
      traceparent: '00-trace-01',
      'bridge-original-topic': topic,
      'bridge-original-partition': '0',
      'bridge-original-offset': '0',
      'bridge-attempts': '6',
      'bridge-reason': 'http-503',
      'bridge-http-status': '503',
    });
    expect(dlt!.headers['bridge-error']).toContain('down for maintenance');
    expect(dlt!.headers['bridge-first-failure-at']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(dlt!.headers['bridge-original-timestamp']).toMatch(/^\d+$/);
    expect(dlt!.headers['bridge-due-at']).toBeUndefined();
    expect(dlt!.headers['kafka_exception-stacktrace']).toBeUndefined();
    const [retry1] = await readAll(kafka, `${topic}-retry-1`);
    const [retry2] = await readAll(kafka, `${topic}-retry-2`);
    expect(retry1!.headers['bridge-due-at']).toMatch(/^\d{4}-/);
    expect(retry1!.headers['kafka_exception-stacktrace']).toBeUndefined();
    for (const [where, copy] of [['retry-1', retry1!], ['retry-2', retry2!], ['dlt', dlt!]] as const) {
      expectHygiene(copy, where);
      expect(copy.headers['bridge-route'], where).toBe('ladder');
    }
    // The first failure is the main topic's: set when the first hop's attempts ended (after
    // the second request, before the copy was written) and never moved by a later hop.
    const firstFailure = retry1!.headers['bridge-first-failure-at']!;
    expect(Date.parse(firstFailure)).toBeGreaterThanOrEqual(attempts[1]!.receivedAt);
    expect(Date.parse(firstFailure)).toBeLessThanOrEqual(retry1!.timestamp);
    expect(retry2!.headers['bridge-first-failure-at']).toBe(firstFailure);
    expect(dlt!.headers['bridge-first-failure-at']).toBe(firstFailure);
  }, 60_000);

  test('a 400 goes straight to the DLT and never to a retry topic', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'permanent', { tiers: 1 });
    sink.responder = () => ({ status: 400 });
    await produce(kafka, topic, [{ key: 'k', value: 'bad' }]);
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url, retry: { delays: ['2s'] } }] }),
    );
    await waitFor('dead-lettered', async () => (await recordCount(kafka, `${topic}-dlt`)) === 1, 20_000, 200);
    await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 10_000, 200);
    await bridge.stop();
    expect(sink.requests).toHaveLength(1);
    expect(await recordCount(kafka, `${topic}-retry`)).toBe(0);
    const [dlt] = await readAll(kafka, `${topic}-dlt`);
    expect(dlt!.headers['bridge-reason']).toBe('http-400');
    expect(dlt!.headers['bridge-attempts']).toBe('1');
  }, 40_000);

  test('a record waiting 30 s on a retry tier stalls neither the main topic nor newer due records', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'nostall', { partitions: 2, tiers: 2 });
    sink.responder = (req) => ({ status: req.body.toString() === 'slow' ? 503 : 200 });
    const groupId = uniqueTopic('group');
    await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [{ topics: [topic], url: sink.url, attempts: 1, ordering: 'key', maxInFlight: 64, retry: { delays: ['30s', '1s'] } }],
      }),
    );
    const delivered = (body: string) => sink.requests.find((r) => r.body.toString() === body);
    await produce(kafka, topic, [{ key: 'slow', value: 'slow', partition: 0 }]);
    await waitFor('slow record parked on retry-1', async () => (await recordCount(kafka, `${topic}-retry-1`)) === 1, 15_000, 100);
    const parked = await endOffsets(kafka, `${topic}-retry-1`);
    const otherPartition = parked.get(0) === 1 ? 1 : 0;
    const started = Date.now();
    // Records that are already due, as earlier hops would have left them: one on the other
    // partition of the same tier, one on the next tier.
    const dueCopy = (value: string, offset: string) => ({
      key: value,
      value,
      headers: {
        'bridge-original-topic': topic,
        'bridge-original-partition': '1',
        'bridge-original-offset': offset,
        'bridge-original-timestamp': String(started),
        'bridge-attempts': '1',
        'bridge-due-at': new Date(started - 1000).toISOString(),
      },
    });
    await produce(kafka, `${topic}-retry-1`, [{ ...dueCopy('due-same-tier', '900'), partition: otherPartition }]);
    await produce(kafka, `${topic}-retry-2`, [dueCopy('due-next-tier', '901')]);
    await produce(kafka, topic, Array.from({ length: 5000 }, (_, i) => ({ key: `k${i % 500}`, value: `v${i}` })), 1000);
    await waitFor('5,000 main records delivered', () => sink.requests.filter((r) => r.body.toString().startsWith('v')).length >= 5000, 20_000, 100);
    await waitFor('due retry records delivered', () => delivered('due-same-tier') !== undefined && delivered('due-next-tier') !== undefined, 10_000, 50);
    // Stalled behind the slow record they would wait for its due time, 30 s after `started`.
    expect(delivered('due-same-tier')!.receivedAt - started).toBeLessThan(15_000);
    expect(delivered('due-next-tier')!.receivedAt - started).toBeLessThan(15_000);
    expect(delivered('due-same-tier')!.headers['idempotency-key']).toBe(`${topic}-1-900`);
    expect(delivered('due-same-tier')!.headers['kafka-delivery-attempt']).toBe('2');
    // The slow record is still waiting for its due time.
    expect(sink.requests.filter((r) => r.body.toString() === 'slow')).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(25_000);
  }, 60_000);
});
