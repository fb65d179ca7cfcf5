/**
 * A record as the bridge carries it from fetch to finish. Kafka's own fields are kept as
 * kafkajs hands them over (Buffers, string offsets); `origin` holds the coordinates the
 * downstream sees, which stay the same on every retry hop.
 */
import type { IHeaders } from 'kafkajs';

export interface Coordinates {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Kafka record timestamp, ms since the epoch, as a decimal string. */
  readonly timestamp: string;
}

/** The registered schema a key or value was decoded with (src/decode). */
export interface SchemaRef {
  readonly id: number;
  readonly subject: string | undefined;
  /** Where the registry serves it: `<schemaRegistry.url>/schemas/ids/<id>`. */
  readonly url: string;
}

export interface BridgeRecord extends Coordinates {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
  /** Where the record first entered the bridge; equal to its own coordinates on a main topic. */
  readonly origin: Coordinates;
  /** Attempts made on earlier hops (0 on a main topic). */
  readonly priorAttempts: number;
  /** When the first failure happened (ISO-8601), carried across hops. */
  readonly firstFailureAt: string | undefined;
  /** Which retry tier the record was read from: 0 = main topic, 1 = first retry topic, … */
  readonly tier: number;
  /** When the record may be delivered (ms since the epoch); 0 = now. */
  readonly dueAt: number;
  /**
   * Set on a decoded view (src/decode): `key` and `value` are then the decoded JSON, `raw` the
   * record as Kafka holds it (what retry and dead-letter copies carry), `schemas` what decoded it.
   */
  readonly raw?: BridgeRecord;
  readonly schemas?: { readonly key?: SchemaRef; readonly value?: SchemaRef };
}

/** Every value of the Kafka header `name` (lower case), whatever case the record spells it in. */
export function headerValues(record: BridgeRecord, name: string): (Buffer | string)[] {
  const out: (Buffer | string)[] = [];
  for (const key in record.headers) {
    if (key.toLowerCase() !== name) continue;
    const raw = record.headers[key];
    for (const v of Array.isArray(raw) ? raw : [raw]) if (v !== undefined) out.push(v);
  }
  return out;
}

/** The first value of the Kafka header `name` (lower case) as UTF-8 text, or undefined. */
export function headerText(record: BridgeRecord, name: string): string | undefined {
  const first = headerValues(record, name)[0];
  return first === undefined || typeof first === 'string' ? first : first.toString('utf8');
}

export function idempotencyKey(origin: Coordinates): string {
  return `${origin.topic}-${origin.partition}-${origin.offset}`;
}
