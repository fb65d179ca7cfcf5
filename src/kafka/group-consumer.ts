/**
 * One kafkajs consumer group, kept to an adapter: it turns kafkajs's callbacks into calls on
 * the owned partitions (owned-partitions.ts) and the commit policy (commit-policy.ts), which
 * hold every decision.
 *
 * - eachBatch never waits for HTTP. It hands the batch over and returns: kafkajs fetches a
 *   broker's partitions together and waits for every batch of a fetch before the next one, so
 *   one slow partition held inside eachBatch would stall all its neighbours.
 * - `resolveOffset` is called for the last record handed over: in kafkajs it moves the next
 *   fetch position. Commits never use it (autoCommit is off); they carry the trackers'
 *   unbroken runs of finished records, explicitly.
 * - Commits go through the eachBatch payload's direct call, never kafkajs's retried
 *   commitOffsets: its retrier may send the retry after a rejoin, under the NEW generation,
 *   for a partition we no longer own. The direct call fails fast; the policy tries again.
 * - A record's failure never reaches kafkajs: its retrier would count it, and enough of those
 *   over the process's lifetime crash the consumer.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../config/types.ts';
import type { RouteDispatcher } from '../dispatch/route-dispatcher.ts';
import type { RecordEvents } from '../record-events.ts';
import { CommitPolicy } from './commit-policy.ts';
import { OwnedPartitions, type ToRecord } from './owned-partitions.ts';
import { PauseBook, type PauseReason } from './pause-book.ts';
import { UnreadablePartitions, type StuckPartition } from './unreadable-partitions.ts';

export type { ToRecord } from './owned-partitions.ts';

export interface PartitionSnapshot {
  readonly topic: string;
  readonly partition: number;
  readonly route: string;
  /** The consumer group: a fanned-out topic's partition appears once per group. */
  readonly group: string;
  readonly committed: string | undefined;
  readonly highWatermark: string | undefined;
  readonly pending: number;
  readonly backlog: number;
  readonly paused: boolean;
  /** Set while the partition's next record batch cannot be read. */
  readonly unreadable: UnreadableView | undefined;
}

export interface UnreadableView {
  readonly firstOffset: string;
  readonly lastOffset: string;
  readonly reason: string;
  readonly since: string;
  readonly failures: number;
  readonly retryAt: string;
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
  readonly onUnreadable?: (p: StuckPartition, stuck: boolean) => void;
}

type CommitDirect = EachBatchPayload['commitOffsetsIfNecessary'];

/** Records are fetched this often at most while idle; also the pause/resume reaction time. */
const FETCH_MAX_WAIT_MS = 100;

export class GroupConsumer {
  readonly pauses = new PauseBook();
  readonly #opts: GroupConsumerOptions;
  readonly #consumer: Consumer;
  readonly #log: Logger;
  readonly #commits: CommitPolicy;
  readonly #partitions: OwnedPartitions;
  readonly #unreadable: UnreadablePartitions;
  #commitDirect: CommitDirect | undefined;
  #stopping = false;
  #restarts: number[] = [];
  /** The member id of the last join: a new one means the group forgot us in between. */
  #memberId: string | undefined;

  constructor(opts: GroupConsumerOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ consumer: opts.name });
    this.#commits = new CommitPolicy({
      intervalMs: opts.config.commitInterval,
      owned: () => this.#partitions,
      send: async (topics) => {
        const direct = this.#commitDirect;
        if (direct === undefined) return false;
        await direct({ topics });
        return true;
      },
      committed: (p, offset) => {
        opts.onCommitted?.(p.topic, p.partition, offset);
        // A partition may have been waiting for exactly this commit (its exposure bound), with
        // nothing running that would wake it.
        this.#partitions.pumpIfOwned(p);
      },
      failed: (err) => {
        this.#log.warn({ err: { name: err.name, message: err.message } }, 'offset commit failed; will retry');
        opts.onCommitFailed?.(err);
      },
    });
    this.#unreadable = new UnreadablePartitions(this.pauses, {
      stuck: (p) => {
        const { topic, partition, firstOffset, lastOffset, reason, retryAt } = p;
        this.#log.error({ topic, partition, firstOffset, lastOffset, reason, retryInMs: retryAt - Date.now() }, 'cannot read a record batch: partition paused, nothing committed past it; fetching it again after a backoff');
        opts.onUnreadable?.(p, true);
      },
      readable: (p) => {
        this.#log.info({ topic: p.topic, partition: p.partition, firstOffset: p.firstOffset, failures: p.failures }, 'partition readable again: resumed');
        opts.onUnreadable?.(p, false);
      },
    });
    this.#partitions = new OwnedPartitions({
      routes: opts.routes,
      toRecord: opts.toRecord,
      pauses: this.pauses,
      commits: this.#commits,
      unreadable: this.#unreadable,
      stopping: () => this.#stopping,
    });
    this.#consumer = this.#newConsumer();
    this.pauses.attach({
      pause: (topic, partition) => this.#consumer.pause([{ topic, partitions: [partition] }]),
      resume: (topic, partition) => this.#consumer.resume([{ topic, partitions: [partition] }]),
    });
    opts.events.on('finished', ({ route, record }) => this.#partitions.finished(route, record));
  }

  #newConsumer(): Consumer {
    const cfg = this.#opts.config;
    return this.#opts.kafka.consumer({
      groupId: this.#opts.groupId,
      sessionTimeout: cfg.sessionTimeout,
      heartbeatInterval: cfg.heartbeatInterval,
      rebalanceTimeout: Math.max(cfg.sessionTimeout, 60_000),
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      // read_committed: records of aborted transactions are never delivered, and records of
      // open ones wait until their transaction ends.
      readUncommitted: cfg.isolationLevel === 'read_uncommitted',
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
    const c = this.#consumer;
    c.on(c.events.GROUP_JOIN, ({ payload }) => this.#onGroupJoin(payload.memberId, payload.memberAssignment));
    c.on(c.events.REBALANCING, () => {
      // The coordinator still accepts commits from this generation while the group is
      // preparing to rebalance: commit what is finished so the next owner starts there.
      this.#log.info('group is rebalancing; committing finished offsets');
      void this.commit();
    });
    c.on(c.events.CRASH, ({ payload }) => this.#onCrash(payload.error, payload.restart));
    // A fetch that held only control records or aborted records never reaches eachBatch:
    // kafkajs moves its own position past it and says so only here.
    c.on(c.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0 && !this.#stopping) this.#partitions.passOver(payload.topic, payload.partition, payload.highWatermark, payload.lastOffset);
    });
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
    this.#commits.start();
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    this.#commitDirect = payload.commitOffsetsIfNecessary;
    if (this.#stopping || !isRunning() || isStale()) return;
    const last = this.#partitions.intake(batch.topic, batch.partition, batch.highWatermark, batch.messages, batch.lastOffset());
    // The whole batch now belongs to the tracker (finished or not), so the next fetch may
    // start after it; the records wait in the backlog while the partition is paused.
    if (last !== undefined) resolveOffset(last);
    // Heartbeats go out only between batches; a rebalance error thrown here makes kafkajs
    // rejoin (after our REBALANCING listener committed).
    await heartbeat();
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
      this.#partitions.assign({});
    }
    this.#memberId = memberId;
    this.#partitions.assign(assignment);
    this.#log.info({ assignment }, 'partitions assigned');
  }

  #onCrash(error: Error, restart: boolean): void {
    this.#log.error({ err: { name: error.name, message: error.message }, restart }, 'kafka consumer crashed');
    // kafkajs throws its consumer-group object away: every partition is lost, and the new
    // group fetches from the committed offsets. Treat it like a revocation of everything,
    // without touching the consumer: kafkajs refuses pause/resume until it runs again.
    this.#commitDirect = undefined;
    this.pauses.detachPartitions();
    this.#partitions.assign({});
    this.#memberId = undefined;
    this.#log.info({ assignment: {} }, 'partitions assigned');
    if (restart) this.#opts.onRestart?.();
    else this.#opts.onFatal(error);
  }

  /** Commits what is finished now (see commit-policy.ts); partitions waiting for it look again. */
  commit(): Promise<void> {
    return this.#commits.commit();
  }

  /** Route-level pause (flow control, shutdown). */
  pauseTopics(topics: readonly string[], reason: PauseReason): void {
    for (const t of topics) this.pauses.addTopic(t, reason);
  }

  resumeTopics(topics: readonly string[], reason: PauseReason): void {
    for (const t of topics) this.pauses.removeTopic(t, reason);
    this.#partitions.pumpWhere((state) => topics.includes(state.topic));
  }

  /** Stops taking new records; in-flight ones go on. */
  stopFetching(): void {
    this.#stopping = true;
    this.pauseTopics([...this.#opts.routes.keys()], 'shutdown');
  }

  async disconnect(): Promise<void> {
    this.#commits.stop();
    this.#partitions.clearTimers();
    this.#unreadable.clearTimers();
    await this.#consumer.disconnect();
  }

  snapshot(): PartitionSnapshot[] {
    return [...this.#partitions].map((s) => ({
      topic: s.topic,
      partition: s.partition,
      route: s.route.route.name,
      group: this.#opts.groupId,
      committed: s.tracker.lastCommitted?.toString(),
      highWatermark: s.highWatermark,
      pending: s.tracker.pending,
      backlog: s.backlog.length,
      paused: this.pauses.isPaused(s.topic, s.partition),
      unreadable: this.#unreadableView(s.topic, s.partition),
    }));
  }

  #unreadableView(topic: string, partition: number): UnreadableView | undefined {
    const p = this.#unreadable.get(topic, partition);
    if (p === undefined) return undefined;
    const { firstOffset, lastOffset, reason, since, failures, retryAt } = p;
    return { firstOffset, lastOffset, reason, since, failures, retryAt: new Date(retryAt).toISOString() };
  }
}
