/**
 * Writes retry and dead-letter copies. Every send waits for acks from all in-sync replicas
 * (acks=-1): the source offset may only count as finished once the copy cannot be lost with
 * a single broker. kafkajs's idempotent producer is marked experimental, so it is opt-in.
 * Copies are compressed with kafka.producer.compression (codecs.ts).
 */
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Compression } from '../config/types.ts';
import { kafkajsCompression } from '../kafka/codecs.ts';
import type { CopyMessage, CopyProducer } from './failure-ladder.ts';

export class KafkaCopyProducer implements CopyProducer {
  readonly #producer: Producer;
  readonly #compression: number;

  constructor(kafka: Kafka, idempotent: boolean, compression: Compression) {
    this.#compression = kafkajsCompression(compression);
    this.#producer = kafka.producer({
      idempotent,
      ...(idempotent ? { maxInFlightRequests: 1 } : {}),
      // Copies go by key like the Java client's (murmur2); named, which also silences kafkajs's
      // notice about its changed default at every start.
      createPartitioner: Partitioners.DefaultPartitioner,
      // Few internal retries: the delivery loop writes the copy again after backoff, for as
      // long as it takes, and counts each failure where operators can see it.
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
  }

  connect(): Promise<void> {
    return this.#producer.connect();
  }

  async send(topic: string, message: CopyMessage): Promise<void> {
    await this.#producer.send({
      topic,
      acks: -1,
      compression: this.#compression,
      messages: [{ key: message.key, value: message.value, headers: message.headers }],
    });
  }

  disconnect(): Promise<void> {
    return this.#producer.disconnect();
  }
}
