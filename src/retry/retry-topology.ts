/**
 * Where a route's records can be, computed once per route: each source topic, its retry tiers
 * (topic and delay) and its dead-letter topic. Tiers are numbered as records carry them:
 * 0 is the source topic, 1 the first retry topic, and so on; nothing else translates.
 *
 *   orders ──▶ orders-retry-1 (delays[0]) ──▶ orders-retry-2 (delays[1]) ──▶ orders-dlt
 *   tier 0      tier 1                         tier 2
 *
 * In `onFailure: block` mode a route has no retry tiers: failures are retried in place and only
 * permanent ones reach the dead-letter topic.
 */
import type { RouteConfig } from '../config/types.ts';
import { deadLetterTopicName, retryTopicName } from '../config/topic-names.ts';

export interface RetryTier {
  /** 1 = the first retry topic. */
  readonly tier: number;
  readonly topic: string;
  /** ms a record waits on this tier before it is due. */
  readonly delayMs: number;
}

export interface SourceTopology {
  readonly source: string;
  readonly tiers: readonly RetryTier[];
  readonly deadLetter: string;
}

type TopologyRoute = Pick<RouteConfig, 'topics' | 'retry' | 'deadLetter' | 'onFailure'>;

export class RetryTopology {
  readonly #bySource = new Map<string, SourceTopology>();
  /** Retry topic → its source and tier. */
  readonly #byRetryTopic = new Map<string, { source: string; tier: RetryTier }>();

  constructor(route: TopologyRoute) {
    const tiers = route.onFailure === 'escalate' ? route.retry.delays.length : 0;
    for (const source of route.topics) {
      const list: RetryTier[] = [];
      for (let tier = 1; tier <= tiers; tier++) {
        const entry = { tier, topic: retryTopicName(source, route, tier - 1), delayMs: route.retry.delays[tier - 1]! };
        list.push(entry);
        this.#byRetryTopic.set(entry.topic, { source, tier: entry });
      }
      this.#bySource.set(source, { source, tiers: list, deadLetter: deadLetterTopicName(source, route) });
    }
  }

  get sources(): readonly SourceTopology[] {
    return [...this.#bySource.values()];
  }

  /** Every retry topic of the route, read by the retry consumer. */
  get retryTopics(): string[] {
    return [...this.#byRetryTopic.keys()];
  }

  /** Every topic the route writes copies to (retry and dead-letter), for the preflight check. */
  get copyTopics(): string[] {
    return this.sources.flatMap((s) => [...s.tiers.map((t) => t.topic), s.deadLetter]);
  }

  /** The tier a topic of this route holds: 0 for a source topic, undefined for a stranger. */
  tierOf(topic: string): number | undefined {
    if (this.#bySource.has(topic)) return 0;
    return this.#byRetryTopic.get(topic)?.tier.tier;
  }

  /**
   * The next rung for a record read from `readFrom` (a source or retry topic of this route):
   * the next retry tier when a transient failure has one left, else the dead-letter topic of
   * its source. The topic it was read from decides, not the record's original coordinates: a
   * record replayed onto another topic follows the ladder of the route that reads it.
   */
  next(readFrom: string, transient: boolean): RetryTier | { readonly deadLetter: string } {
    const retry = this.#byRetryTopic.get(readFrom);
    const source = this.#bySource.get(retry?.source ?? readFrom);
    if (source === undefined) throw new RangeError(`${readFrom} is not a topic of this route`);
    const nextTier = transient ? source.tiers[retry?.tier.tier ?? 0] : undefined;
    return nextTier ?? { deadLetter: source.deadLetter };
  }
}
