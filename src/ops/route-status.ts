/**
 * What /ready and the route gauges show per route, read from the parts that hold the truth:
 * the pause books of the consumers (every pause, whoever asked for it), the dispatchers'
 * in-flight counts, the flow controller's breaker and health probe.
 */
import type { GroupConsumer } from '../kafka/group-consumer.ts';
import type { RouteStatus } from './ops-server.ts';

export interface RouteView {
  readonly name: string;
  /** Every topic the route reads: source and retry topics. */
  readonly topics: readonly string[];
  readonly inFlight: () => number;
  readonly concurrencyLimit: () => number;
  readonly breaker: () => string;
  readonly healthy: () => boolean | undefined;
  /** The consumers that read its topics (its consumer group's), by name. */
  readonly consumers: readonly { name: string; consumer: GroupConsumer }[];
}

export function routeStatuses(routes: readonly RouteView[]): RouteStatus[] {
  return routes.map((route) => {
    // A fanned-out topic is read by several groups: only the route's own say how it fares.
    const parts = route.consumers.map(({ name, consumer }) => ({ name, consumer, snapshot: consumer.snapshot() }));
    const reasons = new Set(parts.flatMap(({ consumer }) => route.topics.flatMap((t) => consumer.pauses.reasonsFor(t))));
    return {
      name: route.name,
      inFlight: route.inFlight(),
      concurrencyLimit: route.concurrencyLimit(),
      paused: reasons.size > 0,
      pausedReasons: [...reasons],
      breaker: route.breaker(),
      healthy: route.healthy() ?? null,
      partitions: parts.flatMap(({ name, snapshot }) =>
        snapshot
          .filter((s) => s.route === route.name)
          .map((s) => ({
            topic: s.topic,
            partition: s.partition,
            consumer: name,
            paused: s.paused,
            pending: s.pending,
            ...(s.unreadable === undefined ? {} : { unreadable: s.unreadable }),
          })),
      ),
    };
  });
}
