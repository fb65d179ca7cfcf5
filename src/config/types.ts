/**
 * The validated, deep-frozen configuration the rest of the bridge reads. Durations are
 * milliseconds, sizes are bytes. Only src/config/ knows how YAML and env become this.
 */
import type { Secret } from './secret.ts';
import type { OAuth2AuthMethod, SaslMechanism } from './security-shapes.ts';

export type { OAuth2AuthMethod, SaslMechanism };

export type Ordering = 'partition' | 'key' | 'none';
export type HttpMethod = 'POST' | 'PUT' | 'PATCH';
export type OnFailure = 'escalate' | 'block';
export type NullValuePolicy = 'dead-letter' | 'discard' | 'deliver';
export type ConcurrencyMode = 'fixed' | 'adaptive';
export type BatchFormat = 'json-array' | 'ndjson';
/** Conditions a record must meet to be delivered; all given ones must hold. */
export interface FilterConfig {
  /** Regular expression on the UTF-8 key; undefined = any key. */
  readonly key: string | undefined;
  /** Lower-case header name → regular expression its value must match (the header must be present). */
  readonly headers: Readonly<Record<string, string>>;
  /** JSON Pointer → the value it must equal in the JSON value. */
  readonly value: Readonly<Record<string, unknown>>;
}

export type PayloadFormat = 'raw' | 'envelope' | 'cloudevents-binary' | 'cloudevents-structured';

/** CloudEvents attributes the bridge sets when a record is not an event already. */
export interface CloudEventsConfig {
  /** undefined = kafka://<first broker>/<topic> */
  readonly source: string | undefined;
  readonly type: string;
  /** A Kafka header whose value, when present, is the type. */
  readonly typeHeader: string | undefined;
  /** When the record has no content-type header; undefined = none. */
  readonly dataContentType: string | undefined;
}

export interface ConcurrencyConfig {
  readonly mode: ConcurrencyMode;
  /** adaptive: the lowest limit, in requests. */
  readonly min: number;
}

export interface BatchConfig {
  /** Records per request; 1 = no batching (the value is the body). */
  readonly maxRecords: number;
  /** bytes; a body is closed before it grows past this. */
  readonly maxBytes: number;
  /** ms; how long a batch that is not full waits for more records. */
  readonly maxWait: number;
  readonly format: BatchFormat;
  /** Split a batch refused for good as a whole, down to single records. */
  readonly splitOnFailure: boolean;
}

/** Kafka's compression codecs, by the names Kafka's own clients use. */
export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];
export const ISOLATION_LEVELS = ['read_committed', 'read_uncommitted'] as const;
export type IsolationLevel = (typeof ISOLATION_LEVELS)[number];

/** How a route reads a record's key or value before it goes out (src/decode). */
export const DECODINGS = ['bytes', 'string', 'json', 'schema-registry'] as const;
export type Decoding = (typeof DECODINGS)[number];

export interface SchemaRegistryConfig {
  readonly url: string;
  /** ms, one request. */
  readonly timeout: number;
  readonly tls: TlsFiles;
  readonly auth: EndpointAuthConfig | undefined;
}

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly groupId: string;
  /** ms; the group evicts a member that sends no heartbeat for this long. */
  readonly sessionTimeout: number;
  /** ms */
  readonly heartbeatInterval: number;
  /** ms; how often finished offsets are committed. */
  readonly commitInterval: number;
  /** ms; kafkajs connection and request timeouts. */
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
  /** Use the (experimental in kafkajs) idempotent producer for retry/DLT copies. */
  readonly idempotentProducer: boolean;
  /** Compression of retry and dead-letter copies. */
  readonly producer: { readonly compression: Compression };
  readonly isolationLevel: IsolationLevel;
  /** How many times kafkajs may restart a crashed consumer before the bridge gives up. */
  readonly maxConsumerRestarts: number;
  /** TLS to the brokers; undefined = plaintext. Certificates are always verified. */
  readonly tls: TlsFiles | undefined;
  /** SASL authentication; undefined = none. */
  readonly sasl: KafkaSaslConfig | undefined;
}

/**
 * TLS material read from files when the configuration is loaded (PEM text). Verification of
 * the peer is always on; there is no setting to turn it off.
 */
export interface TlsFiles {
  /** CA bundle that replaces the system CAs; undefined = the system CAs. */
  readonly ca: string | undefined;
  /** Client certificate (chain) for mutual TLS, with its private key. */
  readonly cert: string | undefined;
  readonly key: Secret | undefined;
  /** Name sent in SNI and checked against the peer certificate, instead of the host. */
  readonly servername: string | undefined;
}

export interface KafkaSaslConfig {
  readonly mechanism: SaslMechanism;
  readonly username: Secret | string;
  readonly password: Secret;
}

/** How the bridge authenticates to an endpoint (the `authorization` header it sends). */
export type EndpointAuthConfig =
  | {
      readonly kind: 'bearer';
      /** Re-read when it changes (a secret manager rotating it). */
      readonly tokenFile: string;
      /** The token as read when the configuration was loaded. */
      readonly token: Secret;
    }
  | { readonly kind: 'basic'; readonly username: Secret | string; readonly password: Secret }
  | {
      readonly kind: 'oauth2';
      readonly tokenUrl: string;
      readonly clientId: Secret | string;
      readonly clientSecret: Secret;
      readonly scope: string | undefined;
      readonly audience: string | undefined;
      readonly authMethod: OAuth2AuthMethod;
    };

/** Standard Webhooks request signing. */
export interface SigningConfig {
  readonly secretFile: string;
  /** The secret's base64 text, `whsec_` prefix removed; its decoded bytes are the HMAC key. */
  readonly key: Secret;
}

export interface EndpointConfig {
  readonly url: string;
  readonly method: HttpMethod;
  /** ms; the whole request, headers and body. */
  readonly timeout: number;
  /** Static request headers. Values may be secrets read from env or a file. */
  readonly headers: Readonly<Record<string, Secret | string>>;
  /** Keep-alive connections in the pool for this endpoint. */
  readonly connections: number;
  /** bytes; a record value larger than this is dead-lettered instead of sent. */
  readonly maxBodyBytes: number;
  /** bytes; at most this much of a response body is read. */
  readonly maxResponseBytes: number;
  /** Custom CA and client certificate; empty = system CAs, no client certificate. */
  readonly tls: TlsFiles;
  /** undefined = no authentication by the bridge (headers may still carry a credential). */
  readonly auth: EndpointAuthConfig | undefined;
  /** undefined = requests are not signed. */
  readonly signing: SigningConfig | undefined;
}

export interface StatusPolicy {
  /** Non-2xx statuses treated as delivered (e.g. 409 = already processed). */
  readonly delivered: readonly number[];
  /** Statuses retried (in process, then through the ladder). */
  readonly retry: readonly number[];
}

export interface RouteConfig {
  readonly name: string;
  readonly topics: readonly string[];
  /** The consumer group of its main topics; undefined = chosen by consumer-groups.ts. */
  readonly groupId: string | undefined;
  readonly endpoint: EndpointConfig;
  /** In-process attempts per delivery, 1 = no in-process retry. */
  readonly attempts: number;
  /** ms; exponential backoff with full jitter. */
  readonly backoff: { readonly initial: number; readonly max: number };
  readonly ordering: Ordering;
  /** Requests at once; without batching also the records held. */
  readonly maxInFlight: number;
  readonly concurrency: ConcurrencyConfig;
  readonly batch: BatchConfig;
  readonly filter: FilterConfig;
  readonly payload: PayloadFormat;
  readonly cloudEvents: CloudEventsConfig;
  readonly statuses: StatusPolicy;
  /** Kafka header names (lower case) forwarded to the endpoint. */
  readonly forwardHeaders: readonly string[];
  readonly nullValue: NullValuePolicy;
  readonly decode: { readonly key: Decoding; readonly value: Decoding };
  readonly retry: { readonly delays: readonly number[]; readonly topicSuffix: string };
  readonly deadLetter: { readonly topicSuffix: string };
  readonly onFailure: OnFailure;
  readonly headers: { readonly strip: readonly string[]; readonly maxValueBytes: number };
  readonly healthCheck: HealthCheckConfig;
  readonly circuitBreaker: CircuitBreakerConfig;
  /** ms; after a resume, concurrency grows from 1 to maxInFlight over this time. */
  readonly recovery: { readonly rampUp: number };
  /** Requests per second to the endpoint, 0 = unlimited. */
  readonly rateLimit: number;
  /** ms; a record older than this (original timestamp) is dead-lettered as expired. undefined = no limit. */
  readonly maxRecordAge: number | undefined;
}

export interface HealthCheckConfig {
  /** GET this URL; 2xx = healthy. Undefined = no probe. */
  readonly url: string | undefined;
  /** ms */
  readonly interval: number;
  /** ms */
  readonly timeout: number;
  readonly unhealthyAfter: number;
  readonly healthyAfter: number;
}

export interface CircuitBreakerConfig {
  readonly enabled: boolean;
  readonly errorThresholdPercentage: number;
  readonly volumeThreshold: number;
  /** ms */
  readonly resetTimeout: number;
}

export interface BridgeConfig {
  readonly kafka: KafkaConfig;
  /** undefined: no schemaRegistry.url configured. */
  readonly schemaRegistry: SchemaRegistryConfig | undefined;
  readonly server: { readonly port: number; readonly host: string };
  readonly log: { readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  /** ms; how long a graceful shutdown waits for in-flight deliveries. */
  readonly shutdown: { readonly timeout: number };
  /** Normalised host patterns every URL must match; empty = any host. */
  readonly security: { readonly allowedHosts: readonly string[] };
  readonly routes: readonly RouteConfig[];
}
