/**
 * The benchmark's records: 1,000 keys spread evenly over the partitions (a key always lives
 * in one partition, as with Kafka's key partitioner), ~200-byte JSON values that start with
 * the time they were produced, so the sink can compute latency for records that carry no
 * `kafka-timestamp` header (the baselines) without parsing the whole body.
 */

export const KEYS = 1_000;
export const VALUE_BYTES = 200;
/** The latency phase sends records every this many ms (like a producer's linger.ms). */
export const PACE_TICK_MS = 50;

/** Deterministic PRNG (mulberry32): the same run produces the same keys. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function keyName(k: number): string {
  return `key-${String(k).padStart(3, '0')}`;
}

const PAD = 'x'.repeat(VALUE_BYTES);

/** A JSON value of exactly VALUE_BYTES bytes whose first field is `"ts":<ms since epoch>`. */
export function makeValue(ts: number, seq: number, key: string): Buffer {
  const head = `{"ts":${ts},"seq":${seq},"key":"${key}","type":"order.updated","amount":${(seq % 100_000) / 100},"currency":"EUR","note":"`;
  const room = VALUE_BYTES - head.length - 2;
  return Buffer.from(`${head}${PAD.slice(0, Math.max(0, room))}"}`, 'latin1');
}

const TS_PREFIX = '{"ts":';

/** Reads the leading `"ts"` of a value made by makeValue; NaN when there is none. */
export function readTs(chunk: Buffer): number {
  if (chunk.length < TS_PREFIX.length + 13 || chunk.toString('latin1', 0, TS_PREFIX.length) !== TS_PREFIX) return NaN;
  let n = 0;
  for (let i = TS_PREFIX.length; i < chunk.length; i++) {
    const c = chunk[i]!;
    if (c < 0x30 || c > 0x39) return n;
    n = n * 10 + (c - 0x30);
  }
  return NaN;
}

export interface BenchMessage {
  key: string;
  value: Buffer;
  partition: number;
  timestamp: string;
}

/**
 * Produces records for `partitions` partitions: record i goes to partition i % partitions
 * (so partitions stay exactly even), with a random key among that partition's keys.
 */
export class RecordFactory {
  readonly #partitions: number;
  readonly #random: () => number;
  #seq = 0;

  constructor(partitions: number, seed: number) {
    if (KEYS % partitions !== 0) throw new Error(`${KEYS} keys do not spread evenly over ${partitions} partitions`);
    this.#partitions = partitions;
    this.#random = prng(seed);
  }

  next(ts = Date.now()): BenchMessage {
    const seq = this.#seq++;
    const partition = seq % this.#partitions;
    const k = partition + this.#partitions * Math.floor(this.#random() * (KEYS / this.#partitions));
    const key = keyName(k);
    return { key, value: makeValue(ts, seq, key), partition, timestamp: String(ts) };
  }

  batch(count: number, ts = Date.now()): BenchMessage[] {
    const out: BenchMessage[] = [];
    for (let i = 0; i < count; i++) out.push(this.next(ts));
    return out;
  }
}
