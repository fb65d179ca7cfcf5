/**
 * The convict schema of one route: every key of an item of `routes`, with its doc, format,
 * default and bounds (schema.ts has the rest of the file). Values here are what the file
 * holds; load-config.ts turns them into RouteConfig.
 */
import type convict from 'convict';
import { durationMs } from './duration.ts';
import { FORMAT } from './formats.ts';
import { boolean, duration, httpAuth, httpTls, integer, oneOf } from './schema-keys.ts';
import { LIMITS, MiB, KiB, noControlChars, timeout, topicSuffix, type HeaderValueInput } from './schema.ts';
import type { EndpointAuthInput, SigningInput, TlsFilesInput } from './security-shapes.ts';
import { DECODINGS, type BatchFormat, type Decoding, type PayloadFormat, type ConcurrencyMode, type HttpMethod, type NullValuePolicy, type OnFailure, type Ordering } from './types.ts';

export interface RouteInput {
  name: string;
  topics: string[];
  groupId: string | null;
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
  concurrency: { mode: ConcurrencyMode; min: number };
  batch: { maxRecords: number; maxBytes: number; maxWait: string; format: BatchFormat; splitOnFailure: boolean };
  filter: { key: string | null; headers: Record<string, string>; value: Record<string, unknown> };
  payload: PayloadFormat;
  decode: { key: Decoding; value: Decoding };
  cloudEvents: { source: string | null; type: string; typeHeader: string | null; dataContentType: string | null };
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
  maxRecordAge: string | null;
}

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
    doc: 'Source topics. A topic may feed several routes; each then reads it in a consumer group of its own.',
    format: FORMAT.topics,
    default: null, // required
  },
  groupId: {
    doc: 'Consumer group of this route; omitted = kafka.groupId, or <kafka.groupId>-<name> when a topic of the route feeds other routes too.',
    format: FORMAT.string,
    default: null, // chosen, see the README
    nullable: true,
    params: noControlChars,
  },
  endpoint: {
    url: {
      doc: 'Absolute http:// or https:// URL every record is sent to; no user:password@ in it.',
      format: FORMAT.url,
      default: null, // required
    },
    method: oneOf('HTTP method: POST, PUT or PATCH.', 'POST', { values: ['POST', 'PUT', 'PATCH'] }),
    timeout: duration('Duration: the whole request (connect, headers and body) of one attempt.', '5s', timeout), // 5 seconds
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
    maxBodyBytes: integer('Bytes: a record value larger than this is dead-lettered instead of sent.', MiB, { min: 1, max: LIMITS.maxBodyBytes, unit: 'bytes' }), // 1 MiB
    maxResponseBytes: integer('Bytes: at most this much of a response body is read (for logs); 0 = none.', 64 * KiB, { min: 0, max: LIMITS.maxResponseBytes, unit: 'bytes' }), // 64 KiB
    tls: httpTls('endpoint'),
    auth: httpAuth(),
    signing: {
      doc: 'none, or { secretFile: /absolute/path }: sign requests the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature).',
      format: FORMAT.signing,
      default: null, // = none (see kafka.sasl)
      nullable: true,
    },
  },
  attempts: integer('In-process attempts per delivery; 1 = no in-process retry.', 3, { min: 1, max: LIMITS.maxAttempts }), // attempts
  backoff: {
    initial: duration('Duration: backoff before the second attempt; doubles per attempt, with full jitter.', '200ms', { min: 0, max: LIMITS.maxTimeout }), // 200 milliseconds
    max: duration('Duration: the backoff never exceeds this.', '2s', { min: 0, max: LIMITS.maxTimeout }), // 2 seconds
  },
  ordering: oneOf('partition: one record at a time per partition; key: one at a time per key; none: no ordering.', 'key', { values: ['partition', 'key', 'none'] }),
  maxInFlight: integer('Requests to the endpoint at once, and without batching the records held (being delivered, or queued behind their key), split evenly over the partitions the instance owns.', 64, { min: 1, max: LIMITS.maxInFlight }), // requests (= records without batching)
  concurrency: {
    mode: oneOf('fixed: up to maxInFlight requests at once; adaptive: a limit between concurrency.min and maxInFlight that grows while latency stays near its floor and shrinks when latency rises or the endpoint answers 429/503 or times out.', 'adaptive', { values: ['fixed', 'adaptive'] }),
    min: integer('adaptive: the limit never goes below this many requests.', 1, { min: 1, max: LIMITS.maxInFlight }), // requests
  },
  batch: {
    maxRecords: integer('Records per request; 1 = one record per request with the value as the body (no batching).', 1, { min: 1, max: LIMITS.maxBatchRecords }), // records
    maxBytes: integer('Bytes: a batch body is closed before it grows past this (a single larger record still goes, alone).', MiB, { min: 1, max: LIMITS.maxBodyBytes, unit: 'bytes' }), // 1 MiB
    maxWait: duration('Duration: how long a batch that is not full waits for more records before it is sent.', '20ms', { min: 0, max: durationMs('10s') }), // 20 milliseconds
    format: oneOf('json-array: one JSON array of envelopes; ndjson: one envelope per line.', 'json-array', { values: ['json-array', 'ndjson'] }),
    splitOnFailure: boolean('A batch refused as a whole with a permanent answer (400, 413, 422) is split in halves and tried again, down to single records, so that only the culprits are dead-lettered.', false),
  },
  decode: {
    key: oneOf('How the key is read: bytes (as it is), string (UTF-8 text), json (JSON text), schema-registry (Confluent wire format, decoded to JSON).', 'bytes', { values: DECODINGS }),
    value: oneOf('How the value is read: bytes (as it is), string (UTF-8 text), json (JSON text), schema-registry (Confluent wire format, decoded to JSON).', 'bytes', { values: DECODINGS }),
  },
  filter: {
    key: {
      doc: 'Regular expression the UTF-8 key must match for the record to be delivered; omitted = any key.',
      format: FORMAT.regex,
      default: null, // any key
      nullable: true,
    },
    headers: {
      doc: 'Kafka header name -> regular expression: the header must be present and match.',
      format: FORMAT.headerPatterns,
      default: {},
    },
    value: {
      doc: 'JSON Pointer -> value: the record value must be JSON and the pointer must equal it.',
      format: FORMAT.valueMatches,
      default: {},
    },
  },
  payload: oneOf('raw: the record value as the body; envelope: a JSON envelope of the record; cloudevents-binary / cloudevents-structured: a CloudEvent 1.0.', 'raw', {
    values: ['raw', 'envelope', 'cloudevents-binary', 'cloudevents-structured'],
  }),
  cloudEvents: {
    source: {
      doc: 'CloudEvents source of the events the bridge makes; omitted = kafka://<first broker>/<topic>.',
      format: FORMAT.string,
      default: null, // = kafka://<first broker>/<topic>
      nullable: true,
      params: noControlChars,
    },
    type: {
      doc: 'CloudEvents type of the events the bridge makes (unless typeHeader gives one).',
      format: FORMAT.string,
      default: 'kafka.record',
      params: noControlChars,
    },
    typeHeader: {
      doc: 'A Kafka header whose value, when the record has it, is the CloudEvents type.',
      format: FORMAT.string,
      default: null, // none
      nullable: true,
      params: { pattern: /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, patternHint: 'be a header name', maxLength: 255 },
    },
    dataContentType: {
      doc: 'datacontenttype when the record has no content-type header; omitted = none.',
      format: FORMAT.string,
      default: null, // none
      nullable: true,
      params: noControlChars,
    },
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
  nullValue: oneOf('What to do with a record whose value is null (a tombstone): dead-letter, discard or deliver (empty body).', 'dead-letter', { values: ['dead-letter', 'discard', 'deliver'] }),
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
  onFailure: oneOf('escalate: a failed delivery moves on to the retry/dead-letter topics; block: the route retries in process until it succeeds.', 'escalate', { values: ['escalate', 'block'] }),
  headers: {
    strip: {
      doc: 'Kafka header names removed from retry and dead-letter copies (case-insensitive).',
      format: FORMAT.kafkaHeaderNames,
      default: ['kafka_exception-stacktrace', 'kafka_dlt-exception-stacktrace', '__connect.errors.exception.stacktrace'],
    },
    maxValueBytes: integer('Bytes: header values larger than this are dropped from retry and dead-letter copies.', 8192, { min: 1, max: LIMITS.maxHeaderValueBytes, unit: 'bytes' }), // 8 KiB
  },
  healthCheck: {
    url: {
      doc: 'Optional http(s) URL probed with GET; 2xx = healthy. Unhealthy pauses the route (records wait in Kafka).',
      format: FORMAT.url,
      default: null, // no probe
      nullable: true,
    },
    interval: duration('Duration between two probes.', '30s', { min: durationMs('100ms'), max: LIMITS.maxTimeout }), // 30 seconds
    timeout: duration('Duration: a probe that takes longer has failed.', '2s', timeout), // 2 seconds
    unhealthyAfter: integer('Consecutive failed probes before the route pauses.', 2, { min: 1, max: 100 }), // probes
    healthyAfter: integer('Consecutive successful probes before a paused route resumes.', 2, { min: 1, max: 100 }), // probes
  },
  circuitBreaker: {
    enabled: boolean('Watch real deliveries and pause the route while the endpoint keeps failing (opossum).', true),
    errorThresholdPercentage: integer('Percent of counted transient failures (over the last 10 s) above which the breaker opens; only first failures of records that had not failed yet count.', 50, { min: 1, max: 100 }), // percent
    volumeThreshold: integer('Counted attempts (over the last 10 s) needed before the breaker may open; this many fresh records failing in a row open it too.', 20, { min: 1, max: 100_000 }), // attempts
    resetTimeout: duration('Duration the breaker stays open before it turns half-open; also the longest a record waits for evidence of an outage before its own ladder step.', '30s', { min: durationMs('100ms'), max: LIMITS.maxTimeout }), // 30 seconds
  },
  recovery: {
    rampUp: duration('Duration: after a resume, concurrent requests grow from 1 to maxInFlight over this time (0s = at once).', '30s', { min: 0, max: LIMITS.maxTimeout }), // 30 seconds
  },
  maxRecordAge: {
    doc: 'Duration: a record older than this (by its original Kafka timestamp) when its turn comes is dead-lettered with reason expired instead of sent; null = no limit.',
    format: FORMAT.duration,
    default: null, // no limit
    nullable: true,
    params: { min: durationMs('1s'), max: durationMs('365d') },
  },
  rateLimit: integer('Requests per second to this endpoint, shared by the main and retry topics; 0 = unlimited.', 0, { min: 0, max: 1_000_000 }), // requests per second, 0 = unlimited
};
