import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PauseBook } from '../../src/kafka/pause-book.ts';
import { UNREADABLE_MAX_RETRY_MS, UnreadablePartitions, unreadableBackoffMs, type StuckPartition } from '../../src/kafka/unreadable-partitions.ts';

const BAD = { firstOffset: '3', lastOffset: '6', reason: 'not an lz4 frame' };

function setup() {
  const pauses = new PauseBook();
  const calls: string[] = [];
  pauses.attach({ pause: (t, p) => calls.push(`pause ${t}/${p}`), resume: (t, p) => calls.push(`resume ${t}/${p}`) });
  pauses.assign([{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }]);
  calls.length = 0;
  const heard: [string, StuckPartition][] = [];
  const book = new UnreadablePartitions(pauses, { stuck: (p) => heard.push(['stuck', p]), readable: (p) => heard.push(['readable', p]) });
  return { pauses, calls, heard, book };
}

describe('unreadable partitions', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('back off from 1 s, doubling to a minute', () => {
    expect([1, 2, 3, 4, 7, 8, 20].map(unreadableBackoffMs)).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
    expect(UNREADABLE_MAX_RETRY_MS).toBe(60_000);
  });

  it('pause only their own partition, fetch it again after the backoff, and say so once', () => {
    const { pauses, calls, heard, book } = setup();
    book.found('a', 0, BAD);
    expect(pauses.isPaused('a', 0)).toBe(true);
    expect(pauses.isPaused('a', 1)).toBe(false);
    expect(calls).toEqual(['pause a/0']);
    book.found('a', 0, BAD); // a fetch that was under way when it paused changes nothing
    expect(book.get('a', 0)!.failures).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(calls).toEqual(['pause a/0', 'resume a/0']);
    book.found('a', 0, BAD); // still unreadable: paused again, for longer
    expect(book.get('a', 0)!.failures).toBe(2);
    vi.advanceTimersByTime(1999);
    expect(pauses.isPaused('a', 0)).toBe(true);
    vi.advanceTimersByTime(1);
    expect(pauses.isPaused('a', 0)).toBe(false);
    expect(heard.map(([what]) => what)).toEqual(['stuck']);
  });

  it('resume by themselves once a fetch reads, and forget partitions no longer owned', () => {
    const { pauses, heard, book } = setup();
    book.found('a', 0, BAD);
    book.found('a', 1, BAD);
    book.read('a', 0);
    expect(book.get('a', 0)).toBeUndefined();
    expect(pauses.isPaused('a', 0)).toBe(false);
    expect(heard.map(([what, p]) => `${what} ${p.partition}`)).toEqual(['stuck 0', 'stuck 1', 'readable 0']);
    book.keepOnly((_t, p) => p !== 1);
    expect(book.get('a', 1)).toBeUndefined();
    vi.advanceTimersByTime(120_000); // its timer went with it
    book.read('a', 1);
    expect(heard).toHaveLength(3);
  });
});
