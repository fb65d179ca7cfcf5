/**
 * The partitions one consumer owns right now, and how records move through each:
 *
 *   fetched batch ──▶ tracker (every offset, in order) ──▶ backlog ──pump──▶ worker (lanes, HTTP)
 *                                                            │
 *                     the pump stops at: a head not due yet (retry tiers: a timer looks again),
 *                     no room in the partition's share, the exposure bound (ask for a commit),
 *                     a paused topic; a partition with a backlog stays paused for fetching
 *
 * So memory is bounded by one fetched batch plus the in-flight share per partition, and kafkajs
 * fetches nothing more for a partition until its backlog is gone. Assignments come from group
 * joins: a lost partition is revoked (its records stop, its tracker is forgotten, nothing is
 * ever committed for it again), a new one gets a fresh state.
 */
import type { KafkaMessage } from 'kafkajs';
import { hasRoom, withinExposure } from '../dispatch/inflight-budget.ts';
import type { RouteDispatcher, Worker } from '../dispatch/route-dispatcher.ts';
import { Backlog } from './backlog.ts';
import type { CommitPolicy, Committable } from './commit-policy.ts';
import { OffsetTracker } from './offset-tracker.ts';
import type { PauseBook } from './pause-book.ts';
import type { BridgeRecord } from './record.ts';
import { unreadableOf } from './record-set-reader.ts';
import type { UnreadablePartitions } from './unreadable-partitions.ts';

export type ToRecord = (topic: string, partition: number, message: KafkaMessage) => BridgeRecord;

export interface PartitionState extends Committable {
  readonly worker: Worker;
  readonly route: RouteDispatcher;
  /** Fetched and tracked, not yet handed to the worker (room or due time pending). */
  readonly backlog: Backlog<BridgeRecord>;
  highWatermark: string | undefined;
  /** Whether the pause book holds the 'backlog' reason for it (kept here: set per record). */
  backlogPaused: boolean;
  /** Still owned; false once revoked, so that late callbacks leave it alone. */
  owned: boolean;
  /** Armed while the backlog's head is not due yet (retry tiers). */
  dueTimer: NodeJS.Timeout | undefined;
}

export interface OwnedPartitionsOptions {
  /** Topic → the route that owns it. */
  readonly routes: ReadonlyMap<string, RouteDispatcher>;
  readonly toRecord: ToRecord;
  readonly pauses: PauseBook;
  readonly commits: CommitPolicy;
  readonly unreadable: UnreadablePartitions;
  /** True once shutdown began: nothing more is handed to workers. */
  readonly stopping: () => boolean;
}

export class OwnedPartitions implements Iterable<PartitionState> {
  readonly #opts: OwnedPartitionsOptions;
  /** By topic, indexed by partition number: per-record lookups build no key string. */
  readonly #byTopic = new Map<string, (PartitionState | undefined)[]>();

  constructor(opts: OwnedPartitionsOptions) {
    this.#opts = opts;
  }

  *[Symbol.iterator](): Iterator<PartitionState> {
    for (const byPartition of this.#byTopic.values()) {
      for (const state of byPartition) if (state !== undefined) yield state;
    }
  }

  get(topic: string, partition: number): PartitionState | undefined {
    return this.#byTopic.get(topic)?.[partition];
  }

  /** Makes `assignment` the partitions owned: lost ones are revoked, new ones get a fresh state. */
  assign(assignment: Readonly<Record<string, readonly number[]>>): void {
    const assigned = Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
    for (const state of [...this]) {
      if (assignment[state.topic]?.includes(state.partition)) continue;
      // Lost: stop its records (the new owner fetches them from the committed offset) and
      // forget its tracker, so that nothing is ever committed for it from here.
      state.route.removePartition(state.worker);
      state.owned = false;
      clearTimeout(state.dueTimer);
      this.#byTopic.get(state.topic)![state.partition] = undefined;
    }
    for (const a of assigned) this.#stateFor(a.topic, a.partition);
    this.#opts.unreadable.keepOnly((topic, partition) => this.get(topic, partition) !== undefined);
    if (this.#opts.stopping()) for (const topic of this.#opts.routes.keys()) this.#opts.pauses.addTopic(topic, 'shutdown');
    this.#opts.pauses.assign(assigned);
  }

  #stateFor(topic: string, partition: number): PartitionState | undefined {
    const existing = this.get(topic, partition);
    if (existing !== undefined) return existing;
    const route = this.#opts.routes.get(topic);
    if (route === undefined) return undefined;
    const state: PartitionState = {
      topic,
      partition,
      route,
      tracker: new OffsetTracker(),
      worker: route.addPartition(() => {
        if (state.owned && state.backlog.length > 0) this.pump(state);
      }),
      backlog: new Backlog<BridgeRecord>(),
      highWatermark: undefined,
      finishedSinceCommit: 0,
      backlogPaused: false,
      owned: true,
      dueTimer: undefined,
    };
    let byPartition = this.#byTopic.get(topic);
    if (byPartition === undefined) this.#byTopic.set(topic, (byPartition = []));
    byPartition[partition] = state;
    return state;
  }

  /**
   * Takes a fetched batch: every record is tracked (in order) and queued; records still in
   * flight or done from before a rebalance that kept the partition are skipped. `through` is
   * the last offset the fetch covered: past the last record when control records or aborted
   * records follow it, and those count as finished. Returns the last offset taken, for
   * kafkajs's next fetch position: short of a batch that could not be read, which stops the
   * partition (unreadable-partitions.ts) until a fetch from there reads.
   */
  intake(topic: string, partition: number, highWatermark: string, messages: readonly KafkaMessage[], through: string | undefined): string | undefined {
    const state = this.#stateFor(topic, partition);
    if (state === undefined) return undefined;
    state.highWatermark = highWatermark;
    const first = messages[0]?.offset;
    const committed = state.tracker.lastCommitted;
    if (first !== undefined && committed !== undefined && BigInt(first) < committed) {
      // Fetching restarted below what we committed: kafkajs reset an out-of-range offset and
      // committed the earliest offset itself. Those records are skipped below (seen), and the
      // next commit must send our position again or the group would stay rewound.
      state.tracker.forgetCommitted();
    }
    let last: string | undefined;
    for (const message of messages) {
      const unreadable = unreadableOf(message);
      if (unreadable !== undefined) {
        this.#opts.unreadable.found(topic, partition, unreadable);
        this.pump(state);
        return last;
      }
      last = message.offset;
      const offset = BigInt(message.offset);
      if (state.tracker.hasSeen(offset)) continue;
      state.tracker.track(offset);
      state.backlog.push(this.#opts.toRecord(topic, partition, message));
    }
    this.#opts.unreadable.read(topic, partition);
    if (through !== undefined && (last === undefined || BigInt(through) > BigInt(last))) {
      state.tracker.skipThrough(through);
      last = through;
    }
    this.pump(state);
    return last;
  }

  /**
   * A fetch that held no record to deliver, only offsets to pass over (control records,
   * aborted transactions): they count as finished, so the lag reaches 0 at the next commit.
   */
  passOver(topic: string, partition: number, highWatermark: string, through: string): void {
    const state = this.#stateFor(topic, partition);
    if (state === undefined) return;
    state.highWatermark = highWatermark;
    this.#opts.unreadable.read(topic, partition);
    state.tracker.skipThrough(through);
  }

  /**
   * Moves records from the backlog to the worker while the head is due, the share has room
   * and the exposure bound allows it (in-flight-budget.ts), and keeps the partition paused
   * for fetching while a backlog remains.
   */
  pump(state: PartitionState): void {
    const { topic, partition, backlog } = state;
    const { pauses, commits } = this.#opts;
    while (backlog.length > 0 && !this.#opts.stopping() && !pauses.topicPaused(topic)) {
      const record = backlog.peek()!;
      const wait = record.dueAt - Date.now();
      if (wait > 0) {
        this.#waitUntilDue(state, wait);
        break;
      }
      if (!hasRoom(state.worker.held, state.worker.capacity)) break;
      if (!withinExposure(state.tracker.exposure(BigInt(record.offset)), state.worker.capacity)) {
        commits.blocked(state);
        break;
      }
      backlog.shift();
      state.worker.offer(record);
    }
    const paused = backlog.length > 0;
    if (paused === state.backlogPaused) return;
    state.backlogPaused = paused;
    if (paused) pauses.addPartition(topic, partition, 'backlog');
    else pauses.removePartition(topic, partition, 'backlog');
  }

  /**
   * The head of a retry partition is not due yet: look again when it is. No busy loop (the
   * partition is paused, nothing is fetched meanwhile) and the group session stays alive
   * (kafkajs heartbeats from its idle fetch loop).
   */
  #waitUntilDue(state: PartitionState, waitMs: number): void {
    if (state.dueTimer !== undefined) return;
    // setTimeout holds at most 2^31-1 ms; a longer wait simply looks again when it fires.
    state.dueTimer = setTimeout(() => {
      state.dueTimer = undefined;
      if (state.owned) this.pump(state);
    }, Math.min(waitMs, 2 ** 31 - 1));
  }

  /**
   * A record of `route` left the bridge: its offset may be committed past, and room is free.
   * A fanned-out topic is read by several routes in several groups: another route finishing
   * the same offset says nothing about this one's.
   */
  finished(route: string, record: BridgeRecord): void {
    const state = this.get(record.topic, record.partition);
    if (state === undefined || state.route.route.name !== route) return;
    state.tracker.finish(record.offset);
    this.#opts.commits.finished(state, state.worker.capacity);
    if (state.backlog.length > 0) this.pump(state);
  }

  /** Looks again at partitions that may have been waiting (a resume). */
  pumpWhere(filter: (state: PartitionState) => boolean): void {
    for (const state of this) if (state.backlog.length > 0 && filter(state)) this.pump(state);
  }

  /** Looks again at `p` if it is still owned (after a commit it may have waited for). */
  pumpIfOwned(p: Committable): void {
    const state = this.get(p.topic, p.partition);
    if (state === p && state.backlog.length > 0) this.pump(state);
  }

  clearTimers(): void {
    for (const state of this) {
      clearTimeout(state.dueTimer);
      state.dueTimer = undefined;
    }
  }
}
