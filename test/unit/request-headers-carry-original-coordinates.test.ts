import { describe, expect, it } from 'vitest';
import { buildRequestHeaders, RecordRejection } from '../../src/delivery/request-headers.ts';
import type { BridgeRecord } from '../../src/kafka/record.ts';

function record(over: Partial<BridgeRecord> = {}): BridgeRecord {
  const coords = { topic: 'orders', partition: 2, offset: '41', timestamp: '1700000000000' };
  return {
    ...coords,
    key: Buffer.from('customer-7'),
    value: Buffer.from('{}'),
    headers: {},
    origin: coords,
    priorAttempts: 0,
    firstFailureAt: undefined,
    tier: 0,
    dueAt: 0,
    ...over,
  };
}

const plan = { fixed: ['content-type', 'application/json'], forward: new Set(['traceparent', 'tracestate']), inBody: false };

function asMap(list: string[] | RecordRejection): Map<string, string[]> {
  if (list instanceof RecordRejection) throw new Error(`rejected: ${list.reason}`);
  const m = new Map<string, string[]>();
  for (let i = 0; i < list.length; i += 2) m.set(list[i]!, [...(m.get(list[i]!) ?? []), list[i + 1]!]);
  return m;
}

describe('buildRequestHeaders', () => {
  it('sends the coordinates, attempt and idempotency key', () => {
    const h = asMap(buildRequestHeaders(record(), 3, plan));
    expect(h.get('kafka-topic')).toEqual(['orders']);
    expect(h.get('kafka-partition')).toEqual(['2']);
    expect(h.get('kafka-offset')).toEqual(['41']);
    expect(h.get('kafka-timestamp')).toEqual(['1700000000000']);
    expect(h.get('kafka-delivery-attempt')).toEqual(['3']);
    expect(h.get('idempotency-key')).toEqual(['orders-2-41']);
    expect(h.get('kafka-key')).toEqual(['customer-7']);
    expect(h.get('content-type')).toEqual(['application/json']);
  });

  it('uses the ORIGINAL coordinates of a record read from a retry topic', () => {
    const r = record({
      topic: 'orders-retry',
      partition: 0,
      offset: '7',
      origin: { topic: 'orders', partition: 2, offset: '41', timestamp: '1' },
      tier: 1,
    });
    const h = asMap(buildRequestHeaders(r, 4, plan));
    expect(h.get('idempotency-key')).toEqual(['orders-2-41']);
    expect(h.get('kafka-topic')).toEqual(['orders']);
  });

  it('base64-encodes keys that are not printable UTF-8', () => {
    const h = asMap(buildRequestHeaders(record({ key: Buffer.from([0xff, 0x00, 0x10]) }), 1, plan));
    expect(h.get('kafka-key')).toBeUndefined();
    expect(h.get('kafka-key-base64')).toEqual(['/wAQ']);
    const ctl = asMap(buildRequestHeaders(record({ key: Buffer.from('a\nb') }), 1, plan));
    expect(ctl.get('kafka-key-base64')).toEqual([Buffer.from('a\nb').toString('base64')]);
  });

  it('sends no key header for a null key', () => {
    const h = asMap(buildRequestHeaders(record({ key: null }), 1, plan));
    expect(h.has('kafka-key')).toBe(false);
    expect(h.has('kafka-key-base64')).toBe(false);
  });

  it('forwards only allowlisted Kafka headers, never hop-by-hop or bridge ones', () => {
    const h = asMap(
      buildRequestHeaders(
        record({
          headers: {
            traceparent: Buffer.from('00-abc-def-01'),
            secret: 'x',
            'transfer-encoding': 'chunked',
            host: 'evil.example',
          },
        }),
        1,
        { fixed: [], forward: new Set(['traceparent', 'transfer-encoding', 'host', 'idempotency-key']), inBody: false },
      ),
    );
    expect(h.get('traceparent')).toEqual(['00-abc-def-01']);
    expect(h.has('secret')).toBe(false);
    expect(h.has('transfer-encoding')).toBe(false);
    expect(h.has('host')).toBe(false);
  });

  it('rejects a forwarded header value with CR or LF', () => {
    const r = buildRequestHeaders(record({ headers: { traceparent: 'a\r\nx-injected: 1' } }), 1, plan);
    expect(r).toBeInstanceOf(RecordRejection);
    expect((r as RecordRejection).reason).toBe('invalid-header');
  });

  it.each([
    ['CR', '\r'],
    ['LF', '\n'],
    ['NUL', '\0'],
    ['DEL', '\x7f'],
    ['BEL', '\x07'],
    ['US', '\x1f'],
  ])('rejects a forwarded header value with %s like CR and LF, as a string or as bytes', (_name, char) => {
    for (const value of [`00-abc${char}def-01`, Buffer.from(`00-abc${char}def-01`, 'latin1')]) {
      const r = buildRequestHeaders(record({ headers: { tracestate: 'ok', traceparent: value } }), 1, plan);
      expect(r).toBeInstanceOf(RecordRejection);
      expect((r as RecordRejection).reason).toBe('invalid-header');
    }
  });

  it('forwards a value with a tab, which HTTP field values may carry', () => {
    const h = asMap(buildRequestHeaders(record({ headers: { traceparent: Buffer.from('00-abc\tdef-01') } }), 1, plan));
    expect(h.get('traceparent')).toEqual(['00-abc\tdef-01']);
  });
});
