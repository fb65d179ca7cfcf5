/**
 * Tells an endpoint outage apart from records that fail on their own.
 *
 * A record that already failed on its own says nothing new when it fails again: a bug for one
 * customer or a 503 from one shard fails the same records over and over. So only a *fresh*
 * record counts as evidence of an outage: one that has not failed yet (in this process, or on
 * an earlier hop: a record read from a retry topic never is fresh). Its first transient
 * failure is a vote for "the endpoint is down". An answer that is not a transient failure (a
 * 2xx, a 4xx), from any record, to a request sent after a record first failed, shows the
 * endpoint is up since then.
 *
 * When record R ran out of attempts, judge() looks at what happened since R first failed, in
 * windows of `backoff.max`:
 *
 *   a request sent since got an answer               → R's own failure: climb
 *   other fresh records failed in the last window    → a suspected outage: look again after a window
 *   nothing failed meanwhile, and R is fresh and
 *     this is the first look                         → too early to tell: look again after a window
 *   nothing failed meanwhile                         → R's own failure: climb
 *
 * The caller bounds the looking (`circuitBreaker.resetTimeout`) and stops it when the breaker
 * opens. Pure bookkeeping on a counter and a time, so the rule is unit-tested without HTTP.
 */

/** Where the evidence stood when a record failed for the first time. */
export interface EvidenceMark {
  /** performance.now() of the record's first counted failure. */
  readonly at: number;
  readonly freshFailures: number;
}

/**
 * `endpoint-serves-others`: a request sent after the record first failed got an answer.
 * `no-other-failures`: no other record failed for the first time while this one was judged.
 * `wait`: other fresh records fail too, or it is too early to tell: look again after a window.
 */
export type Judgement = 'endpoint-serves-others' | 'no-other-failures' | 'wait';

export class OutageEvidence {
  #freshFailures = 0;
  /** When the latest attempt that got an answer was sent (performance.now()). */
  #answeredSentAt = -Infinity;

  /** A fresh record's first transient failure. */
  freshFailure(): void {
    this.#freshFailures++;
  }

  /**
   * The endpoint answered something other than a transient failure to an attempt sent at
   * `sentAt`. Only the send time matters: at the start of an outage, answers to requests sent
   * just before it still arrive after the first records failed, and say nothing since.
   */
  answered(sentAt: number): void {
    if (sentAt > this.#answeredSentAt) this.#answeredSentAt = sentAt;
  }

  get freshFailures(): number {
    return this.#freshFailures;
  }

  /** Whether a request sent after `mark` got an answer. */
  answeredSince(mark: EvidenceMark): boolean {
    return this.#answeredSentAt > mark.at;
  }

  /** Taken right after a record's first failure was counted (its own vote included). */
  mark(now: number): EvidenceMark {
    return { at: now, freshFailures: this.#freshFailures };
  }

  /**
   * One look at a record whose failures started at `mark`. `windowStart` is the fresh-failure
   * count when the current window began (the mark's, at the first look); `fresh` says the
   * record had not failed on an earlier hop.
   */
  judge(mark: EvidenceMark, windowStart: number, firstLook: boolean, fresh: boolean): Judgement {
    if (this.answeredSince(mark)) return 'endpoint-serves-others';
    if (this.#freshFailures > windowStart) return 'wait';
    if (firstLook && fresh) return 'wait';
    return 'no-other-failures';
  }
}
