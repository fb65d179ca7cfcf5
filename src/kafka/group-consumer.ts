/**
 * One kafkajs consumer group, driven so that no record is lost and none is dispatched twice
 * by this process:
 *
 * - eachBatch never waits for HTTP. It hands records to the partition's worker while the
 *   worker has room, and pauses the partition when it has none. kafkajs fetches a broker's
 *   partitions together and waits for every batch of a fetch before the next one, so one
 *   slow partition held inside eachBatch would stall all its neighbours.
 * - `resolveOffset` is called for every record handed over: in kafkajs it moves the next
 *   fetch position. Commits never use it (autoCommit is off); they carry the offset
 *   tracker's unbroken run of finished records, explicitly, on a timer, when a rebalance
 *   starts, and at shutdown.
 * - Commits only ever name partitions of the current assignment, learned on GROUP_JOIN.
 * - A record's failure never reaches kafkajs: its retrier would count it, and enough of those
 *   over the process's lifetime crash the consumer.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { RouteDispatcher } from '../dispatch/route-dispatcher.ts';
import type { PartitionWorker } from '../dispatch/partition-worker.ts';
import type { RecordEvents } from '../record-events.ts';
import type { KafkaConfig } from '../config/types.ts';
import { OffsetTracker } from './offset-tracker.ts';
import { PauseBook, type PauseReason } from './pause-book.ts';
import type { BridgeRecord } from './record.ts';
import { Backlog } from './backlog.ts';

export type ToRecord = (topic: string, partition: number, message: KafkaMessage) => BridgeRecord;

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly tracker: OffsetTracker;
  readonly worker: PartitionWorker;
  readonly route: RouteDispatcher;
  /** Fetched and tracked, not yet handed to the worker (room or due time pending). */
  readonly backlog: Backlog<BridgeRecord>;
  highWatermark: string | undefined;
  /** Records finished since the last commit that covered this partition. */
  finishedSinceCommit: number;
  /** Whether the pause book holds the 'backlog' reason for it (kept here: set per record). */
  backlogPaused: boolean;
  /** Still owned; false once revoked, so that late callbacks leave it alone. */
  owned: boolean;
  /** Armed while the backlog's head is not due yet (retry tiers). */
  dueTimer: NodeJS.Timeout | undefined;
}

export interface PartitionSnapshot {
  readonly topic: string;
  readonly partition: number;
  readonly route: string;
  readonly committed: string | undefined;
  readonly highWatermark: string | undefined;
  readonly pending: number;
  readonly backlog: number;
  readonly paused: boolean;
}

export interface GroupConsumerOptions {
  /** `main` or `retry`: used in logs and metrics. */
  readonly name: string;
  readonly kafka: Kafka;
  readonly config: KafkaConfig;
  readonly groupId: string;
  /** Topic → the route that owns it. */
  readonly routes: ReadonlyMap<string, RouteDispatcher>;
  readonly toRecord: ToRecord;
  readonly events: RecordEvents;
  readonly logger: Logger;
  /** kafkajs crashed and will not restart: the process must not stay alive-but-idle. */
  readonly onFatal: (error: Error) => void;
  readonly onCommitted?: (topic: string, partition: number, offset: string) => void;
  readonly onCommitFailed?: (error: Error) => void;
  readonly onRestart?: () => void;
}

type CommitDirect = EachBatchPayload['commitOffsetsIfNecessary'];

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Records are fetched this often at most while idle; also the pause/resume reaction time. */
const FETCH_MAX_WAIT_MS = 100;

export class GroupConsumer {
  readonly pauses = new PauseBook();
  readonly #opts: GroupConsumerOptions;
  readonly #consumer: Consumer;
  readonly #log: Logger;
  /** Owned partitions by topic, indexed by partition number: per-record lookups build no key string. */
  readonly #partitions = new Map<string, (PartitionState | undefined)[]>();
  #commitDirect: CommitDirect | undefined;
  #commitTimer: NodeJS.Timeout | undefined;
  #committing: Promise<void> | undefined;
  #commitAgain: Promise<void> | undefined;
  #commitPauseUntil = 0;
  #stopping = false;
  #restarts: number[] = [];
  /** The member id of the last join: a new one means the group forgot us in between. */
  #memberId: string | undefined;

  constructor(opts: GroupConsumerOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ consumer: opts.name });
    this.#consumer = this.#newConsumer();
    this.pauses.attach({
      pause: (topic, partition) => this.#consumer.pause([{ topic, partitions: [partition] }]),
      resume: (topic, partition) => this.#consumer.resume([{ topic, partitions: [partition] }]),
    });
    opts.events.on('finished', ({ record }) => this.#finished(record));
  }

  #newConsumer(): Consumer {
    const cfg = this.#opts.config;
    return this.#opts.kafka.consumer({
      groupId: this.#opts.groupId,
      sessionTimeout: cfg.sessionTimeout,
      heartbeatInterval: cfg.heartbeatInterval,
      rebalanceTimeout: Math.max(cfg.sessionTimeout, 60_000),
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      allowAutoTopicCreation: false,
      retry: {
        retries: 8,
        initialRetryTime: 300,
        maxRetryTime: 30_000,
        restartOnFailure: async () => this.#mayRestart(),
      },
    });
  }

  /**
   * kafkajs never forgets a failure; restarts are counted in a sliding window instead, so a
   * consumer that hiccups once a day is not given up on after a week.
   */
  #mayRestart(): boolean {
    const now = Date.now();
    this.#restarts = this.#restarts.filter((t) => now - t < 10 * 60_000);
    this.#restarts.push(now);
    return this.#restarts.length <= this.#opts.config.maxConsumerRestarts;
  }

  async start(): Promise<void> {
    await this.#run(this.#consumer);
    this.#commitTimer = setInterval(() => void this.commit(), this.#opts.config.commitInterval);
  }

  async #run(c: Consumer): Promise<void> {
    c.on(c.events.GROUP_JOIN, ({ payload }) => this.#onGroupJoin(payload.memberId, payload.memberAssignment));
    c.on(c.events.REBALANCING, () => {
      // The coordinator still accepts commits from this generation while the group is
      // preparing to rebalance: commit what is finished so the next owner starts there.
      this.#log.info('group is rebalancing; committing finished offsets');
      void this.commit();
    });
    c.on(c.events.CRASH, ({ payload }) => this.#onCrash(payload.error, payload.restart));
    await c.connect();
    // fromBeginning: with no committed offset, start at the earliest record. An offset reset
    // to "latest" would silently skip data; kafkajs resets to this default on out-of-range.
    await c.subscribe({ topics: [...this.#opts.routes.keys()], fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    this.#commitDirect = payload.commitOffsetsIfNecessary;
    const state = this.#stateFor(batch.topic, batch.partition);
    if (state === undefined || this.#stopping || !isRunning() || isStale()) return;
    state.highWatermark = batch.highWatermark;
    const first = batch.messages[0]?.offset;
    const committed = state.tracker.lastCommitted;
    if (first !== undefined && committed !== undefined && BigInt(first) < committed) {
      // Fetching restarted below what we committed: kafkajs reset an out-of-range offset and
      // committed the earliest offset itself. Those records are skipped below (seen), and the
      // next commit must send our position again or the group would stay rewound.
      state.tracker.forgetCommitted();
    }
    let last: string | undefined;
    for (const message of batch.messages) {
      last = message.offset;
      // Still in flight (or done) from before a rebalance that kept this partition.
      const offset = BigInt(message.offset);
      if (state.tracker.hasSeen(offset)) continue;
      state.tracker.track(offset);
      state.backlog.push(this.#opts.toRecord(batch.topic, batch.partition, message));
    }
    // The whole batch now belongs to the tracker (finished or not), so the next fetch may
    // start after it; the records wait in the backlog while the partition is paused.
    if (last !== undefined) resolveOffset(last);
    this.#pump(state);
    // Heartbeats go out only between batches; a rebalance error thrown here makes kafkajs
    // rejoin (after our REBALANCING listener committed).
    await heartbeat();
  }

  /**
   * Moves records from the partition's backlog to its worker while the worker has room and
   * the head is due. A partition with a backlog stays paused, so kafkajs fetches nothing
   * more for it: memory is bounded by one fetched batch plus the in-flight share.
   */
  #pump(state: PartitionState): void {
    const { topic, partition, backlog } = state;
    while (backlog.length > 0 && !this.#stopping && !this.pauses.topicPaused(topic)) {
      const record = backlog.peek()!;
      const wait = record.dueAt - Date.now();
      if (wait > 0) {
        this.#waitUntilDue(state, wait);
        break;
      }
      if (!state.worker.hasRoom()) break;
      // What a crash delivers again is everything started beyond the last acknowledged commit,
      // so that is what is bounded: at most two in-flight shares. Counting from the first
      // unfinished record instead anchored the window on any record waiting behind its own key
      // and halved key-mode throughput at a slow endpoint. A slow record still holds the
      // partition once two shares are started past the commit (its in-process attempts are
      // bounded by the retry budget); finished work behind it asks for a commit at once.
      if (state.tracker.exposure(BigInt(record.offset)) > 2n * BigInt(state.worker.capacity)) {
        if (Date.now() >= this.#commitPauseUntil && state.tracker.commitCandidate() !== undefined) void this.commit();
        break;
      }
      backlog.shift();
      state.worker.offer(record);
    }
    const paused = backlog.length > 0;
    if (paused === state.backlogPaused) return;
    state.backlogPaused = paused;
    if (paused) this.pauses.addPartition(topic, partition, 'backlog');
    else this.pauses.removePartition(topic, partition, 'backlog');
  }

  /**
   * The head of a retry partition is not due yet: leave it in the backlog and look again
   * when it is. No busy loop (the partition is paused, nothing is fetched meanwhile) and the
   * group session stays alive (kafkajs heartbeats from its idle fetch loop).
   */
  #waitUntilDue(state: PartitionState, waitMs: number): void {
    if (state.dueTimer !== undefined) return;
    // setTimeout holds at most 2^31-1 ms; a longer wait simply looks again when it fires.
    state.dueTimer = setTimeout(() => {
      state.dueTimer = undefined;
      if (state.owned) this.#pump(state);
    }, Math.min(waitMs, 2 ** 31 - 1));
  }

  *#owned(): Generator<PartitionState> {
    for (const byPartition of this.#partitions.values()) {
      for (const state of byPartition) if (state !== undefined) yield state;
    }
  }

  #stateFor(topic: string, partition: number): PartitionState | undefined {
    let byPartition = this.#partitions.get(topic);
    const existing = byPartition?.[partition];
    if (existing !== undefined) return existing;
    const route = this.#opts.routes.get(topic);
    if (route === undefined) return undefined;
    const state: PartitionState = {
      topic,
      partition,
      route,
      tracker: new OffsetTracker(),
      worker: route.addPartition(() => {
        if (state.owned && state.backlog.length > 0) this.#pump(state);
      }),
      backlog: new Backlog<BridgeRecord>(),
      highWatermark: undefined,
      finishedSinceCommit: 0,
      backlogPaused: false,
      owned: true,
      dueTimer: undefined,
    };
    if (byPartition === undefined) this.#partitions.set(topic, (byPartition = []));
    byPartition[partition] = state;
    return state;
  }

  #finished(record: BridgeRecord): void {
    const state = this.#partitions.get(record.topic)?.[record.partition];
    if (state === undefined) return;
    state.tracker.finish(record.offset);
    // Commit early once a partition has finished as many records as it may hold in flight:
    // a crash then redelivers at most about two in-flight windows per partition (what was in
    // flight, and what finished since the last commit), however fast records flow. The timer
    // alone would let that grow with throughput.
    if (++state.finishedSinceCommit >= state.worker.capacity && Date.now() >= this.#commitPauseUntil) void this.commit();
    if (state.backlog.length > 0) this.#pump(state);
  }

  /**
   * A member that keeps its member id took part in every generation since its last join, so a
   * partition it is assigned again was its own all along and its in-flight records carry on.
   * A new member id means the group expelled this member meanwhile (a session that expired
   * while the process was frozen or cut off): other members owned its partitions and committed
   * past where it stood, so nothing it holds may be kept, or its next commit would rewind them.
   */
  #onGroupJoin(memberId: string, assignment: Record<string, number[]>): void {
    if (this.#memberId !== undefined && memberId !== this.#memberId) {
      this.#log.warn({ previous: this.#memberId, memberId }, 'rejoined the group as a new member: dropping every partition held before');
      this.#assign({});
    }
    this.#memberId = memberId;
    this.#assign(assignment);
    this.#log.info({ assignment }, 'partitions assigned');
  }

  /** Makes `assignment` the partitions owned: lost ones are revoked, new ones get a fresh state. */
  #assign(assignment: Record<string, number[]>): void {
    const assigned: { topic: string; partition: number }[] = [];
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) assigned.push({ topic, partition });
    }
    const keep = new Set(assigned.map((a) => tpKey(a.topic, a.partition)));
    for (const state of [...this.#owned()]) {
      if (keep.has(tpKey(state.topic, state.partition))) continue;
      // Lost: stop its records (the new owner fetches them from the committed offset) and
      // forget its tracker, so that nothing is ever committed for it from here.
      state.route.removePartition(state.worker);
      state.owned = false;
      clearTimeout(state.dueTimer);
      this.#partitions.get(state.topic)![state.partition] = undefined;
    }
    for (const a of assigned) this.#stateFor(a.topic, a.partition);
    if (this.#stopping) for (const topic of this.#opts.routes.keys()) this.pauses.addTopic(topic, 'shutdown');
    this.pauses.assign(assigned);
  }

  #onCrash(error: Error, restart: boolean): void {
    this.#log.error({ err: { name: error.name, message: error.message }, restart }, 'kafka consumer crashed');
    // kafkajs throws its consumer-group object away: every partition is lost, and the new
    // group fetches from the committed offsets. Treat it like a revocation of everything,
    // without touching the consumer: kafkajs refuses pause/resume until it runs again.
    this.#commitDirect = undefined;
    this.pauses.detachPartitions();
    this.#assign({});
    this.#memberId = undefined;
    this.#log.info({ assignment: {} }, 'partitions assigned');
    if (restart) this.#opts.onRestart?.();
    else this.#opts.onFatal(error);
  }

  /**
   * Commits the unbroken run of finished offsets of every owned partition. One commit is on
   * the wire at a time; a call during one queues exactly one more, because the one in flight
   * carries offsets computed before the caller's records finished (the final commit of a
   * drain must include them, or a clean restart would redeliver them).
   */
  commit(): Promise<void> {
    if (this.#committing === undefined) {
      this.#committing = this.#commitOnce().finally(() => {
        this.#committing = undefined;
      });
      return this.#committing;
    }
    this.#commitAgain ??= this.#committing.then(() => {
      this.#commitAgain = undefined;
      return this.commit();
    });
    return this.#commitAgain;
  }

  async #commitOnce(): Promise<void> {
    const commitDirect = this.#commitDirect;
    if (commitDirect === undefined) return;
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    const states: [PartitionState, string][] = [];
    for (const state of this.#owned()) {
      const offset = state.tracker.commitCandidate();
      if (offset === undefined) continue;
      let list = byTopic.get(state.topic);
      if (list === undefined) byTopic.set(state.topic, (list = []));
      list.push({ partition: state.partition, offset });
      states.push([state, offset]);
    }
    if (states.length === 0) return;
    try {
      // kafkajs's own commitOffsets wraps this call in its retrier, which may send the
      // retry after a rejoin, under the NEW generation, for a partition we no longer own.
      // The direct call fails fast instead; the next tick recomputes from the assignment.
      await commitDirect({ topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
      for (const [state, offset] of states) {
        state.finishedSinceCommit = 0;
        state.tracker.committed(offset);
        this.#opts.onCommitted?.(state.topic, state.partition, offset);
      }
      // A partition may have been waiting for exactly this commit (see #pump), with nothing
      // running that would wake it.
      for (const [state] of states) if (state.owned && state.backlog.length > 0) this.#pump(state);
    } catch (error) {
      // Refused commits (a rebalance in progress, a coordinator moving) are retried by the
      // timer; early commits stay off until then instead of firing on every finished record.
      this.#commitPauseUntil = Date.now() + this.#opts.config.commitInterval;
      const err = error instanceof Error ? error : new Error(String(error));
      this.#log.warn({ err: { name: err.name, message: err.message } }, 'offset commit failed; will retry');
      this.#opts.onCommitFailed?.(err);
    }
  }

  /** Route-level pause (flow control, shutdown). */
  pauseTopics(topics: readonly string[], reason: PauseReason): void {
    for (const t of topics) this.pauses.addTopic(t, reason);
  }

  resumeTopics(topics: readonly string[], reason: PauseReason): void {
    for (const t of topics) this.pauses.removeTopic(t, reason);
    for (const state of this.#owned()) if (topics.includes(state.topic)) this.#pump(state);
  }

  /** Stops taking new records; in-flight ones go on. */
  stopFetching(): void {
    this.#stopping = true;
    this.pauseTopics([...this.#opts.routes.keys()], 'shutdown');
  }

  async disconnect(): Promise<void> {
    clearInterval(this.#commitTimer);
    for (const state of this.#owned()) {
      clearTimeout(state.dueTimer);
      state.dueTimer = undefined;
    }
    await this.#consumer.disconnect();
  }

  snapshot(): PartitionSnapshot[] {
    return [...this.#owned()].map((s) => ({
      topic: s.topic,
      partition: s.partition,
      route: s.route.route.name,
      committed: s.tracker.lastCommitted?.toString(),
      highWatermark: s.highWatermark,
      pending: s.tracker.pending,
      backlog: s.backlog.length,
      paused: this.pauses.isPaused(s.topic, s.partition),
    }));
  }
}
