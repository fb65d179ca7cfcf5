import { describe, expect, it } from 'vitest';
import { OutageEvidence } from '../../src/flow/outage-evidence.ts';

describe('the evidence about an outage', () => {
  it('an answer to a request sent after the record first failed: the failure is the record\'s own', () => {
    const e = new OutageEvidence();
    e.freshFailure();
    const mark = e.mark(100);
    e.freshFailure();
    e.answered(101);
    expect(e.judge(mark, mark.freshFailures, true, true)).toBe('endpoint-serves-others');
  });

  it('answers to requests sent before the first failure say nothing about the endpoint since', () => {
    const e = new OutageEvidence();
    e.freshFailure();
    const mark = e.mark(100);
    e.answered(99);
    expect(e.answeredSince(mark)).toBe(false);
    expect(e.judge(mark, mark.freshFailures, false, false)).toBe('no-other-failures');
  });

  it('other fresh records failing in the window, and no answer: wait', () => {
    const e = new OutageEvidence();
    e.freshFailure();
    const mark = e.mark(100);
    e.freshFailure();
    expect(e.judge(mark, mark.freshFailures, false, false)).toBe('wait');
    // The next window starts where this one ended: with no new failure in it, the record climbs.
    expect(e.judge(mark, e.freshFailures, false, false)).toBe('no-other-failures');
  });

  it('a fresh record alone waits one window for the others to show; a record that failed on an earlier hop does not', () => {
    const e = new OutageEvidence();
    e.freshFailure();
    const mark = e.mark(100);
    expect(e.judge(mark, mark.freshFailures, true, true)).toBe('wait');
    expect(e.judge(mark, mark.freshFailures, false, true)).toBe('no-other-failures');
    expect(e.judge(mark, mark.freshFailures, true, false)).toBe('no-other-failures');
  });
});
