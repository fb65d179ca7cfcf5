import { describe, expect } from 'vitest';
import { committedOffsets, fullyCommitted, produce, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';

describe('pause state', () => {
  test('stays applied across a rebalance, including on partitions that never had a committed offset', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'rebal', { partitions: 4 });
    let down = true;
    sink.responder = (req) => {
      if (req.url === '/health') return { status: down ? 503 : 200 };
      return { status: 200 };
    };
    const groupId = uniqueTopic('group');
    const config = testConfig({
      bootstrap: cluster.bootstrap,
      groupId,
      routes: [
        {
          name: 'orders',
          topics: [topic],
          url: `${sink.url}/orders`,
          healthCheck: { url: `${sink.url}/health`, interval: '200ms', timeout: '100ms', unhealthyAfter: 1, healthyAfter: 1 },
          recovery: { rampUp: '0s' },
        },
      ],
    });
    const a = await bridges.inProcess(config);
    await waitFor('first instance paused', () => a.bridge.routeStatus()[0]!.paused, 5_000, 10);
    // Nothing was ever committed on any partition of this group.
    expect([...(await committedOffsets(kafka, groupId, topic)).values()].every((o) => o === -1)).toBe(true);
    await produce(kafka, topic, Array.from({ length: 400 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    const b = await bridges.inProcess(config);
    const owned = (x: typeof a) => x.bridge.routeStatus()[0]!.partitions.length;
    await waitFor('both instances own partitions after the rebalance', () => owned(a) > 0 && owned(b) > 0 && owned(a) + owned(b) === 4, 30_000, 100);
    await new Promise((r) => setTimeout(r, 1500));
    expect(sink.requests.filter((r) => r.url === '/orders')).toEqual([]);
    for (const x of [a, b]) {
      const status = x.bridge.routeStatus()[0]!;
      expect(status.pausedReasons).toContain('health-check');
      expect(status.partitions.every((p) => p.paused)).toBe(true);
    }
    down = false;
    await waitFor('every record delivered once healthy', () => new Set(sink.requests.filter((r) => r.url === '/orders').map((r) => r.body.toString())).size === 400, 20_000, 50);
    await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 10_000, 200);
  }, 90_000);
});
