/**
 * The Kafka side of the benchmark, done by the orchestrator: the preloaded backlog every
 * throughput phase drains, the paced records of the latency phases, and the check that a
 * bridge committed everything it drained.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { KafkaCluster } from '../../tools/kafka/kafka-cluster.ts';
import { sleep } from './clock.ts';
import { PACE_TICK_MS, RecordFactory } from './workload.ts';

export const PARTITIONS = 8;
/** The bridge's fetch wait (src/kafka/group-consumer.ts); the kafkajs baselines use the same. */
export const BASELINE_MAX_WAIT_MS = 100;
/** Records per partition in one produce request while preloading (throughput of the preload only). */
export const BATCH_PER_PARTITION = 2_000;
export const BACKLOG_TOPIC = 'bench-backlog';

export interface KafkaSide {
  broker: KafkaCluster;
  kafka: Kafka;
  producer: Producer;
}

/**
 * Produces `count` records to `topic` spread evenly over `durationMs`, each stamped when sent,
 * one produce request per PACE_TICK_MS, as an application producing with linger would.
 */
export async function producePaced(k: KafkaSide, topic: string, factory: RecordFactory, count: number, durationMs: number): Promise<void> {
  const started = performance.now();
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor((count * (performance.now() - started)) / durationMs) + 1);
    if (due > sent) {
      const batch = factory.batch(due - sent, Date.now());
      sent = due;
      await k.producer.send({ topic, acks: -1, messages: batch });
    }
    await sleep(PACE_TICK_MS);
  }
}

export async function preload(k: KafkaSide, records: number): Promise<void> {
  await k.broker.createTopic({ name: BACKLOG_TOPIC, partitions: PARTITIONS });
  await k.broker.createTopic({ name: `${BACKLOG_TOPIC}-dlt`, partitions: PARTITIONS });
  const factory = new RecordFactory(PARTITIONS, 42);
  const per = BATCH_PER_PARTITION * PARTITIONS;
  for (let i = 0; i < records; i += per) {
    await k.producer.send({ topic: BACKLOG_TOPIC, acks: -1, messages: factory.batch(Math.min(per, records - i)) });
  }
  // Prove the broker holds everything the cases will read (no retention or segment deletion).
  const admin = k.kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(BACKLOG_TOPIC);
    const kept = offsets.reduce((a, p) => a + Number(p.high) - Number(p.low), 0);
    const dropped = offsets.filter((p) => Number(p.low) > 0);
    if (kept !== records || dropped.length > 0) {
      throw new Error(
        `the broker kept ${kept} of ${records} records (partitions with dropped data: ${dropped.map((p) => p.partition).join(', ') || 'none'})`,
      );
    }
  } finally {
    await admin.disconnect();
  }
}

export async function committedAll(k: KafkaSide, groupId: string, topic: string): Promise<boolean> {
  const admin = k.kafka.admin();
  await admin.connect();
  try {
    const [committed, ends] = await Promise.all([admin.fetchOffsets({ groupId, topics: [topic] }), admin.fetchTopicOffsets(topic)]);
    const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return ends.every((e) => byPartition.get(e.partition) === Number(e.high));
  } finally {
    await admin.disconnect();
  }
}
