/**
 * The JSON envelope and the batch body, without a broker: encodings, original coordinates on
 * a retry hop, the header allowlist, and a batch key that depends on the records only.
 */
import { describe, expect, it } from 'vitest';
import { BatchEncoder, batchIdempotencyKey } from '../../src/delivery/batch-body.ts';
import { encodeEnvelope } from '../../src/delivery/envelope.ts';
import type { BridgeRecord } from '../../src/kafka/record.ts';

function rec(value: string | Buffer | null, extra: Partial<BridgeRecord> = {}): BridgeRecord {
  const origin = { topic: 'orders', partition: 3, offset: '1207', timestamp: '1764500000000' };
  return {
    ...origin,
    key: Buffer.from('customer-7'),
    value: value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value),
    headers: {},
    origin,
    priorAttempts: 0,
    firstFailureAt: undefined,
    tier: 0,
    dueAt: 0,
    ...extra,
  };
}

const parse = (r: BridgeRecord, forward = new Set<string>()) => JSON.parse(encodeEnvelope(r, forward)) as Record<string, unknown>;

describe('the envelope', () => {
  it('carries the original coordinates, also on a retry hop', () => {
    const hop = rec('{"a":1}', { topic: 'orders-retry', partition: 0, offset: '5', priorAttempts: 3, tier: 1 });
    expect(parse(hop)).toEqual({
      topic: 'orders',
      partition: 3,
      offset: '1207',
      timestamp: '1764500000000',
      key: 'customer-7',
      keyEncoding: 'utf8',
      headers: {},
      value: { a: 1 },
      valueEncoding: 'json',
      idempotencyKey: 'orders-3-1207',
    });
  });

  it.each([
    ['JSON', '  [1, "two", null] ', [1, 'two', null], 'json'],
    ['a JSON string', '"quoted"', 'quoted', 'json'],
    ['text', 'hello, world', 'hello, world', 'utf8'],
    ['text that starts like JSON', '{not json', '{not json', 'utf8'],
    ['bytes', Buffer.from([0xc3, 0x28]), Buffer.from([0xc3, 0x28]).toString('base64'), 'base64'],
  ])('reads %s as its valueEncoding says', (_what, value, decoded, encoding) => {
    const out = parse(rec(value));
    expect(out['value']).toEqual(decoded);
    expect(out['valueEncoding']).toBe(encoding);
  });

  it('gives a null key and a null value as null', () => {
    const out = parse(rec(null, { key: null }));
    expect(out).toMatchObject({ key: null, keyEncoding: null, value: null, valueEncoding: null });
  });

  it('forwards only allowlisted headers, never hop-by-hop or bridge ones, several values as an array', () => {
    const r = rec('1', { headers: { traceparent: '00-x', Baggage: [Buffer.from('a=1'), Buffer.from('b=2')], secret: 's', connection: 'close', 'kafka-offset': '9' } });
    expect(parse(r, new Set(['traceparent', 'baggage', 'connection', 'kafka-offset']))['headers']).toEqual({ traceparent: '00-x', baggage: ['a=1', 'b=2'] });
  });

  it('keeps an ndjson envelope on one line', () => {
    const text = encodeEnvelope(rec('{\n  "a": "x\\ny"\n}'), new Set(), true);
    expect(text).not.toMatch(/[\r\n]/);
    expect((JSON.parse(text) as { value: unknown }).value).toEqual({ a: 'x\ny' });
  });
});

describe('the batch body', () => {
  it('has a key that depends on the records and their order, and on nothing else', () => {
    const a = rec('1');
    const b = rec('2', { origin: { topic: 'orders', partition: 3, offset: '1208', timestamp: '0' } });
    expect(batchIdempotencyKey([a, b])).toMatch(/^batch-[0-9a-f]{32}$/);
    expect(batchIdempotencyKey([a, b])).toBe(batchIdempotencyKey([rec('other value'), b]));
    expect(batchIdempotencyKey([a, b])).not.toBe(batchIdempotencyKey([b, a]));
    expect(batchIdempotencyKey([a])).not.toBe(batchIdempotencyKey([a, b]));
  });

  it('is a JSON array, or one line per record, and measure() counts what goes in', () => {
    const records = [rec('{"n":1}'), rec('plain')];
    const array = new BatchEncoder('json-array', new Set()).encode(records);
    expect(array.contentType).toBe('application/json');
    expect((JSON.parse(array.body.toString()) as unknown[]).length).toBe(2);
    const ndjson = new BatchEncoder('ndjson', new Set());
    const body = ndjson.encode(records);
    expect(body.contentType).toBe('application/x-ndjson');
    expect(body.body.toString().split('\n')).toHaveLength(3);
    expect(records.reduce((n, r) => n + ndjson.measure(r), 0)).toBe(body.body.length);
  });
});
