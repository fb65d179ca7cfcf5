/**
 * Flow control of one route: when its endpoint is down, records wait in Kafka instead of
 * burning their attempts and spilling into retry topics; when it comes back, traffic ramps
 * up instead of stampeding it.
 *
 * Two signals pause the route, each with its own reason:
 * - `health-check`: the optional probe failed `unhealthyAfter` times in a row;
 * - `circuit-open`: the breaker (opossum), fed by real deliveries, saw too many transient
 *   failures: more than `errorThresholdPercentage` of at least `volumeThreshold` attempts
 *   in its 10 s window, or `volumeThreshold` failures in a row. The second rule matters at
 *   the start of an outage: a window full of earlier successes would otherwise keep the
 *   breaker closed while in-flight records burn their attempts and spill into the retry
 *   topics. It catches "up but failing", which a shallow health URL misses. After
 *   `resetTimeout` it turns half-open and lets one real record probe the endpoint: success
 *   closes it, failure opens it again. Permanent failures (4xx) never count against it;
 * - `token-endpoint`: the route authenticates with OAuth2 and its token endpoint cannot hand
 *   out a token. Nothing can be delivered, through no fault of the records or the endpoint,
 *   so it is an outage like the others: the route pauses until a token can be fetched again
 *   (the auth keeps asking, with backoff) and the breaker does not hear about it.
 *
 * The pause is applied to the consumers (fetching stops for the route's main and retry
 * topics) through listeners; records already in flight wait here, at `attempt`, and an
 * attempt that failed because of the outage does not count against the record.
 */
import CircuitBreaker from 'opossum';
import type { Logger } from 'pino';
import type { RouteConfig } from '../config/types.ts';
import { Verdict, type AttemptResult, type Outage } from '../delivery/outcome.ts';
import { HealthProbe } from './health-probe.ts';
import { RampGate } from './ramp-gate.ts';
import { TokenBucket } from './token-bucket.ts';

export type FlowPauseReason = 'health-check' | 'circuit-open' | 'token-endpoint';
export type BreakerState = 'closed' | 'open' | 'half-open' | 'disabled';

export interface FlowHooks {
  pause(reason: FlowPauseReason): void;
  resume(reason: FlowPauseReason): void;
  rateLimited(): void;
}

export interface FlowAttempt {
  readonly result: AttemptResult;
  /** False when the failure belongs to an outage (the route paused), not to the record. */
  readonly counts: boolean;
}

/** Thrown inside the breaker so that opossum counts transient failures, and only those. */
class TransientFailure extends Error {
  readonly result: AttemptResult;
  constructor(result: AttemptResult) {
    super(result.message);
    this.result = result;
  }
}

function isBreakerRejection(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EOPENBREAKER';
}

type Send = () => Promise<AttemptResult>;
/** Whether an attempt can be made now; an outage pauses the route until it is over. */
type Ready = () => Promise<Outage | undefined>;

export class RouteFlow {
  readonly #route: RouteConfig;
  readonly #hooks: FlowHooks;
  readonly #log: Logger;
  readonly #reasons = new Set<FlowPauseReason>();
  readonly #gate: RampGate;
  readonly #bucket: TokenBucket;
  readonly #breaker: CircuitBreaker<[Send], AttemptResult> | undefined;
  readonly #probe: HealthProbe | undefined;
  #breakerState: BreakerState;
  /** Resolved on every resume and breaker transition: waiters look again. */
  #change = Promise.withResolvers<void>();
  #epoch = 0;
  /** Transient failures in a row, across all records of the route. */
  #failStreak = 0;
  #stopped = false;

  constructor(route: RouteConfig, hooks: FlowHooks, logger: Logger) {
    this.#route = route;
    this.#hooks = hooks;
    this.#log = logger.child({ route: route.name });
    this.#gate = new RampGate(route.maxInFlight, route.recovery.rampUp);
    this.#bucket = new TokenBucket(route.rateLimit);
    const cb = route.circuitBreaker;
    this.#breakerState = cb.enabled ? 'closed' : 'disabled';
    if (cb.enabled) {
      const breaker = new CircuitBreaker<[Send], AttemptResult>(
        async (send: Send) => {
          const result = await send();
          // An outage of a dependency (result.outage) says nothing about the endpoint.
          if (result.verdict === Verdict.transient && result.outage === undefined) throw new TransientFailure(result);
          return result;
        },
        {
          // The endpoint timeout already bounds every attempt.
          timeout: false,
          errorThresholdPercentage: cb.errorThresholdPercentage,
          volumeThreshold: cb.volumeThreshold,
          resetTimeout: cb.resetTimeout,
          rollingCountTimeout: 10_000,
          rollingCountBuckets: 10,
        },
      );
      breaker.on('open', () => this.#breakerTo('open'));
      breaker.on('halfOpen', () => this.#breakerTo('half-open'));
      breaker.on('close', () => this.#breakerTo('closed'));
      this.#breaker = breaker;
    }
    const url = route.healthCheck.url;
    if (url !== undefined) {
      this.#probe = new HealthProbe({ ...route.healthCheck, url }, (healthy, detail) => {
        this.#log.warn({ healthy, detail }, healthy ? 'health check passing: resuming the route' : 'health check failing: pausing the route');
        if (healthy) this.#resume('health-check');
        else this.#pause('health-check');
      });
    }
  }

  /** Resolves once the first health probe answered (at once without a health check). */
  async start(): Promise<void> {
    await this.#probe?.start();
  }

  stop(): void {
    this.#stopped = true;
    this.#probe?.stop();
    this.#breaker?.shutdown();
    this.#gate.close();
    this.#bucket.close();
    this.#change.resolve();
  }

  get reasons(): ReadonlySet<FlowPauseReason> {
    return this.#reasons;
  }

  get breakerState(): BreakerState {
    return this.#breakerState;
  }

  /** undefined when the route has no health check. */
  get healthy(): boolean | undefined {
    return this.#probe?.healthy;
  }

  /**
   * Asked before a record that failed transiently climbs the failure ladder. With a health
   * check, the endpoint is probed now: when it is down, the route pauses at once and the
   * record waits instead of spilling into a retry topic. At low traffic the breaker needs more
   * failures than a few records make, and the scheduled probe may be up to `interval` away.
   */
  async outageConfirmed(): Promise<boolean> {
    if (this.#reasons.size > 0) return true;
    return (await this.#probe?.checkNow()) ?? false;
  }

  /** Grows on every pause: a record whose attempts straddle a pause starts its count again. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Requests running at the endpoint, and the current bound (ramping after a resume). */
  get concurrency(): { running: number; limit: number } {
    return { running: this.#gate.running, limit: this.#gate.limit };
  }

  #track(result: AttemptResult): void {
    if (result.outage !== undefined) return;
    if (result.verdict !== Verdict.transient) {
      this.#failStreak = 0;
      return;
    }
    this.#failStreak++;
    const breaker = this.#breaker;
    if (breaker !== undefined && breaker.closed && this.#failStreak >= this.#route.circuitBreaker.volumeThreshold) {
      this.#failStreak = 0;
      breaker.open();
    }
  }

  #breakerTo(state: 'open' | 'half-open' | 'closed'): void {
    const from = this.#breakerState;
    this.#breakerState = state;
    this.#log.warn({ from, state }, `circuit breaker ${state}`);
    if (state === 'open') this.#pause('circuit-open');
    // Half-open: resume (with ramp-up) so that real records can probe the endpoint.
    else this.#resume('circuit-open');
    this.#wake();
  }

  #pause(reason: FlowPauseReason): void {
    if (this.#reasons.has(reason)) return;
    this.#reasons.add(reason);
    this.#epoch++;
    this.#log.warn({ reason }, 'route paused');
    this.#hooks.pause(reason);
  }

  /** Pauses for an outage of a dependency and resumes when it reports itself recovered. */
  #pauseFor(outage: Outage): void {
    if (this.#stopped || this.#reasons.has(outage.reason)) return;
    this.#log.warn({ reason: outage.reason, detail: outage.detail }, `${outage.reason} unavailable: pausing the route`);
    this.#pause(outage.reason);
    void outage.recovered.then(() => {
      if (this.#stopped) return;
      this.#log.warn({ reason: outage.reason }, `${outage.reason} available again: resuming the route`);
      this.#resume(outage.reason);
    });
  }

  #resume(reason: FlowPauseReason): void {
    if (!this.#reasons.delete(reason)) return;
    this.#hooks.resume(reason);
    if (this.#reasons.size === 0) {
      this.#log.warn({ reason, rampUpMs: this.#route.recovery.rampUp }, 'route resumed');
      this.#gate.startRamp();
    }
    this.#wake();
  }

  #wake(): void {
    const current = this.#change;
    this.#change = Promise.withResolvers<void>();
    current.resolve();
  }

  /** Resolves when something changed (resume, breaker transition) or `signal` aborted. */
  async #nextChange(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    // The partition's signal outlives this wait: remove the listener afterwards, or one
    // would pile up per wait for as long as the partition is owned.
    let onAbort!: () => void;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([this.#change.promise, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Runs one HTTP attempt under flow control: waits while the route is paused, for a ramp-up
   * slot and for a rate-limit token, checks that the route's dependencies are `ready` (an
   * outage pauses the route and the record waits), then sends through the breaker. Resolves
   * undefined only when `signal` aborted (the record was abandoned).
   */
  async attempt(send: Send, signal: AbortSignal, ready?: Ready): Promise<FlowAttempt | undefined> {
    for (;;) {
      while (this.#reasons.size > 0) {
        if (signal.aborted) return undefined;
        await this.#nextChange(signal);
      }
      if (signal.aborted) return undefined;
      // The synchronous fast paths matter: every await is a trip through the microtask queue,
      // per record, and most records find a free slot, no rate limit and no auth.
      const release = this.#gate.tryAcquire() ?? (await this.#gate.acquire(signal));
      if (release === undefined) return undefined;
      try {
        if (this.#reasons.size > 0) continue;
        if (ready !== undefined) {
          const unavailable = await ready();
          if (unavailable !== undefined) {
            this.#pauseFor(unavailable);
            continue;
          }
        }
        if (!this.#bucket.tryTake() && !(await this.#bucket.take(signal, this.#hooks.rateLimited))) return undefined;
        const epoch = this.#epoch;
        let result: AttemptResult;
        if (this.#breaker === undefined) {
          result = await send();
        } else {
          try {
            result = await this.#breaker.fire(send);
          } catch (error) {
            if (error instanceof TransientFailure) {
              result = error.result;
            } else if (isBreakerRejection(error)) {
              // Open, or half-open with its one probe already out: not the record's failure.
              release();
              await this.#nextChange(signal);
              continue;
            } else {
              throw error;
            }
          }
        }
        this.#track(result);
        // A token refresh that failed halfway through an attempt (after a 401).
        if (result.outage !== undefined) this.#pauseFor(result.outage);
        const outage = result.verdict === Verdict.transient && (this.#reasons.size > 0 || this.#epoch !== epoch);
        return { result, counts: !outage };
      } finally {
        release();
      }
    }
  }
}
