/**
 * The Confluent wire format that Schema Registry serializers write:
 *
 *   byte 0      magic, always 0
 *   bytes 1-4   schema id, big-endian
 *   Protobuf    message indexes: a zigzag varint count, then that many zigzag varints (the
 *               path to the message type in its file: top-level index, then nested); a single
 *               0 byte is the common case [0], the first message of the file
 *   then        the encoded record
 */
export const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

export class NotWireFormat extends Error {}

export interface Framed {
  readonly schemaId: number;
  /** What follows the header: the record (Avro, JSON Schema) or message indexes and the record (Protobuf). */
  readonly body: Buffer;
}

export function unframe(bytes: Buffer): Framed {
  if (bytes.length < HEADER_BYTES) throw new NotWireFormat(`${bytes.length} bytes, shorter than the 5-byte header`);
  if (bytes[0] !== MAGIC_BYTE) throw new NotWireFormat(`first byte is ${bytes[0]}, not the magic byte 0`);
  return { schemaId: bytes.readUInt32BE(1), body: bytes.subarray(HEADER_BYTES) };
}

/** Reads one zigzag varint at `at`; returns it and where the next starts. */
function zigzag(bytes: Buffer, at: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (let i = at; i < bytes.length && shift < 35; i++) {
    const b = bytes[i]!;
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [(result >>> 1) ^ -(result & 1), i + 1];
    shift += 7;
  }
  throw new NotWireFormat('message indexes are truncated');
}

/** Protobuf's message indexes, and the message bytes after them. */
export function messageIndexes(body: Buffer): { indexes: number[]; message: Buffer } {
  const [count, first] = zigzag(body, 0);
  if (count === 0) return { indexes: [0], message: body.subarray(first) };
  if (count < 0 || count > 100) throw new NotWireFormat(`message index count ${count} is not plausible`);
  const indexes: number[] = [];
  let at = first;
  for (let i = 0; i < count; i++) {
    const [index, next] = zigzag(body, at);
    if (index < 0) throw new NotWireFormat(`message index ${index} is negative`);
    indexes.push(index);
    at = next;
  }
  return { indexes, message: body.subarray(at) };
}
