/**
 * A route that gets a consumer group of its own (a topic of it started to feed a second
 * route, or its groupId was set) starts where the bridge's main group stands on its topics,
 * not at the earliest record: with no committed offset a group would redeliver the whole
 * topic. Only partitions the new group has never committed are seeded; a group that already
 * has offsets keeps them. A group with members cannot be seeded (Kafka refuses): then another
 * instance has started it already, and seeded it.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';

/** A group to seed, from which group, on which topics. */
export interface Seed {
  readonly groupId: string;
  readonly fromGroupId: string;
  readonly topics: readonly string[];
}

/** Seeds each group of `seeds` through one admin connection. */
export async function seedGroups(kafka: Kafka, seeds: readonly Seed[], logger: Logger): Promise<void> {
  if (seeds.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const seed of seeds) await seedOne(admin, seed, logger);
  } finally {
    await admin.disconnect();
  }
}

async function seedOne(admin: Admin, { groupId, fromGroupId, topics }: Seed, logger: Logger): Promise<void> {
  const [own, from] = await Promise.all([admin.fetchOffsets({ groupId, topics: [...topics] }), admin.fetchOffsets({ groupId: fromGroupId, topics: [...topics] })]);
  for (const { topic, partitions } of from) {
    const mine = new Map(own.find((t) => t.topic === topic)?.partitions.map((p) => [p.partition, p.offset]));
    const seed = partitions.filter((p) => Number(p.offset) >= 0 && Number(mine.get(p.partition) ?? -1) < 0).map((p) => ({ partition: p.partition, offset: p.offset }));
    if (seed.length === 0) continue;
    try {
      await admin.setOffsets({ groupId, topic, partitions: seed });
      logger.info({ group: groupId, from: fromGroupId, topic, partitions: seed.length }, 'new consumer group starts where the main group stands');
    } catch (error) {
      logger.info({ group: groupId, topic, err: error }, 'consumer group not seeded: it is active already');
    }
  }
}
