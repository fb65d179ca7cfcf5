import { describe, expect, it } from 'vitest';
import { OffsetTracker } from '../../src/kafka/offset-tracker.ts';

describe('OffsetTracker', () => {
  it('commits nothing before anything finished', () => {
    const t = new OffsetTracker();
    t.track('0');
    t.track('1');
    expect(t.commitCandidate()).toBe('0');
    expect(t.pending).toBe(2);
  });

  it('holds the position at a slow record while later ones finish', () => {
    const t = new OffsetTracker();
    for (let o = 10; o < 20; o++) t.track(String(o));
    t.finish('10');
    for (let o = 12; o < 20; o++) t.finish(String(o));
    expect(t.commitCandidate()).toBe('11');
    expect(t.pending).toBe(1);
    t.finish('11');
    expect(t.commitCandidate()).toBe('20');
    expect(t.pending).toBe(0);
  });

  it('handles out-of-order completion', () => {
    const t = new OffsetTracker();
    ['5', '6', '7', '8'].forEach((o) => t.track(o));
    t.finish('8');
    t.finish('6');
    expect(t.commitCandidate()).toBe('5');
    t.finish('5');
    expect(t.commitCandidate()).toBe('7');
    t.finish('7');
    expect(t.commitCandidate()).toBe('9');
  });

  it('skips offsets that never held a record (compaction, control records)', () => {
    const t = new OffsetTracker();
    ['40', '41', '42', '44', '45'].forEach((o) => t.track(o));
    ['40', '41', '44'].forEach((o) => t.finish(o));
    expect(t.commitCandidate()).toBe('42');
    t.finish('42');
    expect(t.commitCandidate()).toBe('45');
    t.finish('45');
    expect(t.commitCandidate()).toBe('46');
  });

  it('reports a candidate only when the position moved past the last commit', () => {
    const t = new OffsetTracker();
    t.track('0');
    t.finish('0');
    expect(t.commitCandidate()).toBe('1');
    t.committed('1');
    expect(t.commitCandidate()).toBeUndefined();
    t.track('1');
    expect(t.commitCandidate()).toBeUndefined();
    t.finish('1');
    expect(t.commitCandidate()).toBe('2');
  });

  it('keeps offsets beyond 2^53 exact', () => {
    const big = 2n ** 53n + 5n;
    const t = new OffsetTracker();
    t.track(big.toString());
    t.track((big + 1n).toString());
    t.track((big + 2n).toString());
    t.finish((big + 1n).toString());
    t.finish(big.toString());
    expect(t.commitCandidate()).toBe((big + 2n).toString());
    t.finish((big + 2n).toString());
    expect(t.commitCandidate()).toBe('9007199254741000');
    expect(Number.isSafeInteger(Number(t.commitCandidate()))).toBe(false);
  });

  it('knows which offsets it already handed off', () => {
    const t = new OffsetTracker();
    expect(t.hasSeen('0')).toBe(false);
    t.track('3');
    t.track('4');
    expect(t.hasSeen('2')).toBe(true);
    expect(t.hasSeen('4')).toBe(true);
    expect(t.hasSeen('5')).toBe(false);
  });

  it('rejects offsets tracked out of order', () => {
    const t = new OffsetTracker();
    t.track('5');
    expect(() => t.track('4')).toThrow(RangeError);
  });

  it('ignores finishing an unknown or already finished offset', () => {
    const t = new OffsetTracker();
    t.track('1');
    t.finish('7');
    t.finish('1');
    t.finish('1');
    expect(t.commitCandidate()).toBe('2');
    expect(t.pending).toBe(0);
  });

  it('stays correct over a long random run', () => {
    const t = new OffsetTracker();
    const n = 5000;
    const open = new Set<number>();
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let o = 0; o < n; o++) {
      t.track(String(o));
      open.add(o);
      if (rand() < 0.6) {
        const pick = [...open][Math.floor(rand() * open.size)]!;
        t.finish(String(pick));
        open.delete(pick);
      }
      const lowest = open.size === 0 ? o + 1 : Math.min(...open);
      expect(t.commitCandidate() ?? String(lowest)).toBe(String(lowest));
    }
    for (const o of open) t.finish(String(o));
    expect(t.commitCandidate()).toBe(String(n));
  });
});

describe('OffsetTracker after the group was rewound', () => {
  it('offers its position again once told to forget the last commit', () => {
    const t = new OffsetTracker();
    t.track('0');
    t.finish('0');
    t.committed('1');
    expect(t.commitCandidate()).toBeUndefined();
    t.forgetCommitted();
    expect(t.commitCandidate()).toBe('1');
  });
});

describe('OffsetTracker exposure', () => {
  it('counts offsets from the last acknowledged commit, or from the first tracked record before any', () => {
    const t = new OffsetTracker();
    ['5', '6', '7', '9'].forEach((o) => t.track(o));
    // No commit yet: a crash repeats from the first record this tracker saw.
    expect(t.exposure(5n)).toBe(1n);
    expect(t.exposure(9n)).toBe(5n);
    t.finish('5');
    t.finish('6');
    // Finishing alone changes nothing: only an acknowledged commit does.
    expect(t.exposure(9n)).toBe(5n);
    t.committed(t.commitCandidate()!);
    expect(t.exposure(9n)).toBe(3n); // 7, the gap at 8, and 9
    t.forgetCommitted();
    expect(t.exposure(9n)).toBe(5n);
  });
});
