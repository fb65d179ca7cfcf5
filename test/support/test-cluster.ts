/**
 * Apache Kafka for tests and the chaos run: a cluster of the version under test, and a route's
 * topics. No vitest here, so that scripts outside vitest (the chaos run) can use it too;
 * fixtures.ts builds the per-file fixture on it.
 */
import { KafkaCluster, type KafkaClusterOptions } from '../../tools/kafka/kafka-cluster.ts';
import { uniqueTopic } from './kafka-helpers.ts';

/** The Kafka version under test: $KAFKA_VERSION, or the default of tools/kafka. */
export function kafkaVersion(): string | undefined {
  return process.env['KAFKA_VERSION'] || undefined;
}

export function startCluster(options: KafkaClusterOptions = {}): Promise<KafkaCluster> {
  const version = kafkaVersion();
  return KafkaCluster.start({ ...(version === undefined ? {} : { version }), ...options });
}

export interface RouteTopics {
  readonly topic: string;
  readonly retry: readonly string[];
  readonly dlt: string;
}

/**
 * A fresh source topic with its retry topics (`-retry` for one tier, `-retry-N` for more)
 * and its dead-letter topic, named as the bridge derives them by default.
 */
export async function createRouteTopics(
  cluster: KafkaCluster,
  prefix: string,
  options: { partitions?: number; tiers?: number; replication?: number } = {},
): Promise<RouteTopics> {
  const topic = uniqueTopic(prefix);
  const partitions = options.partitions ?? 1;
  const tiers = options.tiers ?? 0;
  const retry = tiers === 1 ? [`${topic}-retry`] : Array.from({ length: tiers }, (_, i) => `${topic}-retry-${i + 1}`);
  const dlt = `${topic}-dlt`;
  const replication = options.replication === undefined ? {} : { replication: options.replication };
  for (const name of [topic, ...retry, dlt]) await cluster.createTopic({ name, partitions, ...replication });
  return { topic, retry, dlt };
}
