import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { DevBroker } from '../support/dev-broker.ts';
import { RecordingSink } from '../support/recording-sink.ts';
import { committedOffsets, fullyCommitted, kafkaFor, produce, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { startInProcess, testConfig } from '../support/test-bridge.ts';

let broker: DevBroker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await DevBroker.start();
  kafka = kafkaFor(broker.bootstrap);
});

afterAll(async () => {
  await broker?.stop();
});

describe('pause state', () => {
  it('stays applied across a rebalance, including on partitions that never had a committed offset', async () => {
    const topic = uniqueTopic('rebal');
    await broker.createTopic(topic, 4);
    await broker.createTopic(`${topic}-dlt`, 4);
    let down = true;
    const sink = await RecordingSink.start((req) => {
      if (req.url === '/health') return { status: down ? 503 : 200 };
      return { status: 200 };
    });
    const groupId = uniqueTopic('group');
    const config = testConfig({
      bootstrap: broker.bootstrap,
      groupId,
      kafka: { sessionTimeout: '7s', heartbeatInterval: '500ms' },
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
    const a = await startInProcess(config);
    const b = { current: undefined as Awaited<ReturnType<typeof startInProcess>> | undefined };
    try {
      await waitFor('first instance paused', () => a.bridge.routeStatus()[0]!.paused, 5_000, 10);
      // Nothing was ever committed on any partition of this group.
      expect([...(await committedOffsets(kafka, groupId, topic)).values()].every((o) => o === -1)).toBe(true);
      await produce(kafka, topic, Array.from({ length: 400 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
      b.current = await startInProcess(config);
      const owned = (x: typeof a) => x.bridge.routeStatus()[0]!.partitions.length;
      await waitFor('both instances own partitions after the rebalance', () => owned(a) > 0 && owned(b.current!) > 0 && owned(a) + owned(b.current!) === 4, 30_000, 100);
      await new Promise((r) => setTimeout(r, 1500));
      expect(sink.requests.filter((r) => r.url === '/orders')).toEqual([]);
      for (const x of [a, b.current]) {
        const status = x.bridge.routeStatus()[0]!;
        expect(status.pausedReasons).toContain('health-check');
        expect(status.partitions.every((p) => p.paused)).toBe(true);
      }
      down = false;
      await waitFor('every record delivered once healthy', () => new Set(sink.requests.filter((r) => r.url === '/orders').map((r) => r.body.toString())).size === 400, 20_000, 50);
      await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 10_000, 200);
    } finally {
      await b.current?.bridge.stop();
      await a.bridge.stop();
      await sink.stop();
    }
  }, 90_000);
});
