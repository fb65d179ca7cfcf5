import { describe, expect, it } from 'vitest';
import { commitEarlyAfter, connectionsProblem, defaultConnections, EXPOSURE_SHARES, hasRoom, partitionShare, withinExposure } from '../../src/dispatch/inflight-budget.ts';

describe('the in-flight budget', () => {
  it('splits maxInFlight evenly over the owned partitions, at least one each', () => {
    expect(partitionShare(256, 8)).toBe(32);
    expect(partitionShare(10, 3)).toBe(3);
    expect(partitionShare(4, 8)).toBe(1);
    expect(partitionShare(16, 0)).toBe(16);
    // The sum never exceeds maxInFlight unless every partition is down to one.
    for (let p = 1; p <= 40; p++) expect(partitionShare(32, p) * p <= Math.max(32, p)).toBe(true);
  });

  it('a partition takes records while it holds fewer than its share', () => {
    expect(hasRoom(0, 1)).toBe(true);
    expect(hasRoom(31, 32)).toBe(true);
    expect(hasRoom(32, 32)).toBe(false);
  });

  it('a crash may repeat at most two shares past the last acknowledged commit', () => {
    expect(EXPOSURE_SHARES).toBe(2);
    expect(withinExposure(64n, 32)).toBe(true);
    expect(withinExposure(65n, 32)).toBe(false);
    expect(withinExposure(2n ** 60n, 32)).toBe(false);
  });

  it('commits early once a share finished, and connections default to and stay within maxInFlight', () => {
    expect(commitEarlyAfter(32)).toBe(32);
    expect(defaultConnections(256)).toBe(256);
    expect(connectionsProblem(256, 256)).toBeUndefined();
    expect(connectionsProblem(257, 256)).toMatch(/never used/);
  });
});
