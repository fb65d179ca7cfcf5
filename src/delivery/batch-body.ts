/**
 * The body and the idempotency key of one batched request. The key is derived from the
 * records' original coordinates in body order, so it is the same on every in-process retry
 * of the same batch and on no other batch: an endpoint can drop a batch it already took.
 */
import { createHash } from 'node:crypto';
import type { BatchFormat } from '../config/types.ts';
import type { BridgeRecord } from '../kafka/record.ts';
import { idempotencyKey } from '../kafka/record.ts';
import { encodeEnvelope } from './envelope.ts';

export interface BatchBody {
  readonly body: Buffer;
  readonly idempotencyKey: string;
  readonly contentType: string;
}

const CONTENT_TYPES: Record<BatchFormat, string> = {
  'json-array': 'application/json',
  ndjson: 'application/x-ndjson',
};

/** `batch-` and 32 hex digits of the SHA-256 of the records' idempotency keys, one per line. */
export function batchIdempotencyKey(records: readonly BridgeRecord[]): string {
  const hash = createHash('sha256');
  for (const record of records) hash.update(`${idempotencyKey(record.origin)}\n`);
  return `batch-${hash.digest('hex').slice(0, 32)}`;
}

/**
 * Encodes records for one route. A record is encoded once, when the dispatcher measures it
 * for batch.maxBytes; the text is kept (weakly, it goes with the record) for the body and for
 * a smaller batch of the same records after a 207.
 */
export class BatchEncoder {
  readonly #format: BatchFormat;
  readonly #forward: ReadonlySet<string>;
  readonly #texts = new WeakMap<BridgeRecord, string>();

  constructor(format: BatchFormat, forward: ReadonlySet<string>) {
    this.#format = format;
    this.#forward = forward;
  }

  /** The record's bytes in a body, separator included. */
  readonly measure = (record: BridgeRecord): number => Buffer.byteLength(this.#text(record), 'utf8') + 1;

  encode(records: readonly BridgeRecord[]): BatchBody {
    const parts = records.map((record) => this.#text(record));
    const text = this.#format === 'ndjson' ? `${parts.join('\n')}\n` : `[${parts.join(',')}]`;
    return { body: Buffer.from(text, 'utf8'), idempotencyKey: batchIdempotencyKey(records), contentType: CONTENT_TYPES[this.#format] };
  }

  #text(record: BridgeRecord): string {
    let text = this.#texts.get(record);
    if (text === undefined) {
      text = encodeEnvelope(record, this.#forward, this.#format === 'ndjson');
      this.#texts.set(record, text);
    }
    return text;
  }
}
