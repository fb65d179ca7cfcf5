/**
 * The convict schemas: every key of the configuration file with its doc, format, default and
 * environment variable. Two schemas: the file without the routes (here), and one route
 * (route-schema.ts; convict does not look inside arrays, so every item of `routes` is
 * validated against routeSchema on its own). Values here are what the file holds (durations as "5s"); load-config.ts turns them
 * into the BridgeConfig types (milliseconds, bytes, Secret instances).
 *
 * The README and config/bridge.example.yaml describe the same keys; a unit test
 * keeps the three in step.
 */
import type convict from 'convict';
import { durationMs } from './duration.ts';
import { FORMAT } from './formats.ts';
import { boolean, duration, httpAuth, httpTls, integer } from './schema-keys.ts';
import type { EndpointAuthInput, KafkaSaslInput, KafkaTlsInput, TlsFilesInput } from './security-shapes.ts';
import { COMPRESSIONS, ISOLATION_LEVELS, type Compression, type IsolationLevel } from './types.ts';

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
  producer: { compression: Compression };
  isolationLevel: IsolationLevel;
  maxConsumerRestarts: number;
  tls: KafkaTlsInput;
  sasl: KafkaSaslInput | null;
}

export interface SchemaRegistryInput {
  url: string | null;
  timeout: string;
  tls: TlsFilesInput;
  auth: EndpointAuthInput | null;
}

export interface BridgeInput {
  kafka: KafkaInput;
  schemaRegistry: SchemaRegistryInput;
  server: { port: number; host: string };
  log: { level: LogLevel };
  shutdown: { timeout: string };
  security: { allowedHosts: string[] };
  routes: unknown[];
}


export const KiB = 1024;
export const MiB = 1024 * KiB;

/** Bounds shared by several keys. A value outside them is a mistake, not a choice. */
export const LIMITS = {
  maxTimeout: durationMs('1h'),
  maxRetryDelay: durationMs('7d'),
  maxRetryTiers: 20,
  maxInFlight: 10_000,
  maxBatchRecords: 10_000,
  maxAttempts: 100,
  maxBodyBytes: 256 * MiB,
  maxResponseBytes: 16 * MiB,
  maxHeaderValueBytes: MiB,
  maxNameLength: 64,
} as const;

export const timeout = { min: 1, max: LIMITS.maxTimeout };
export const noControlChars = { pattern: /^[^\p{Cc}]+$/u, patternHint: 'not contain control characters', maxLength: 255 };
export const topicSuffix = {
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
    sessionTimeout: duration('Duration: the group evicts a member that sends no heartbeat for this long (brokers accept 6s-30m by default).', '45s', { min: durationMs('1s'), max: LIMITS.maxTimeout }), // 45 seconds, Kafka's own default since 3.0
    heartbeatInterval: duration('Duration between heartbeats; must be less than a third of sessionTimeout.', '3s', timeout), // 3 seconds
    commitInterval: duration('Duration: how often the offsets of finished records are committed.', '1s', timeout), // 1 second
    connectionTimeout: duration('Duration: how long to wait for a TCP connection to a broker.', '3s', timeout), // 3 seconds
    requestTimeout: duration('Duration: how long to wait for a broker to answer a request.', '30s', timeout), // 30 seconds
    idempotentProducer: boolean('Produce retry and dead-letter copies with the idempotent producer (experimental in kafkajs).', false),
    producer: {
      compression: {
        doc: 'Compression of retry and dead-letter copies: none, gzip, snappy, lz4 or zstd. The topic\'s own compression.type still applies at rest.',
        format: FORMAT.oneOf,
        default: 'none',
        params: { values: COMPRESSIONS },
      },
    },
    isolationLevel: {
      doc: 'read_committed: records of aborted transactions are never delivered, open transactions are waited for; read_uncommitted: every record, as written.',
      format: FORMAT.oneOf,
      default: 'read_committed',
      params: { values: ISOLATION_LEVELS },
    },
    maxConsumerRestarts: integer('How many times kafkajs may restart a crashed consumer (within ten minutes) before the bridge gives up and exits; 0 = never restart.', 10, { min: 0, max: 1000 }), // restarts
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
  schemaRegistry: {
    url: {
      doc: 'Base URL of a Schema Registry with the Confluent API (Confluent, Apicurio /apis/ccompat/v7, Karapace, Redpanda), for routes that decode with schema-registry.',
      format: FORMAT.url,
      default: null, // none
      nullable: true,
    },
    timeout: duration('Duration: one request to the registry.', '10s', timeout), // 10 seconds
    tls: httpTls('registry'),
    auth: httpAuth(),
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
    timeout: duration('Duration: how long a graceful shutdown waits for in-flight deliveries before giving up (0s = do not wait).', '30s', { min: 0, max: LIMITS.maxTimeout }), // 30 seconds
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


/** Dotted paths of every leaf of a schema ("kafka.brokers", "endpoint.timeout"), in order. */
export function schemaLeafPaths(schema: object, base = ''): string[] {
  return Object.entries(schema).flatMap(([key, node]: [string, unknown]) => {
    const path = base === '' ? key : `${base}.${key}`;
    return typeof node === 'object' && node !== null && !('default' in node) ? schemaLeafPaths(node, path) : [path];
  });
}
