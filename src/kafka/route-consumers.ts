/**
 * The kafkajs consumers of one consumer group (consumer-groups.ts): one for the routes' main
 * topics and, when they have retry topics, one for those in `<group>-retry`.
 */
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig, RouteConfig } from '../config/types.ts';
import type { RouteDispatcher } from '../dispatch/route-dispatcher.ts';
import type { RecordEvents } from '../record-events.ts';
import type { RetryTopology } from '../retry/retry-topology.ts';
import type { RouteGroup } from './consumer-groups.ts';
import { GroupConsumer } from './group-consumer.ts';
import { readRecord } from './read-record.ts';

export interface GroupConsumers {
  readonly group: RouteGroup;
  readonly main: GroupConsumer;
  readonly retry: GroupConsumer | undefined;
}

/** What the consumers of every group share. */
export interface ConsumerWiring {
  readonly kafka: Kafka;
  readonly config: KafkaConfig;
  readonly events: RecordEvents;
  readonly logger: Logger;
  readonly onFatal: (error: Error) => void;
  /** Metrics hooks, by consumer name. */
  readonly observe: (name: string) => Pick<ConstructorParameters<typeof GroupConsumer>[0], 'onCommitted' | 'onCommitFailed' | 'onRestart'>;
}

export interface RouteDispatchers {
  readonly route: RouteConfig;
  readonly topology: RetryTopology;
  readonly main: RouteDispatcher;
  readonly retry: RouteDispatcher;
}

export function consumersFor(group: RouteGroup, routes: readonly RouteDispatchers[], wiring: ConsumerWiring): GroupConsumers {
  const { observe, ...common } = wiring;
  const mainTopics = new Map<string, RouteDispatcher>();
  const retryTopics = new Map<string, { dispatcher: RouteDispatcher; topology: RetryTopology }>();
  for (const r of routes) {
    for (const topic of r.route.topics) mainTopics.set(topic, r.main);
    for (const topic of r.topology.retryTopics) retryTopics.set(topic, { dispatcher: r.retry, topology: r.topology });
  }
  const main = new GroupConsumer({
    ...common,
    ...observe(group.name),
    name: group.name,
    groupId: group.groupId,
    routes: mainTopics,
    toRecord: (topic, partition, m) => readRecord(0, topic, partition, m),
  });
  const retry =
    retryTopics.size === 0
      ? undefined
      : new GroupConsumer({
          ...common,
          ...observe(group.retryName),
          name: group.retryName,
          groupId: group.retryGroupId,
          routes: new Map([...retryTopics].map(([topic, { dispatcher }]) => [topic, dispatcher])),
          toRecord: (topic, partition, m) => readRecord(retryTopics.get(topic)?.topology.tierOf(topic) ?? 1, topic, partition, m),
        });
  return { group, main, retry };
}
