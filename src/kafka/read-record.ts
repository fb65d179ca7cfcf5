/**
 * A fetched Kafka message as the bridge carries it (record.ts). A message that carries copy
 * metadata (a retry copy, or a dead-lettered record replayed onto its main topic) keeps its
 * original identity: the endpoint sees the same idempotency key on every hop, and the attempt
 * count goes on. A main-topic record is due at once, whatever its copy said.
 */
import type { KafkaMessage } from 'kafkajs';
import { readCopyMetadata } from '../retry/copy-headers.ts';
import type { BridgeRecord } from './record.ts';

/** `tier`: 0 for a source topic, n for the n-th retry topic of its route. */
export function readRecord(tier: number, topic: string, partition: number, m: KafkaMessage): BridgeRecord {
  const own = { topic, partition, offset: m.offset, timestamp: m.timestamp };
  const headers = m.headers ?? {};
  const meta = readCopyMetadata(headers);
  const base = { ...own, key: m.key ?? null, value: m.value, headers, tier };
  if (meta === undefined) return { ...base, origin: own, priorAttempts: 0, firstFailureAt: undefined, dueAt: 0 };
  return {
    ...base,
    origin: { topic: meta.originalTopic, partition: meta.originalPartition, offset: meta.originalOffset, timestamp: meta.originalTimestamp },
    priorAttempts: meta.attempts,
    firstFailureAt: meta.firstFailureAt,
    dueAt: tier === 0 ? 0 : (meta.dueAt ?? 0),
  };
}
