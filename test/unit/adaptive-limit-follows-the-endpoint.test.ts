/**
 * The adaptive concurrency limit, driven by synthetic answers: it grows while latency stays
 * near its floor and the limit is used, shrinks on overload answers (once per round trip) and
 * on rising latency, and returns to what it learned after an outage.
 */
import { describe, expect, it } from 'vitest';
import { AdaptiveLimit, isOverload } from '../../src/flow/adaptive-limit.ts';

/** Feeds `n` answers of `rttMs`, each ending with the limit fully used, 1 ms apart. */
function feed(limit: AdaptiveLimit, n: number, rttMs: number, clock: { now: number }, overload = false): void {
  for (let i = 0; i < n; i++) {
    clock.now += 1;
    limit.sample(rttMs, overload, limit.limit, clock.now);
  }
}

/** An endpoint that answers in 5 ms up to `knee` requests at once and queues beyond it. */
function queueingEndpoint(knee: number) {
  return (inFlight: number) => (inFlight <= knee ? 5 : 5 * (inFlight / knee) ** 2);
}

describe('AdaptiveLimit', () => {
  it('grows from its initial value towards the ceiling while latency stays at the floor', () => {
    const clock = { now: 0 };
    const limit = new AdaptiveLimit({ min: 1, max: 256 });
    expect(limit.limit).toBe(16);
    feed(limit, 5000, 20, clock);
    expect(limit.limit).toBe(256);
  });

  it('does not grow when the limit is not used: no demand, nothing learned', () => {
    const limit = new AdaptiveLimit({ min: 1, max: 256 });
    for (let i = 0; i < 2000; i++) limit.sample(20, false, 2, i);
    expect(limit.limit).toBe(16);
  });

  it('cuts once per round trip on 429/503/timeouts, never below min', () => {
    const limit = new AdaptiveLimit({ min: 4, max: 256 });
    const clock = { now: 0 };
    feed(limit, 3000, 10, clock);
    expect(limit.limit).toBe(256);
    // 100 overload answers to requests all sent before the first cut: one cut only.
    clock.now += 100;
    const sentAt = clock.now - 50;
    for (let i = 0; i < 100; i++) limit.sample(clock.now + i - sentAt, true, 200, clock.now + i);
    expect(limit.limit).toBe(Math.floor(256 * 0.8));
    // Answers to requests sent after each cut keep cutting, down to min.
    for (let i = 0; i < 100; i++) {
      clock.now += 20;
      limit.sample(10, true, 10, clock.now);
    }
    expect(limit.limit).toBe(4);
  });

  it('settles near the knee of an endpoint whose latency climbs past it', () => {
    const endpoint = queueingEndpoint(32);
    const limit = new AdaptiveLimit({ min: 1, max: 256 });
    let now = 0;
    const seen: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      now += 1;
      limit.sample(endpoint(limit.limit), false, limit.limit, now);
      if (i > 10_000) seen.push(limit.limit);
    }
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(24);
    expect(Math.max(...seen)).toBeLessThanOrEqual(48);
  });

  it('after an outage drove it to min, restore() goes back to the limit learned before', () => {
    const clock = { now: 0 };
    const limit = new AdaptiveLimit({ min: 1, max: 128 });
    feed(limit, 3000, 10, clock);
    expect(limit.limit).toBe(128);
    for (let i = 0; i < 50; i++) {
      clock.now += 50;
      limit.sample(10, true, 1, clock.now);
    }
    expect(limit.limit).toBe(1);
    expect(limit.learned).toBe(128);
    limit.restore();
    expect(limit.limit).toBe(128);
  });

  it('takes 429, 503, 504 and timeouts as overload, and nothing else', () => {
    expect([429, 503, 504].map((s) => isOverload(s, `http-${s}`))).toEqual([true, true, true]);
    expect(isOverload(undefined, 'timeout')).toBe(true);
    expect([200, 400, 500, 502].map((s) => isOverload(s, `http-${s}`))).toEqual([false, false, false, false]);
    expect(isOverload(undefined, 'connect-refused')).toBe(false);
  });
});

describe('AdaptiveLimit when the endpoint becomes slower for good', () => {
  it('sinks to min, takes the new latency as its floor, and grows again', () => {
    const limit = new AdaptiveLimit({ min: 1, max: 64 });
    const clock = { now: 0 };
    feed(limit, 2000, 5, clock);
    expect(limit.limit).toBe(64);
    // Latency is 40 ms now, whatever the concurrency.
    feed(limit, 700, 40, clock);
    expect(limit.limit).toBeLessThanOrEqual(2);
    feed(limit, 5000, 40, clock);
    expect(limit.limit).toBe(64);
  });
});
