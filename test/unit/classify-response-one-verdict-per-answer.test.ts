import { describe, expect, it } from 'vitest';
import { classifyStatus, parseRetryAfter, resultFromError, resultFromStatus, oneLine } from '../../src/delivery/classify-response.ts';

const policy = { delivered: [409], retry: [408, 429, 500, 502, 503, 504] };

describe('classifyStatus', () => {
  it.each([
    [200, 'delivered'],
    [204, 'delivered'],
    [299, 'delivered'],
    [409, 'delivered'],
    [408, 'transient'],
    [429, 'transient'],
    [500, 'transient'],
    [503, 'transient'],
    [599, 'transient'],
    [400, 'permanent'],
    [401, 'permanent'],
    [404, 'permanent'],
    [422, 'permanent'],
    [301, 'permanent'],
    [302, 'permanent'],
  ])('%i is %s', (status, verdict) => {
    expect(classifyStatus(status, policy)).toBe(verdict);
  });

  it('lets the retry list make a 4xx transient', () => {
    expect(classifyStatus(425, { delivered: [], retry: [425] })).toBe('transient');
    expect(classifyStatus(425, { delivered: [], retry: [] })).toBe('permanent');
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('is carried only on transient results', () => {
    expect(resultFromStatus(503, policy, '2').retryAfterMs).toBe(2000);
    expect(resultFromStatus(400, policy, '2').retryAfterMs).toBeUndefined();
    expect(resultFromStatus(503, policy).reason).toBe('http-503');
  });
});

describe('network errors', () => {
  it.each([
    ['ECONNREFUSED', 'connect-refused'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['ECONNRESET', 'connection-reset'],
    ['UND_ERR_SOCKET', 'connection-reset'],
    ['ENOTFOUND', 'dns'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['SOMETHING_ELSE', 'network'],
  ])('%s is transient with reason %s', (code, reason) => {
    const error = Object.assign(new Error('boom\n  at stack line'), { code });
    const r = resultFromError(error);
    expect(r.verdict).toBe('transient');
    expect(r.reason).toBe(reason);
    expect(r.message).not.toContain('\n');
  });
});

describe('oneLine', () => {
  it('folds lines and caps bytes', () => {
    expect(oneLine('a\nb\r\nc')).toBe('a b c');
    const long = 'é'.repeat(400);
    const cut = oneLine(long, 512);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(512);
    expect(cut.endsWith('...')).toBe(true);
  });
});
