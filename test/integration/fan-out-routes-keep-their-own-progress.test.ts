/**
 * Fan-out against real Kafka and real HTTP servers: one topic feeding two routes, each in a
 * consumer group of its own. One endpoint down for 20 s never delays the other; afterwards
 * both have everything and both groups' committed offsets (read through the admin API) reach
 * the end. And an upgrade loses and repeats nothing: a route keeps the offsets committed in
 * kafka.groupId, whether its topic feeds only it or starts to feed a second route.
 */
import { describe, expect } from 'vitest';
import type { Kafka } from 'kafkajs';
import { RecordingSink } from '../support/recording-sink.ts';
import { committedOffsets, fullyCommitted, produce, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { test } from '../support/fixtures.ts';
import type { KafkaCluster } from '../../tools/kafka/kafka-cluster.ts';

async function fannedOutTopic(cluster: KafkaCluster, prefix: string): Promise<string> {
  const topic = uniqueTopic(prefix);
  for (const name of [topic, `${topic}-a-retry`, `${topic}-a-dlt`, `${topic}-b-retry`, `${topic}-b-dlt`, `${topic}-retry`, `${topic}-dlt`]) {
    await cluster.createTopic({ name, partitions: 2 });
  }
  return topic;
}

const own = (name: string) => ({ retry: { delays: ['1h'], topicSuffix: `-${name}-retry` }, deadLetter: { topicSuffix: `-${name}-dlt` } });

/** Produces `count` records, one every `everyMs`, with their production time in the value. */
async function produceOverTime(kafka: Kafka, topic: string, count: number, everyMs: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await produce(kafka, topic, [{ key: `k${i % 10}`, value: JSON.stringify({ i, at: Date.now() }) }]);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const delivered = (sink: RecordingSink) => new Set(sink.requests.map((r) => String(r.headers['idempotency-key'])));

describe('fan-out', () => {
  test("one route's endpoint down for 20 s never delays the other route on the same topic", async ({ cluster, kafka, bridges }) => {
    const topic = await fannedOutTopic(cluster, 'fanout');
    const a = await RecordingSink.start();
    const b = await RecordingSink.start();
    try {
      let bDown = true;
      const bAccepted = new Set<string>();
      b.responder = (req) => {
        if (bDown) return { status: 503 };
        if (req.url !== '/health') bAccepted.add(String(req.headers['idempotency-key']));
        return { status: 200 };
      };
      const groupId = uniqueTopic('group');
      const { bridge } = await bridges.inProcess(
        testConfig({
          bootstrap: cluster.bootstrap,
          groupId,
          routes: [
            { name: 'a', topics: [topic], url: a.url, ...own('a') },
            { name: 'b', topics: [topic], url: b.url, ...own('b'), healthCheck: { url: `${b.url}/health`, interval: '500ms', timeout: '200ms', unhealthyAfter: 1, healthyAfter: 1 } },
          ],
        }),
      );
      const count = 100;
      await produceOverTime(kafka, topic, count, 200); // 20 s of production, b down throughout
      // a kept up: every record arrived within a second of being produced.
      await waitFor('a has everything', () => delivered(a).size >= count, 5_000);
      const lateness = a.requests.map((r) => r.receivedAt - (JSON.parse(r.body.toString()) as { at: number }).at);
      expect(Math.max(...lateness)).toBeLessThan(1_000);
      await waitFor('a committed to the end', () => fullyCommitted(kafka, `${groupId}-a`, topic), 5_000, 100);
      // b waited in Kafka (paused, nothing committed past what it delivered).
      expect([...(await committedOffsets(kafka, `${groupId}-b`, topic)).values()].reduce((n, o) => n + Math.max(0, o), 0)).toBeLessThan(count);
      bDown = false;
      await waitFor('b has everything', () => bAccepted.size >= count, 60_000, 200);
      await waitFor('b committed to the end', () => fullyCommitted(kafka, `${groupId}-b`, topic), 30_000, 250);
      await bridge.stop();
      expect(delivered(a).size).toBe(count);
      expect(bAccepted.size).toBe(count);
      expect(await fullyCommitted(kafka, `${groupId}-a`, topic)).toBe(true);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 120_000);

  test('an upgrade keeps the offsets committed in kafka.groupId, also when the topic starts to feed a second route', async ({ cluster, kafka, sink, bridges }) => {
    const topic = await fannedOutTopic(cluster, 'upgrade');
    const groupId = uniqueTopic('group');
    // The configuration as it was: one route, its topic feeding only it, in kafka.groupId.
    const before = testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [{ name: 'a', topics: [topic], url: sink.url, retry: { delays: [] } }] });
    await produce(kafka, topic, Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `first-${i}` })));
    const first = await bridges.inProcess(before);
    await waitFor('committed in kafka.groupId', () => fullyCommitted(kafka, groupId, topic), 30_000, 250);
    await first.bridge.stop();

    // The same configuration after the upgrade: the same group, nothing repeated.
    await produce(kafka, topic, Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `second-${i}` })));
    const second = await bridges.inProcess(before);
    await waitFor('committed again', () => fullyCommitted(kafka, groupId, topic), 30_000, 250);
    await second.bridge.stop();
    expect(sink.requests.map((r) => r.body.toString()).sort()).toEqual([...Array.from({ length: 50 }, (_, i) => `first-${i}`), ...Array.from({ length: 50 }, (_, i) => `second-${i}`)].sort());

    // A second route on the same topic: route a moves to a group of its own, which starts where kafka.groupId stands.
    await produce(kafka, topic, Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `third-${i}` })));
    const other = await RecordingSink.start();
    try {
      const fanned = testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [
          { name: 'a', topics: [topic], url: sink.url, retry: { delays: [] } },
          { name: 'b', topics: [topic], url: other.url, ...own('b') },
        ],
      });
      const third = await bridges.inProcess(fanned);
      await waitFor('both committed', async () => (await fullyCommitted(kafka, `${groupId}-a`, topic)) && (await fullyCommitted(kafka, `${groupId}-b`, topic)), 30_000, 250);
      await third.bridge.stop();
      const bodies = sink.requests.map((r) => r.body.toString());
      expect(bodies.filter((b) => b.startsWith('third-'))).toHaveLength(20);
      expect(bodies).toHaveLength(120);
      expect(new Set(bodies).size).toBe(120);
      expect(other.requests.map((r) => r.body.toString()).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `third-${i}`).sort());
    } finally {
      await other.stop();
    }
  }, 120_000);
});
