import { describe, expect, it } from 'vitest';
import { RetryTopology } from '../../src/retry/retry-topology.ts';

const route = (delays: number[], onFailure: 'escalate' | 'block' = 'escalate') => ({
  topics: ['orders', 'refunds'],
  retry: { delays, topicSuffix: '-retry' },
  deadLetter: { topicSuffix: '-dlt' },
  onFailure,
});

describe('the retry topology of a route', () => {
  it('names every tier with its delay, and the dead-letter topic, per source topic', () => {
    const t = new RetryTopology(route([1000, 60_000]));
    expect(t.sources).toEqual([
      { source: 'orders', tiers: [{ tier: 1, topic: 'orders-retry-1', delayMs: 1000 }, { tier: 2, topic: 'orders-retry-2', delayMs: 60_000 }], deadLetter: 'orders-dlt' },
      { source: 'refunds', tiers: [{ tier: 1, topic: 'refunds-retry-1', delayMs: 1000 }, { tier: 2, topic: 'refunds-retry-2', delayMs: 60_000 }], deadLetter: 'refunds-dlt' },
    ]);
    expect(t.retryTopics).toEqual(['orders-retry-1', 'orders-retry-2', 'refunds-retry-1', 'refunds-retry-2']);
    expect(t.copyTopics).toEqual(['orders-retry-1', 'orders-retry-2', 'orders-dlt', 'refunds-retry-1', 'refunds-retry-2', 'refunds-dlt']);
  });

  it('one delay: a single retry topic without a number', () => {
    expect(new RetryTopology(route([5000])).retryTopics).toEqual(['orders-retry', 'refunds-retry']);
  });

  it('knows the tier of every topic it reads: 0 for a source, n for the n-th retry topic', () => {
    const t = new RetryTopology(route([1, 2, 3]));
    expect(t.tierOf('orders')).toBe(0);
    expect(t.tierOf('orders-retry-3')).toBe(3);
    expect(t.tierOf('refunds-retry-1')).toBe(1);
    expect(t.tierOf('elsewhere')).toBeUndefined();
  });

  it('climbs one tier per transient failure, then to the dead-letter topic of the source', () => {
    const t = new RetryTopology(route([1000, 2000]));
    expect(t.next('orders', true)).toEqual({ tier: 1, topic: 'orders-retry-1', delayMs: 1000 });
    expect(t.next('orders-retry-1', true)).toEqual({ tier: 2, topic: 'orders-retry-2', delayMs: 2000 });
    expect(t.next('orders-retry-2', true)).toEqual({ deadLetter: 'orders-dlt' });
    expect(t.next('refunds-retry-1', true)).toEqual({ tier: 2, topic: 'refunds-retry-2', delayMs: 2000 });
  });

  it('a permanent failure goes to the dead-letter topic from any tier', () => {
    const t = new RetryTopology(route([1000, 2000]));
    expect(t.next('orders', false)).toEqual({ deadLetter: 'orders-dlt' });
    expect(t.next('orders-retry-1', false)).toEqual({ deadLetter: 'orders-dlt' });
  });

  it('block mode and no delays have no retry topics: failures that leave go to the DLT', () => {
    for (const t of [new RetryTopology(route([1000], 'block')), new RetryTopology(route([]))]) {
      expect(t.retryTopics).toEqual([]);
      expect(t.copyTopics).toEqual(['orders-dlt', 'refunds-dlt']);
      expect(t.next('orders', true)).toEqual({ deadLetter: 'orders-dlt' });
    }
  });

  it('refuses a topic that is not the route\'s', () => {
    expect(() => new RetryTopology(route([1])).next('payments', true)).toThrow(RangeError);
  });
});
