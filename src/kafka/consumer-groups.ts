/**
 * Which consumer group reads which route's topics. A topic may feed several routes, and each
 * route must keep its own progress, so that one route's outage, pause or backlog never holds
 * up another's delivery of the same records:
 *
 *   routes[].groupId set                          → that group
 *   a topic of the route also feeds another route → <kafka.groupId>-<route name>
 *   otherwise                                     → kafka.groupId, as before fan-out existed
 *
 * The last rule is what makes an upgrade lose and repeat nothing: a configuration in which
 * every topic has one route keeps its group and its committed offsets, and old and new
 * instances can share the group during a rolling restart. Each group reads its retry topics
 * in `<group>-retry`.
 */
import type { BridgeConfig, RouteConfig } from '../config/types.ts';

export interface RouteGroup {
  readonly groupId: string;
  readonly retryGroupId: string;
  /** Whether it is kafka.groupId, the group every route used before fan-out. */
  readonly isDefault: boolean;
  /** `main`/`retry` for the default group, else the group id: names in logs and metrics. */
  readonly name: string;
  readonly retryName: string;
  readonly routes: readonly RouteConfig[];
}

/** How many routes read each topic. */
function topicReaders(routes: readonly RouteConfig[]): Map<string, number> {
  const readers = new Map<string, number>();
  for (const route of routes) for (const topic of new Set(route.topics)) readers.set(topic, (readers.get(topic) ?? 0) + 1);
  return readers;
}

/** The group one route's main topics are read in. */
export function groupOf(route: RouteConfig, config: BridgeConfig, readers = topicReaders(config.routes)): string {
  if (route.groupId !== undefined) return route.groupId;
  return route.topics.some((t) => (readers.get(t) ?? 0) > 1) ? `${config.kafka.groupId}-${route.name}` : config.kafka.groupId;
}

/** The consumer groups of a configuration, in the order their first route appears. */
export function consumerGroups(config: BridgeConfig): RouteGroup[] {
  const readers = topicReaders(config.routes);
  const byGroup = new Map<string, RouteConfig[]>();
  for (const route of config.routes) {
    const group = groupOf(route, config, readers);
    byGroup.set(group, [...(byGroup.get(group) ?? []), route]);
  }
  return [...byGroup].map(([groupId, routes]) => {
    const isDefault = groupId === config.kafka.groupId;
    const name = isDefault ? 'main' : groupId;
    return { groupId, retryGroupId: `${groupId}-retry`, isDefault, name, retryName: isDefault ? 'retry' : `${groupId}-retry`, routes };
  });
}
