/**
 * Every compression codec Kafka has, for kafkajs, which ships gzip only and throws on the
 * others: a consumer of a topic that a Java or librdkafka producer compressed would crash. Registered once per process, before any client
 * fetches.
 *
 * - zstd: Node's own zlib (Node 22.15+/24).
 * - snappy, lz4: napi-rs bindings whose prebuilt binaries are npm packages of their own, so
 *   nothing is compiled at install time and the image needs no build tools.
 * - Codec ids Kafka has not defined (5-7) fail the record batch loudly: kafkajs would read
 *   such a batch as uncompressed and hand out garbage records.
 *
 * Snappy comes in two framings: the Java client writes xerial's stream format (a magic header,
 * then length-prefixed blocks); librdkafka and kafkajs codecs write one raw block. Both are
 * read; copies are written as one raw block, which every client reads.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import kafkajs from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappy';
import type { Compression } from '../config/types.ts';

// kafkajs is CommonJS, and Node's ESM loader cannot see these two as named exports.
const { CompressionCodecs, CompressionTypes } = kafkajs;
const zstdCompress = promisify(zlib.zstdCompress);
const zstdDecompress = promisify(zlib.zstdDecompress);

/** kafkajs hands compress() its encoder; only the buffer matters. */
interface Encoded {
  readonly buffer: Buffer;
}

interface Codec {
  compress(encoder: Encoded): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Magic, then the stream's version and its compatible version (int32 each). */
const XERIAL_HEADER_BYTES = 16;

async function snappyBlock(block: Buffer): Promise<Buffer> {
  const out = await snappyUncompress(block);
  return typeof out === 'string' ? Buffer.from(out) : out;
}

/** Reads one raw snappy block or a xerial stream of them. */
export async function decompressSnappy(buffer: Buffer): Promise<Buffer> {
  if (buffer.length < XERIAL_HEADER_BYTES || !buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return snappyBlock(buffer);
  const blocks: Buffer[] = [];
  let at = XERIAL_HEADER_BYTES;
  while (at < buffer.length) {
    if (at + 4 > buffer.length) throw new Error('snappy: truncated block length');
    const size = buffer.readInt32BE(at);
    at += 4;
    if (size < 0 || at + size > buffer.length) throw new Error(`snappy: block of ${size} bytes runs past the end`);
    blocks.push(await snappyBlock(buffer.subarray(at, at + size)));
    at += size;
  }
  return Buffer.concat(blocks);
}

const CODECS: Record<Exclude<Compression, 'none' | 'gzip'>, Codec> = {
  snappy: {
    compress: (e) => snappyCompress(e.buffer),
    decompress: decompressSnappy,
  },
  // Kafka's LZ4 is the standard frame format with independent blocks, which is lz4-napi's.
  lz4: {
    compress: (e) => compressFrame(e.buffer),
    decompress: (b) => decompressFrame(b),
  },
  zstd: {
    compress: (e) => zstdCompress(e.buffer),
    decompress: (b) => zstdDecompress(b),
  },
};

const KAFKAJS_TYPES: Record<Compression, number> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** kafkajs's number for a codec, for `producer.send({ compression })`. */
export function kafkajsCompression(name: Compression): number {
  return KAFKAJS_TYPES[name];
}

function unknownCodec(id: number): Codec {
  const fail = (): Promise<never> => Promise.reject(new Error(`unknown compression codec ${id}`));
  return { compress: fail, decompress: fail };
}

let registered = false;

/** Registers the codecs with kafkajs (once per process). */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  const table = CompressionCodecs as unknown as Record<number, () => Codec>;
  for (const [name, codec] of Object.entries(CODECS)) table[KAFKAJS_TYPES[name as Compression]] = () => codec;
  for (const id of [5, 6, 7]) {
    const codec = unknownCodec(id);
    table[id] = () => codec;
  }
}
