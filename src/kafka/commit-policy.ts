/**
 * When to commit, and what: the commit policy of one consumer group, apart from kafkajs so
 * that it is unit-tested without a broker.
 *
 * What: for every partition owned right now, the end of its unbroken run of finished records
 * (OffsetTracker), when that moved since the last acknowledged commit. Never a partition that
 * is not owned: a revoked partition's tracker is gone before the next commit is computed.
 *
 * When:
 *   - every `intervalMs`;
 *   - when the group starts to rebalance (the next owner starts where we committed);
 *   - early, once a partition finished a share's worth of records since its last commit (what
 *     a crash repeats stays bounded however fast records flow), but not within EARLY_GAP_MS
 *     of the last commit sent: at thousands of records a second every share would otherwise
 *     cost a commit, back to back, and the broker and the bridge spent their CPU on commits.
 *     The exposure bound still holds: a partition that reaches it asks at once (below);
 *   - when a partition waits for a commit (its exposure bound is reached);
 *   - at shutdown, after the drain.
 * After a refused commit the early triggers stay off until the next tick, instead of firing
 * on every finished record at a coordinator that is moving.
 *
 * One commit is on the wire at a time. A call during one queues exactly one more: the one in
 * flight carries offsets computed before the caller's records finished, and the final commit
 * of a drain must include them, or a clean restart would redeliver them.
 */
import { commitEarlyAfter } from '../dispatch/inflight-budget.ts';

/** The shortest time between an early commit and the commit before it. */
export const EARLY_GAP_MS = 20;
import type { OffsetTracker } from './offset-tracker.ts';

/** A partition as the policy sees it. */
export interface Committable {
  readonly topic: string;
  readonly partition: number;
  readonly tracker: OffsetTracker;
  /** Records finished since the last commit that covered it; the policy keeps it. */
  finishedSinceCommit: number;
}

export type CommitOffsets = { topic: string; partitions: { partition: number; offset: string }[] }[];

export interface CommitPolicyOptions {
  readonly intervalMs: number;
  /** The partitions owned now. */
  readonly owned: () => Iterable<Committable>;
  /** Sends one commit; resolves false when nothing could be sent (no consumer running). */
  readonly send: (offsets: CommitOffsets) => Promise<boolean>;
  /** After an acknowledged commit, per partition. */
  readonly committed: (p: Committable, offset: string) => void;
  readonly failed: (error: Error) => void;
  readonly now?: () => number;
}

export class CommitPolicy {
  readonly #opts: CommitPolicyOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #earlyOffUntil = 0;
  /** When the last commit was sent, for EARLY_GAP_MS. */
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #gapTimer: NodeJS.Timeout | undefined;

  constructor(opts: CommitPolicyOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.commit(), this.#opts.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#gapTimer);
    this.#gapTimer = undefined;
  }

  /** A record of `p` finished; `share` is the partition's in-flight share. */
  finished(p: Committable, share: number): void {
    if (++p.finishedSinceCommit < commitEarlyAfter(share) || !this.#earlyAllowed() || this.#gapTimer !== undefined) return;
    const wait = this.#lastSentAt + EARLY_GAP_MS - this.#now();
    if (wait <= 0) {
      void this.commit();
      return;
    }
    this.#gapTimer = setTimeout(() => {
      this.#gapTimer = undefined;
      void this.commit();
    }, wait);
  }

  /** `p` cannot start more until a commit moves its base. */
  blocked(p: Committable): void {
    if (this.#earlyAllowed() && p.tracker.commitCandidate() !== undefined) void this.commit();
  }

  #earlyAllowed(): boolean {
    return this.#now() >= this.#earlyOffUntil;
  }

  commit(): Promise<void> {
    if (this.#inFlight === undefined) {
      this.#inFlight = this.#once().finally(() => {
        this.#inFlight = undefined;
      });
      return this.#inFlight;
    }
    this.#queued ??= this.#inFlight.then(() => {
      this.#queued = undefined;
      return this.commit();
    });
    return this.#queued;
  }

  /** What a commit would carry now. */
  offsets(): { offsets: CommitOffsets; covered: [Committable, string][] } {
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    const covered: [Committable, string][] = [];
    for (const p of this.#opts.owned()) {
      const offset = p.tracker.commitCandidate();
      if (offset === undefined) continue;
      let list = byTopic.get(p.topic);
      if (list === undefined) byTopic.set(p.topic, (list = []));
      list.push({ partition: p.partition, offset });
      covered.push([p, offset]);
    }
    return { offsets: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })), covered };
  }

  async #once(): Promise<void> {
    const { offsets, covered } = this.offsets();
    if (covered.length === 0) return;
    this.#lastSentAt = this.#now();
    try {
      if (!(await this.#opts.send(offsets))) return;
    } catch (error) {
      this.#earlyOffUntil = this.#now() + this.#opts.intervalMs;
      this.#opts.failed(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    for (const [p, offset] of covered) {
      p.finishedSinceCommit = 0;
      p.tracker.committed(offset);
    }
    for (const [p, offset] of covered) this.#opts.committed(p, offset);
  }
}
