/**
 * routes[].maxRecordAge: a record older than the limit when its turn comes is dead-lettered
 * with reason `expired`, without a request, on the main topic and in retry tiers alike (by
 * its original timestamp); younger records are delivered as usual.
 */
import { describe, expect } from 'vitest';
import { fullyCommitted, produce, readAll, waitFor } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test, uniqueTopic } from '../support/fixtures.ts';

describe('maxRecordAge', () => {
  test('old records are dead-lettered as expired without a request; fresh ones are delivered', async ({ cluster, kafka, sink, bridges }) => {
    const { topic, dlt } = await createRouteTopics(cluster, 'aged', { partitions: 2 });
    const twoHoursAgo = String(Date.now() - 2 * 3_600_000);
    await produce(kafka, topic, [
      ...Array.from({ length: 5 }, (_, i) => ({ key: `old-${i}`, value: `old-${i}`, timestamp: twoHoursAgo })),
      ...Array.from({ length: 5 }, (_, i) => ({ key: `new-${i}`, value: `new-${i}` })),
    ]);
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url, maxRecordAge: '1h' }] }));
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 30_000, 200);
    await bridge.stop();
    expect(sink.requests.map((r) => r.body.toString()).sort()).toEqual(['new-0', 'new-1', 'new-2', 'new-3', 'new-4']);
    const dead = await readAll(kafka, dlt);
    expect(dead.map((r) => r.value!.toString()).sort()).toEqual(['old-0', 'old-1', 'old-2', 'old-3', 'old-4']);
    expect(new Set(dead.map((r) => r.headers['bridge-reason']))).toEqual(new Set(['expired']));
  }, 60_000);

  test('a record that ages past the limit while it waits in a retry tier expires there', async ({ cluster, kafka, sink, bridges }) => {
    const { topic, retry, dlt } = await createRouteTopics(cluster, 'ageing', { tiers: 1 });
    sink.responder = () => ({ status: 503 });
    await produce(kafka, topic, [{ key: 'k', value: 'soon too old' }]);
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url, maxRecordAge: '3s', attempts: 1, retry: { delays: ['5s'] }, circuitBreaker: { enabled: false } }] }),
    );
    await waitFor('dead-lettered', async () => (await readAll(kafka, dlt).catch(() => [])).length === 1, 30_000, 500);
    await waitFor('both groups committed', async () => (await fullyCommitted(kafka, groupId, topic)) && fullyCommitted(kafka, `${groupId}-retry`, retry[0]!), 20_000, 200);
    await bridge.stop();
    // One request, on the main topic; in the retry tier it was too old to send.
    expect(sink.requests).toHaveLength(1);
    expect(sink.requests[0]!.headers['kafka-delivery-attempt']).toBe('1');
    const [dead] = await readAll(kafka, dlt);
    expect(dead!.headers['bridge-reason']).toBe('expired');
    expect(dead!.value!.toString()).toBe('soon too old');
    expect(dead!.headers['bridge-original-topic']).toBe(topic);
  }, 60_000);
});
