/**
 * The first contact with Kafka (the topic listing at start and in `check`) fails for two
 * reasons an operator must tell apart at once: the brokers cannot be reached (network, TLS),
 * or they refused the credentials. kafkajs wraps both in retry errors with stack traces and
 * hints meant for other setups; this turns them into a coded error with one line that names
 * the keys to look at. Pure, so it is tested without a broker.
 */
import type { KafkaConfig } from '../config/types.ts';
import { BridgeError, ErrorCodes } from '../errors.ts';

interface KafkaJsError {
  readonly name?: string;
  readonly message?: string;
  readonly cause?: unknown;
  readonly originalError?: unknown;
}

/** The chain of errors kafkajs nests (`originalError` in retries, `cause` elsewhere). */
function* chain(error: unknown): Generator<KafkaJsError> {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 8; depth++) {
    const k = e as KafkaJsError;
    yield k;
    e = k.originalError ?? k.cause;
  }
}

/** Node's TLS messages end with a hint about --use-system-ca that points the wrong way here. */
function firstLine(message: string | undefined): string {
  return (message ?? '').split('\n')[0]!.replace(/; if the root CA is installed locally.*$/, '');
}

export function kafkaStartError(error: unknown, config: Pick<KafkaConfig, 'brokers' | 'tls' | 'sasl'>): BridgeError | undefined {
  const errors = [...chain(error)];
  const brokers = config.brokers.join(',');
  const sasl = errors.find((e) => e.name === 'KafkaJSSASLAuthenticationError');
  if (sasl !== undefined && config.sasl !== undefined) {
    return new BridgeError(
      ErrorCodes.KAFKA_AUTH_FAILED,
      `Kafka (${brokers}) refused the credentials of kafka.sasl (${config.sasl.mechanism}): ${firstLine(sasl.message)}`,
      { cause: error },
    );
  }
  const connection = errors.find((e) => e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSConnectionClosedError');
  if (connection !== undefined) {
    const hint = config.tls === undefined ? 'check kafka.brokers and the network' : 'check kafka.brokers, kafka.tls.ca and kafka.tls.servername';
    return new BridgeError(ErrorCodes.KAFKA_UNREACHABLE, `could not connect to Kafka (${brokers}): ${firstLine(connection.message)}; ${hint}`, {
      cause: error,
      retriable: true,
    });
  }
  return undefined;
}
