import { describe, expect, it } from 'vitest';
import { copyHeaders, readCopyMetadata } from '../../src/retry/copy-headers.ts';
import type { BridgeRecord } from '../../src/kafka/record.ts';

const hygiene = { strip: ['kafka_exception-stacktrace', '__connect.errors.exception.stacktrace'], maxValueBytes: 8192 };

function record(headers: BridgeRecord['headers']): BridgeRecord {
  const coords = { topic: 'orders', partition: 1, offset: '99', timestamp: '1700000000000' };
  return { ...coords, key: null, value: Buffer.from('x'), headers, origin: coords, priorAttempts: 0, firstFailureAt: undefined, tier: 0, dueAt: 0 };
}

const result = { verdict: 'transient' as const, reason: 'http-503', message: 'endpoint answered 503', status: 503 };

describe('copyHeaders', () => {
  it('writes the metadata contract', () => {
    const h = copyHeaders(record({ traceparent: 'abc' }), hygiene, {
      route: 'orders',
      attempts: 3,
      result,
      firstFailureAt: '2026-01-01T00:00:00.000Z',
      dueAt: Date.parse('2026-01-01T01:00:00.000Z'),
    });
    expect(h).toMatchObject({
      traceparent: 'abc',
      'bridge-original-topic': 'orders',
      'bridge-original-partition': '1',
      'bridge-original-offset': '99',
      'bridge-original-timestamp': '1700000000000',
      'bridge-attempts': '3',
      'bridge-first-failure-at': '2026-01-01T00:00:00.000Z',
      'bridge-due-at': '2026-01-01T01:00:00.000Z',
      'bridge-reason': 'http-503',
      'bridge-http-status': '503',
      'bridge-route': 'orders',
    });
  });

  it('drops stripped and oversized headers (a 20 KiB stack trace never travels)', () => {
    const h = copyHeaders(
      record({ 'kafka_exception-stacktrace': Buffer.alloc(20 * 1024, 97), big: Buffer.alloc(9000), keep: 'yes' }),
      hygiene,
      { route: 'r', attempts: 1, result, firstFailureAt: 'x' },
    );
    expect(h['kafka_exception-stacktrace']).toBeUndefined();
    expect(h['big']).toBeUndefined();
    expect(h['keep']).toBe('yes');
    expect(h['bridge-due-at']).toBeUndefined();
  });

  it('drops a small header on the strip list, in any case, and keeps a small ordinary one', () => {
    // Well under the size cap: only the strip list can drop these.
    const h = copyHeaders(
      record({
        'kafka_exception-stacktrace': 'at Foo.bar(Foo.java:1)',
        '__connect.errors.exception.stacktrace': Buffer.from('at Baz.qux'),
        'Kafka_Exception-Stacktrace': 'at Other.case',
        'x-tenant': 'acme',
      }),
      hygiene,
      { route: 'r', attempts: 1, result, firstFailureAt: 'T0' },
    );
    expect(Object.keys(h).filter((k) => !k.startsWith('bridge-'))).toEqual(['x-tenant']);
    expect(h['x-tenant']).toBe('acme');
  });

  it('keeps a value of exactly maxValueBytes and drops one byte more, counting bytes, not characters', () => {
    const cap = hygiene.maxValueBytes;
    const h = copyHeaders(
      record({
        'at-cap': Buffer.alloc(cap, 97),
        'over-cap': Buffer.alloc(cap + 1, 97),
        'at-cap-text': 'é'.repeat(cap / 2),
        'over-cap-text': `${'é'.repeat(cap / 2)}a`,
        mixed: [Buffer.alloc(cap + 1, 98), 'small'],
      }),
      hygiene,
      { route: 'r', attempts: 1, result, firstFailureAt: 'T0' },
    );
    expect((h['at-cap'] as Buffer).length).toBe(cap);
    expect(h['over-cap']).toBeUndefined();
    expect(h['at-cap-text']).toBe('é'.repeat(cap / 2));
    expect(h['over-cap-text']).toBeUndefined();
    expect(h['mixed']).toBe('small');
  });

  it('replaces metadata from an earlier hop instead of accumulating it', () => {
    const first = copyHeaders(record({}), hygiene, { route: 'r', attempts: 3, result, firstFailureAt: 'T0', dueAt: 1 });
    const second = copyHeaders(record({ ...first, 'bridge-extra-old': 'x' }), hygiene, {
      route: 'r',
      attempts: 6,
      result: { verdict: 'permanent', reason: 'http-400', message: 'bad' },
      firstFailureAt: 'T0',
    });
    expect(second['bridge-attempts']).toBe('6');
    expect(second['bridge-reason']).toBe('http-400');
    expect(second['bridge-due-at']).toBeUndefined();
    expect(second['bridge-http-status']).toBeUndefined();
    expect(second['bridge-extra-old']).toBeUndefined();
    expect(Object.keys(second).filter((k) => k === 'bridge-attempts')).toHaveLength(1);
  });

  it('caps bridge-error at 512 bytes on one line', () => {
    const h = copyHeaders(record({}), hygiene, {
      route: 'r',
      attempts: 1,
      result: { ...result, message: 'x\n'.repeat(2000) },
      firstFailureAt: 'T0',
    });
    const error = String(h['bridge-error']);
    expect(Buffer.byteLength(error)).toBeLessThanOrEqual(512);
    expect(error).not.toMatch(/[\r\n]/);
  });

  it('reads back what it wrote, and ignores garbage', () => {
    const h = copyHeaders(record({}), hygiene, { route: 'r', attempts: 2, result, firstFailureAt: 'T0', dueAt: 5000 });
    const asBuffers = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Buffer.from(String(v))]));
    expect(readCopyMetadata(asBuffers)).toMatchObject({
      originalTopic: 'orders',
      originalPartition: 1,
      originalOffset: '99',
      attempts: 2,
      dueAt: 5000,
      reason: 'http-503',
      route: 'r',
    });
    expect(readCopyMetadata({ 'bridge-original-topic': 'x', 'bridge-original-partition': 'nope', 'bridge-original-offset': '1' })).toBeUndefined();
    expect(readCopyMetadata({})).toBeUndefined();
  });
});
