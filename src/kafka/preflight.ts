/**
 * The bridge never creates topics: a typo in a topic name must not silently create an empty
 * topic that swallows records. At start it lists the topics that exist (metadata for ALL
 * topics, which never auto-creates, unlike a metadata request naming a topic) and refuses to
 * run when one it needs is missing.
 */
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
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

export interface Preflight {
  /** Topics the configuration needs that do not exist. */
  readonly missing: readonly string[];
  /** Copy topics that accept smaller records than a topic they copy from, one sentence each. */
  readonly warnings: readonly string[];
}

/**
 * What the configuration needs of Kafka and does not find. This is the first request to
 * Kafka, so an unreachable cluster or refused credentials surface here, as KAFKA_UNREACHABLE
 * or KAFKA_AUTH_FAILED.
 */
export async function preflight(kafka: Kafka, config: BridgeConfig): Promise<Preflight> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const needs = neededTopics(config);
    const missing = [...needs.source, ...needs.copies].filter((t) => !existing.has(t));
    return { missing, warnings: missing.length > 0 ? [] : await copySizeWarnings(admin, config, needs) };
  } catch (error) {
    throw kafkaStartError(error, config.kafka) ?? error;
  } finally {
    await admin.disconnect();
  }
}

/**
 * A record as large as its source topic allows may not fit a retry or dead-letter topic that
 * allows less: its copy is refused, written again and again, and its offset is never
 * committed past. Said at start so that the operator raises the limit before it happens.
 * Best effort: a cluster that will not describe topic configs (no DESCRIBE_CONFIGS ACL) gets
 * no warning rather than a failed start.
 */
async function copySizeWarnings(admin: Admin, config: BridgeConfig, needs: TopicNeeds): Promise<string[]> {
  const names = [...new Set([...needs.source, ...needs.copies])];
  let limits: Map<string, number>;
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: names.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
    });
    limits = new Map(
      described.resources.flatMap((r) => {
        const value = r.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue;
        return value === undefined || !/^\d+$/.test(value) ? [] : [[r.resourceName, Number(value)] as const];
      }),
    );
  } catch {
    return [];
  }
  const warnings: string[] = [];
  for (const route of config.routes) {
    for (const copy of new RetryTopology(route).copyTopics) {
      const room = limits.get(copy);
      for (const source of route.topics) {
        const need = limits.get(source);
        if (room === undefined || need === undefined || room >= need) continue;
        warnings.push(
          `route ${route.name}: topic ${copy} accepts records up to ${room} bytes (max.message.bytes), less than ${need} on ${source}: ` +
            `a larger record's copy would be refused and written again until it fits, and its offset is never committed past; raise max.message.bytes on ${copy}`,
        );
      }
    }
  }
  return warnings;
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
