/**
 * The convict schemas: every key of the configuration file with its doc, format, default and
 * environment variable. Two schemas: the file without the routes, and one route (convict does
 * not look inside arrays, so every item of `routes` is validated against routeSchema on its
 * own). Values here are what the file holds (durations as "5s"); load-config.ts turns them
 * into the BridgeConfig types (milliseconds, bytes, Secret instances).
 *
 * The README and config/bridge.example.yaml describe the same keys; a unit test
 * keeps the three in step.
 */
import type convict from 'convict';
import { durationMs } from './duration.ts';
import { FORMAT } from './formats.ts';
import type { EndpointAuthInput, KafkaSaslInput, KafkaTlsInput, SigningInput, TlsFilesInput } from './security-shapes.ts';
import type { HttpMethod, NullValuePolicy, OnFailure, Ordering } from './types.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A static header value as written in the file. */
export type HeaderValueInput = string | { readonly fromEnv: string } | { readonly fromFile: string };

export interface KafkaInput {
  brokers: string[];
  clientId: string;
  groupId: string;
  sessionTimeout: string;
  heartbeatInterval: string;
  commitInterval: string;
  connectionTimeout: string;
  requestTimeout: string;
  idempotentProducer: boolean;
  maxConsumerRestarts: number;
  tls: KafkaTlsInput;
  sasl: KafkaSaslInput | null;
}

export interface BridgeInput {
  kafka: KafkaInput;
  server: { port: number; host: string };
  log: { level: LogLevel };
  shutdown: { timeout: string };
  security: { allowedHosts: string[] };
  routes: unknown[];
}

export interface RouteInput {
  name: string;
  topics: string[];
  endpoint: {
    url: string;
    method: HttpMethod;
    timeout: string;
    headers: Record<string, HeaderValueInput>;
    connections: number | null;
    maxBodyBytes: number;
    maxResponseBytes: number;
    tls: TlsFilesInput;
    auth: EndpointAuthInput | null;
    signing: SigningInput | null;
  };
  attempts: number;
  backoff: { initial: string; max: string };
  ordering: Ordering;
  maxInFlight: number;
  statuses: { delivered: number[]; retry: number[] };
  forwardHeaders: string[];
  nullValue: NullValuePolicy;
  retry: { delays: string[]; topicSuffix: string };
  deadLetter: { topicSuffix: string };
  onFailure: OnFailure;
  headers: { strip: string[]; maxValueBytes: number };
  healthCheck: { url: string | null; interval: string; timeout: string; unhealthyAfter: number; healthyAfter: number };
  circuitBreaker: { enabled: boolean; errorThresholdPercentage: number; volumeThreshold: number; resetTimeout: string };
  recovery: { rampUp: string };
  rateLimit: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** Bounds shared by several keys. A value outside them is a mistake, not a choice. */
export const LIMITS = {
  maxTimeout: durationMs('1h'),
  maxRetryDelay: durationMs('7d'),
  maxRetryTiers: 20,
  maxInFlight: 10_000,
  maxAttempts: 100,
  maxBodyBytes: 256 * MiB,
  maxResponseBytes: 16 * MiB,
  maxHeaderValueBytes: MiB,
  maxNameLength: 64,
} as const;

const timeout = { min: 1, max: LIMITS.maxTimeout };
const noControlChars = { pattern: /^[^\p{Cc}]+$/u, patternHint: 'not contain control characters', maxLength: 255 };
const topicSuffix = {
  pattern: /^[a-zA-Z0-9._-]+$/,
  patternHint: 'contain only the characters a-z A-Z 0-9 . _ -',
  maxLength: 100,
};

export const bridgeSchema: convict.Schema<BridgeInput> = {
  kafka: {
    brokers: {
      doc: 'Bootstrap brokers as host:port. Env KAFKA_BROKERS (comma-separated) overrides.',
      format: FORMAT.brokers,
      default: ['localhost:9092'],
      env: 'KAFKA_BROKERS',
    },
    clientId: {
      doc: 'Kafka client id, shown in broker logs and quotas.',
      format: FORMAT.string,
      default: 'kafka-http-bridge',
      params: noControlChars,
    },
    groupId: {
      doc: 'Consumer group id. Every bridge instance with the same groupId shares the partitions. Env KAFKA_GROUP_ID overrides.',
      format: FORMAT.string,
      default: 'kafka-http-bridge',
      env: 'KAFKA_GROUP_ID',
      params: noControlChars,
    },
    sessionTimeout: {
      doc: 'Duration: the group evicts a member that sends no heartbeat for this long (brokers accept 6s-30m by default).',
      format: FORMAT.duration,
      default: '45s', // 45 seconds, Kafka's own default since 3.0
      params: { min: durationMs('1s'), max: LIMITS.maxTimeout },
    },
    heartbeatInterval: {
      doc: 'Duration between heartbeats; must be less than a third of sessionTimeout.',
      format: FORMAT.duration,
      default: '3s', // 3 seconds
      params: timeout,
    },
    commitInterval: {
      doc: 'Duration: how often the offsets of finished records are committed.',
      format: FORMAT.duration,
      default: '1s', // 1 second
      params: timeout,
    },
    connectionTimeout: {
      doc: 'Duration: how long to wait for a TCP connection to a broker.',
      format: FORMAT.duration,
      default: '3s', // 3 seconds
      params: timeout,
    },
    requestTimeout: {
      doc: 'Duration: how long to wait for a broker to answer a request.',
      format: FORMAT.duration,
      default: '30s', // 30 seconds
      params: timeout,
    },
    idempotentProducer: {
      doc: 'Produce retry and dead-letter copies with the idempotent producer (experimental in kafkajs).',
      format: FORMAT.boolean,
      default: false,
    },
    maxConsumerRestarts: {
      doc: 'How many times kafkajs may restart a crashed consumer before the bridge exits (0 = never restart).',
      format: FORMAT.integer,
      default: 10, // restarts
      params: { min: 0, max: 1000 },
    },
    tls: {
      doc: 'TLS to the brokers: { enabled: true, ca?, cert?, key?, servername? } (PEM files, absolute paths). Certificates are always verified.',
      format: FORMAT.kafkaTls,
      default: { enabled: false },
    },
    sasl: {
      doc: 'SASL: none, or { mechanism: plain | scram-sha-256 | scram-sha-512, username, password: { fromEnv } | { fromFile } }.',
      format: FORMAT.kafkaSasl,
      // null, not 'none': convict treats a key as one value (a mapping it does not look
      // into) only when its default is an object. Leaving the key out means none.
      default: null,
      nullable: true,
    },
  },
  server: {
    port: {
      doc: 'TCP port of the operations server (/health, /ready, /metrics); 0 picks a free port. Env PORT overrides.',
      format: FORMAT.port,
      default: 8080,
      env: 'PORT',
    },
    host: {
      doc: 'Address the operations server listens on.',
      format: FORMAT.string,
      default: '0.0.0.0',
      params: { pattern: /^\S+$/, patternHint: 'not contain whitespace', maxLength: 255 },
    },
  },
  log: {
    level: {
      doc: 'Log level (pino). Env LOG_LEVEL overrides.',
      format: FORMAT.oneOf,
      default: 'info',
      env: 'LOG_LEVEL',
      params: { values: LOG_LEVELS },
    },
  },
  shutdown: {
    timeout: {
      doc: 'Duration: how long a graceful shutdown waits for in-flight deliveries before giving up (0s = do not wait).',
      format: FORMAT.duration,
      default: '30s', // 30 seconds
      params: { min: 0, max: LIMITS.maxTimeout },
    },
  },
  security: {
    allowedHosts: {
      doc: 'Hosts the bridge may send requests to (endpoint, health check and token URLs): names, *.domain or IPs; [] = any.',
      format: FORMAT.hostPatterns,
      default: [],
    },
  },
  routes: {
    doc: 'The routes: which topics are delivered to which endpoint. At least one. Each item is checked against routeSchema.',
    format: FORMAT.routes,
    default: [],
  },
};

export const routeSchema: convict.Schema<RouteInput> = {
  name: {
    doc: 'Route name: unique, used in logs and metrics. a-z, 0-9, - and _.',
    format: FORMAT.string,
    default: null, // required
    params: {
      pattern: /^[a-z0-9_-]+$/,
      patternHint: 'contain only the characters a-z 0-9 - _',
      maxLength: LIMITS.maxNameLength,
    },
  },
  topics: {
    doc: 'Source topics. A topic belongs to at most one route.',
    format: FORMAT.topics,
    default: null, // required
  },
  endpoint: {
    url: {
      doc: 'Absolute http:// or https:// URL every record is sent to; no user:password@ in it.',
      format: FORMAT.url,
      default: null, // required
    },
    method: {
      doc: 'HTTP method: POST, PUT or PATCH.',
      format: FORMAT.oneOf,
      default: 'POST',
      params: { values: ['POST', 'PUT', 'PATCH'] },
    },
    timeout: {
      doc: 'Duration: the whole request (connect, headers and body) of one attempt.',
      format: FORMAT.duration,
      default: '5s', // 5 seconds
      params: timeout,
    },
    headers: {
      doc: 'Static request headers: name -> string, { fromEnv: NAME } or { fromFile: /absolute/path }.',
      format: FORMAT.headerMap,
      default: {},
    },
    connections: {
      doc: 'Keep-alive connections to the endpoint; omitted = maxInFlight.',
      format: FORMAT.integer,
      default: null, // = maxInFlight
      nullable: true,
      params: { min: 1, max: LIMITS.maxInFlight },
    },
    maxBodyBytes: {
      doc: 'Bytes: a record value larger than this is dead-lettered instead of sent.',
      format: FORMAT.integer,
      default: MiB, // 1 MiB
      params: { min: 1, max: LIMITS.maxBodyBytes, unit: 'bytes' },
    },
    maxResponseBytes: {
      doc: 'Bytes: at most this much of a response body is read (for logs); 0 = none.',
      format: FORMAT.integer,
      default: 64 * KiB, // 64 KiB
      params: { min: 0, max: LIMITS.maxResponseBytes, unit: 'bytes' },
    },
    tls: {
      doc: 'TLS to the endpoint: { ca?, cert?, key?, servername? } (PEM files, absolute paths); {} = system CAs. Always verified.',
      format: FORMAT.endpointTls,
      default: {},
    },
    auth: {
      doc: 'none, or one of { bearer: { tokenFile } }, { basic: { username, password } }, { oauth2: { tokenUrl, clientId, clientSecret, scope?, audience?, authMethod? } }.',
      format: FORMAT.endpointAuth,
      default: null, // = none (see kafka.sasl)
      nullable: true,
    },
    signing: {
      doc: 'none, or { secretFile: /absolute/path }: sign requests the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature).',
      format: FORMAT.signing,
      default: null, // = none (see kafka.sasl)
      nullable: true,
    },
  },
  attempts: {
    doc: 'In-process attempts per delivery; 1 = no in-process retry.',
    format: FORMAT.integer,
    default: 3, // attempts
    params: { min: 1, max: LIMITS.maxAttempts },
  },
  backoff: {
    initial: {
      doc: 'Duration: backoff before the second attempt; doubles per attempt, with full jitter.',
      format: FORMAT.duration,
      default: '200ms', // 200 milliseconds
      params: { min: 0, max: LIMITS.maxTimeout },
    },
    max: {
      doc: 'Duration: the backoff never exceeds this.',
      format: FORMAT.duration,
      default: '2s', // 2 seconds
      params: { min: 0, max: LIMITS.maxTimeout },
    },
  },
  ordering: {
    doc: 'partition: one record at a time per partition; key: one at a time per key; none: no ordering.',
    format: FORMAT.oneOf,
    default: 'key',
    params: { values: ['partition', 'key', 'none'] },
  },
  maxInFlight: {
    doc: 'Records of this route being delivered at the same time (1-10000).',
    format: FORMAT.integer,
    default: 64, // records
    params: { min: 1, max: LIMITS.maxInFlight },
  },
  statuses: {
    delivered: {
      doc: 'Non-2xx statuses that count as delivered (e.g. 409 = already processed).',
      format: FORMAT.statuses,
      default: [],
      params: { min: 300, max: 599, rangeHint: '2xx always count as delivered' },
    },
    retry: {
      doc: 'Statuses that are retried besides 5xx (every 5xx not listed in delivered is retried).',
      format: FORMAT.statuses,
      default: [408, 429, 500, 502, 503, 504],
      params: { min: 400, max: 599 },
    },
  },
  forwardHeaders: {
    doc: 'Kafka record headers copied onto the HTTP request (names, case-insensitive).',
    format: FORMAT.httpHeaderNames,
    default: ['traceparent', 'tracestate'],
  },
  nullValue: {
    doc: 'What to do with a record whose value is null (a tombstone): dead-letter, discard or deliver (empty body).',
    format: FORMAT.oneOf,
    default: 'dead-letter',
    params: { values: ['dead-letter', 'discard', 'deliver'] },
  },
  retry: {
    delays: {
      doc: 'Durations: one retry topic per delay, in order; [] = to the dead-letter topic after the in-process attempts.',
      format: FORMAT.durationList,
      default: ['1h'], // 1 hour
      params: { min: 1, max: LIMITS.maxRetryDelay, maxItems: LIMITS.maxRetryTiers },
    },
    topicSuffix: {
      doc: 'Retry topic = <topic><suffix> with one delay, <topic><suffix>-1, -2, ... with several.',
      format: FORMAT.string,
      default: '-retry',
      params: topicSuffix,
    },
  },
  deadLetter: {
    topicSuffix: {
      doc: 'Dead-letter topic = <topic><suffix>.',
      format: FORMAT.string,
      default: '-dlt',
      params: topicSuffix,
    },
  },
  onFailure: {
    doc: 'escalate: a failed delivery moves on to the retry/dead-letter topics; block: the route retries in process until it succeeds.',
    format: FORMAT.oneOf,
    default: 'escalate',
    params: { values: ['escalate', 'block'] },
  },
  headers: {
    strip: {
      doc: 'Kafka header names removed from retry and dead-letter copies (case-insensitive).',
      format: FORMAT.kafkaHeaderNames,
      default: ['kafka_exception-stacktrace', 'kafka_dlt-exception-stacktrace', '__connect.errors.exception.stacktrace'],
    },
    maxValueBytes: {
      doc: 'Bytes: header values larger than this are dropped from retry and dead-letter copies.',
      format: FORMAT.integer,
      default: 8192, // 8 KiB
      params: { min: 1, max: LIMITS.maxHeaderValueBytes, unit: 'bytes' },
    },
  },
  healthCheck: {
    url: {
      doc: 'Optional http(s) URL probed with GET; 2xx = healthy. Unhealthy pauses the route (records wait in Kafka).',
      format: FORMAT.url,
      default: null, // no probe
      nullable: true,
    },
    interval: {
      doc: 'Duration between two probes.',
      format: FORMAT.duration,
      default: '30s', // 30 seconds
      params: { min: durationMs('100ms'), max: LIMITS.maxTimeout },
    },
    timeout: {
      doc: 'Duration: a probe that takes longer has failed.',
      format: FORMAT.duration,
      default: '2s', // 2 seconds
      params: timeout,
    },
    unhealthyAfter: {
      doc: 'Consecutive failed probes before the route pauses.',
      format: FORMAT.integer,
      default: 2, // probes
      params: { min: 1, max: 100 },
    },
    healthyAfter: {
      doc: 'Consecutive successful probes before a paused route resumes.',
      format: FORMAT.integer,
      default: 2, // probes
      params: { min: 1, max: 100 },
    },
  },
  circuitBreaker: {
    enabled: {
      doc: 'Watch real deliveries and pause the route while the endpoint keeps failing (opossum).',
      format: FORMAT.boolean,
      default: true,
    },
    errorThresholdPercentage: {
      doc: 'Percent of counted transient failures (over the last 10 s) above which the breaker opens; only first failures of records that had not failed yet count.',
      format: FORMAT.integer,
      default: 50, // percent
      params: { min: 1, max: 100 },
    },
    volumeThreshold: {
      doc: 'Counted attempts (over the last 10 s) needed before the breaker may open; this many fresh records failing in a row open it too.',
      format: FORMAT.integer,
      default: 20, // attempts
      params: { min: 1, max: 100_000 },
    },
    resetTimeout: {
      doc: 'Duration the breaker stays open before it turns half-open; also the longest a record waits for evidence of an outage before its own ladder step.',
      format: FORMAT.duration,
      default: '30s', // 30 seconds
      params: { min: durationMs('100ms'), max: LIMITS.maxTimeout },
    },
  },
  recovery: {
    rampUp: {
      doc: 'Duration: after a resume, concurrent requests grow from 1 to maxInFlight over this time (0s = at once).',
      format: FORMAT.duration,
      default: '30s', // 30 seconds
      params: { min: 0, max: LIMITS.maxTimeout },
    },
  },
  rateLimit: {
    doc: 'Requests per second to this endpoint, shared by the main and retry topics; 0 = unlimited.',
    format: FORMAT.integer,
    default: 0, // requests per second, 0 = unlimited
    params: { min: 0, max: 1_000_000 },
  },
};

/** Dotted paths of every leaf of a schema ("kafka.brokers", "endpoint.timeout"), in order. */
export function schemaLeafPaths(schema: object, base = ''): string[] {
  return Object.entries(schema).flatMap(([key, node]: [string, unknown]) => {
    const path = base === '' ? key : `${base}.${key}`;
    return typeof node === 'object' && node !== null && !('default' in node) ? schemaLeafPaths(node, path) : [path];
  });
}
