/**
 * The chaos run's workload: records with per-key sequence numbers (the fault suite's format,
 * `{"key":"key-7","seq":12}`), produced at a steady rate for as long as the run lasts.
 *
 * Record i has key `key-(i mod keys)` and sequence floor(i / keys): every key advances by one
 * per round of keys. Sends are sequential (acks -1), so per key the log order is the sequence
 * order. A send that fails is sent again (the broker is not a target of the chaos run, so this
 * is rare); a record written twice that way is at two offsets with the same key and sequence,
 * which the invariants treat as two records with the same content.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { Produced } from '../faults/support/workload.ts';

export interface ProducerStats {
  readonly produced: number;
  readonly sends: number;
  readonly resends: number;
}

export class SteadyProducer {
  readonly produced: Produced[] = [];
  sends = 0;
  resends = 0;
  readonly #kafka: Kafka;
  readonly #topic: string;
  readonly #keys: number;
  readonly #perSecond: number;
  #producer: Producer | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #startedAt = 0;
  #wake: (() => void) | undefined;

  constructor(kafka: Kafka, topic: string, keys: number, perSecond: number) {
    this.#kafka = kafka;
    this.#topic = topic;
    this.#keys = keys;
    this.#perSecond = perSecond;
  }

  async start(): Promise<void> {
    this.#producer = this.#kafka.producer({ allowAutoTopicCreation: false });
    await this.#producer.connect();
    this.#running = true;
    this.#startedAt = Date.now();
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const due = Math.floor(((Date.now() - this.#startedAt) / 1000) * this.#perSecond) - this.produced.length;
      if (due > 0) await this.#send(Math.min(due, 1000));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async #send(count: number): Promise<void> {
    const first = this.produced.length;
    const batch: Produced[] = [];
    for (let i = first; i < first + count; i++) batch.push({ key: `key-${i % this.#keys}`, seq: Math.floor(i / this.#keys) });
    const messages = batch.map((r) => ({ key: r.key, value: JSON.stringify({ key: r.key, seq: r.seq }) }));
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#producer!.send({ topic: this.#topic, acks: -1, messages });
        break;
      } catch (error) {
        if (attempt >= 10) throw new Error(`producing to ${this.#topic} failed ${attempt} times: ${String(error)}`, { cause: error });
        this.resends++;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    this.sends++;
    this.produced.push(...batch);
  }

  /** Stops after the send in progress; the producer is disconnected (bounded). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    await Promise.race([this.#producer?.disconnect(), new Promise((r) => setTimeout(r, 5_000))]);
  }

  /** Rejects when producing failed for good. */
  get failed(): Promise<never> {
    return (this.#loop ?? Promise.resolve()).then(() => new Promise<never>(() => {}));
  }
}
