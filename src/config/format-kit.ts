/**
 * What every configuration format is made of: its name, its parameters (bounds, allowed
 * values, patterns: they live in the schema property as `params`, so one format serves every
 * key of its kind), and the small checks formats share. formats.ts registers them.
 */
import { formatDuration, parseDuration } from './duration.ts';
import { joinIndex, show, type Issue } from './problems.ts';

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
  regex: 'bridge-regex',
  headerPatterns: 'bridge-header-patterns',
  valueMatches: 'bridge-value-matches',
} as const;

export type FormatName = (typeof FORMAT)[keyof typeof FORMAT];

export interface FormatSpec {
  check(value: unknown, params: FormatParams, required: boolean): Issue[];
  /** Turns a string from env (or a quoted YAML value) into the format's type; never throws. */
  coerce?(text: string): unknown;
  /** Whether a YAML mapping is a legal value (only then is it handed to convict). */
  readonly acceptsMapping?: boolean;
}


export const BROKER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

export function problem(reason: string, at = ''): Issue[] {
  return [{ at, reason }];
}

/** A key set to nothing (`key:` or `key: ~`). */
export function missing(required: boolean): Issue[] {
  return problem(required ? 'is required' : 'must not be empty (remove the key to use the default)');
}

export function inRange(value: number, params: FormatParams): boolean {
  return (params.min === undefined || value >= params.min) && (params.max === undefined || value <= params.max);
}

export function humanBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

export function durationIssues(value: unknown, params: FormatParams, at = ''): Issue[] {
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

export interface ListRules {
  /** "a list of Kafka topic names, e.g. [orders]": completes "must be …". */
  readonly what: string;
  /** The reason for an empty list, when an empty list is not allowed. */
  readonly whenEmpty?: string;
  /** Why one item is invalid, or undefined. */
  item(value: unknown, index: number): Issue[];
  /** Items with the same key are duplicates; undefined = duplicates allowed. */
  key?(value: unknown): string | undefined;
}

export function listIssues(value: unknown, params: FormatParams, required: boolean, rules: ListRules): Issue[] {
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
export function structured(check: (value: unknown) => Issue[]): FormatSpec {
  return {
    acceptsMapping: true,
    check: (value, _params, required) => (value === null || value === undefined ? missing(required) : check(value)),
  };
}
