import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttemptDeadlines, DeadlineExceeded } from '../../src/delivery/attempt-deadlines.ts';

describe('attempt deadlines', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires each attempt at its own deadline with one timer, and never a finished one', () => {
    const deadlines = new AttemptDeadlines(1000);
    const fired: string[] = [];
    const a = deadlines.start();
    a.addEventListener('abort', () => fired.push('a'));
    vi.advanceTimersByTime(300);
    const b = deadlines.start();
    b.addEventListener('abort', () => fired.push('b'));
    vi.advanceTimersByTime(300);
    const c = deadlines.start();
    c.addEventListener('abort', () => fired.push('c'));
    deadlines.finish(b);
    expect(vi.getTimerCount()).toBe(1);

    vi.advanceTimersByTime(399); // t = 999
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1); // t = 1000: a is due
    expect(fired).toEqual(['a']);
    expect(a.expired).toBe(true);
    expect(a.reason).toBeInstanceOf(DeadlineExceeded);
    expect(a.reason?.message).toBe('no complete answer within 1000 ms');

    vi.advanceTimersByTime(300); // t = 1300: b would be due, but it finished
    expect(fired).toEqual(['a']);
    expect(b.expired).toBe(false);
    vi.advanceTimersByTime(300); // t = 1600: c is due
    expect(fired).toEqual(['a', 'c']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('calls a listener removed before the deadline never, and every listener still attached once', () => {
    const deadlines = new AttemptDeadlines(50);
    const d = deadlines.start();
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    d.addEventListener('abort', removed);
    d.addEventListener('abort', () => calls.push('first'));
    d.addEventListener('abort', () => calls.push('second'));
    d.removeEventListener('abort', removed);
    vi.advanceTimersByTime(50);
    vi.advanceTimersByTime(500);
    expect(calls).toEqual(['first', 'second']);
  });

  it('re-arms after an idle period', () => {
    const deadlines = new AttemptDeadlines(100);
    deadlines.finish(deadlines.start());
    vi.advanceTimersByTime(100);
    expect(vi.getTimerCount()).toBe(0);
    const late = deadlines.start();
    let fired = false;
    late.addEventListener('abort', () => (fired = true));
    vi.advanceTimersByTime(100);
    expect(fired).toBe(true);
  });
});
