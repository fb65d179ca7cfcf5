/**
 * Control records (transaction markers), aborted records and compacted-away offsets hold
 * nothing to deliver. Once the records before them finish, the commit position reaches past
 * them: otherwise a topic that ends in a transaction marker keeps a lag of 1 for ever.
 */
import { describe, expect, it } from 'vitest';
import { OffsetTracker } from '../../src/kafka/offset-tracker.ts';

describe('OffsetTracker.skipThrough', () => {
  it('moves the position past trailing markers once every record before them finished', () => {
    const t = new OffsetTracker();
    ['0', '1', '2'].forEach((o) => t.track(o));
    t.skipThrough('4'); // 3 and 4: a commit marker, an aborted record
    expect(t.commitCandidate()).toBe('0');
    t.finish('0');
    t.finish('2');
    expect(t.commitCandidate()).toBe('1');
    t.finish('1');
    expect(t.commitCandidate()).toBe('5');
    expect(t.pending).toBe(0);
  });

  it('counts a fetch of nothing but markers as finished at once', () => {
    const t = new OffsetTracker('10');
    t.skipThrough('12');
    expect(t.commitCandidate()).toBe('13');
    t.committed('13');
    expect(t.commitCandidate()).toBeUndefined();
  });

  it('ignores offsets already passed, and records after a skip start where they are', () => {
    const t = new OffsetTracker();
    t.track('0');
    t.skipThrough('3');
    t.skipThrough('2');
    expect(t.hasSeen('3')).toBe(true);
    t.track('4');
    t.finish('4');
    expect(t.commitCandidate()).toBe('0');
    t.finish('0');
    expect(t.commitCandidate()).toBe('5');
  });

  it('never passes a record that is still in flight', () => {
    const t = new OffsetTracker();
    t.track('7');
    t.skipThrough('9');
    t.track('10');
    t.finish('10');
    expect(t.commitCandidate()).toBe('7');
  });
});
