/**
 * One partition's records in a fetch response, read so that one bad record batch stays that
 * partition's problem.
 *
 * kafkajs decodes a whole fetch response (every partition a broker leads) in one go: a batch
 * it cannot read (an unknown codec, corrupt compressed bytes, a truncated record) throws out of
 * the whole decode. Every partition of that broker, of every route sharing the consumer, then
 * stalls, and kafkajs crashes the consumer for good on the error classes it deems
 * unrecoverable. So the per-partition step of its decoder (fetch v4 and later, every version a
 * Kafka 4 broker serves) is replaced by this one. It keeps the records decoded before a bad
 * batch and ends the partition's list with an `unreadable` marker instead of throwing.
 * owned-partitions.ts takes the good records, pauses the partition at the marker, and fetches
 * it again after a backoff.
 *
 * The record-set bytes are sliced off the response before any batch is read, so the partitions
 * after a bad one decode as usual. kafkajs is pinned (2.2.4, its last release) and its response
 * modules are loaded lazily on the first fetch, which is why installing this at import, before
 * any client exists, is enough.
 */
import { createRequire } from 'node:module';
import type { KafkaMessage } from 'kafkajs';

/** Where a partition stopped being readable, and why. */
export interface Unreadable {
  /** The bad batch's first and last offsets. */
  readonly firstOffset: string;
  readonly lastOffset: string;
  readonly reason: string;
}

/** The marker: a message kafkajs carries like any other (same filters, same order). */
export type UnreadableMarker = KafkaMessage & { readonly unreadable: Unreadable };

export function unreadableOf(message: KafkaMessage): Unreadable | undefined {
  return (message as Partial<UnreadableMarker>).unreadable;
}

interface Decoder {
  offset: number;
  readInt32(): number;
  readBytes(size: number): Buffer;
  canReadBytes(size: number): boolean;
}
type DecoderClass = new (buffer: Buffer) => Decoder;
type BatchDecoder = (decoder: Decoder) => Promise<{ records: KafkaMessage[] }>;
type MessageSetDecoder = (decoder: Decoder, size: number) => Promise<KafkaMessage[]>;

const RECORD_BATCH_MAGIC = 2;
/** Where the magic byte sits in every message format, and the smallest record batch header. */
const MAGIC_OFFSET = 16;
const BATCH_OVERHEAD = 49;
const LAST_OFFSET_DELTA_AT = 23;

function marker(bytes: Buffer, at: number, error: unknown): UnreadableMarker {
  const first = at + 8 <= bytes.length ? bytes.readBigInt64BE(at) : -1n;
  const delta = at + LAST_OFFSET_DELTA_AT + 4 <= bytes.length ? bytes.readInt32BE(at + LAST_OFFSET_DELTA_AT) : 0;
  const reason = error instanceof Error ? error.message : String(error);
  const last = (first + BigInt(Math.max(0, delta))).toString();
  return {
    // The batch's last offset: at or past the fetch position, so kafkajs's filters keep it.
    offset: last,
    key: null,
    value: null,
    headers: {},
    timestamp: '0',
    attributes: 0,
    size: 0,
    isControlRecord: false,
    batchContext: { producerId: '-1', inTransaction: false },
    unreadable: { firstOffset: first.toString(), lastOffset: last, reason },
  } as unknown as UnreadableMarker;
}

function readerFor(Decoder: DecoderClass, readBatch: BatchDecoder, readMessageSet: MessageSetDecoder) {
  return async (response: Decoder): Promise<KafkaMessage[]> => {
    const size = response.readInt32();
    if (size <= 0 || !response.canReadBytes(size)) return [];
    const bytes = response.readBytes(size);
    const batches = new Decoder(bytes);
    if (bytes.length <= MAGIC_OFFSET || bytes.readInt8(MAGIC_OFFSET) !== RECORD_BATCH_MAGIC) {
      try {
        return await readMessageSet(batches, size);
      } catch (error) {
        return [marker(bytes, 0, error)];
      }
    }
    const records: KafkaMessage[] = [];
    while (batches.canReadBytes(BATCH_OVERHEAD)) {
      const at = batches.offset;
      try {
        const batch = await readBatch(batches);
        for (const r of batch.records) records.push(r);
      } catch (error) {
        // The fetch's size limit cut the last batch short: the next fetch starts there.
        if (error instanceof Error && error.name === 'KafkaJSPartialMessageError') break;
        records.push(marker(bytes, at, error));
        break;
      }
    }
    return records;
  };
}

let installed = false;

/** Puts the reader in place of kafkajs's (once per process). */
export function installRecordSetReader(): void {
  if (installed) return;
  const require = createRequire(import.meta.url);
  const path = require.resolve('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js');
  require(path);
  const cached = require.cache[path];
  if (cached === undefined) throw new Error('kafkajs record-set decoder not found: is kafkajs 2.2.4 installed?');
  cached.exports = readerFor(
    require('kafkajs/src/protocol/decoder.js') as DecoderClass,
    require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as BatchDecoder,
    require('kafkajs/src/protocol/messageSet/decoder.js') as MessageSetDecoder,
  );
  installed = true;
}
