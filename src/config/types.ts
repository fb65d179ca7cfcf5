/**
 * The validated, deep-frozen configuration the rest of the bridge reads. Durations are
 * milliseconds, sizes are bytes. Only src/config/ knows how YAML and env become this.
 */
import type { Secret } from './secret.ts';

export type Ordering = 'partition' | 'key' | 'none';
export type HttpMethod = 'POST' | 'PUT' | 'PATCH';
export type OnFailure = 'escalate' | 'block';
export type NullValuePolicy = 'dead-letter' | 'discard' | 'deliver';

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
  /** How many times kafkajs may restart a crashed consumer before the bridge gives up. */
  readonly maxConsumerRestarts: number;
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
  readonly endpoint: EndpointConfig;
  /** In-process attempts per delivery, 1 = no in-process retry. */
  readonly attempts: number;
  /** ms; exponential backoff with full jitter. */
  readonly backoff: { readonly initial: number; readonly max: number };
  readonly ordering: Ordering;
  readonly maxInFlight: number;
  readonly statuses: StatusPolicy;
  /** Kafka header names (lower case) forwarded to the endpoint. */
  readonly forwardHeaders: readonly string[];
  readonly nullValue: NullValuePolicy;
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
  readonly server: { readonly port: number; readonly host: string };
  readonly log: { readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  /** ms; how long a graceful shutdown waits for in-flight deliveries. */
  readonly shutdown: { readonly timeout: number };
  readonly routes: readonly RouteConfig[];
}
