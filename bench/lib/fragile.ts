/**
 * The fragile endpoint: a service that is comfortable up to 32 requests at once, slows down
 * steeply beyond that, and refuses outright beyond 64, like a service with a pool of 32
 * workers that thrash (locks, a database pool, GC) when asked for more, behind a proxy that
 * sheds load above 64.
 *
 *   being served (itself included)   latency
 *   1 … 32                           10 ms
 *   33 … 64                          10 ms + 1 ms per request beyond 32 (42 ms at 64)
 *   65 and more                      503 at once, not served
 *
 * Why this curve: throughput n / latency(n) peaks at the knee (32 / 10 ms = 3,200 records/s)
 * and falls beyond it (64 / 42 ms = 1,524 records/s): more requests in flight buy less, not
 * just nothing, so "as many as allowed" is the wrong setting and the best fixed maxInFlight
 * has to be found. The peak stays well below what the bridge delivers one record per request
 * on the benchmark's two cores (8,000–12,000 records/s), so the endpoint, not the CPU, sets the
 * pace, and the cases measure how the bridge copes with the endpoint.
 *
 * A request's latency is set when it is admitted, from the number being served then; later
 * arrivals do not slow it down. A 503 is answered at once and is not counted as served.
 */
export const FRAGILE = { baseMs: 10, knee: 32, stepMs: 1, limit: 64 } as const;

export function fragileLatencyMs(serving: number): number {
  return FRAGILE.baseMs + FRAGILE.stepMs * Math.max(0, serving - FRAGILE.knee);
}

/** The endpoint's state: how many requests it is serving right now. */
export class FragileEndpoint {
  #serving = 0;

  /** Admits one request: its latency in ms, or undefined when it must be answered 503. */
  admit(): number | undefined {
    if (this.#serving >= FRAGILE.limit) return undefined;
    this.#serving++;
    return fragileLatencyMs(this.#serving);
  }

  /** An admitted request was answered. */
  done(): void {
    this.#serving--;
  }
}
