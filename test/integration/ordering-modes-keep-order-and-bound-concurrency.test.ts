import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { DevBroker } from '../support/dev-broker.ts';
import { RecordingSink, type SinkRequest } from '../support/recording-sink.ts';
import { fullyCommitted, kafkaFor, produce, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
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

async function run(ordering: string, keys: number, count: number, partitions: number, delayMs: number) {
  const topic = uniqueTopic(`order-${ordering}`);
  await broker.createTopic(topic, partitions);
  await broker.createTopic(`${topic}-dlt`, partitions);
  await produce(
    kafka,
    topic,
    Array.from({ length: count }, (_, i) => ({ key: `k${i % keys}`, value: JSON.stringify({ key: `k${i % keys}`, seq: Math.floor(i / keys) }) })),
    1000,
  );
  const probe = concurrencyProbe(delayMs);
  const sink = await RecordingSink.start(probe.responder);
  const groupId = uniqueTopic('group');
  const { bridge } = await startInProcess(
    testConfig({ bootstrap: broker.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url, ordering, maxInFlight: 64 }] }),
  );
  try {
    await waitFor('every record delivered', () => sink.requests.length >= count, 60_000);
    await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 20_000, 250);
  } finally {
    await bridge.stop();
    await sink.stop();
  }
  return { sink, probe };
}

describe('ordering modes', () => {
  it('key: per-key order holds with 1,000 keys while many keys are in flight at once', async () => {
    const { sink, probe } = await run('key', 1000, 4000, 4, 5);
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

  it('partition: never more than one record in flight per partition', async () => {
    const { sink, probe } = await run('partition', 50, 600, 3, 2);
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
