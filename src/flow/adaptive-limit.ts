/**
 * An adaptive bound on the requests a route has at its endpoint at once, in the Vegas family:
 * it watches the round-trip time against the lowest one seen (the floor, what the endpoint
 * takes when nothing queues in front of it) and the answers that mean "too much".
 *
 *   one window ≈ one round trip of answers (at least `limit` of them, and never fewer than 8)
 *
 *   answers to fresh records: more than   → limit × 0.8
 *     20% of them 429, or more than half
 *     429, 503, 504 or timeouts
 *   mean RTT ≤ floor × 1.2 + 1 ms,      → limit + √limit   (queues are not building: there is
 *     and the window used its limit       room, and demand to use it), or limit + 1 within 100
 *                                         windows of a cut for pushback: near a cliff, probe gently
 *   mean RTT ≥ floor × 1.5 + 1 ms       → limit × 0.9      (requests queue at the endpoint),
 *                                         but not below the start (16): see below
 *   in between                          → hold
 *
 * The tolerances are tight because past the knee of an endpoint that slows down with load,
 * each request more costs throughput (the benchmark's fragile endpoint loses 6% per request);
 * the 1 ms of slack keeps a very fast endpoint from being read as congested by the few
 * milliseconds our own event loop adds under load. Latency alone never takes the limit below
 * its start: a round trip is also slow when this process is starved of CPU by neighbours, and
 * only pushback (429, 503…) proves the endpoint wants fewer. An endpoint whose normal latency
 * moved up for good drives the limit down to its start; the lowest RTT of a period of
 * FLOOR_PERIOD_WINDOWS windows spent there becomes the floor, so it is not taken for a
 * congested one for ever.
 * Growth needs demand: a route that never fills its limit learns nothing about a larger one,
 * and must not drift up to maxInFlight while idle.
 *
 * Pushback counts only for fresh records (not failed before, here or on an earlier hop), and
 * only as a share: a record that fails on its own answers 503 on every attempt, and those say
 * nothing about concurrency, while they would drive a per-answer rule down to min (a route
 * where one record in five is refused would crawl, and the fault suite has one). A 429 says
 * "too many requests" in so many words, so a fifth of them is enough; a 503, 504 or timeout
 * may be the record's own, so only a majority of them counts (about where the breaker opens).
 *
 * One exception to the latency rule: while this process's own event loop is saturated, round
 * trips grow because answers wait for us, not because the endpoint queues, and shrinking
 * would only take away the concurrency that amortises our per-turn costs (the benchmark's
 * 0 ms sink ran 22% slower so). Then a used limit grows, as a fixed maxInFlight would, as
 * long as no fresh answer in the window pushed back (a busy bridge in front of an endpoint
 * that sheds load with 503s grew past its cliff otherwise).
 *
 * `learned` is the limit of the last window with no drop and no congestion: an outage drives
 * the limit down to `min`, and after it the route resumes towards what the endpoint took
 * before (route-flow.ts ramps up to it) instead of learning it all over again.
 */

/** How an answer pushes back: `throttled` (429), `refused` (503, 504, a timeout), or not at all. */
export type Pushback = 'throttled' | 'refused' | undefined;

const MIN_WINDOW = 8;
const GROW_BELOW = 1.2;
const SHRINK_ABOVE = 1.5;
const SLACK_MS = 1;
const DROP_FACTOR = 0.8;
const THROTTLED_SHARE = 0.2;
const REFUSED_SHARE = 0.5;
const CONGESTION_FACTOR = 0.9;
const FLOOR_PERIOD_WINDOWS = 100;
const INITIAL_LIMIT = 16;
const CALM_WINDOWS = 100;
/** Event loop utilisation above which latency says more about this process than the endpoint. */
const SATURATED = 0.9;

export interface AdaptiveLimitOptions {
  readonly min: number;
  readonly max: number;
  /**
   * How busy this process was since the last call, 0 to 1 (event loop utilisation). While it
   * is saturated, round trips measure our own queue as much as the endpoint's.
   */
  readonly selfBusy?: () => number;
}

/** How an attempt's result pushes back on concurrency, whatever the configured status policy. */
export function pushbackOf(status: number | undefined, reason: string): Pushback {
  if (status === 429) return 'throttled';
  if (status === 503 || status === 504 || (status === undefined && reason === 'timeout')) return 'refused';
  return undefined;
}

export class AdaptiveLimit {
  readonly #min: number;
  readonly #max: number;
  readonly #selfBusy: () => number;
  /** Where the limit starts; latency alone never takes it lower. */
  readonly #start: number;
  #limit: number;
  #learned: number;
  #floor = Number.POSITIVE_INFINITY;
  /** The lowest RTT of the current floor period: the next floor. */
  #periodFloor = Number.POSITIVE_INFINITY;
  #windowsInPeriod = 0;
  #count = 0;
  #sum = 0;
  #used = false;
  #fresh = 0;
  #freshThrottled = 0;
  #freshRefused = 0;
  #answers = 0;
  /** Answers without a round trip worth judging (batches, whose time grows with their size). */
  #blind = 0;
  /** Windows since the last cut for pushback; within CALM_WINDOWS of one, growth is by one. */
  #sinceOverload = Number.POSITIVE_INFINITY;

  constructor(options: AdaptiveLimitOptions) {
    this.#min = Math.max(1, options.min);
    this.#max = Math.max(this.#min, options.max);
    this.#selfBusy = options.selfBusy ?? (() => 0);
    this.#limit = this.#clamp(INITIAL_LIMIT);
    this.#start = this.#limit;
    this.#learned = this.#limit;
  }

  /** Requests allowed at once now. */
  get limit(): number {
    return Math.floor(this.#limit);
  }

  /** The limit before the last run of drops and congestion. */
  get learned(): number {
    return Math.floor(this.#learned);
  }

  /**
   * One answer: `rttMs` is the exchange's duration, `pushback` what it said about the load,
   * `running` the requests at the endpoint when it ended (this one included), `fresh` whether
   * the record had not failed before. NaN for `rttMs`: an answer whose time says nothing
   * about congestion (a batch's grows with its size).
   */
  sample(rttMs: number, pushback: Pushback, running: number, fresh = true): void {
    this.#answers++;
    if (fresh) {
      this.#fresh++;
      if (pushback === 'throttled') this.#freshThrottled++;
      else if (pushback === 'refused') this.#freshRefused++;
    }
    if (pushback === undefined && Number.isNaN(rttMs)) this.#blind++;
    else if (pushback === undefined) {
      if (rttMs < this.#floor) this.#floor = rttMs;
      if (rttMs < this.#periodFloor) this.#periodFloor = rttMs;
      this.#count++;
      this.#sum += rttMs;
    }
    if (running >= Math.floor(this.#limit)) this.#used = true;
    if (this.#answers >= Math.max(MIN_WINDOW, Math.floor(this.#limit))) this.#closeWindow();
  }

  /** After a pause: go back to what the endpoint took before the outage drove the limit down. */
  restore(): void {
    this.#limit = Math.max(this.#limit, this.#learned);
    this.#resetWindow();
  }

  #closeWindow(): void {
    const mean = this.#count === 0 ? Number.POSITIVE_INFINITY : this.#sum / this.#count;
    this.#sinceOverload++;
    const pushback = this.#freshThrottled + this.#freshRefused;
    if (this.#freshThrottled > this.#fresh * THROTTLED_SHARE || pushback > this.#fresh * REFUSED_SHARE) {
      this.#sinceOverload = 0;
      this.#limit = this.#clamp(this.#limit * DROP_FACTOR);
    } else if (this.#count === 0) {
      // No round trip to judge. Batches (blind answers) grow additively until pushback, the
      // rest of AIMD; answers of records failing again say nothing about the endpoint.
      if (this.#blind > 0) this.#grow(1);
    } else if (this.#selfBusy() > SATURATED) {
      // Our own event loop is the bottleneck: the round trips wait in our queue, not the
      // endpoint's. More requests in flight then amortise per-turn costs (more answers read per
      // socket wake-up), so a used limit grows, as a fixed maxInFlight would let it; but only
      // while the endpoint pushes back not at all, or a busy bridge would walk off a cliff.
      if (pushback === 0) this.#grow(Math.sqrt(this.#limit));
    } else if (mean <= this.#floor * GROW_BELOW + SLACK_MS) {
      this.#grow(this.#sinceOverload < CALM_WINDOWS ? 1 : Math.sqrt(this.#limit));
      this.#learned = this.#limit;
    } else if (mean >= this.#floor * SHRINK_ABOVE + SLACK_MS) {
      // Latency alone never takes the limit below where it started: pushback can, but a round
      // trip may also be slow because this process was starved of CPU by its neighbours, and
      // a limit of 1 or 2 on that evidence stalled a route on a loaded machine (fault S17 in CI).
      this.#limit = Math.max(this.#limit * CONGESTION_FACTOR, Math.min(this.#limit, this.#start));
    }
    if (++this.#windowsInPeriod >= FLOOR_PERIOD_WINDOWS) {
      // Near min, latency is what the endpoint takes with nothing queued: if that moved up
      // for good, it is the new floor. Higher up the period's lowest RTT includes queueing,
      // and taking it as the floor would let the limit climb past the knee period by period.
      if (this.#limit <= Math.max(2 * this.#min, this.#start)) this.#floor = this.#periodFloor;
      this.#periodFloor = Number.POSITIVE_INFINITY;
      this.#windowsInPeriod = 0;
    }
    this.#resetWindow();
  }

  /** Growth needs demand: only a window that used its limit grows it. */
  #grow(step: number): void {
    if (this.#used) this.#limit = this.#clamp(this.#limit + step);
  }

  #resetWindow(): void {
    this.#count = 0;
    this.#sum = 0;
    this.#used = false;
    this.#answers = 0;
    this.#blind = 0;
    this.#fresh = 0;
    this.#freshThrottled = 0;
    this.#freshRefused = 0;
  }

  #clamp(limit: number): number {
    return Math.min(this.#max, Math.max(this.#min, limit));
  }
}
