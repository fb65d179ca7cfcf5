/**
 * The Java client writes snappy in xerial's stream framing (a magic header, then
 * length-prefixed blocks); librdkafka writes one raw block. Both must read.
 */
import { describe, expect, it } from 'vitest';
import { compressSync } from 'snappy';
import { decompressSnappy } from '../../src/kafka/codecs.ts';

function xerial(blocks: Buffer[]): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const parts = blocks.flatMap((b) => {
    const c = compressSync(b);
    const size = Buffer.alloc(4);
    size.writeInt32BE(c.length);
    return [size, c];
  });
  return Buffer.concat([header, ...parts]);
}

describe('snappy', () => {
  const a = Buffer.from('records of the first block '.repeat(50));
  const b = Buffer.from([0, 1, 2, 255, 254, 0, 0, 7]);

  it('reads a raw block', async () => {
    expect((await decompressSnappy(compressSync(a))).equals(a)).toBe(true);
  });

  it('reads xerial framing, block after block', async () => {
    expect((await decompressSnappy(xerial([a, b]))).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('refuses a truncated xerial stream instead of returning part of it', async () => {
    const whole = xerial([a, b]);
    await expect(decompressSnappy(whole.subarray(0, whole.length - 3))).rejects.toThrow(/runs past the end/);
  });
});
