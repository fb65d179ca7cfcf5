import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { durationMs, formatDuration, parseDuration } from '../../src/config/duration.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { problemsOf } from '../support/config-problems.ts';

function withRoute(route: Record<string, unknown>): unknown {
  return {
    kafka: { sessionTimeout: '45s' },
    routes: [{ name: 'orders', topics: ['orders'], endpoint: { url: 'http://localhost:3000/orders' }, ...route }],
  };
}

describe('parseDuration', () => {
  it.each([
    ['200ms', 200],
    ['5s', 5000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1m30s', 90_000],
    ['1h30m', 5_400_000],
    ['2s500ms', 2500],
    ['0s', 0],
    ['0ms', 0],
    [' 5s ', 5000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it.each([
    ['5 seconds', /must be a duration like 500ms, 5s, 2m or 1h \(got "5 seconds"\)/],
    ['5S', /must be a duration like/],
    ['1y', /must be a duration like/],
    ['', /must be a duration like/],
    ['s', /must be a duration like/],
    ['5s5s', /largest unit first/],
    ['30s1m', /largest unit first/],
    ['-5s', /must not be negative \(got "-5s"\)/],
    ['1.5s', /must use whole numbers \(got "1.5s"\); write 1s500ms/],
    ['5000', /bare number is ambiguous, write 5000ms/],
    ['NaN', /must be a duration like/],
    ['Infinityms', /must be a duration like/],
    ['99999999999999999999d', /far too large/],
  ])('rejects %j', (text, reason) => {
    const result = parseDuration(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it.each([[5000], [-1], [Number.NaN], [true], [null], [['5s']], [{ s: 5 }]])('rejects the non-string %j', (value) => {
    const result = parseDuration(value);
    expect(result.ok).toBe(false);
  });

  it('explains that a bare number is ambiguous', () => {
    const result = parseDuration(5000);
    expect(result.ok === false && result.reason).toBe(
      'must be a duration like 500ms, 5s, 2m or 1h (got 5000); a bare number is ambiguous, write 5000ms or add another unit',
    );
  });

  it('formats milliseconds back into the same grammar', () => {
    for (const ms of [0, 1, 999, 1000, 1500, 90_000, 3_600_000, 5_400_000, 86_400_000 + 1]) {
      expect(durationMs(formatDuration(ms))).toBe(ms);
    }
    expect(formatDuration(19_000)).toBe('19s');
    expect(formatDuration(90_000)).toBe('1m30s');
  });
});

describe('durations in the configuration', () => {
  it('names the full path and the offending value', () => {
    expect(problemsOf(withRoute({ endpoint: { url: 'http://localhost:3000/orders', timeout: '5 seconds' } }))).toEqual([
      'routes[0].endpoint.timeout: must be a duration like 500ms, 5s, 2m or 1h (got "5 seconds")',
    ]);
  });

  it('rejects a timeout above one hour', () => {
    expect(problemsOf(withRoute({ endpoint: { url: 'http://localhost:3000/orders', timeout: '2h' } }))).toEqual([
      'routes[0].endpoint.timeout: must be at most 1h (got "2h")',
    ]);
  });

  it('rejects a zero timeout and a negative backoff', () => {
    expect(
      problemsOf(withRoute({ endpoint: { url: 'http://localhost:3000/orders', timeout: '0ms' }, backoff: { initial: '-1s' } })),
    ).toEqual(['routes[0].endpoint.timeout: must be at least 1ms (got "0ms")', 'routes[0].backoff.initial: must not be negative (got "-1s")']);
  });

  it('rejects a retry delay above seven days or of zero, naming the item', () => {
    expect(problemsOf(withRoute({ retry: { delays: ['1m', '8d', '0s'] } }))).toEqual([
      'routes[0].retry.delays[1]: must be at most 7d (got "8d")',
      'routes[0].retry.delays[2]: must be at least 1ms (got "0s")',
    ]);
  });

  it('rejects a bare number for a kafka duration', () => {
    expect(problemsOf({ ...(withRoute({}) as object), kafka: { sessionTimeout: 30000 } })).toEqual([
      'kafka.sessionTimeout: must be a duration like 500ms, 5s, 2m or 1h (got 30000); a bare number is ambiguous, write 30000ms or add another unit',
    ]);
  });

  it('turns durations into milliseconds', () => {
    const config = parseConfig(stringify(withRoute({ backoff: { initial: '1s', max: '1s500ms' }, retry: { delays: ['1m', '1h'] } })), {});
    const [route] = config.routes;
    expect(route?.backoff).toEqual({ initial: 1000, max: 1500 });
    expect(route?.retry.delays).toEqual([60_000, 3_600_000]);
    expect(config.kafka.sessionTimeout).toBe(45_000);
  });
});
