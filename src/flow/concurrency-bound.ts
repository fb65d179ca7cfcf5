/**
 * The bound on a route's concurrent requests: the ramp gate (slow start after a resume) under
 * a maximum that is either maxInFlight (`concurrency.mode: fixed`) or the adaptive limit
 * (`adaptive`), which every answer moves.
 */
import type { RouteConfig } from '../config/types.ts';
import type { AttemptResult } from '../delivery/outcome.ts';
import { AdaptiveLimit, pushbackOf } from './adaptive-limit.ts';
import { RampGate } from './ramp-gate.ts';

/** Event loop utilisation since the previous call (perf_hooks), for the adaptive limit. */
function eventLoopBusy(): () => number {
  let mark = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, mark).utilization;
    mark = now;
    return busy;
  };
}

export class ConcurrencyBound {
  readonly gate: RampGate;
  readonly #adaptive: AdaptiveLimit | undefined;

  constructor(route: RouteConfig) {
    this.#adaptive =
      route.concurrency.mode === 'adaptive' ? new AdaptiveLimit({ min: route.concurrency.min, max: route.maxInFlight, selfBusy: eventLoopBusy() }) : undefined;
    this.gate = new RampGate(this.#adaptive?.limit ?? route.maxInFlight, route.recovery.rampUp);
  }

  /** Requests running now, and the bound (ramping, adaptive or fixed). */
  get running(): number {
    return this.gate.running;
  }

  get limit(): number {
    return this.gate.limit;
  }

  /**
   * One answer that was the endpoint's (not an outage of a dependency), `sentAt` its start;
   * `timed` false for a batch, whose round trip grows with its size and is not judged.
   */
  answered(result: AttemptResult, sentAt: number, fresh: boolean, timed = true): void {
    if (this.#adaptive === undefined || result.outage !== undefined) return;
    const now = performance.now();
    // A 207 is an answer, but the pushback of its per-record results still counts.
    let pushback = pushbackOf(result.status, result.reason);
    for (const r of result.perRecord ?? []) pushback = pushback === 'throttled' ? pushback : (pushbackOf(r.status, r.reason) ?? pushback);
    this.#adaptive.sample(timed ? now - sentAt : Number.NaN, pushback, this.gate.running, fresh);
    this.gate.setMax(this.#adaptive.limit);
  }

  /** On every resume: back to the limit learned before the outage, reached by a ramp from 1. */
  resumed(): void {
    if (this.#adaptive !== undefined) {
      this.#adaptive.restore();
      this.gate.setMax(this.#adaptive.limit);
    }
    this.gate.startRamp();
  }
}
