/**
 * The one place that builds kafkajs clients. kafkajs logs through pino here, no producer or
 * consumer it makes may create a topic (a typo must never create an empty topic that swallows
 * records), and two of its quirks are handled once for everybody:
 * - an out-of-range offset is reset silently by kafkajs; its log line is the only trace, so
 *   it is turned into a counted, loud event;
 * - Node 24 warns about a negative timeout kafkajs sets (TimeoutNegativeWarning); it is
 *   harmless, so it is not printed as a process warning.
 * Every codec Kafka has is registered (codecs.ts), and one partition's unreadable batch stays
 * that partition's problem (record-set-reader.ts).
 * TLS and SASL come from kafka-security.ts, so every client (the bridge, `check`, the DLT
 * commands) connects the same way.
 */
import { Kafka, logLevel, type Consumer, type ConsumerConfig, type LogEntry, type Producer, type ProducerConfig } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../config/types.ts';
import { registerCodecs } from './codecs.ts';
import { kafkaSecurityOptions } from './kafka-security.ts';
import { installRecordSetReader } from './record-set-reader.ts';

// At import, not in createKafka: kafkajs loads its fetch decoders on the first fetch of any
// client in the process (a test's reader too), and keeps what it loaded.
registerCodecs();
installRecordSetReader();

export interface KafkaHooks {
  onOffsetReset?: (topic: string, partition: number) => void;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

let warningFilterInstalled = false;

export function quietKnownWarnings(): void {
  if (warningFilterInstalled) return;
  warningFilterInstalled = true;
  const listeners = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    for (const l of listeners) l(warning);
  });
}

/** kafkajs lets producers and consumers auto-create topics unless told otherwise, every time. */
class NoAutoCreateKafka extends Kafka {
  override producer(config: ProducerConfig = {}): Producer {
    return super.producer({ ...config, allowAutoTopicCreation: false });
  }

  override consumer(config: ConsumerConfig): Consumer {
    return super.consumer({ ...config, allowAutoTopicCreation: false });
  }
}

export function createKafka(config: KafkaConfig, logger: Logger, hooks: KafkaHooks = {}): Kafka {
  quietKnownWarnings();
  const log = logger.child({ component: 'kafkajs' });
  return new NoAutoCreateKafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    connectionTimeout: config.connectionTimeout,
    requestTimeout: config.requestTimeout,
    ...kafkaSecurityOptions(config),
    logLevel: logLevel.INFO,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, timestamp: _t, logger: _l, ...extra } = entry;
        if (message.startsWith('Offset out of range')) {
          const topic = typeof extra['topic'] === 'string' ? extra['topic'] : '';
          const partition = typeof extra['partition'] === 'number' ? extra['partition'] : -1;
          hooks.onOffsetReset?.(topic, partition);
        }
        // kafkajs's INFO is chatty (every join); keep it at debug except what matters.
        const mapped = LEVELS[level] ?? 'info';
        const target = mapped === 'info' ? 'debug' : mapped;
        delete extra['stack'];
        log[target]({ ...extra }, message);
      },
  });
}
