/**
 * Paces replayed records to at most `perSecond` on average (GCRA, the "virtual scheduling"
 * form of a token bucket). A replay exists to refill an endpoint that just recovered: pouring
 * a day of dead letters into it at full speed can knock it over again.
 *
 * Small bursts (up to a tenth of a second's worth) are allowed so that records can still be
 * produced in batches at high rates; at low rates every record waits its turn.
 */
export const BURST_WINDOW_MS = 100;

export class RateLimit {
  readonly #intervalMs: number;
  readonly #toleranceMs: number;
  readonly #now: () => number;
  /** When the next record would be exactly on schedule. */
  #theoretical = -Infinity;

  constructor(perSecond: number, now: () => number = () => performance.now()) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`rate must be a positive number, got ${perSecond}`);
    this.#intervalMs = 1000 / perSecond;
    this.#toleranceMs = Math.max(0, BURST_WINDOW_MS - this.#intervalMs);
    this.#now = now;
  }

  /** Books the next slot; returns how many ms to wait before using it (0 = go now). */
  reserve(): number {
    const now = this.#now();
    const at = Math.max(this.#theoretical, now);
    this.#theoretical = at + this.#intervalMs;
    return Math.max(0, at - this.#toleranceMs - now);
  }
}
