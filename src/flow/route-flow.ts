/**
 * Flow control of one route: when its endpoint is down, records wait in Kafka instead of
 * burning their attempts and spilling into retry topics; when it comes back, traffic ramps
 * up instead of stampeding it. Records that fail on their own are told apart from an outage
 * and go on up their ladder while the endpoint serves the others.
 *
 * Four signals pause the route, each with its own reason:
 * - `health-check`: the optional probe failed `unhealthyAfter` times in a row;
 * - `circuit-open`: the breaker (endpoint-breaker.ts), fed by real deliveries, saw too many
 *   records that had not failed before fail now. It catches "up but failing", which a shallow
 *   health URL misses. Half-open, the health probe decides when there is one; otherwise a
 *   record that has not failed yet probes, and a record failing on its own never does;
 * - `token-endpoint`, `schema-registry`: a dependency (the OAuth2 token endpoint, the Schema
 *   Registry the route decodes with) cannot answer. Nothing can be delivered, through no fault
 *   of the records or the endpoint: the route pauses until it answers again (it is asked
 *   again with backoff), and the breaker does not hear about it.
 *
 * Before a record climbs the ladder, `judge` asks whether its failures were its own
 * (outage-evidence.ts): with a health check the probe answers; without one, what other
 * records met since its first failure does.
 *
 * The pause is applied to the consumers (fetching stops for the route's main and retry
 * topics) through listeners; records already in flight wait here, at `attempt`, and an
 * attempt that failed because of the outage does not count against the record.
 */
import type { Logger } from 'pino';
import type { RouteConfig } from '../config/types.ts';
import { Verdict, type AttemptResult, type Outage } from '../delivery/outcome.ts';
import { EndpointBreaker, type BreakerState } from './endpoint-breaker.ts';
import { HealthProbe } from './health-probe.ts';
import { OutageEvidence, type EvidenceMark } from './outage-evidence.ts';
import { ConcurrencyBound } from './concurrency-bound.ts';
import { ChangeSignal } from './change-signal.ts';
import { TokenBucket } from './token-bucket.ts';
import type { FlowPauseReason } from './pause-reasons.ts';

export type { FlowPauseReason } from './pause-reasons.ts';
export type { BreakerState } from './endpoint-breaker.ts';
export type { EvidenceMark } from './outage-evidence.ts';

/** Why a record's failures were taken as its own. */
export type FailureJudgement = 'endpoint-serves-others' | 'no-other-failures' | 'health-check-passes' | 'no-decision-within-reset-timeout';

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

type Send = () => Promise<AttemptResult>;
/** Whether an attempt can be made now; an outage pauses the route until it is over. */
type Ready = () => Promise<Outage | undefined>;

export class RouteFlow {
  readonly #route: RouteConfig;
  readonly #hooks: FlowHooks;
  readonly #log: Logger;
  readonly #reasons = new Set<FlowPauseReason>();
  readonly #bound: ConcurrencyBound;
  readonly #bucket: TokenBucket;
  readonly #breaker: EndpointBreaker;
  readonly #probe: HealthProbe | undefined;
  readonly #evidence = new OutageEvidence();
  /** Woken on every resume, breaker transition and (while records are judged) answer. */
  readonly #change = new ChangeSignal();
  #epoch = 0;
  /** Records waiting in judge(): answers wake them, and only then is waking worth a promise. */
  #judging = 0;
  #stopped = false;

  constructor(route: RouteConfig, hooks: FlowHooks, logger: Logger) {
    this.#route = route;
    this.#hooks = hooks;
    this.#log = logger.child({ route: route.name });
    this.#bound = new ConcurrencyBound(route);
    this.#bucket = new TokenBucket(route.rateLimit);
    this.#breaker = new EndpointBreaker(route.circuitBreaker, route.maxInFlight, (state) => this.#breakerTo(state));
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
  start(): Promise<void> {
    return this.#probe?.start() ?? Promise.resolve();
  }

  stop(): void {
    this.#stopped = true;
    this.#probe?.stop();
    this.#breaker.shutdown();
    this.#bound.gate.close();
    this.#bucket.close();
    this.#change.wake();
  }

  get reasons(): ReadonlySet<FlowPauseReason> {
    return this.#reasons;
  }

  get breakerState(): BreakerState {
    return this.#breaker.state;
  }

  /** undefined when the route has no health check. */
  get healthy(): boolean | undefined {
    return this.#probe?.healthy;
  }

  /** Grows on every pause: a record whose attempts straddle a pause starts its count again. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Requests running at the endpoint, and the current bound (ramping, adaptive or fixed). */
  get concurrency(): { running: number; limit: number } {
    return { running: this.#bound.running, limit: this.#bound.limit };
  }

  /** Where the evidence stands; taken right after a record's first counted failure. */
  mark(): EvidenceMark {
    return this.#evidence.mark(performance.now());
  }

  /**
   * Asked before a record whose failures since `mark` counted climbs the failure ladder: were
   * they its own, or the endpoint's? With a health check, the probe answers now (down: the
   * route pauses there and then). Without one, the evidence does (outage-evidence.ts), looked
   * at in windows of `backoff.max` while it points at an outage, for at most
   * `circuitBreaker.resetTimeout`: the breaker opening ends the wait ('outage'); too little
   * traffic to open it lets the record take its own ladder step. `fresh`: the record had not
   * failed on an earlier hop. Resolves undefined when `signal` aborted.
   */
  async judge(mark: EvidenceMark, signal: AbortSignal, fresh: boolean): Promise<FailureJudgement | 'outage' | undefined> {
    if (this.#reasons.size > 0) return 'outage';
    if (this.#probe !== undefined) return (await this.#probe.checkNow()) ? 'outage' : 'health-check-passes';
    const deadline = performance.now() + this.#route.circuitBreaker.resetTimeout;
    const epoch = this.#epoch;
    let windowStart = mark.freshFailures;
    this.#judging++;
    try {
      for (let firstLook = true; ; firstLook = false) {
        if (this.#reasons.size > 0 || this.#epoch !== epoch) return 'outage';
        const judged = this.#evidence.judge(mark, windowStart, firstLook, fresh);
        if (judged !== 'wait' || !this.#breakerWatches()) return judged === 'wait' ? 'no-other-failures' : judged;
        const left = deadline - performance.now();
        if (left <= 0) return 'no-decision-within-reset-timeout';
        if (signal.aborted) return undefined;
        windowStart = this.#evidence.freshFailures;
        // Answers and breaker transitions end the window early; others' failures do not.
        const until = performance.now() + Math.min(left, Math.max(1, this.#route.backoff.max));
        while (performance.now() < until && !this.#evidence.answeredSince(mark)) {
          if (this.#reasons.size > 0 || this.#epoch !== epoch || signal.aborted) break;
          await this.#change.next(signal, until - performance.now());
        }
      }
    } finally {
      this.#judging--;
    }
  }

  /** Without a breaker nothing would ever open for a suspected outage: records do not wait. */
  #breakerWatches(): boolean {
    return this.#breaker.state !== 'disabled';
  }

  #breakerTo(state: 'open' | 'half-open' | 'closed'): void {
    this.#log.warn({ state }, `circuit breaker ${state}`);
    if (state === 'open') {
      this.#pause('circuit-open');
    } else if (state === 'half-open' && this.#probe !== undefined) {
      // The health URL speaks first: down, the breaker opens again without a record risked.
      // Up, the route resumes and a record that has not failed yet confirms it.
      void this.#probe.checkNow().then((down) => {
        if (this.#stopped || this.#breaker.state !== 'half-open') return;
        if (down) this.#breaker.open();
        else this.#resume('circuit-open');
      });
    } else {
      // Resume (with ramp-up) so that a record that has not failed yet can probe the
      // endpoint; closed, the route simply goes on.
      this.#resume('circuit-open');
    }
    this.#change.wake();
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

  /** A dependency outside the attempt (the Schema Registry) is down: pause, wait for the resume. */
  async waitOut(outage: Outage, signal: AbortSignal): Promise<boolean> {
    this.#pauseFor(outage);
    while (this.#reasons.size > 0 && !signal.aborted) await this.#change.next(signal);
    return !signal.aborted;
  }

  #resume(reason: FlowPauseReason): void {
    if (!this.#reasons.delete(reason)) return;
    this.#hooks.resume(reason);
    if (this.#reasons.size === 0) {
      this.#log.warn({ reason, rampUpMs: this.#route.recovery.rampUp }, 'route resumed');
      this.#bound.resumed();
    }
    this.#change.wake();
  }

  /** Feeds the evidence with what one attempt said about the endpoint. */
  #note(result: AttemptResult, fresh: boolean, sentAt: number): void {
    if (result.outage !== undefined) return;
    if (result.verdict !== Verdict.transient) {
      this.#evidence.answered(sentAt);
      if (this.#judging > 0) this.#change.wake();
    } else if (fresh) {
      this.#evidence.freshFailure();
    }
  }

  /**
   * Runs one HTTP attempt under flow control: waits while the route is paused, for a ramp-up
   * slot and for a rate-limit token, checks that the route's dependencies are `ready` (an
   * outage pauses the route and the record waits), then sends through the breaker. `fresh`
   * says the record has not failed yet: only then is its failure evidence of an outage;
   * `batch` that the request carries several records (the adaptive limit does not judge its time).
   * Resolves undefined only when `signal` aborted (the record was abandoned).
   */
  async attempt(send: Send, signal: AbortSignal, ready: Ready | undefined, fresh: boolean, batch = false): Promise<FlowAttempt | undefined> {
    // A record that failed before waits while the breaker is half-open, for a fresh record to
    // probe; when none comes within resetTimeout it may probe itself.
    let mayProbe = false;
    for (;;) {
      while (this.#reasons.size > 0) {
        if (signal.aborted) return undefined;
        await this.#change.next(signal);
      }
      if (signal.aborted) return undefined;
      // The synchronous fast paths matter: every await is a trip through the microtask queue,
      // per record, and most records find a free slot, no rate limit and no auth.
      const release = this.#bound.gate.tryAcquire() ?? (await this.#bound.gate.acquire(signal));
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
        const sentAt = performance.now();
        const result = await this.#breaker.run(send, fresh, mayProbe);
        if (result === 'rejected') {
          // Open, or half-open with its probe out or kept for a fresh record: not a failure.
          release();
          mayProbe = await this.#change.next(signal, fresh ? undefined : this.#route.circuitBreaker.resetTimeout);
          continue;
        }
        this.#note(result, fresh, sentAt);
        this.#bound.answered(result, sentAt, fresh, !batch);
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
