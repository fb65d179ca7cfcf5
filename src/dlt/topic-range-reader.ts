/**
 * Reads a fixed range of offsets of every partition of one topic, then stops: what a batch
 * tool (replay, inspect) needs, as opposed to the bridge's endless consumer.
 *
 * The range ends at the end offsets seen when the tool started. Records that arrive later
 * (the bridge keeps dead-lettering while an operator replays) belong to the next run; without
 * a fixed end a replay of a busy DLT would never finish.
 *
 * kafkajs can only read through a consumer group, so every read joins one: the replay group
 * when progress must be committed, a throwaway group otherwise. kafkajs never commits here
 * (autoCommit off); only the caller's batch handler does, through `commit`.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { KafkaConfig } from '../config/types.ts';
import { BridgeError, ErrorCodes } from '../errors.ts';
import { unreadableOf } from '../kafka/record-set-reader.ts';

/** Offsets [start, end) of one partition. Offsets are decimal strings, as kafkajs has them. */
export interface PartitionRange {
  readonly partition: number;
  readonly start: string;
  readonly end: string;
}

export interface BatchContext {
  readonly partition: number;
  /** The records of the range in this batch, in offset order. */
  readonly messages: readonly KafkaMessage[];
  /** Commits `offset` (the next offset to read) for this partition, in the reading group. */
  readonly commit: (offset: string) => Promise<void>;
  /** Keeps the group session alive during long work inside one batch. */
  readonly heartbeat: () => Promise<void>;
}

/**
 * Handles one batch. Returns the offset after the last record it dealt with: the end of the
 * batch, or earlier when it stopped (then `stop` must be true and reading ends).
 */
export type BatchHandler = (batch: BatchContext) => Promise<{ next: string; stop: boolean }>;

export interface RangeReadOptions {
  readonly kafka: Kafka;
  readonly kafkaConfig: KafkaConfig;
  readonly topic: string;
  readonly groupId: string;
  readonly ranges: readonly PartitionRange[];
  readonly onBatch: BatchHandler;
  /** Aborting stops at the next batch boundary (the handler sees the signal too). */
  readonly signal?: AbortSignal;
}

export interface TopicSnapshot {
  /** Every partition, with its low watermark and end offset at the time of the snapshot. */
  readonly partitions: readonly { partition: number; low: string; high: string }[];
}

export async function snapshotTopic(admin: Admin, topic: string): Promise<TopicSnapshot> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return {
    partitions: offsets
      .map((p) => ({ partition: p.partition, low: p.low, high: p.high }))
      .sort((a, b) => a.partition - b.partition),
  };
}

/**
 * The next offset `groupId` would read on each partition: its committed offset, or the low
 * watermark when it has none or when retention removed the committed position.
 */
export async function groupPositions(admin: Admin, groupId: string, topic: string, snapshot: TopicSnapshot): Promise<PartitionRange[]> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = new Map((entry?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  return snapshot.partitions.map(({ partition, low, high }) => {
    const at = committed.get(partition) ?? -1n;
    const start = at < BigInt(low) ? BigInt(low) : at > BigInt(high) ? BigInt(high) : at;
    return { partition, start: start.toString(), end: high };
  });
}

export function remainingRecords(ranges: readonly PartitionRange[]): number {
  return ranges.reduce((sum, r) => sum + Math.max(0, Number(BigInt(r.end) - BigInt(r.start))), 0);
}

/** A group id that no real consumer uses; kafkajs needs one even to read without committing. */
export function throwawayGroupId(base: string, purpose: string): string {
  return `${base}-${purpose}-${randomUUID().slice(0, 8)}`;
}

/**
 * Deletes a throwaway group. Best effort: it holds no offsets, and Kafka drops empty groups
 * without offsets on its own; some brokers (and the dev broker) refuse to delete groups.
 */
export async function deleteGroupQuietly(admin: Admin, groupId: string): Promise<void> {
  await admin.deleteGroups([groupId]).catch(() => undefined);
}

/** kafkajs error types of a commit or heartbeat refused because the group is rebalancing. */
const REBALANCING = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);

/** For a batch tool that should be the group's only member: another member joined (or it lost its session). */
export function isRebalancing(error: unknown): boolean {
  return REBALANCING.has((error as { type?: unknown } | null)?.type as string);
}

export function groupBusyError(groupId: string, detail: string): BridgeError {
  return new BridgeError(ErrorCodes.REPLAY_GROUP_BUSY, `consumer group "${groupId}" ${detail}: run one replay per group at a time`);
}

/**
 * Refuses to join a group that already has members, so that a second replay does not even
 * disturb the first one. Best effort: brokers that cannot describe groups (the dev broker)
 * leave it to the join, where both sides notice the split (see readRanges).
 */
export async function refuseIfGroupActive(admin: Admin, groupId: string): Promise<void> {
  const description = await admin.describeGroups([groupId]).catch(() => undefined);
  const members = description?.groups.find((g) => g.groupId === groupId)?.members.length ?? 0;
  if (members > 0) throw groupBusyError(groupId, `already has ${members} member(s)`);
}

interface Progress {
  position: bigint;
  readonly end: bigint;
}

/** Reads every range to its end (or until the handler or the signal stops it). */
export async function readRanges(options: RangeReadOptions): Promise<void> {
  const { kafka, kafkaConfig, topic, groupId, signal } = options;
  const progress = new Map<number, Progress>();
  for (const r of options.ranges) progress.set(r.partition, { position: BigInt(r.start), end: BigInt(r.end) });
  const isDone = (p: Progress): boolean => p.position >= p.end;
  const allDone = (): boolean => [...progress.values()].every(isDone);
  if (allDone() || signal?.aborted === true) return;

  let finish: (error?: Error) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  // It may fail while kafkajs is still joining, before anyone awaits it.
  finished.catch(() => undefined);
  let stopped = false;
  const stop = (error?: Error): void => {
    if (stopped) return;
    stopped = true;
    finish(error);
  };
  /** A batch being handled; an abort lets it finish, so its acknowledged work is committed. */
  let handling = false;
  const onAbort = (): void => {
    if (!handling) stop();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: kafkaConfig.sessionTimeout,
    heartbeatInterval: kafkaConfig.heartbeatInterval,
    rebalanceTimeout: Math.max(kafkaConfig.sessionTimeout, 60_000),
    maxWaitTimeInMs: 100,
    // A batch tool has nobody to hand a crashed consumer to: fail, and let the operator rerun
    // (progress is committed, so the rerun resumes).
    retry: { retries: 5, restartOnFailure: () => Promise.resolve(false) },
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    stop(new BridgeError(ErrorCodes.CONSUMER_CRASHED, `reading ${topic} failed: ${payload.error.message}`, { cause: payload.error }));
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = new Set(payload.memberAssignment[topic] ?? []);
    const missing = [...progress.keys()].filter((p) => !assigned.has(p));
    if (missing.length > 0) {
      // Another member holds partitions of this group: its progress and ours would interleave.
      stop(groupBusyError(groupId, `has another member (it was given partitions ${missing.join(', ')} of ${topic})`));
      return;
    }
    // Partitions with nothing to read are paused, so kafkajs does not fetch them for nothing.
    const idle = [...progress].filter(([, p]) => isDone(p)).map(([partition]) => partition);
    if (idle.length > 0) consumer.pause([{ topic, partitions: idle }]);
  });
  // A batch of nothing but transaction markers or compacted-away records never reaches
  // eachBatch; its end offset still moves the position, or such a partition would never end.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const p = progress.get(payload.partition);
    if (payload.topic !== topic || p === undefined || payload.batchSize !== 0 || stopped) return;
    const next = BigInt(payload.lastOffset) + 1n;
    if (next > p.position) p.position = next < p.end ? next : p.end;
    if (allDone()) stop();
  });

  const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch } = payload;
    const p = progress.get(batch.partition);
    if (stopped || batch.topic !== topic || p === undefined || !payload.isRunning() || payload.isStale()) return;
    if (isDone(p)) {
      consumer.pause([{ topic, partitions: [batch.partition] }]);
      return;
    }
    // Records before the position were handled already (a rejoin refetches from the
    // committed offset); records at or after the end belong to the next run.
    const bad = batch.messages.findIndex((m) => unreadableOf(m) !== undefined);
    const readable = bad < 0 ? batch.messages : batch.messages.slice(0, bad);
    const messages = readable.filter((m) => {
      const offset = BigInt(m.offset);
      return offset >= p.position && offset < p.end;
    });
    // A batch tool cannot wait for a fix: it stops at a bad batch (kafkajs would fetch past
    // it), once the records before it are handled and committed.
    const u = bad < 0 ? undefined : unreadableOf(batch.messages[bad]!)!;
    const unreadable = u && new BridgeError(ErrorCodes.RECORDS_UNREADABLE, `cannot read ${topic} partition ${batch.partition} at offsets ${u.firstOffset}-${u.lastOffset}: ${u.reason}`);
    if (messages.length === 0) {
      if (unreadable !== undefined) stop(unreadable);
      return;
    }
    handling = true;
    try {
      const result = await options.onBatch({
        partition: batch.partition,
        messages,
        heartbeat: payload.heartbeat,
        commit: (offset) => payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: batch.partition, offset }] }] }),
      });
      p.position = BigInt(result.next);
      if (unreadable !== undefined && !result.stop) stop(unreadable);
      if (result.stop || allDone() || signal?.aborted === true) stop();
      if (isDone(p)) consumer.pause([{ topic, partitions: [batch.partition] }]);
    } catch (error) {
      if (isRebalancing(error)) stop(groupBusyError(groupId, 'started rebalancing (another member joined, or this one lost its session)'));
      else stop(error instanceof Error ? error : new Error(String(error)));
    } finally {
      handling = false;
    }
  };

  try {
    await consumer.connect();
    // fromBeginning: a throwaway group starts at the earliest record, before any range starts;
    // the seeks below then skip straight to each range.
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatch });
    for (const [partition, p] of progress) if (!isDone(p)) consumer.seek({ topic, partition, offset: p.position.toString() });
    await finished;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stopped = true;
    await consumer.disconnect().catch(() => undefined);
  }
}
