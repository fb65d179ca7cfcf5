import { describe, expect, it } from 'vitest';
import { RateLimit } from '../../src/dlt/rate-limit.ts';

/** How long n records take at `perSecond` on a clock that advances only by the waits. */
function simulate(perSecond: number, n: number): { elapsed: number; waits: number[] } {
  let now = 0;
  const limit = new RateLimit(perSecond, () => now);
  const waits: number[] = [];
  for (let i = 0; i < n; i++) {
    const wait = limit.reserve();
    waits.push(wait);
    now += wait;
  }
  return { elapsed: now, waits };
}

describe('rate limit', () => {
  it('spaces records evenly at low rates', () => {
    const { waits, elapsed } = simulate(5, 11);
    expect(waits[0]).toBe(0);
    expect(waits.slice(1).every((w) => Math.abs(w - 200) < 1e-9)).toBe(true);
    expect(elapsed).toBeCloseTo(2000);
  });

  it('allows a burst of a tenth of a second at high rates, then holds the average', () => {
    const { waits, elapsed } = simulate(1000, 2100);
    expect(waits.slice(0, 100).every((w) => w === 0)).toBe(true);
    expect(waits[100]).toBeGreaterThan(0);
    // 2,100 records at 1,000/s: about 2 s, minus the initial burst.
    expect(elapsed).toBeGreaterThan(1990);
    expect(elapsed).toBeLessThan(2100);
  });

  it('does not bank unused time: after a pause it does not allow more than the burst', () => {
    let now = 0;
    const limit = new RateLimit(10, () => now);
    limit.reserve();
    now += 60_000;
    expect(limit.reserve()).toBe(0);
    expect(limit.reserve()).toBeCloseTo(100);
  });

  it('rejects rates that are not positive', () => {
    expect(() => new RateLimit(0)).toThrow(RangeError);
    expect(() => new RateLimit(Number.NaN)).toThrow(RangeError);
  });
});
