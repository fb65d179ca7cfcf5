/**
 * Partitions whose next record batch the bridge cannot read (record-set-reader.ts says why:
 * an unknown codec, corrupt compressed bytes, a truncated record). Such a partition is paused
 * with the reason `unreadable` and nothing is committed past the bad batch; the records before
 * it are delivered as usual, and every other partition and route goes on. After a backoff the
 * partition is fetched again, and it resumes by itself once the batch reads (a codec fixed by
 * an upgrade, records deleted past it by an operator).
 *
 *   marker ──▶ stuck: pause 'unreadable', one log line ──backoff──▶ resume, fetch again
 *                 ▲                                                     │
 *                 └────────────── the same batch still fails ───────────┤
 *                                   a batch reads ──▶ readable: one log line
 */
import type { PauseBook } from './pause-book.ts';
import type { Unreadable } from './record-set-reader.ts';

/** The first retry comes after this long; each failure doubles it up to the cap. */
export const UNREADABLE_FIRST_RETRY_MS = 1_000;
export const UNREADABLE_MAX_RETRY_MS = 60_000;

export function unreadableBackoffMs(failures: number): number {
  return Math.min(UNREADABLE_MAX_RETRY_MS, UNREADABLE_FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1));
}

export interface StuckPartition extends Unreadable {
  readonly topic: string;
  readonly partition: number;
  /** ISO-8601: when it was first found unreadable. */
  readonly since: string;
  /** Fetches that found it unreadable, the first included. */
  failures: number;
  /** ms since the epoch: when it is fetched again. */
  retryAt: number;
  timer: NodeJS.Timeout | undefined;
}

export interface UnreadableListener {
  stuck(p: StuckPartition): void;
  readable(p: StuckPartition): void;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class UnreadablePartitions {
  readonly #stuck = new Map<string, StuckPartition>();
  readonly #pauses: PauseBook;
  readonly #listener: UnreadableListener;
  readonly #now: () => number;

  constructor(pauses: PauseBook, listener: UnreadableListener, now: () => number = Date.now) {
    this.#pauses = pauses;
    this.#listener = listener;
    this.#now = now;
  }

  get(topic: string, partition: number): StuckPartition | undefined {
    return this.#stuck.get(key(topic, partition));
  }

  /** A fetch of the partition ended at an unreadable batch. */
  found(topic: string, partition: number, what: Unreadable): void {
    const k = key(topic, partition);
    const known = this.#stuck.get(k);
    if (known?.timer !== undefined) return; // a fetch that was under way when it paused
    const failures = (known?.failures ?? 0) + 1;
    const wait = unreadableBackoffMs(failures);
    const p: StuckPartition = {
      ...what,
      topic,
      partition,
      since: known?.since ?? new Date(this.#now()).toISOString(),
      failures,
      retryAt: this.#now() + wait,
      timer: undefined,
    };
    p.timer = setTimeout(() => {
      p.timer = undefined;
      this.#pauses.removePartition(topic, partition, 'unreadable');
    }, wait);
    this.#stuck.set(k, p);
    this.#pauses.addPartition(topic, partition, 'unreadable');
    if (known === undefined) this.#listener.stuck(p);
  }

  /** A fetch of the partition read its records: it is no longer stuck, if it was. */
  read(topic: string, partition: number): void {
    if (this.#stuck.size === 0) return;
    const k = key(topic, partition);
    const p = this.#stuck.get(k);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.#stuck.delete(k);
    this.#pauses.removePartition(topic, partition, 'unreadable');
    this.#listener.readable(p);
  }

  /** Forgets partitions no longer owned (the pause book forgets their reasons itself). */
  keepOnly(owned: (topic: string, partition: number) => boolean): void {
    for (const [k, p] of this.#stuck) {
      if (owned(p.topic, p.partition)) continue;
      clearTimeout(p.timer);
      this.#stuck.delete(k);
    }
  }

  clearTimers(): void {
    for (const p of this.#stuck.values()) {
      clearTimeout(p.timer);
      p.timer = undefined;
    }
  }
}
