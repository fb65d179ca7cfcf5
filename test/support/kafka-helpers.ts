/**
 * Kafka-side helpers for tests. Committed offsets are always read through the admin API:
 * the bridge's own bookkeeping is what is under test.
 */
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { randomUUID } from 'node:crypto';

export function kafkaFor(bootstrap: string): Kafka {
  return new Kafka({ clientId: 'test', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
}

export function uniqueTopic(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface TestMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: IHeaders;
  partition?: number;
  /** ms since the epoch, as a string; default: now. */
  timestamp?: string;
}

/** Produces in batches with acks=-1. */
export async function produce(kafka: Kafka, topic: string, messages: TestMessage[], batchSize = 500): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += batchSize) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + batchSize) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Committed offset per partition for `groupId` (-1 when none). */
export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

export async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((p) => [p.partition, Number(p.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Records in `topic` (sum of the end offsets: topics in tests are never compacted or trimmed). */
export async function recordCount(kafka: Kafka, topic: string): Promise<number> {
  return [...(await endOffsets(kafka, topic)).values()].reduce((a, b) => a + b, 0);
}

export interface ReadRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** The Kafka timestamp, ms since the epoch (for copies: when the bridge wrote them). */
  timestamp: number;
}

/** Reads every record currently in `topic` (by offsets, without a consumer group). */
export async function readAll(kafka: Kafka, topic: string, timeoutMs = 15_000): Promise<ReadRecord[]> {
  const total = await recordCount(kafka, topic);
  const out: ReadRecord[] = [];
  if (total === 0) return out;
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${out.length}/${total} records of ${topic}`)), timeoutMs);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = Array.isArray(v) ? String(v[0]) : String(v);
        out.push({ partition, offset: message.offset, key: message.key, value: message.value, headers, timestamp: Number(message.timestamp) });
        if (out.length >= total) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

/** Polls `check` until it returns true or the time runs out (then throws with `what`). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** True when the group's committed offsets equal the end offsets on every partition. */
export async function fullyCommitted(kafka: Kafka, groupId: string, topic: string): Promise<boolean> {
  const [committed, ends] = await Promise.all([committedOffsets(kafka, groupId, topic), endOffsets(kafka, topic)]);
  for (const [p, end] of ends) if ((committed.get(p) ?? -1) !== end && end > 0) return false;
  return true;
}
