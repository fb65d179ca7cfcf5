import { describe, expect } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { KafkaCluster } from '../../tools/kafka/kafka-cluster.ts';
import type { RecordingSink, SinkRequest } from '../support/recording-sink.ts';
import { fullyCommitted, produce, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test, type Bridges } from '../support/fixtures.ts';

/** Tracks open requests per partition as the sink sees them. */
function concurrencyProbe(delayMs: number) {
  const open = new Map<string, number>();
  const maxOpen = new Map<string, number>();
  let total = 0;
  let maxTotal = 0;
  const responder = async (req: SinkRequest) => {
    const p = String(req.headers['kafka-partition']);
    open.set(p, (open.get(p) ?? 0) + 1);
    total++;
    maxOpen.set(p, Math.max(maxOpen.get(p) ?? 0, open.get(p)!));
    maxTotal = Math.max(maxTotal, total);
    await new Promise((r) => setTimeout(r, delayMs));
    open.set(p, open.get(p)! - 1);
    total--;
    return { status: 200 };
  };
  return { responder, maxOpen, maxTotal: () => maxTotal };
}

interface Run {
  readonly cluster: KafkaCluster;
  readonly kafka: Kafka;
  readonly sink: RecordingSink;
  readonly bridges: Bridges;
}

async function run({ cluster, kafka, sink, bridges }: Run, ordering: string, keys: number, count: number, partitions: number, delayMs: number) {
  const { topic } = await createRouteTopics(cluster, `order-${ordering}`, { partitions });
  await produce(
    kafka,
    topic,
    Array.from({ length: count }, (_, i) => ({ key: `k${i % keys}`, value: JSON.stringify({ key: `k${i % keys}`, seq: Math.floor(i / keys) }) })),
    1000,
  );
  const probe = concurrencyProbe(delayMs);
  sink.responder = probe.responder;
  const groupId = uniqueTopic('group');
  const { bridge } = await bridges.inProcess(
    testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url, ordering, maxInFlight: 64 }] }),
  );
  await waitFor('every record delivered', () => sink.requests.length >= count, 60_000);
  await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 20_000, 250);
  await bridge.stop();
  return probe;
}

describe('ordering modes', () => {
  test('key: per-key order holds with 1,000 keys while many keys are in flight at once', async ({ cluster, kafka, sink, bridges }) => {
    const probe = await run({ cluster, kafka, sink, bridges }, 'key', 1000, 4000, 4, 5);
    const lastSeq = new Map<string, number>();
    for (const r of sink.requests) {
      const { key, seq } = JSON.parse(r.body.toString()) as { key: string; seq: number };
      expect(seq, `key ${key}`).toBe((lastSeq.get(key) ?? -1) + 1);
      lastSeq.set(key, seq);
    }
    expect(lastSeq.size).toBe(1000);
    expect(probe.maxTotal()).toBeGreaterThan(4);
    expect(probe.maxTotal()).toBeLessThanOrEqual(64);
  }, 90_000);

  test('partition: never more than one record in flight per partition', async ({ cluster, kafka, sink, bridges }) => {
    const probe = await run({ cluster, kafka, sink, bridges }, 'partition', 50, 600, 3, 2);
    expect(sink.requests).toHaveLength(600);
    expect([...probe.maxOpen.values()]).toEqual([1, 1, 1]);
    // Order within a partition is offset order.
    const lastOffset = new Map<string, number>();
    for (const r of sink.requests) {
      const p = String(r.headers['kafka-partition']);
      const o = Number(r.headers['kafka-offset']);
      expect(o).toBeGreaterThan(lastOffset.get(p) ?? -1);
      lastOffset.set(p, o);
    }
    expect(probe.maxTotal()).toBeGreaterThan(1);
  }, 90_000);
});
