/**
 * Runs the records of one partition under the route's ordering mode. It holds what it is
 * given (queued behind a key + running); the owned partitions hand a record over only while
 * the in-flight budget (inflight-budget.ts) says the partition's share has room.
 *
 *   partition: one lane; a record starts when the one before it finished.
 *   key:       one lane per key; different keys run in parallel, one key stays in order.
 *              Records without a key have no order to keep and start at once.
 *   none:      every record starts at once.
 */
import type { Ordering } from '../config/types.ts';
import type { BridgeRecord } from '../kafka/record.ts';

export type RunRecord = (record: BridgeRecord, signal: AbortSignal) => Promise<void>;

export class PartitionWorker {
  readonly #ordering: Ordering;
  readonly #run: RunRecord;
  readonly #onIdleSlot: () => void;
  #capacity: number;
  /** Records accepted and not yet settled: the in-flight bound applies to this. */
  #held = 0;
  #running = 0;
  /** partition mode: the single lane. key mode: one lane per key (latin1 of the key bytes). */
  readonly #lanes = new Map<string, BridgeRecord[]>();
  readonly #abort = new AbortController();
  #idleWaiters: (() => void)[] = [];

  constructor(ordering: Ordering, capacity: number, run: RunRecord, onIdleSlot: () => void) {
    this.#ordering = ordering;
    this.#capacity = Math.max(1, capacity);
    this.#run = run;
    this.#onIdleSlot = onIdleSlot;
  }

  get held(): number {
    return this.#held;
  }

  get running(): number {
    return this.#running;
  }

  get capacity(): number {
    return this.#capacity;
  }

  setCapacity(capacity: number): void {
    this.#capacity = Math.max(1, capacity);
  }

  /** Accepts a record; the caller checked the budget. */
  offer(record: BridgeRecord): void {
    this.#held++;
    const lane = this.#laneOf(record);
    if (lane === undefined) {
      this.#start(record, undefined);
      return;
    }
    const queue = this.#lanes.get(lane);
    if (queue === undefined) {
      // The lane is idle: mark it busy with an empty queue and start right away.
      this.#lanes.set(lane, []);
      this.#start(record, lane);
    } else {
      queue.push(record);
    }
  }

  #laneOf(record: BridgeRecord): string | undefined {
    switch (this.#ordering) {
      case 'partition':
        return '';
      case 'key':
        return record.key === null ? undefined : record.key.toString('latin1');
      case 'none':
        return undefined;
    }
  }

  #start(record: BridgeRecord, lane: string | undefined): void {
    this.#running++;
    // The runner never rejects by contract; the catch only keeps an unexpected bug from
    // becoming an unhandled rejection that would take the process down mid-flight.
    this.#run(record, this.#abort.signal)
      .catch(() => undefined)
      .finally(() => this.#settled(lane));
  }

  #settled(lane: string | undefined): void {
    this.#running--;
    this.#held--;
    if (lane !== undefined) {
      const queue = this.#lanes.get(lane);
      const next = queue?.shift();
      if (next === undefined) this.#lanes.delete(lane);
      else if (this.#abort.signal.aborted) this.#dropQueued();
      else this.#start(next, lane);
    }
    if (this.#held === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
    this.#onIdleSlot();
  }

  /**
   * The partition was taken away (rebalance, crash, shutdown past its deadline). Queued
   * records are dropped (the next owner fetches them from the committed offset) and running
   * ones are told to stop retrying. Nothing dropped here was committed.
   */
  revoke(): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    this.#dropQueued();
  }

  #dropQueued(): void {
    for (const [lane, queue] of this.#lanes) {
      this.#held -= queue.length;
      queue.length = 0;
      if (this.#running === 0) this.#lanes.delete(lane);
    }
    if (this.#held === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves when nothing is held. */
  idle(): Promise<void> {
    if (this.#held === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
