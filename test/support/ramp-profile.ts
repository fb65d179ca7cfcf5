/**
 * Ramp-up as the endpoint sees it (README "Downstream outages", `recovery.rampUp`): after a
 * resume, the requests open at once at the endpoint climb from 1 to `maxInFlight` over the
 * ramp time. The tests of every kind of resume (health check, circuit breaker, token
 * endpoint) use the same route settings and check the same shape, here.
 */
import { expect } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { Bridge } from '../../src/bridge.ts';
import { produce, waitFor } from './kafka-helpers.ts';
import type { SinkRequest } from './recording-sink.ts';
import type { RouteOptions } from './test-bridge.ts';

/** A measurable ramp: 1 → 64 over 4 s. */
export const RAMP = { maxInFlight: 64, rampUpMs: 4000 } as const;

/**
 * Route `orders` with RAMP's settings and no ordering (every slot can be used); `extra` adds
 * the rest. Fixed concurrency: the ramp climbs to maxInFlight. (Adaptive, it climbs to the
 * limit learned before the pause; adaptive-concurrency-follows-the-endpoint.test.ts.)
 */
export function rampRoute(topic: string, url: string, extra: Record<string, unknown>): RouteOptions {
  return {
    name: 'orders',
    topics: [topic],
    url,
    ordering: 'none',
    maxInFlight: RAMP.maxInFlight,
    concurrency: { mode: 'fixed' },
    retry: { delays: ['1s'] },
    recovery: { rampUp: `${RAMP.rampUpMs}ms` },
    ...extra,
  };
}

/** A backlog far larger than maxInFlight, so that the ramp and not the supply bounds the requests. */
export async function rampBacklog(kafka: Kafka, topic: string): Promise<void> {
  await produce(kafka, topic, Array.from({ length: 4000 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })), 1000);
}

/** Waits for the paused route to resume, watches the five seconds after it, and checks the ramp. */
export async function expectRampAfterResume(bridge: Bridge, deliveries: () => readonly SinkRequest[], resumeWithinMs: number): Promise<void> {
  await waitFor('resumed', () => !bridge.routeStatus()[0]!.paused, resumeWithinMs, 10);
  const resumedAt = Date.now();
  await new Promise((r) => setTimeout(r, 5000));
  expectRampUp(deliveries(), resumedAt);
}

/**
 * The most requests open at once at the endpoint, seen by the requests that arrived between
 * `from` and `to` ms after `resumedAt` (0 when none arrived then).
 */
export function peakConcurrency(requests: readonly SinkRequest[], resumedAt: number, from: number, to: number): number {
  return Math.max(0, ...requests.filter((r) => r.receivedAt - resumedAt >= from && r.receivedAt - resumedAt < to).map((r) => r.concurrent));
}

/**
 * Asserts the ramp of RAMP after a resume at `resumedAt`: few requests at first, about half
 * of maxInFlight half-way, close to maxInFlight once the ramp is over. `requests` are the
 * deliveries only; call it at least 5 s after the resume.
 *
 * The bound climbs linearly (ramp-gate.ts): 64 · t / 4 s, so 9.6 at 600 ms and 28.8 to 35.2
 * between 1.8 s and 2.2 s. On an idle machine the endpoint sees it follow that line (peaks of
 * 3, 7, 11, … per 250 ms, about 35 in the middle window). The margins are for a loaded 2-core
 * machine: `resumedAt` comes from polling, so the real resume can be earlier and the bound
 * higher than its nominal value (at most 48, three quarters of maxInFlight, still holds with
 * the resume seen 800 ms late), and a starved event loop feeds the endpoint more slowly than
 * the bound allows (at least 16 is half the nominal value). Any jump from 1 to the full limit,
 * wherever it happens in the ramp, fails a window: before 600 ms the early one, from 600 ms to
 * 2.2 s the middle one's upper bound, later its lower bound.
 */
export function expectRampUp(requests: readonly SinkRequest[], resumedAt: number): void {
  const profile = Array.from({ length: 20 }, (_, i) => peakConcurrency(requests, resumedAt, i * 250, (i + 1) * 250));
  const why = `peak concurrency per 250 ms after the resume: ${profile.join(' ')}`;
  const early = peakConcurrency(requests, resumedAt, 0, 600);
  const mid = peakConcurrency(requests, resumedAt, 1800, 2200);
  const late = peakConcurrency(requests, resumedAt, 4000, 5000);
  expect(early, why).toBeGreaterThanOrEqual(1);
  expect(early, why).toBeLessThanOrEqual(16);
  expect(mid, why).toBeGreaterThanOrEqual(16);
  expect(mid, why).toBeLessThanOrEqual(48);
  expect(late, why).toBeGreaterThan(40);
  expect(late, why).toBeLessThanOrEqual(64);
}
