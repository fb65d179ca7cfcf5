/**
 * The route's circuit breaker (opossum), fed only with evidence about the endpoint.
 *
 * - **Fresh** attempts (the first attempt of a record that has not failed yet) go through the
 *   breaker: their transient failures count, and they take the one probe slot when it is
 *   half-open.
 * - Attempts of records that already failed on their own go around it: their failures are no
 *   news about the endpoint, so they neither open it nor keep it open. Their answers do count:
 *   a record that finally gets a 2xx (or a 4xx) shows the endpoint is up.
 * - It opens when more than `errorThresholdPercentage` of at least `volumeThreshold` counted
 *   attempts failed in its 10 s window, or when `volumeThreshold` fresh records failed in a
 *   row. The second rule catches the start of an outage, when the window is still full of
 *   successes; fresh failures are one per record, so the row is of distinct records. A row
 *   of `maxInFlight` is enough when that is smaller: every record the route may hold has
 *   failed, and while they wait to learn whether the endpoint is down no new record can start
 *   to make the row any longer.
 *
 * Only transient failures count against it (a 4xx is an answer). A failure that belongs to a
 * dependency of the route (its token endpoint, `result.outage`) says nothing about the endpoint.
 */
import CircuitBreaker from 'opossum';
import type { CircuitBreakerConfig } from '../config/types.ts';
import { Verdict, type AttemptResult } from '../delivery/outcome.ts';

export type BreakerState = 'closed' | 'open' | 'half-open' | 'disabled';

type Send = () => Promise<AttemptResult>;

/** Thrown inside the breaker so that opossum counts transient failures, and only those. */
class TransientFailure extends Error {
  readonly result: AttemptResult;
  constructor(result: AttemptResult) {
    super(result.message);
    this.result = result;
  }
}

function isRejection(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EOPENBREAKER';
}

const isCountedFailure = (r: AttemptResult): boolean => r.verdict === Verdict.transient && r.outage === undefined;

export class EndpointBreaker {
  readonly #breaker: CircuitBreaker<[Send], AttemptResult> | undefined;
  /** Fresh records failing in a row that open the breaker. */
  readonly #row: number;
  #state: BreakerState;
  /** Fresh records that failed in a row, with no answer in between. */
  #freshStreak = 0;

  constructor(config: CircuitBreakerConfig, maxInFlight: number, onState: (state: 'open' | 'half-open' | 'closed') => void) {
    this.#row = Math.max(1, Math.min(config.volumeThreshold, maxInFlight));
    this.#state = config.enabled ? 'closed' : 'disabled';
    if (!config.enabled) return;
    const breaker = new CircuitBreaker<[Send], AttemptResult>(
      async (send: Send) => {
        const result = await send();
        if (isCountedFailure(result)) throw new TransientFailure(result);
        return result;
      },
      {
        // The endpoint timeout already bounds every attempt.
        timeout: false,
        errorThresholdPercentage: config.errorThresholdPercentage,
        volumeThreshold: config.volumeThreshold,
        resetTimeout: config.resetTimeout,
        rollingCountTimeout: 10_000,
        rollingCountBuckets: 10,
      },
    );
    const to = (state: 'open' | 'half-open' | 'closed') => () => {
      this.#state = state;
      onState(state);
    };
    breaker.on('open', to('open'));
    breaker.on('halfOpen', to('half-open'));
    breaker.on('close', to('closed'));
    this.#breaker = breaker;
  }

  get state(): BreakerState {
    return this.#state;
  }

  /**
   * Sends under the breaker. Resolves 'rejected' when the breaker holds the attempt back: it
   * is open, or half-open with its probe already out, or half-open and the record is not fresh
   * (only a fresh record may probe: a record failing on its own would reopen it forever).
   */
  async run(send: Send, fresh: boolean, mayProbeAnyway = false): Promise<AttemptResult | 'rejected'> {
    const breaker = this.#breaker;
    if (breaker === undefined) return send();
    if (!fresh && (breaker.opened || (breaker.halfOpen && !mayProbeAnyway))) return 'rejected';
    let result: AttemptResult;
    if (fresh) {
      try {
        result = await breaker.fire(send);
      } catch (error) {
        if (error instanceof TransientFailure) result = error.result;
        else if (isRejection(error)) return 'rejected';
        else throw error;
      }
    } else {
      result = await send();
      // An answer is evidence that the endpoint is up (in half-open it closes the breaker);
      // a repeated failure is none and is not counted.
      if (!isCountedFailure(result) && result.outage === undefined) breaker.fire(() => Promise.resolve(result)).catch(() => undefined);
    }
    this.#streak(result, fresh);
    return result;
  }

  #streak(result: AttemptResult, fresh: boolean): void {
    if (result.outage !== undefined) return;
    if (!isCountedFailure(result)) {
      this.#freshStreak = 0;
      return;
    }
    if (!fresh) return;
    const breaker = this.#breaker!;
    if (++this.#freshStreak >= this.#row && breaker.closed) {
      this.#freshStreak = 0;
      breaker.open();
    }
  }

  /** Decided by the health probe at half-open, instead of by a record. */
  close(): void {
    this.#breaker?.close();
  }

  open(): void {
    this.#breaker?.open();
  }

  shutdown(): void {
    this.#breaker?.shutdown();
  }
}
