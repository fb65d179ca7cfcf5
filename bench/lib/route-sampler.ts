/**
 * What the bridge's route reports about its own concurrency (its readiness detail), sampled
 * inside the bridge worker while records flow: where an adaptive limit settled, and how much
 * of a fixed maxInFlight the route actually kept busy (records waiting behind their key count
 * against maxInFlight without being at the endpoint). Samples start with the first one that
 * finds records in flight, so the group join does not weigh in the means.
 */

export interface RouteConcurrency {
  samples: number;
  /** Mean and last of the route's concurrency limit; null where the bridge reports none. */
  limitMean: number | null;
  limitLast: number | null;
  /** Mean records in flight (being delivered, or queued behind their key). */
  inFlightMean: number;
}

export interface RouteReading {
  inFlight: number;
  limit: number | undefined;
}

export class RouteSampler {
  readonly #read: () => RouteReading | undefined;
  readonly #timer: NodeJS.Timeout;
  #samples = 0;
  #limitSamples = 0;
  #limitSum = 0;
  #limitLast: number | null = null;
  #inFlightSum = 0;

  constructor(read: () => RouteReading | undefined, everyMs = 50) {
    this.#read = read;
    this.#timer = setInterval(() => this.#sample(), everyMs);
    this.#timer.unref();
  }

  #sample(): void {
    let r: RouteReading | undefined;
    try {
      r = this.#read();
    } catch {
      // A reading taken while the bridge starts or stops may fail; it is only a sample.
      return;
    }
    if (r === undefined || (this.#samples === 0 && r.inFlight === 0)) return;
    this.#samples++;
    this.#inFlightSum += r.inFlight;
    if (r.limit !== undefined && Number.isFinite(r.limit)) {
      this.#limitSamples++;
      this.#limitSum += r.limit;
      this.#limitLast = r.limit;
    }
  }

  summary(): RouteConcurrency | null {
    if (this.#samples === 0) return null;
    return {
      samples: this.#samples,
      limitMean: this.#limitSamples === 0 ? null : this.#limitSum / this.#limitSamples,
      limitLast: this.#limitLast,
      inFlightMean: this.#inFlightSum / this.#samples,
    };
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
