/**
 * Every error the bridge raises on purpose carries a stable `code`. Callers, tests and
 * operators match on the code, never on message text, and `retriable` says whether trying
 * the same thing again can succeed. README.md lists every code (a test keeps them in step).
 */
export const ErrorCodes = {
  /** The configuration file or environment is invalid. Exit status 78 (EX_CONFIG). */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** Topics the bridge needs do not exist; the bridge never creates topics. */
  TOPICS_MISSING: 'TOPICS_MISSING',
  /** Kafka could not be reached at start (network, TLS): nothing was consumed. */
  KAFKA_UNREACHABLE: 'KAFKA_UNREACHABLE',
  /** Kafka refused the configured SASL credentials at start. */
  KAFKA_AUTH_FAILED: 'KAFKA_AUTH_FAILED',
  /** The Kafka consumer stopped and kafkajs will not restart it. */
  CONSUMER_CRASHED: 'CONSUMER_CRASHED',
  /** `check`: the configured schema registry does not answer (`run` starts anyway and pauses the routes that decode with it). */
  SCHEMA_REGISTRY_UNREACHABLE: 'SCHEMA_REGISTRY_UNREACHABLE',
  /** `inspect`/`replay`: a record batch of the topic cannot be read (codec, corrupt bytes); nothing past it was read. */
  RECORDS_UNREADABLE: 'RECORDS_UNREADABLE',
  /** The dev broker could not be built or started. */
  DEV_BROKER_UNAVAILABLE: 'DEV_BROKER_UNAVAILABLE',
  /** The local Apache Kafka (`npm run kafka`) could not be resolved or started. */
  KAFKA_BROKER_UNAVAILABLE: 'KAFKA_BROKER_UNAVAILABLE',
  /** `replay`: another member reads with the same replay consumer group. */
  REPLAY_GROUP_BUSY: 'REPLAY_GROUP_BUSY',
  /** `replay`: a record has no `bridge-original-topic` header and no `--to` was given. */
  REPLAY_TARGET_UNKNOWN: 'REPLAY_TARGET_UNKNOWN',
  /** `replay`: a record would be copied onto the very topic it is read from. */
  REPLAY_TARGET_IS_SOURCE: 'REPLAY_TARGET_IS_SOURCE',
  /** `replay`: Kafka did not acknowledge a replayed record or the progress commit. */
  REPLAY_FAILED: 'REPLAY_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class BridgeError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BridgeError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** Configuration problems: each one names the key path and the reason. */
export class ConfigError extends BridgeError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(ErrorCodes.CONFIG_INVALID, `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Exit statuses of every command (README "Exit status"). */
export const ExitStatus = {
  ok: 0,
  /** The command could not do its work (missing topics, Kafka unreachable, a crash for good). */
  failed: 1,
  /** EX_USAGE: a bad command line. */
  usage: 64,
  /** EX_CONFIG: an invalid configuration; the message names every key. */
  config: 78,
} as const;
