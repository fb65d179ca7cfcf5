import { describe, expect } from 'vitest';
import { RecordingSink } from '../support/recording-sink.ts';
import { committedOffsets, endOffsets, fullyCommitted, produce, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';

describe('core delivery', () => {
  test('delivers 10,000 keyed records over 4 partitions exactly once and commits the end offsets', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'orders', { partitions: 4 });
    const count = 10_000;
    await produce(
      kafka,
      topic,
      Array.from({ length: count }, (_, i) => ({ key: `k${i % 1000}`, value: JSON.stringify({ i }) })),
      1000,
    );
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [{ topics: [topic], url: `${sink.url}/orders` }] }));
    await waitFor('every record delivered', () => sink.requests.length >= count, 60_000);
    await waitFor('offsets committed to the end', () => fullyCommitted(kafka, groupId, topic), 20_000, 250);
    await bridge.stop();
    const byKey = sink.byKey();
    expect(byKey.size).toBe(count);
    for (const [key, requests] of byKey) expect(requests, key).toHaveLength(1);
    const ends = await endOffsets(kafka, topic);
    const committed = await committedOffsets(kafka, groupId, topic);
    expect([...committed.entries()].sort()).toEqual([...ends.entries()].sort());
    expect([...ends.values()].reduce((a, b) => a + b, 0)).toBe(count);
    // The body is the record value, byte for byte, and the path/method come from config.
    const sample = sink.requests[0]!;
    expect(sample.method).toBe('POST');
    expect(sample.url).toBe('/orders');
    expect(JSON.parse(sample.body.toString())).toHaveProperty('i');
    const values = new Set(sink.requests.map((r) => JSON.parse(r.body.toString()).i as number));
    expect(values.size).toBe(count);
  }, 120_000);

  test('retries transient failures in process with the same idempotency key', async ({ cluster, kafka, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'transient');
    const seen = new Map<string, number>();
    const local = await RecordingSink.start((req) => {
      const k = String(req.headers['idempotency-key']);
      const n = (seen.get(k) ?? 0) + 1;
      seen.set(k, n);
      return { status: n <= 2 ? 503 : 200 };
    });
    await produce(kafka, topic, [{ key: 'a', value: 'one' }]);
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [{ topics: [topic], url: local.url }] }));
    try {
      await waitFor('delivered on the third attempt', () => local.requests.some((r) => r.headers['kafka-delivery-attempt'] === '3'), 20_000);
      await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 10_000, 200);
    } finally {
      await bridge.stop();
      await local.stop();
    }
    expect(local.requests.map((r) => r.headers['kafka-delivery-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(local.requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([`${topic}-0-0`]));
    expect(local.requests.filter((r) => r.headers['kafka-delivery-attempt'] === '3')).toHaveLength(1);
  }, 60_000);
});
