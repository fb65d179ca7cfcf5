/**
 * Kafka topic names: validity, and the names of the retry and dead-letter topics derived from
 * a source topic. The rule:
 *   one retry delay     -> <topic><retry.topicSuffix>              e.g. orders-retry
 *   several delays      -> <topic><retry.topicSuffix>-<n>, n = 1.. e.g. orders-retry-1, orders-retry-2
 *   dead-letter topic   -> <topic><deadLetter.topicSuffix>         e.g. orders-dlt
 */
/** The part of a route that names its retry and dead-letter topics. */
interface TopicSuffixes {
  readonly retry: { readonly delays: readonly number[]; readonly topicSuffix: string };
  readonly deadLetter: { readonly topicSuffix: string };
}

/** Kafka refuses longer names. */
export const MAX_TOPIC_NAME_LENGTH = 249;

const TOPIC_CHARS = /^[a-zA-Z0-9._-]+$/;

/** Why `name` is not a valid Kafka topic name, or undefined when it is valid. */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `must be at most ${MAX_TOPIC_NAME_LENGTH} characters (got ${name.length})`;
  }
  if (name === '.' || name === '..') return 'must not be "." or ".."';
  if (!TOPIC_CHARS.test(name)) return 'may contain only the characters a-z A-Z 0-9 . _ -';
  return undefined;
}

export function isValidTopicName(name: string): boolean {
  return topicNameProblem(name) === undefined;
}

/**
 * The retry topic of tier `tierIndex` (0 = the first entry of retry.delays) for records of
 * `sourceTopic`. Throws a RangeError for a tier the route does not have.
 */
export function retryTopicName(sourceTopic: string, route: Pick<TopicSuffixes, 'retry'>, tierIndex: number): string {
  const tiers = route.retry.delays.length;
  if (!Number.isInteger(tierIndex) || tierIndex < 0 || tierIndex >= tiers) {
    throw new RangeError(`retry tier ${tierIndex} does not exist: the route has ${tiers} retry tier(s)`);
  }
  const base = `${sourceTopic}${route.retry.topicSuffix}`;
  return tiers === 1 ? base : `${base}-${tierIndex + 1}`;
}

/** All retry topics of `sourceTopic`, in tier order ([] when retry.delays is empty). */
export function retryTopicNames(sourceTopic: string, route: Pick<TopicSuffixes, 'retry'>): string[] {
  return route.retry.delays.map((_delay, tier) => retryTopicName(sourceTopic, route, tier));
}

export function deadLetterTopicName(sourceTopic: string, route: Pick<TopicSuffixes, 'deadLetter'>): string {
  return `${sourceTopic}${route.deadLetter.topicSuffix}`;
}
