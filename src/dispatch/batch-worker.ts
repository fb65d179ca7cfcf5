/**
 * Runs the records of one partition in batches (`batch.maxRecords` > 1), under the route's
 * ordering mode. It holds what it is given: records waiting for a batch, and the batches
 * running. A batch never spans partitions, so offsets stay per-partition business.
 *
 *   partition: one batch at a time; the next one starts when the one before it settled.
 *   key:       never two running batches that share a key. A batch is taken in offset order,
 *              skipping records whose key runs in another batch, and once a key is skipped
 *              every later record of that key is skipped too, so a key never overtakes itself.
 *              Records without a key have no order to keep.
 *   none:      batches from the head, up to the partition's share of requests at once.
 *
 * A batch goes when it is full (maxRecords or maxBytes), when its oldest record waited
 * maxWait, or at once when the partition holds all it may: nothing more can arrive to fill it.
 */
import type { BatchConfig, Ordering } from '../config/types.ts';
import type { BridgeRecord } from '../kafka/record.ts';
import { batchCapacity } from './inflight-budget.ts';

export type RunBatch = (records: readonly BridgeRecord[], signal: AbortSignal) => Promise<void>;
/** A record's bytes in a batch body. */
export type Measure = (record: BridgeRecord) => number;

export class BatchWorker {
  readonly #ordering: Ordering;
  readonly #batch: BatchConfig;
  readonly #run: RunBatch;
  readonly #measure: Measure;
  readonly #onIdleSlot: () => void;
  /** Requests this partition may run at once (its share of maxInFlight). */
  #requests = 1;
  #capacity: number;
  #held = 0;
  #running = 0;
  #queue: BridgeRecord[] = [];
  /** performance.now() since which the oldest waiting record has waited. */
  #waitingSince = 0;
  #timer: NodeJS.Timeout | undefined;
  /** A look at the queue is due at the end of the current run of offers. */
  #scheduled = false;
  /** key mode: keys in running batches, with how many of their records run. */
  readonly #busyKeys = new Map<string, number>();
  readonly #abort = new AbortController();
  #idleWaiters: (() => void)[] = [];

  constructor(ordering: Ordering, batch: BatchConfig, run: RunBatch, measure: Measure, onIdleSlot: () => void) {
    this.#ordering = ordering;
    this.#batch = batch;
    this.#run = run;
    this.#measure = measure;
    this.#onIdleSlot = onIdleSlot;
    this.#capacity = batchCapacity(1, batch.maxRecords, ordering === 'partition');
  }

  get held(): number {
    return this.#held;
  }

  /** Records this partition may hold. */
  get capacity(): number {
    return this.#capacity;
  }

  /** `share`: requests this partition may run at once. */
  setCapacity(share: number): void {
    this.#requests = Math.max(1, share);
    this.#capacity = batchCapacity(this.#requests, this.#batch.maxRecords, this.#ordering === 'partition');
  }

  /** Accepts a record; the caller checked the capacity. */
  offer(record: BridgeRecord): void {
    this.#held++;
    if (this.#queue.length === 0) this.#waitingSince = performance.now();
    this.#queue.push(record);
    // Records are offered in runs (a fetched batch at a time): look once the run is over, not
    // on every record, which would scan the queue once per record and, with maxWait 0, send
    // each record alone. A full batch's worth or a full partition is looked at right away.
    if (this.#held >= this.#capacity || this.#queue.length % this.#batch.maxRecords === 0) this.#pump();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        this.#pump();
      });
    }
  }

  #pump(): void {
    while (!this.#abort.signal.aborted && this.#queue.length > 0 && this.#running < this.#requests) {
      if (this.#ordering === 'partition' && this.#running > 0) return;
      const { picked, full } = this.#pick();
      if (picked.length === 0) return;
      const waited = performance.now() - this.#waitingSince;
      if (!full && this.#held < this.#capacity && waited < this.#batch.maxWait) {
        this.#armTimer(this.#batch.maxWait - waited);
        return;
      }
      this.#take(picked);
      this.#launch(picked);
    }
  }

  /** The next batch, in offset order, within maxRecords and maxBytes (at least one record). */
  #pick(): { picked: BridgeRecord[]; full: boolean } {
    const { maxRecords, maxBytes } = this.#batch;
    const picked: BridgeRecord[] = [];
    const skipped = this.#ordering === 'key' ? new Set<string>() : undefined;
    let bytes = 0;
    for (const record of this.#queue) {
      const lane = skipped === undefined || record.key === null ? undefined : record.key.toString('latin1');
      if (lane !== undefined && (this.#busyKeys.has(lane) || skipped!.has(lane))) {
        skipped!.add(lane);
        continue;
      }
      const size = this.#measure(record);
      if (picked.length > 0 && bytes + size > maxBytes) return { picked, full: true };
      picked.push(record);
      bytes += size;
      if (picked.length >= maxRecords) return { picked, full: true };
    }
    return { picked, full: false };
  }

  #take(picked: readonly BridgeRecord[]): void {
    if (picked.length === this.#queue.length) this.#queue = [];
    else if (this.#queue[picked.length - 1] === picked[picked.length - 1] && this.#queue[0] === picked[0]) this.#queue.splice(0, picked.length);
    else {
      const taken = new Set(picked);
      this.#queue = this.#queue.filter((r) => !taken.has(r));
    }
    // What is left has waited already, but counting again from now keeps a batch from going
    // out nearly empty right behind a full one.
    this.#waitingSince = performance.now();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #launch(records: readonly BridgeRecord[]): void {
    this.#running++;
    const lanes = this.#ordering === 'key' ? records.flatMap((r) => (r.key === null ? [] : [r.key.toString('latin1')])) : [];
    for (const lane of lanes) this.#busyKeys.set(lane, (this.#busyKeys.get(lane) ?? 0) + 1);
    // The runner never rejects by contract; the catch only keeps an unexpected bug from
    // becoming an unhandled rejection that would take the process down mid-flight.
    this.#run(records, this.#abort.signal)
      .catch(() => undefined)
      .finally(() => this.#settled(records.length, lanes));
  }

  #settled(count: number, lanes: readonly string[]): void {
    this.#running--;
    this.#held -= count;
    for (const lane of lanes) {
      const left = this.#busyKeys.get(lane)! - 1;
      if (left === 0) this.#busyKeys.delete(lane);
      else this.#busyKeys.set(lane, left);
    }
    this.#wakeIdle();
    this.#pump();
    this.#onIdleSlot();
  }

  #armTimer(waitMs: number): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, Math.max(1, Math.ceil(waitMs)));
  }

  #wakeIdle(): void {
    if (this.#held !== 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * The partition was taken away: waiting records are dropped (the next owner fetches them
   * from the committed offset) and running batches are told to stop retrying.
   */
  revoke(): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#held -= this.#queue.length;
    this.#queue = [];
    this.#wakeIdle();
  }

  /** Resolves when nothing is held. */
  idle(): Promise<void> {
    if (this.#held === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
