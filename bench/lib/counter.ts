/**
 * Counts what arrives where the benchmark measures it (the HTTP sink, or the consume-only
 * worker): how many records, when the first and the last arrived, and, while recording, each
 * record's latency (arrival time minus the record's timestamp). Used inside a child process;
 * it pushes "first" and "reached" events so the orchestrator never polls.
 */
import { emit } from './ipc.ts';

export interface CounterReset {
  /** Push "reached" once this many records arrived (0 = never). */
  target: number;
  /** Keep a latency sample per record. */
  recordLatency: boolean;
}

export interface CounterStats {
  count: number;
  /** Records that arrived together with the first one (a whole fetch, for consume-only). */
  firstCount: number;
  /** Date.now() of the first and last arrival, 0 when none. */
  firstAt: number;
  lastAt: number;
  /** Records whose timestamp could not be read (latency not known). */
  noTimestamp: number;
  latencies: number[];
}

export class ArrivalCounter {
  #count = 0;
  #firstCount = 0;
  #firstAt = 0;
  #lastAt = 0;
  #noTimestamp = 0;
  #target = 0;
  #recordLatency = false;
  #latencies: number[] = [];

  reset(r: CounterReset): void {
    this.#count = 0;
    this.#firstCount = 0;
    this.#firstAt = 0;
    this.#lastAt = 0;
    this.#noTimestamp = 0;
    this.#target = r.target;
    this.#recordLatency = r.recordLatency;
    this.#latencies = [];
  }

  /** `n` records arrived at `now`, with record timestamp `ts` (ms since the epoch; NaN if unknown). */
  arrived(now: number, ts: number, n = 1): void {
    if (this.#count > 0 && now === this.#firstAt) this.#firstCount += n;
    if (this.#count === 0) {
      this.#firstAt = now;
      this.#firstCount = n;
      emit('first', { at: now });
    }
    this.#count += n;
    this.#lastAt = now;
    if (this.#recordLatency) {
      if (Number.isFinite(ts)) for (let i = 0; i < n; i++) this.#latencies.push(now - ts);
      else this.#noTimestamp += n;
    }
    if (this.#target > 0 && this.#count >= this.#target && this.#count - n < this.#target) {
      emit('reached', { at: now, count: this.#count });
    }
  }

  stats(): CounterStats {
    return {
      count: this.#count,
      firstCount: this.#firstCount,
      firstAt: this.#firstAt,
      lastAt: this.#lastAt,
      noTimestamp: this.#noTimestamp,
      latencies: this.#latencies,
    };
  }
}
