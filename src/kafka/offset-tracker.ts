/**
 * Tracks the records of ONE partition from hand-off to finish and says which offset may be
 * committed. A record is finished when it was delivered, or when its retry/dead-letter copy
 * was acknowledged by Kafka; only then may the group forget it.
 *
 *   handed off, in fetch order ─────────────────────────────────────────▶
 *   offset:   40   41   42   44   45   46          (43 was a control record or compacted away)
 *   state:    done done  ·   done  ·   done
 *                       ▲
 *                       └── commit position = 42: the first unfinished record.
 *
 * When 42 finishes the run 40‥44 is unbroken and the position moves to 45. When everything
 * handed off is finished, the position is the last offset + 1 (47 here, once 45 is done), so
 * offsets that never held a record (43) are skipped without ever being "waited for".
 *
 * Offsets are Kafka int64s; kafkajs hands them over as strings. They are kept as bigint so
 * that offsets beyond 2^53 compare and increment exactly.
 */
export class OffsetTracker {
  /** Records handed off and not yet dropped from the head, in hand-off order. */
  #entries: { offset: bigint; done: boolean }[] = [];
  #head = 0;
  #byOffset = new Map<bigint, { offset: bigint; done: boolean }>();
  #unfinished = 0;
  /** Offset after the last record handed off, or undefined before the first one. */
  #nextExpected: bigint | undefined;
  /** Where the unbroken run of finished records ends. */
  #position: bigint | undefined;
  /** The position last reported as committed. */
  #committed: bigint | undefined;
  /** The first offset ever tracked: what a crash repeats from until the first commit. */
  #first: bigint | undefined;

  /**
   * @param committed the group's committed offset for this partition, when known. Records
   *   below it were finished by an earlier owner.
   */
  constructor(committed?: string | bigint) {
    if (committed !== undefined) {
      this.#committed = BigInt(committed);
      this.#position = this.#committed;
    }
  }

  /**
   * True when the record at `offset` was already handed off (or finished) by this tracker.
   * After a rebalance that keeps a partition, kafkajs fetches again from the committed
   * offset; those records are still in flight here and must not be dispatched twice.
   */
  hasSeen(offset: string | bigint): boolean {
    return this.#nextExpected !== undefined && BigInt(offset) < this.#nextExpected;
  }

  /** Registers a record as handed off. Offsets must arrive in increasing order. */
  track(offset: string | bigint): void {
    const o = BigInt(offset);
    if (this.#nextExpected !== undefined && o < this.#nextExpected) {
      throw new RangeError(`offset ${o} tracked out of order (expected >= ${this.#nextExpected})`);
    }
    const entry = { offset: o, done: false };
    this.#first ??= o;
    this.#entries.push(entry);
    this.#byOffset.set(o, entry);
    this.#unfinished++;
    this.#nextExpected = o + 1n;
    if (this.#position === undefined || this.#position < o) {
      // Nothing before `o` is pending: it was finished earlier or never was a record.
      if (this.#head === this.#entries.length - 1) this.#position = o;
    }
  }

  /**
   * Offsets up to and including `offset` that were not handed off hold no record to deliver:
   * control records (transaction markers), records of aborted transactions, offsets compacted
   * away. They count as finished, so that once every record before them is, the position
   * reaches `offset` + 1 and the lag can reach 0 on a topic that ends in them.
   */
  skipThrough(offset: string | bigint): void {
    const o = BigInt(offset);
    if (this.#nextExpected !== undefined && o < this.#nextExpected) return;
    this.#first ??= o;
    this.#entries.push({ offset: o, done: true });
    this.#nextExpected = o + 1n;
    this.#advance();
  }

  /** Marks a tracked record finished. Unknown offsets are ignored (already dropped). */
  finish(offset: string | bigint): void {
    const entry = this.#byOffset.get(BigInt(offset));
    if (entry === undefined || entry.done) return;
    entry.done = true;
    this.#unfinished--;
    this.#advance();
  }

  #advance(): void {
    let moved = false;
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!;
      if (!entry.done) {
        this.#position = entry.offset;
        break;
      }
      this.#byOffset.delete(entry.offset);
      this.#head++;
      this.#position = entry.offset + 1n;
      moved = true;
    }
    // Compact the array now and then instead of shifting on every finish.
    if (moved && this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Records handed off and not finished. */
  get pending(): number {
    return this.#unfinished;
  }

  /** The offset to commit, or undefined when nothing moved since the last commit. */
  commitCandidate(): string | undefined {
    const p = this.#position;
    if (p === undefined) return undefined;
    if (this.#committed !== undefined && p <= this.#committed) return undefined;
    return p.toString();
  }

  /** Records that Kafka acknowledged a commit of `offset`. */
  committed(offset: string | bigint): void {
    const o = BigInt(offset);
    if (this.#committed === undefined || o > this.#committed) this.#committed = o;
  }

  /**
   * How many offsets a crash would deliver again if the record at `offset` were started now:
   * from the last commit Kafka acknowledged (before any, from the first record tracked) up to
   * and including `offset`. Counted in offsets, so gaps (compaction, control records) count
   * too: the bound errs on the safe side.
   */
  exposure(offset: bigint): bigint {
    const base = this.#committed ?? this.#first ?? offset;
    return offset - base + 1n;
  }

  /**
   * Forgets what was committed, so the next commit sends the position again. Used when the
   * group's committed offset moved behind our back (kafkajs resets an out-of-range offset by
   * committing the earliest offset itself).
   */
  forgetCommitted(): void {
    this.#committed = undefined;
  }

  get lastCommitted(): bigint | undefined {
    return this.#committed;
  }
}
