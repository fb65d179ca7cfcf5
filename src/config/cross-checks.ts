/**
 * Stage 2: rules between keys and between routes, run on a configuration whose every value
 * is already valid on its own. Each problem names all the keys involved.
 */
import { hasPlaceholders, urlTemplateProblem } from '../delivery/url-template.ts';
import { groupOf } from '../kafka/consumer-groups.ts';
import { connectionsProblem, heldRecords, MAX_HELD_RECORDS } from '../dispatch/inflight-budget.ts';
import { hostAllowed, hostOf } from './allowed-hosts.ts';
import { formatDuration } from './duration.ts';
import { joinIndex, show, type Problems } from './problems.ts';
import { deadLetterTopicName, retryTopicNames, topicNameProblem } from './topic-names.ts';
import type { BridgeConfig, RouteConfig } from './types.ts';

/** Headers the endpoint's auth and signing settings write; a static header may not set them too. */
const AUTH_HEADERS = ['authorization'] as const;
const SIGNING_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

export function checkRelations(config: BridgeConfig, problems: Problems): void {
  checkHeartbeat(config, problems);
  checkSaslTransport(config, problems);
  config.routes.forEach((route, index) => {
    const path = joinIndex('routes', index);
    checkRoute(route, path, config, problems);
    checkEndpointHeaders(route, path, problems);
    checkAllowedHosts(route, path, config.security.allowedHosts, problems);
    checkDecodeRegistry(route, path, config, problems);
  });
  checkUniqueNames(config.routes, problems);
  checkTopicRoles(config.routes, problems);
  checkGroups(config, problems);
}

function checkHeartbeat({ kafka }: BridgeConfig, problems: Problems): void {
  if (kafka.heartbeatInterval * 3 < kafka.sessionTimeout) return;
  problems.add(
    'kafka.heartbeatInterval',
    `must be less than a third of kafka.sessionTimeout (${formatDuration(kafka.sessionTimeout)}), so that a ` +
      `member sends at least three heartbeats per session (got ${formatDuration(kafka.heartbeatInterval)})`,
  );
}

/** SASL/PLAIN sends the password itself to the broker: only inside TLS. */
function checkSaslTransport({ kafka }: BridgeConfig, problems: Problems): void {
  if (kafka.sasl?.mechanism !== 'plain' || kafka.tls !== undefined) return;
  problems.add(
    'kafka.sasl',
    'mechanism plain sends the password in clear text: set kafka.tls.enabled: true, or use scram-sha-256 or scram-sha-512',
  );
}

/** Decoding with the Schema Registry needs one to ask. */
function checkDecodeRegistry(route: RouteConfig, path: string, config: BridgeConfig, problems: Problems): void {
  if (config.schemaRegistry !== undefined) return;
  for (const part of ['key', 'value'] as const) {
    if (route.decode[part] === 'schema-registry') problems.add(`${path}.decode.${part}`, 'schema-registry needs schemaRegistry.url: set the registry the records were written with');
  }
}

/** Two sources for one header would leave it to chance which one the endpoint sees. */
function checkEndpointHeaders(route: RouteConfig, path: string, problems: Problems): void {
  const { endpoint } = route;
  const owned: Array<[readonly string[], string]> = [];
  if (endpoint.auth !== undefined) owned.push([AUTH_HEADERS, `${path}.endpoint.auth`]);
  if (endpoint.signing !== undefined) owned.push([SIGNING_HEADERS, `${path}.endpoint.signing`]);
  for (const [names, owner] of owned) {
    for (const name of names) {
      if (!Object.hasOwn(endpoint.headers, name)) continue;
      problems.add(`${path}.endpoint.headers.${name}`, `is set by ${owner}; remove it from the static headers`);
    }
  }
}

/** Every URL a route calls must point at an allowed host (when there is a list). */
function checkAllowedHosts(route: RouteConfig, path: string, allowed: readonly string[], problems: Problems): void {
  if (allowed.length === 0) return;
  const urls: Array<[string, string | undefined]> = [
    [`${path}.endpoint.url`, route.endpoint.url],
    [`${path}.healthCheck.url`, route.healthCheck.url],
    [`${path}.endpoint.auth.oauth2.tokenUrl`, route.endpoint.auth?.kind === 'oauth2' ? route.endpoint.auth.tokenUrl : undefined],
  ];
  for (const [key, url] of urls) {
    if (url === undefined || hostAllowed(url, allowed)) continue;
    // Only the host is shown: paths and query strings sometimes carry tokens.
    problems.add(key, `host ${show(hostOf(url))} is not in security.allowedHosts (${allowed.join(', ')})`);
  }
}

function checkRoute(route: RouteConfig, path: string, config: BridgeConfig, problems: Problems): void {
  const { backoff, endpoint } = route;
  if (backoff.initial > backoff.max) {
    problems.add(
      `${path}.backoff.initial`,
      `must not exceed ${path}.backoff.max (${formatDuration(backoff.max)}) (got ${formatDuration(backoff.initial)})`,
    );
  }
  const tooMany = connectionsProblem(endpoint.connections, route.maxInFlight);
  if (tooMany !== undefined) {
    problems.add(`${path}.endpoint.connections`, `must not exceed ${path}.maxInFlight (${route.maxInFlight}): ${tooMany} (got ${endpoint.connections})`);
  }
  if (route.concurrency.min > route.maxInFlight) {
    problems.add(`${path}.concurrency.min`, `must not exceed ${path}.maxInFlight (${route.maxInFlight}), the ceiling of the limit (got ${route.concurrency.min})`);
  }
  const template = urlTemplateProblem(endpoint.url);
  if (template !== undefined) problems.add(`${path}.endpoint.url`, template);
  else if (route.batch.maxRecords > 1 && hasPlaceholders(endpoint.url)) {
    problems.add(`${path}.endpoint.url`, `a batch goes to one URL: placeholders cannot be used with ${path}.batch.maxRecords above 1`);
  }
  if (route.batch.maxRecords > 1 && route.payload !== 'raw' && route.payload !== 'envelope') {
    problems.add(`${path}.payload`, `batches always carry JSON envelopes: with ${path}.batch.maxRecords above 1 use payload raw or envelope (got ${route.payload})`);
  }
  if ((route.payload !== 'raw' || route.batch.maxRecords > 1) && Object.hasOwn(route.endpoint.headers, 'content-type')) {
    const owner = route.payload !== 'raw' ? `${path}.payload (${route.payload})` : `${path}.batch.format`;
    problems.add(`${path}.endpoint.headers.content-type`, `is set by ${owner}; remove it from the static headers`);
  }
  const held = heldRecords(route.maxInFlight, route.batch.maxRecords);
  if (held > MAX_HELD_RECORDS) {
    problems.add(
      `${path}.batch.maxRecords`,
      `maxInFlight × batch.maxRecords = ${route.maxInFlight} × ${route.batch.maxRecords} = ${held} records held at once; ` +
        `at most ${MAX_HELD_RECORDS} are allowed: lower ${path}.maxInFlight (with batching a few requests in flight are enough) or ${path}.batch.maxRecords`,
    );
  }
  checkRetryBudget(route, path, config, problems);
  if (route.healthCheck.url !== undefined && route.healthCheck.timeout >= route.healthCheck.interval) {
    problems.add(
      `${path}.healthCheck.timeout`,
      `must be shorter than ${path}.healthCheck.interval (${formatDuration(route.healthCheck.interval)}), so probes never overlap (got ${formatDuration(route.healthCheck.timeout)})`,
    );
  }

  for (const status of route.statuses.delivered) {
    if (route.statuses.retry.includes(status)) {
      problems.add(`${path}.statuses`, `${status} is listed in both statuses.delivered and statuses.retry`);
    }
  }

  route.topics.forEach((topic, index) => {
    const derived = [...retryTopicNames(topic, route), deadLetterTopicName(topic, route)];
    for (const name of derived) {
      const why = topicNameProblem(name);
      if (why === undefined) continue;
      problems.add(
        joinIndex(`${path}.topics`, index),
        `the derived topic ${show(name)} is not a valid topic name: ${why}; shorten the topic, ` +
          `${path}.retry.topicSuffix or ${path}.deadLetter.topicSuffix`,
      );
    }
  });
}

/**
 * A delivery still running when the consumer's session expires is not lost, but it is not
 * ours any more: after the rebalance another member (or this one) receives the record again
 * and delivers it a second time. The worst case of the in-process attempts must therefore
 * fit well inside the session, with half of it left as margin. With onFailure: block the
 * attempts are unbounded, so the rule applies to one attempt.
 */
function checkRetryBudget(route: RouteConfig, path: string, { kafka }: BridgeConfig, problems: Problems): void {
  const attempts = route.onFailure === 'block' ? 1 : route.attempts;
  const timeout = route.endpoint.timeout;
  const budget = attempts * timeout + (attempts - 1) * route.backoff.max;
  if (budget * 2 <= kafka.sessionTimeout) return;

  const limit = `kafka.sessionTimeout / 2 = ${formatDuration(kafka.sessionTimeout / 2)}`;
  const why =
    'a delivery that outlives the consumer session is delivered again after the rebalance, so the endpoint would receive it twice';
  if (route.onFailure === 'block') {
    problems.add(
      path,
      `with onFailure: block one attempt must fit in half the session: endpoint.timeout (${formatDuration(timeout)}) ` +
        `must be at most ${limit}; ${why}. Lower endpoint.timeout or raise kafka.sessionTimeout`,
    );
    return;
  }
  problems.add(
    path,
    `the in-process retry budget attempts × endpoint.timeout + (attempts − 1) × backoff.max = ` +
      `${attempts} × ${formatDuration(timeout)} + ${attempts - 1} × ${formatDuration(route.backoff.max)} = ${formatDuration(budget)} ` +
      `must be at most ${limit}; ${why}. Lower attempts, endpoint.timeout or backoff.max, or raise kafka.sessionTimeout`,
  );
}

function checkUniqueNames(routes: readonly RouteConfig[], problems: Problems): void {
  const firstIndex = new Map<string, number>();
  routes.forEach((route, index) => {
    const first = firstIndex.get(route.name);
    if (first === undefined) firstIndex.set(route.name, index);
    else problems.add(`${joinIndex('routes', index)}.name`, `${show(route.name)} is already the name of routes[${first}]`);
  });
}

/**
 * Every topic the bridge reads or writes has one role: a source topic (of one route or,
 * fanned out, of several), or a retry or dead-letter topic of one route's source topic. Two
 * roles on one topic means records delivered twice or copies consumed as if they were new;
 * two routes sharing a retry topic would read each other's copies.
 */
function checkTopicRoles(routes: readonly RouteConfig[], problems: Problems): void {
  const owner = new Map<string, string>();
  routes.forEach((route, routeIndex) => {
    for (const topic of route.topics) if (!owner.has(topic)) owner.set(topic, `a source topic of routes[${routeIndex}]`);
  });
  routes.forEach((route, routeIndex) => {
    const base = joinIndex('routes', routeIndex);
    route.topics.forEach((topic, index) => {
      const path = joinIndex(`${base}.topics`, index);
      const derived: Array<[string, string]> = [
        ...retryTopicNames(topic, route).map((name): [string, string] => [name, `the retry topic of ${show(topic)}`]),
        [deadLetterTopicName(topic, route), `the dead-letter topic of ${show(topic)}`],
      ];
      const fannedOut = routes.findIndex((other, i) => i < routeIndex && other.topics.includes(topic));
      const clashes: string[] = [];
      for (const [name, role] of derived) {
        const existing = owner.get(name);
        if (existing === undefined) owner.set(name, `${role} in ${base}`);
        else if (fannedOut >= 0) clashes.push(show(name));
        else problems.add(path, `${role} would be ${show(name)}, which is already ${existing}; change ${base}.retry.topicSuffix or ${base}.deadLetter.topicSuffix`);
      }
      if (clashes.length > 0) {
        problems.add(
          path,
          `${show(topic)} also feeds routes[${fannedOut}], and each route needs retry and dead-letter topics of its own, but ${clashes.join(', ')} ` +
            `would be shared: give ${base} its own retry.topicSuffix and deadLetter.topicSuffix (e.g. "-${route.name}-retry", "-${route.name}-dlt")`,
        );
      }
    });
  });
}

/** A consumer group reads a topic once: two routes of one group cannot share a topic. */
function checkGroups(config: BridgeConfig, problems: Problems): void {
  const readers = new Map<string, number>();
  config.routes.forEach((route, index) => {
    const group = groupOf(route, config);
    for (const topic of route.topics) {
      const key = `${group}\u0000${topic}`;
      const first = readers.get(key);
      if (first === undefined) readers.set(key, index);
      // Two routes of one name share their derived group: the name is reported already.
      else if (config.routes[first]!.name !== route.name) problems.add(`${joinIndex('routes', index)}.groupId`, `routes[${first}] reads ${show(topic)} in the same consumer group ${show(group)}: a group reads a topic once, so give each route its own groupId`);
    }
  });
}
