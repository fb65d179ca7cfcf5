/**
 * The bridge never creates topics: a typo in a topic name must not silently create an empty
 * topic that swallows records. At start it lists the topics that exist (metadata for ALL
 * topics, which never auto-creates, unlike a metadata request naming a topic) and refuses to
 * run when one it needs is missing.
 */
import type { Kafka } from 'kafkajs';
import type { BridgeConfig } from '../config/types.ts';
import { BridgeError, ErrorCodes } from '../errors.ts';
import { RetryTopology } from '../retry/retry-topology.ts';
import { consumerGroups } from './consumer-groups.ts';
import { kafkaStartError } from './kafka-errors.ts';

export interface TopicNeeds {
  readonly source: readonly string[];
  readonly copies: readonly string[];
}

export function neededTopics(config: BridgeConfig): TopicNeeds {
  return {
    source: config.routes.flatMap((r) => r.topics),
    copies: config.routes.flatMap((r) => new RetryTopology(r).copyTopics),
  };
}

/**
 * Topics the configuration needs that do not exist. This is the first request to Kafka, so an
 * unreachable cluster or refused credentials surface here, as KAFKA_UNREACHABLE or
 * KAFKA_AUTH_FAILED.
 */
export async function findMissingTopics(kafka: Kafka, config: BridgeConfig): Promise<string[]> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const needs = neededTopics(config);
    return [...needs.source, ...needs.copies].filter((t) => !existing.has(t));
  } catch (error) {
    throw kafkaStartError(error, config.kafka) ?? error;
  } finally {
    await admin.disconnect();
  }
}

export function missingTopicsError(missing: readonly string[], config: BridgeConfig): BridgeError {
  const groups = consumerGroups(config).flatMap((g) => [g.groupId, g.retryGroupId]);
  return new BridgeError(
    ErrorCodes.TOPICS_MISSING,
    `missing topics: ${missing.join(', ')}. The bridge never creates topics: create them ` +
      `(retry and dead-letter topics with as many partitions as their source topic), and make ` +
      `sure consumer groups ${groups.map((g) => `"${g}"`).join(', ')} may read and commit, and that the ` +
      `bridge may write to the retry and dead-letter topics (ACLs).`,
  );
}

/** What one route needs from Kafka, for `check` and the ACLs an operator grants. */
export function routeNeeds(config: BridgeConfig): string[] {
  return consumerGroups(config).flatMap((g) =>
    g.routes.map((route) => {
      const topology = new RetryTopology(route);
      const retry = topology.retryTopics.length === 0 ? '' : `; group "${g.retryGroupId}" reads ${topology.retryTopics.join(', ')}`;
      return (
        `route ${route.name}: group "${g.groupId}" reads ${route.topics.join(', ')}${retry}; writes ${topology.copyTopics.join(', ')} ` +
        `(ACLs: READ on those groups and the topics read, WRITE and DESCRIBE on the topics written)`
      );
    }),
  );
}
