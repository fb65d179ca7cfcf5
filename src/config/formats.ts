/**
 * The convict formats of the bridge's schema. Every format is registered by name (convict
 * coerces string values by format name, and an unnamed format would get convict's loose
 * coercion: parseFloat("80abc") = 80). A format returns a list of issues instead of throwing a
 * single message, so that a problem inside a list or a mapping names its exact path
 * (routes[0].topics[2], routes[0].endpoint.headers.authorization).
 *
 * Parameters (bounds, allowed values, patterns) live in the schema property as `params`;
 * convict hands the property to the format, so one format serves every key of its kind.
 */
import convict from 'convict';
import { hostPatternProblem } from './allowed-hosts.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { headerNameProblem, headerValueProblem } from './http-headers.ts';
import { isPlainObject, joinIndex, keySuffix, kindOf, show, type Issue } from './problems.ts';
import { SECRET_FORMS, secretReferenceIssues } from './secret-reference.ts';
import {
  endpointAuthIssues,
  endpointTlsIssues,
  kafkaSaslIssues,
  kafkaTlsIssues,
  signingIssues,
} from './security-shapes.ts';
import { topicNameProblem } from './topic-names.ts';
import { urlProblem } from './url-check.ts';

export { redactUserinfo } from './url-check.ts';

/** One problem found by a format. `at` is appended to the key path: "", "[2]", ".authorization". */

export interface FormatParams {
  /** Inclusive bounds: numbers for integers, milliseconds for durations. */
  readonly min?: number;
  readonly max?: number;
  /** Shown after the bounds of an integer, e.g. "bytes". */
  readonly unit?: string;
  /** Appended to a range problem, e.g. "2xx always count as delivered". */
  readonly rangeHint?: string;
  readonly values?: readonly string[];
  readonly pattern?: RegExp;
  /** The rule `pattern` enforces, phrased to follow "must": "contain only a-z, 0-9, - and _". */
  readonly patternHint?: string;
  readonly maxLength?: number;
  readonly maxItems?: number;
}

export const FORMAT = {
  duration: 'bridge-duration',
  durationList: 'bridge-duration-list',
  integer: 'bridge-integer',
  port: 'bridge-port',
  string: 'bridge-string',
  oneOf: 'bridge-one-of',
  boolean: 'bridge-boolean',
  brokers: 'bridge-brokers',
  topics: 'bridge-topics',
  url: 'bridge-url',
  headerMap: 'bridge-header-map',
  httpHeaderNames: 'bridge-http-header-names',
  kafkaHeaderNames: 'bridge-kafka-header-names',
  statuses: 'bridge-statuses',
  routes: 'bridge-routes',
  kafkaTls: 'bridge-kafka-tls',
  kafkaSasl: 'bridge-kafka-sasl',
  endpointTls: 'bridge-endpoint-tls',
  endpointAuth: 'bridge-endpoint-auth',
  signing: 'bridge-signing',
  hostPatterns: 'bridge-host-patterns',
} as const;

export type FormatName = (typeof FORMAT)[keyof typeof FORMAT];

interface FormatSpec {
  check(value: unknown, params: FormatParams, required: boolean): Issue[];
  /** Turns a string from env (or a quoted YAML value) into the format's type; never throws. */
  coerce?(text: string): unknown;
  /** Whether a YAML mapping is a legal value (only then is it handed to convict). */
  readonly acceptsMapping?: boolean;
}

const BROKER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

function problem(reason: string, at = ''): Issue[] {
  return [{ at, reason }];
}

/** A key set to nothing (`key:` or `key: ~`). */
function missing(required: boolean): Issue[] {
  return problem(required ? 'is required' : 'must not be empty (remove the key to use the default)');
}

function inRange(value: number, params: FormatParams): boolean {
  return (params.min === undefined || value >= params.min) && (params.max === undefined || value <= params.max);
}

function humanBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

function durationIssues(value: unknown, params: FormatParams, at = ''): Issue[] {
  const parsed = parseDuration(value);
  if (!parsed.ok) return problem(parsed.reason, at);
  if (params.min !== undefined && parsed.ms < params.min) {
    return problem(`must be at least ${formatDuration(params.min)} (got ${show(value)})`, at);
  }
  if (params.max !== undefined && parsed.ms > params.max) {
    return problem(`must be at most ${formatDuration(params.max)} (got ${show(value)})`, at);
  }
  return [];
}

interface ListRules {
  /** "a list of Kafka topic names, e.g. [orders]": completes "must be …". */
  readonly what: string;
  /** The reason for an empty list, when an empty list is not allowed. */
  readonly whenEmpty?: string;
  /** Why one item is invalid, or undefined. */
  item(value: unknown, index: number): Issue[];
  /** Items with the same key are duplicates; undefined = duplicates allowed. */
  key?(value: unknown): string | undefined;
}

function listIssues(value: unknown, params: FormatParams, required: boolean, rules: ListRules): Issue[] {
  if (value === null || value === undefined) return missing(required);
  if (!Array.isArray(value)) return problem(`must be ${rules.what} (got ${show(value)})`);
  if (value.length === 0 && rules.whenEmpty !== undefined) return problem(rules.whenEmpty);
  if (params.maxItems !== undefined && value.length > params.maxItems) {
    return problem(`must have at most ${params.maxItems} items (got ${value.length})`);
  }
  const issues: Issue[] = [];
  const seen = new Set<string>();
  value.forEach((item: unknown, index) => {
    const itemIssues = rules.item(item, index);
    issues.push(...itemIssues);
    const key = itemIssues.length === 0 ? rules.key?.(item) : undefined;
    if (key === undefined) return;
    if (seen.has(key)) issues.push({ at: joinIndex('', index), reason: `${show(item)} is listed more than once` });
    seen.add(key);
  });
  return issues;
}

/** A structured value (a mapping, or `none`) checked by its own function in security-shapes.ts. */
function structured(check: (value: unknown) => Issue[]): FormatSpec {
  return {
    acceptsMapping: true,
    check: (value, _params, required) => (value === null || value === undefined ? missing(required) : check(value)),
  };
}

const SPECS: Record<FormatName, FormatSpec> = {
  [FORMAT.duration]: {
    check: (value, params, required) => (value === null || value === undefined ? missing(required) : durationIssues(value, params)),
  },

  [FORMAT.durationList]: {
    check: (value, params, required) =>
      listIssues(value, params, required, {
        what: 'a list of durations like [1m, 10m, 1h]',
        item: (item, index) => durationIssues(item, params, joinIndex('', index)),
      }),
  },

  [FORMAT.integer]: {
    check(value, params, required) {
      if (value === null || value === undefined) return missing(required);
      if (typeof value === 'number' && Number.isInteger(value) && inRange(value, params)) return [];
      const max = params.max === undefined ? '' : ` to ${params.max}`;
      const unit = params.unit === undefined ? '' : ` ${params.unit}`;
      const human = params.unit === 'bytes' && params.max !== undefined ? ` (${humanBytes(params.max)})` : '';
      return problem(`must be an integer from ${params.min ?? 0}${max}${unit}${human} (got ${show(value)})`);
    },
  },

  [FORMAT.port]: {
    check(value, _params, required) {
      if (value === null || value === undefined) return missing(required);
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535
        ? []
        : problem(`must be a port number from 0 to 65535 (got ${show(value)})`);
    },
    coerce: (text) => (/^\s*\d{1,5}\s*$/.test(text) ? Number(text) : text),
  },

  [FORMAT.string]: {
    check(value, params, required) {
      if (value === null || value === undefined) return missing(required);
      if (typeof value !== 'string') return problem(`must be a string (got ${show(value)})`);
      if (value.length === 0) return problem('must not be empty');
      if (params.maxLength !== undefined && value.length > params.maxLength) {
        return problem(`must be at most ${params.maxLength} characters (got ${show(value)})`);
      }
      if (params.pattern !== undefined && !params.pattern.test(value)) {
        return problem(`must ${params.patternHint ?? `match ${String(params.pattern)}`} (got ${show(value)})`);
      }
      return [];
    },
  },

  [FORMAT.oneOf]: {
    check(value, params, required) {
      if (value === null || value === undefined) return missing(required);
      const values = params.values ?? [];
      return typeof value === 'string' && values.includes(value)
        ? []
        : problem(`must be one of ${values.join(', ')} (got ${show(value)})`);
    },
  },

  [FORMAT.boolean]: {
    check(value, _params, required) {
      if (value === null || value === undefined) return missing(required);
      return typeof value === 'boolean' ? [] : problem(`must be true or false (got ${show(value)})`);
    },
  },

  [FORMAT.brokers]: {
    check: (value, params, required) =>
      listIssues(value, params, required, {
        what: 'a list of host:port addresses, e.g. ["broker-1:9092"]',
        whenEmpty: 'must list at least one broker',
        item(item, index) {
          const match = typeof item === 'string' ? BROKER.exec(item) : null;
          const port = match === null ? 0 : Number(match[1]);
          return port >= 1 && port <= 65535
            ? []
            : problem(`must be host:port, e.g. broker-1:9092 (got ${show(item)})`, joinIndex('', index));
        },
        key: (item) => String(item),
      }),
    // "host1:9092,host2:9092" (env KAFKA_BROKERS, or a string in the file).
    coerce: (text) => text.split(',').map((part) => part.trim()),
  },

  [FORMAT.topics]: {
    check: (value, params, required) =>
      listIssues(value, params, required, {
        what: 'a list of Kafka topic names, e.g. ["orders"]',
        whenEmpty: 'must list at least one topic',
        item(item, index) {
          if (typeof item !== 'string') return problem(`must be a topic name (got ${show(item)})`, joinIndex('', index));
          const why = topicNameProblem(item);
          return why === undefined ? [] : problem(`is not a valid Kafka topic name: ${why} (got ${show(item)})`, joinIndex('', index));
        },
        key: (item) => String(item),
      }),
  },

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
};

function paramsOf(property: convict.SchemaObj): FormatParams {
  return (property as { params?: FormatParams }).params ?? {};
}

function isRequired(property: convict.SchemaObj): boolean {
  return property.default === null && property.nullable !== true;
}

/** Runs a format directly (for a value convict cannot be given, e.g. a mapping for a string). */
export function checkFormat(name: string, value: unknown, property: convict.SchemaObj): Issue[] {
  const spec = SPECS[name as FormatName] as FormatSpec | undefined;
  if (spec === undefined) throw new Error(`unknown configuration format ${name}`);
  return spec.check(value, paramsOf(property), isRequired(property));
}

export function formatAcceptsMapping(name: unknown): boolean {
  return (SPECS[name as FormatName] as FormatSpec | undefined)?.acceptsMapping === true;
}

/**
 * Thrown (through convict) by a failing format. convict adds `fullName`, the dotted path of
 * the property, to this very object before it turns all failures into one string; the sink
 * below keeps the objects so that the path and the issues stay structured.
 */
export class FormatIssues extends Error {
  readonly issues: readonly Issue[];
  declare fullName?: string;

  constructor(issues: readonly Issue[]) {
    super(issues.map((issue) => `${issue.at}: ${issue.reason}`).join('; '));
    this.name = 'FormatIssues';
    this.issues = issues;
  }
}

let sink: FormatIssues[] | undefined;

/** Runs `validate` (synchronously) and returns every FormatIssues thrown by a format during it. */
export function captureFormatIssues(validate: () => void): { issues: FormatIssues[]; error: unknown } {
  const previous = sink;
  const issues: FormatIssues[] = [];
  sink = issues;
  try {
    validate();
    return { issues, error: undefined };
  } catch (error) {
    return { issues, error };
  } finally {
    sink = previous;
  }
}

convict.addFormats(
  Object.fromEntries(
    Object.entries(SPECS).map(([name, spec]) => [
      name,
      {
        validate(value: unknown, property: convict.SchemaObj): void {
          const issues = spec.check(value, paramsOf(property), isRequired(property));
          if (issues.length === 0) return;
          const failure = new FormatIssues(issues);
          sink?.push(failure);
          throw failure;
        },
        ...(spec.coerce === undefined ? {} : { coerce: spec.coerce }),
      },
    ]),
  ),
);
