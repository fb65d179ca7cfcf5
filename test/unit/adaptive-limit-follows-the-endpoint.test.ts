/**
 * The adaptive concurrency limit, driven by synthetic answers: it grows while latency stays
 * near its floor and the limit is used, shrinks on overload answers (once per round trip) and
 * on rising latency, and returns to what it learned after an outage.
 */
import { describe, expect, it } from 'vitest';
import { AdaptiveLimit, pushbackOf, type Pushback } from '../../src/flow/adaptive-limit.ts';

/** Feeds `n` answers of `rttMs` from fresh records, each ending with the limit fully used. */
function feed(limit: AdaptiveLimit, n: number, rttMs: number, pushback: Pushback = undefined): void {
  for (let i = 0; i < n; i++) limit.sample(rttMs, pushback, limit.limit);
}

/** An endpoint that answers in 5 ms up to `knee` requests at once and queues beyond it. */
function queueingEndpoint(knee: number) {
  return (inFlight: number) => (inFlight <= knee ? 5 : 5 * (inFlight / knee) ** 2);
}

describe('AdaptiveLimit', () => {
  it('grows from its initial value towards the ceiling while latency stays at the floor', () => {
        const limit = new AdaptiveLimit({ min: 1, max: 256 });
    expect(limit.limit).toBe(16);
    feed(limit, 5000, 20);
    expect(limit.limit).toBe(256);
  });

  it('does not grow when the limit is not used: no demand, nothing learned', () => {
    const limit = new AdaptiveLimit({ min: 1, max: 256 });
    for (let i = 0; i < 2000; i++) limit.sample(20, undefined, 2);
    expect(limit.limit).toBe(16);
  });

  it('cuts when a fifth of fresh answers in a window are 429, or most are refused, never below min', () => {
    const limit = new AdaptiveLimit({ min: 4, max: 256 });
    feed(limit, 3000, 10);
    expect(limit.limit).toBe(256);
    // One window (256 answers), a third of them 429: one cut.
    for (let i = 0; i < 256; i++) limit.sample(10, i % 3 === 0 ? 'throttled' : undefined, 256);
    expect(limit.limit).toBe(Math.floor(256 * 0.8));
    // A third refused (503) is not enough: those may be the records' own.
    const before = limit.limit;
    for (let i = 0; i < 1000; i++) limit.sample(10, i % 3 === 0 ? 'refused' : undefined, before);
    expect(limit.limit).toBeGreaterThanOrEqual(before);
    // Every answer refused, window after window: down to min.
    feed(limit, 3000, 10, 'refused');
    expect(limit.limit).toBe(4);
  });

  it('is not driven down by records that fail on their own', () => {
    const limit = new AdaptiveLimit({ min: 1, max: 128 });
    feed(limit, 3000, 10);
    expect(limit.limit).toBe(128);
    // One fresh record in four refused (it fails alone), and its retries, refused again: no cut.
    for (let i = 0; i < 5000; i++) {
      limit.sample(10, i % 4 === 0 ? 'refused' : undefined, 128, true);
      if (i % 4 === 0) limit.sample(10, 'refused', 128, false);
    }
    expect(limit.limit).toBe(128);
  });

  it('settles near the knee of an endpoint whose latency climbs past it', () => {
    const endpoint = queueingEndpoint(32);
    const limit = new AdaptiveLimit({ min: 1, max: 256 });
    const seen: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      limit.sample(endpoint(limit.limit), undefined, limit.limit);
      if (i > 10_000) seen.push(limit.limit);
    }
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(24);
    expect(Math.max(...seen)).toBeLessThanOrEqual(48);
  });

  it('after an outage drove it to min, restore() goes back to the limit learned before', () => {
    const limit = new AdaptiveLimit({ min: 1, max: 128 });
    feed(limit, 3000, 10);
    expect(limit.limit).toBe(128);
    feed(limit, 2000, 10, 'refused');
    expect(limit.limit).toBe(1);
    expect(limit.learned).toBe(128);
    limit.restore();
    expect(limit.limit).toBe(128);
  });

  it('takes 429 as throttling, 503, 504 and timeouts as refusals, and nothing else as pushback', () => {
    expect([429, 503, 504].map((s) => pushbackOf(s, `http-${s}`))).toEqual(['throttled', 'refused', 'refused']);
    expect(pushbackOf(undefined, 'timeout')).toBe('refused');
    expect([200, 400, 500, 502].map((s) => pushbackOf(s, `http-${s}`))).toEqual([undefined, undefined, undefined, undefined]);
    expect(pushbackOf(undefined, 'connect-refused')).toBeUndefined();
  });
});

describe('AdaptiveLimit when the endpoint becomes slower for good', () => {
  it('sinks to its start (latency alone goes no lower), takes the new latency as its floor, and grows again', () => {
    const limit = new AdaptiveLimit({ min: 1, max: 64 });
    feed(limit, 2000, 5);
    expect(limit.limit).toBe(64);
    // Latency is 40 ms now, whatever the concurrency.
    feed(limit, 700, 40);
    expect(limit.limit).toBe(16);
    feed(limit, 5000, 40);
    expect(limit.limit).toBe(64);
  });
});

describe('AdaptiveLimit when latency says nothing about the endpoint', () => {
  it('grows while this process is saturated, however slow the round trips, instead of shrinking', () => {
    let busy = 0.95;
    const limit = new AdaptiveLimit({ min: 1, max: 256, selfBusy: () => busy });
    feed(limit, 200, 1);
    // Round trips of 30 ms against a 1 ms floor would shrink it, were the event loop not full.
    feed(limit, 5000, 30);
    expect(limit.limit).toBe(256);
    busy = 0.3;
    feed(limit, 3000, 30);
    expect(limit.limit).toBeLessThan(256);
  });

  it('does not grow while saturated if the endpoint pushes back at all', () => {
    const limit = new AdaptiveLimit({ min: 1, max: 256, selfBusy: () => 0.95 });
    feed(limit, 200, 1);
    const before = limit.limit;
    // One fresh answer in ten refused: not a majority (no cut), but no growth either.
    for (let i = 0; i < 3000; i++) limit.sample(30, i % 10 === 0 ? 'refused' : undefined, limit.limit);
    expect(limit.limit).toBe(before);
  });

  it('grows batches (blind answers) one by one until pushback cuts them', () => {
    const limit = new AdaptiveLimit({ min: 1, max: 64 });
    for (let i = 0; i < 3000; i++) limit.sample(Number.NaN, undefined, limit.limit);
    expect(limit.limit).toBe(64);
    for (let i = 0; i < 64; i++) limit.sample(Number.NaN, 'throttled', 64);
    expect(limit.limit).toBe(Math.floor(64 * 0.8));
  });
});
