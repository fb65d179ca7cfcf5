/**
 * Requests per second to one endpoint, as a token bucket shared by everything that sends to
 * it (main and retry topics). The bucket holds at most 50 ms worth of tokens: enough to
 * absorb timer jitter, too little for a burst that would break the promise of the limit.
 * Waiters are served in arrival order so no record starves.
 */
import { WaitQueue } from './wait-queue.ts';

export class TokenBucket {
  readonly #rate: number;
  readonly #capacity: number;
  #tokens: number;
  #last = performance.now();
  readonly #waiters = new WaitQueue<boolean>();
  #timer: NodeJS.Timeout | undefined;

  /** @param rate tokens per second; 0 = unlimited. */
  constructor(rate: number) {
    this.#rate = rate;
    this.#capacity = Math.max(1, rate / 20);
    this.#tokens = this.#capacity;
  }

  /**
   * Resolves true once a token is taken, false if `signal` aborted first. `onWait` is called
   * when the caller has to wait (for the rate_limited_total metric).
   */
  take(signal?: AbortSignal, onWait?: () => void): Promise<boolean> {
    if (this.tryTake()) return Promise.resolve(true);
    onWait?.();
    const served = this.#waiters.wait(signal, false);
    this.#schedule();
    return served;
  }

  /** Takes a token if one is there now, without waiting (and without a promise). */
  tryTake(): boolean {
    if (this.#rate === 0) return true;
    this.#refill();
    if (this.#waiters.length === 0 && this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    return false;
  }

  #refill(): void {
    const now = performance.now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#waiters.length === 0) return;
    const wait = Math.max(1, ((1 - this.#tokens) / this.#rate) * 1000);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#refill();
      while (this.#waiters.length > 0 && this.#tokens >= 1) {
        this.#tokens -= 1;
        this.#waiters.serveNext(true);
      }
      this.#schedule();
    }, wait);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#waiters.serveAll(false);
  }
}
