/**
 * Bounds the HTTP requests to one endpoint that run at once, and after a resume lets that
 * bound climb from 1 to its maximum over the ramp-up time (slow start), so a recovering
 * endpoint is not hit by the whole backlog in its first second. The maximum is maxInFlight,
 * or the adaptive limit (adaptive-limit.ts) as it moves.
 *
 *   limit
 *   max ┤            ┌────────
 *       │         ╱
 *       │      ╱
 *     1 ┤───╱
 *       └──┬─────────┬──────▶ time
 *        resume   resume + rampUp
 */
import { WaitQueue } from './wait-queue.ts';

export class RampGate {
  #max: number;
  readonly #rampUp: number;
  #rampStart: number | undefined;
  #running = 0;
  readonly #waiters = new WaitQueue<(() => void) | undefined>();
  #ticker: NodeJS.Timeout | undefined;

  constructor(max: number, rampUpMs: number) {
    this.#max = Math.max(1, max);
    this.#rampUp = rampUpMs;
  }

  /** The bound right now. */
  get limit(): number {
    if (this.#rampStart === undefined) return this.#max;
    const elapsed = performance.now() - this.#rampStart;
    if (elapsed >= this.#rampUp) {
      this.#rampStart = undefined;
      return this.#max;
    }
    return Math.max(1, Math.floor((this.#max * elapsed) / this.#rampUp));
  }

  get running(): number {
    return this.#running;
  }

  /** Moves the maximum (an adaptive limit); a higher one admits waiters at once. */
  setMax(max: number): void {
    const raised = max > this.#max;
    this.#max = Math.max(1, max);
    if (raised) this.#admit();
  }

  /** Starts a ramp from 1 (called on every resume). */
  startRamp(): void {
    if (this.#rampUp <= 0) return;
    this.#rampStart = performance.now();
    // Wake waiters as the limit grows; a release alone would only admit one at a time.
    clearInterval(this.#ticker);
    this.#ticker = setInterval(() => {
      this.#admit();
      if (this.#rampStart === undefined) {
        clearInterval(this.#ticker);
        this.#ticker = undefined;
      }
    }, Math.max(20, Math.min(250, this.#rampUp / this.#max)));
  }

  /** Resolves with a release function once a slot is free, or undefined if `signal` aborted. */
  acquire(signal?: AbortSignal): Promise<(() => void) | undefined> {
    const release = this.tryAcquire();
    return release === undefined ? this.#waiters.wait(signal, undefined) : Promise.resolve(release);
  }

  /** A slot now, without waiting (and without a promise), or undefined when there is none. */
  tryAcquire(): (() => void) | undefined {
    if (this.#waiters.length === 0 && this.#running < this.limit) return this.#take();
    return undefined;
  }

  #take(): () => void {
    this.#running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      this.#admit();
    };
  }

  #admit(): void {
    while (this.#waiters.length > 0 && this.#running < this.limit) this.#waiters.serveNext(this.#take());
  }

  close(): void {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
    this.#waiters.serveAll(undefined);
  }
}
