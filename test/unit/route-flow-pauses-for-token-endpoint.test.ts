/**
 * RouteFlow and an outage of a dependency (the OAuth2 token endpoint): the route pauses with
 * reason token-endpoint and no attempt is made until the outage reports recovery; an outage
 * met halfway through an attempt does not count against the record, and neither kind is fed
 * to the circuit breaker.
 */
import { describe, expect, it } from 'vitest';
import { Verdict, type AttemptResult, type Outage } from '../../src/delivery/outcome.ts';
import { RouteFlow, type FlowPauseReason } from '../../src/flow/route-flow.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { routeWith } from '../support/endpoint-harness.ts';

function flowWith(volumeThreshold = 1) {
  const events: string[] = [];
  const route = routeWith({ url: 'http://127.0.0.1:9/' }, { circuitBreaker: { volumeThreshold }, recovery: { rampUp: '0s' } });
  const flow = new RouteFlow(
    route,
    {
      pause: (reason: FlowPauseReason) => events.push(`pause ${reason}`),
      resume: (reason: FlowPauseReason) => events.push(`resume ${reason}`),
      rateLimited: () => undefined,
    },
    createLogger('silent'),
  );
  return { flow, events };
}

function outage(): Outage & { recover(): void } {
  const { promise, resolve } = Promise.withResolvers<void>();
  return { reason: 'token-endpoint', detail: 'token endpoint answered 503', recovered: promise, recover: () => resolve() };
}

const ok: AttemptResult = { verdict: Verdict.delivered, reason: 'http-200', message: 'ok', status: 200 };

describe('RouteFlow and the token endpoint', () => {
  it('pauses before any attempt while the token endpoint is down, and resumes when it recovers', async () => {
    const { flow, events } = flowWith();
    const down = outage();
    let unavailable: Outage | undefined = down;
    let sent = 0;
    const pending = flow.attempt(
      async () => {
        sent++;
        return ok;
      },
      new AbortController().signal,
      async () => unavailable,
      true,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(flow.reasons).toEqual(new Set(['token-endpoint']));
    expect(events).toEqual(['pause token-endpoint']);
    expect(sent).toBe(0);

    unavailable = undefined;
    down.recover();
    await expect(pending).resolves.toEqual({ result: ok, counts: true });
    expect(sent).toBe(1);
    expect(events).toEqual(['pause token-endpoint', 'resume token-endpoint']);
    expect(flow.breakerState).toBe('closed');
    flow.stop();
  });

  it('an outage met during an attempt does not count and does not open the breaker', async () => {
    const { flow, events } = flowWith(1);
    const down = outage();
    const result: AttemptResult = { verdict: Verdict.transient, reason: 'token-endpoint', message: 'unavailable', outage: down };
    const attempt = await flow.attempt(async () => result, new AbortController().signal, undefined, true);
    expect(attempt).toEqual({ result, counts: false });
    expect(flow.breakerState).toBe('closed');
    expect(events).toEqual(['pause token-endpoint']);
    down.recover();
    await new Promise((r) => setTimeout(r, 10));
    expect(flow.reasons.size).toBe(0);
    flow.stop();
  });
});
