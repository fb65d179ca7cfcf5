/**
 * The demo's order events: JSON orders keyed by customer id (so the bridge keeps each
 * customer's orders in order), produced at a steady rate with acks from all replicas.
 * One order in 25 carries an unsupported currency, which the downstream rejects for good.
 */
import { Partitioners, type Kafka, type Producer } from 'kafkajs';

const CUSTOMERS = 20;
const SKUS = ['book', 'lamp', 'mug', 'chair', 'plant', 'kettle'];

export interface Order {
  readonly id: string;
  readonly seq: number;
  readonly customerId: string;
  readonly createdAt: string;
  readonly currency: string;
  readonly items: readonly { sku: string; quantity: number; unitPrice: number }[];
  readonly total: number;
}

export function sampleOrder(seq: number, now = Date.now()): Order {
  const items = Array.from({ length: 1 + (seq % 3) }, (_, i) => ({
    sku: SKUS[(seq + i) % SKUS.length]!,
    quantity: 1 + ((seq * 7 + i) % 4),
    unitPrice: 5 + ((seq * 13 + i * 3) % 40),
  }));
  return {
    id: `ord-${String(seq).padStart(6, '0')}`,
    seq,
    customerId: `customer-${String(seq % CUSTOMERS).padStart(2, '0')}`,
    createdAt: new Date(now).toISOString(),
    currency: seq % 25 === 7 ? 'XXX' : ['EUR', 'USD', 'GBP'][seq % 3]!,
    items,
    total: items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0),
  };
}

/** Where a shipment per order goes (the demo's Avro topic), and how it is encoded. */
export interface ShipmentStream {
  readonly topic: string;
  encode(order: Order): Buffer;
}

export class OrderProducer {
  produced = 0;
  failed = 0;
  readonly #producer: Producer;
  readonly #topic: string;
  readonly #shipments: ShipmentStream | undefined;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;
  #sending: Promise<void> | undefined;

  private constructor(kafka: Kafka, topic: string, perSecond: number, shipments: ShipmentStream | undefined) {
    this.#shipments = shipments;
    this.#producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    this.#topic = topic;
    this.#intervalMs = 1000 / perSecond;
  }

  static async start(kafka: Kafka, topic: string, perSecond: number, shipments?: ShipmentStream): Promise<OrderProducer> {
    const producer = new OrderProducer(kafka, topic, perSecond, shipments);
    await producer.#producer.connect();
    producer.#timer = setInterval(() => producer.#next(), producer.#intervalMs);
    return producer;
  }

  #next(): void {
    // One at a time: while an acknowledgement is slow, ticks are skipped rather than queued.
    if (this.#sending !== undefined) return;
    const order = sampleOrder(this.#seq++);
    this.#sending = this.#producer
      .sendBatch({
        acks: -1,
        topicMessages: [
          { topic: this.#topic, messages: [{ key: order.customerId, value: JSON.stringify(order) }] },
          ...(this.#shipments === undefined ? [] : [{ topic: this.#shipments.topic, messages: [{ key: order.customerId, value: this.#shipments.encode(order) }] }]),
        ],
      })
      .then(
        () => void this.produced++,
        () => void this.failed++,
      )
      .finally(() => {
        this.#sending = undefined;
      });
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sending;
    await this.#producer.disconnect();
  }
}
