import { describe, expect, it } from 'vitest';
import {
  deadLetterTopicName,
  isValidTopicName,
  retryTopicName,
  retryTopicNames,
  topicNameProblem,
} from '../../src/config/topic-names.ts';

const oneDelay = { retry: { delays: [3_600_000], topicSuffix: '-retry' }, deadLetter: { topicSuffix: '-dlt' } };
const threeDelays = { retry: { delays: [60_000, 600_000, 3_600_000], topicSuffix: '-retry' }, deadLetter: { topicSuffix: '-dlt' } };
const noDelays = { retry: { delays: [], topicSuffix: '-retry' }, deadLetter: { topicSuffix: '.dead' } };

describe('retry and dead-letter topic names', () => {
  it('uses <topic><suffix> when there is one delay', () => {
    expect(retryTopicName('orders', oneDelay, 0)).toBe('orders-retry');
  });

  it('numbers the tiers from 1 when there are several delays', () => {
    expect(retryTopicName('orders', threeDelays, 0)).toBe('orders-retry-1');
    expect(retryTopicName('orders', threeDelays, 2)).toBe('orders-retry-3');
    expect(retryTopicNames('orders', threeDelays)).toEqual(['orders-retry-1', 'orders-retry-2', 'orders-retry-3']);
  });

  it('has no retry topics without delays', () => {
    expect(retryTopicNames('orders', noDelays)).toEqual([]);
    expect(() => retryTopicName('orders', noDelays, 0)).toThrow(RangeError);
  });

  it('refuses a tier the route does not have', () => {
    expect(() => retryTopicName('orders', threeDelays, 3)).toThrow(/retry tier 3 does not exist/);
    expect(() => retryTopicName('orders', threeDelays, -1)).toThrow(RangeError);
    expect(() => retryTopicName('orders', threeDelays, 0.5)).toThrow(RangeError);
  });

  it('uses <topic><suffix> for the dead-letter topic', () => {
    expect(deadLetterTopicName('orders', oneDelay)).toBe('orders-dlt');
    expect(deadLetterTopicName('orders', noDelays)).toBe('orders.dead');
  });
});

describe('topic name validity', () => {
  it.each(['orders', 'a', 'Orders.v1_x-y', 'x'.repeat(249)])('accepts %j', (name) => {
    expect(topicNameProblem(name)).toBeUndefined();
    expect(isValidTopicName(name)).toBe(true);
  });

  it.each([
    ['', /empty/],
    ['.', /"\." or "\.\."/],
    ['..', /"\." or "\.\."/],
    ['a b', /only the characters/],
    ['a/b', /only the characters/],
    ['é', /only the characters/],
    ['x'.repeat(250), /at most 249 characters \(got 250\)/],
  ])('rejects %j', (name, reason) => {
    expect(topicNameProblem(name)).toMatch(reason);
    expect(isValidTopicName(name)).toBe(false);
  });
});
