import { describe, expect, it } from 'vitest';
import { EndpointBreaker } from '../../src/flow/endpoint-breaker.ts';
import { Verdict, type AttemptResult } from '../../src/delivery/outcome.ts';

const fail: AttemptResult = { verdict: Verdict.transient, reason: 'http-503', message: '503', status: 503 };
const ok: AttemptResult = { verdict: Verdict.delivered, reason: 'http-200', message: 'ok', status: 200 };
const bad: AttemptResult = { verdict: Verdict.permanent, reason: 'http-400', message: '400', status: 400 };
const send = (r: AttemptResult) => async () => r;

function breaker(volumeThreshold = 3, resetTimeout = 50, errorThresholdPercentage = 50) {
  const states: string[] = [];
  const b = new EndpointBreaker({ enabled: true, errorThresholdPercentage, volumeThreshold, resetTimeout }, 1000, (s) => states.push(s));
  return { b, states };
}

describe('the endpoint breaker', () => {
  it('opens when volumeThreshold fresh records fail in a row', async () => {
    const { b, states } = breaker();
    for (let i = 0; i < 3; i++) expect(await b.run(send(fail), true)).toBe(fail);
    expect(states).toEqual(['open']);
    expect(await b.run(send(ok), true)).toBe('rejected');
    b.shutdown();
  });

  it('a row of maxInFlight fresh failures opens it when that is fewer than volumeThreshold: every record it may hold failed', async () => {
    const states: string[] = [];
    const b = new EndpointBreaker({ enabled: true, errorThresholdPercentage: 100, volumeThreshold: 20, resetTimeout: 50 }, 4, (s) => states.push(s));
    for (let i = 0; i < 3; i++) await b.run(send(fail), true);
    expect(states).toEqual([]);
    await b.run(send(fail), true);
    expect(states).toEqual(['open']);
    b.shutdown();
  });

  it('never opens for records that failed before, however often they fail', async () => {
    const { b, states } = breaker();
    for (let i = 0; i < 50; i++) expect(await b.run(send(fail), false)).toBe(fail);
    expect(states).toEqual([]);
    expect(b.state).toBe('closed');
    b.shutdown();
  });

  it('an answer breaks the row, and a 4xx is an answer', async () => {
    // The percentage rule off (100 %), so that only the row counts here.
    const { b, states } = breaker(3, 50, 100);
    await b.run(send(fail), true);
    await b.run(send(fail), true);
    await b.run(send(bad), false);
    await b.run(send(fail), true);
    await b.run(send(fail), true);
    expect(states).toEqual([]);
    b.shutdown();
  });

  it('half-open: a record that failed before waits, unless allowed to probe; its answer closes the breaker, its failure does not reopen it', async () => {
    const { b, states } = breaker(1, 20);
    await b.run(send(fail), true);
    await new Promise((r) => setTimeout(r, 40));
    expect(b.state).toBe('half-open');
    expect(await b.run(send(fail), false)).toBe('rejected');
    expect(await b.run(send(fail), false, true)).toBe(fail);
    expect(b.state).toBe('half-open');
    expect(await b.run(send(ok), false, true)).toBe(ok);
    await new Promise((r) => setImmediate(r));
    expect(states).toEqual(['open', 'half-open', 'closed']);
    b.shutdown();
  });

  it('half-open: a fresh record probes; its failure opens the breaker again', async () => {
    const { b, states } = breaker(1, 20);
    await b.run(send(fail), true);
    await new Promise((r) => setTimeout(r, 40));
    expect(await b.run(send(fail), true)).toBe(fail);
    expect(states).toEqual(['open', 'half-open', 'open']);
    b.shutdown();
  });

  it('disabled, it sends everything and never changes state', async () => {
    const b = new EndpointBreaker({ enabled: false, errorThresholdPercentage: 50, volumeThreshold: 1, resetTimeout: 10 }, 1000, () => undefined);
    for (let i = 0; i < 5; i++) expect(await b.run(send(fail), true)).toBe(fail);
    expect(b.state).toBe('disabled');
  });
});
