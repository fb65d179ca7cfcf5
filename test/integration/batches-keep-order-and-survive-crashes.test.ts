/**
 * Batching keeps the ordering modes' promises (no two running batches share a key; one batch
 * at a time per partition) and a kill -9 in the middle of a batch loses nothing. Real Kafka,
 * a real HTTP server, committed offsets through the admin API.
 */
import { describe, expect } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { KafkaCluster } from '../../tools/kafka/kafka-cluster.ts';
import type { RecordingSink, SinkRequest } from '../support/recording-sink.ts';
import { fullyCommitted, produce, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { testConfig, testConfigObject, waitForPort } from '../support/test-bridge.ts';
import { createRouteTopics, test, type Bridges } from '../support/fixtures.ts';

interface Item {
  partition: number;
  offset: string;
  key: string;
  value: { key: string; seq: number };
  idempotencyKey: string;
}

const items = (req: SinkRequest): Item[] => JSON.parse(req.body.toString('utf8')) as Item[];

/** Keys and partitions of the batches open at the endpoint, checked as each one arrives. */
function overlapProbe(delayMs: number) {
  const openKeys = new Map<string, number>();
  const openPartitions = new Map<number, number>();
  const overlaps = { keys: 0, partitions: 0, maxOpen: 0, open: 0 };
  const responder = async (req: SinkRequest) => {
    const batch = items(req);
    const keys = new Set(batch.map((i) => i.key));
    const partition = batch[0]!.partition;
    for (const k of keys) if ((openKeys.get(k) ?? 0) > 0) overlaps.keys++;
    if ((openPartitions.get(partition) ?? 0) > 0) overlaps.partitions++;
    for (const k of keys) openKeys.set(k, (openKeys.get(k) ?? 0) + 1);
    openPartitions.set(partition, (openPartitions.get(partition) ?? 0) + 1);
    overlaps.maxOpen = Math.max(overlaps.maxOpen, ++overlaps.open);
    await new Promise((r) => setTimeout(r, delayMs));
    for (const k of keys) openKeys.set(k, openKeys.get(k)! - 1);
    openPartitions.set(partition, openPartitions.get(partition)! - 1);
    overlaps.open--;
    return { status: 200 };
  };
  return { responder, overlaps };
}

interface Run {
  readonly cluster: KafkaCluster;
  readonly kafka: Kafka;
  readonly sink: RecordingSink;
  readonly bridges: Bridges;
}

async function run({ cluster, kafka, sink, bridges }: Run, ordering: string, keys: number, count: number) {
  const { topic } = await createRouteTopics(cluster, `batch-order-${ordering}`, { partitions: 2 });
  // Keys cluster in runs, so that some batches share keys and others do not.
  const messages = Array.from({ length: count }, (_, i) => {
    const key = `k${Math.floor(i / 3) % keys}`;
    return { key, value: '' };
  });
  const seqs = new Map<string, number>();
  for (const m of messages) {
    const seq = seqs.get(m.key) ?? 0;
    seqs.set(m.key, seq + 1);
    m.value = JSON.stringify({ key: m.key, seq });
  }
  await produce(kafka, topic, messages, 500);
  const probe = overlapProbe(15);
  sink.responder = probe.responder;
  const groupId = uniqueTopic('group');
  const { bridge } = await bridges.inProcess(
    testConfig({
      bootstrap: cluster.bootstrap,
      groupId,
      routes: [{ topics: [topic], url: sink.url, ordering, maxInFlight: 8, batch: { maxRecords: 40, maxWait: '5ms' } }],
    }),
  );
  await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 60_000, 250);
  await bridge.stop();
  return probe.overlaps;
}

function expectPerKeyOrder(sink: RecordingSink, count: number): void {
  const last = new Map<string, number>();
  let n = 0;
  for (const req of sink.requests) {
    for (const item of items(req)) {
      expect(item.value.seq, `key ${item.key}`).toBe((last.get(item.key) ?? -1) + 1);
      last.set(item.key, item.value.seq);
      n++;
    }
  }
  expect(n).toBe(count);
}

describe('batching and ordering', () => {
  test('key: no two running batches share a key, and every key stays in order', async ({ cluster, kafka, sink, bridges }) => {
    const ctx = { cluster, kafka, sink, bridges };
    const overlaps = await run(ctx, 'key', 60, 3000);
    expect(overlaps.keys).toBe(0);
    expectPerKeyOrder(ctx.sink, 3000);
    // Disjoint keys did run side by side.
    expect(overlaps.maxOpen).toBeGreaterThan(2);
  }, 90_000);

  test('partition: one batch at a time per partition, in offset order', async ({ cluster, kafka, sink, bridges }) => {
    const ctx = { cluster, kafka, sink, bridges };
    const overlaps = await run(ctx, 'partition', 60, 2000);
    expect(overlaps.partitions).toBe(0);
    expectPerKeyOrder(ctx.sink, 2000);
    const lastOffset = new Map<number, bigint>();
    for (const req of ctx.sink.requests) {
      for (const item of items(req)) {
        expect(BigInt(item.offset)).toBeGreaterThan(lastOffset.get(item.partition) ?? -1n);
        lastOffset.set(item.partition, BigInt(item.offset));
      }
    }
    expect(overlaps.maxOpen).toBe(2);
  }, 90_000);
});

describe('a crash in the middle of a batch', () => {
  test('kill -9 while batches are at the endpoint loses nothing; the restart delivers the rest', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'batch-crash', { partitions: 2 });
    const count = 3000;
    await produce(kafka, topic, Array.from({ length: count }, (_, i) => ({ key: `k${i % 50}`, value: JSON.stringify({ key: `k${i % 50}`, seq: i }) })));
    // Slow enough that batches are always in flight when the kill comes.
    sink.responder = () => ({ status: 200, delayMs: 150 });
    const groupId = uniqueTopic('group');
    const config = testConfigObject({
      bootstrap: cluster.bootstrap,
      groupId,
      logLevel: 'info',
      routes: [{ topics: [topic], url: sink.url, maxInFlight: 4, batch: { maxRecords: 100, maxWait: '10ms' } }],
    });
    const first = bridges.spawn(config);
    await waitForPort(first);
    await waitFor('some batches delivered', () => sink.requests.length >= 6, 30_000, 20);
    first.child.kill('SIGKILL');
    await first.exited;
    const seenBeforeRestart = sink.requests.length;

    const second = bridges.spawn(config);
    await waitForPort(second);
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 90_000, 250);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const delivered = new Map<string, number>();
    for (const req of sink.requests) for (const item of items(req)) delivered.set(item.idempotencyKey, (delivered.get(item.idempotencyKey) ?? 0) + 1);
    expect(delivered.size).toBe(count);
    const duplicates = [...delivered.values()].reduce((n, times) => n + times - 1, 0);
    // What the crash repeats is bounded by what was in flight: two shares of full batches per partition.
    expect(duplicates).toBeLessThanOrEqual(2 * 2 * 2 * 100);
    expect(sink.requests.length).toBeGreaterThan(seenBeforeRestart);
  }, 120_000);
});
