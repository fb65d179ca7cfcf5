/**
 * Formats of lists and mappings: brokers, topics, header maps and names, statuses, host
 * patterns, routes, and the structured security settings (checked in security-shapes.ts).
 */
import { hostPatternProblem } from './allowed-hosts.ts';
import { BROKER, FORMAT, inRange, listIssues, missing, problem, structured, type FormatSpec } from './format-kit.ts';
import { headerNameProblem, headerValueProblem } from './http-headers.ts';
import { isPlainObject, joinIndex, keySuffix, kindOf, show, type Issue } from './problems.ts';
import { SECRET_FORMS, secretReferenceIssues } from './secret-reference.ts';
import { endpointAuthIssues, endpointTlsIssues, kafkaSaslIssues, kafkaTlsIssues, signingIssues } from './security-shapes.ts';
import { topicNameProblem } from './topic-names.ts';
import { urlProblem } from './url-check.ts';

/** A non-empty list of distinct strings, each checked by `itemProblem`. */
function uniqueList(what: string, whenEmpty: string, itemProblem: (item: unknown) => string | undefined): FormatSpec {
  return {
    check: (value, params, required) =>
      listIssues(value, params, required, {
        what,
        whenEmpty,
        item(item, index) {
          const why = itemProblem(item);
          return why === undefined ? [] : problem(why, joinIndex('', index));
        },
        key: (item) => String(item),
      }),
  };
}

export const COLLECTION_FORMATS = {
  [FORMAT.brokers]: {
    ...uniqueList('a list of host:port addresses, e.g. ["broker-1:9092"]', 'must list at least one broker', (item) => {
      const match = typeof item === 'string' ? BROKER.exec(item) : null;
      const port = match === null ? 0 : Number(match[1]);
      return port >= 1 && port <= 65535 ? undefined : `must be host:port, e.g. broker-1:9092 (got ${show(item)})`;
    }),
    // "host1:9092,host2:9092" (env KAFKA_BROKERS, or a string in the file).
    coerce: (text) => text.split(',').map((part) => part.trim()),
  },

  [FORMAT.topics]: uniqueList('a list of Kafka topic names, e.g. ["orders"]', 'must list at least one topic', (item) => {
    if (typeof item !== 'string') return `must be a topic name (got ${show(item)})`;
    const why = topicNameProblem(item);
    return why === undefined ? undefined : `is not a valid Kafka topic name: ${why} (got ${show(item)})`;
  }),

  [FORMAT.url]: {
    check(value, _params, required) {
      if (value === null || value === undefined) return missing(required);
      const why = urlProblem(value);
      return why === undefined ? [] : problem(why);
    },
  },

  [FORMAT.headerMap]: {
    acceptsMapping: true,
    check(value, _params, required) {
      if (value === null || value === undefined) return missing(required);
      if (!isPlainObject(value)) return problem(`must be a mapping of header name to value (got ${kindOf(value)})`);
      const issues: Issue[] = [];
      const seen = new Set<string>();
      for (const [name, headerValue] of Object.entries(value)) {
        const at = keySuffix(name);
        const nameProblem = headerNameProblem(name);
        if (nameProblem !== undefined) issues.push({ at, reason: nameProblem });
        else if (seen.has(name.toLowerCase())) issues.push({ at, reason: 'is set twice (header names are case-insensitive)' });
        seen.add(name.toLowerCase());

        // Header values are never shown: they are often credentials.
        if (typeof headerValue === 'string') {
          const valueProblem = headerValueProblem(headerValue);
          if (valueProblem !== undefined) issues.push({ at, reason: valueProblem });
        } else if (isPlainObject(headerValue)) {
          issues.push(...secretReferenceIssues(headerValue, at));
        } else {
          issues.push({ at, reason: `must be a string, ${SECRET_FORMS} (got ${kindOf(headerValue)})` });
        }
      }
      return issues;
    },
  },

  [FORMAT.httpHeaderNames]: {
    check: (value, params, required) =>
      listIssues(value, params, required, {
        what: 'a list of header names, e.g. ["traceparent"]',
        item(item, index) {
          if (typeof item !== 'string') return problem(`must be a header name (got ${show(item)})`, joinIndex('', index));
          const why = headerNameProblem(item);
          return why === undefined ? [] : problem(`${why} (got ${show(item)})`, joinIndex('', index));
        },
        key: (item) => String(item).toLowerCase(),
      }),
  },

  [FORMAT.kafkaHeaderNames]: {
    check: (value, params, required) =>
      listIssues(value, params, required, {
        what: 'a list of Kafka header names',
        item: (item, index) =>
          typeof item === 'string' && item.length > 0
            ? []
            : problem(`must be a non-empty header name (got ${show(item)})`, joinIndex('', index)),
        key: (item) => String(item),
      }),
  },

  [FORMAT.statuses]: {
    check: (value, params, required) =>
      listIssues(value, params, required, {
        what: 'a list of HTTP status codes, e.g. [409]',
        item(item, index) {
          if (typeof item === 'number' && Number.isInteger(item) && inRange(item, params)) return [];
          const hint = params.rangeHint === undefined ? '' : `; ${params.rangeHint}`;
          return problem(
            `must be an HTTP status from ${params.min ?? 100} to ${params.max ?? 599}${hint} (got ${show(item)})`,
            joinIndex('', index),
          );
        },
        key: (item) => String(item),
      }),
  },

  [FORMAT.kafkaTls]: structured(kafkaTlsIssues),
  [FORMAT.kafkaSasl]: structured(kafkaSaslIssues),
  [FORMAT.endpointTls]: structured(endpointTlsIssues),
  [FORMAT.endpointAuth]: structured(endpointAuthIssues),
  [FORMAT.signing]: structured(signingIssues),

  [FORMAT.hostPatterns]: {
    check: (value, params, required) =>
      listIssues(value, params, required, {
        what: 'a list of host names, e.g. ["orders.internal", "*.svc.cluster.local"]',
        item(item, index) {
          const why = hostPatternProblem(item);
          return why === undefined ? [] : problem(`${why} (got ${show(item)})`, joinIndex('', index));
        },
        key: (item) => String(item).toLowerCase(),
      }),
  },

  [FORMAT.routes]: {
    check(value) {
      if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) {
        return problem('at least one route is required');
      }
      return Array.isArray(value) ? [] : problem(`must be a list of routes (got ${show(value)})`);
    },
  },
} satisfies Partial<Record<string, FormatSpec>>;
