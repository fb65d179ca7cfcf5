/**
 * `replay`: copies records of a dead-letter (or retry) topic back to the topic they came
 * from, so the bridge delivers them again once the endpoint is fixed.
 *
 * A replayed record keeps its key, value and every header, the bridge-* metadata included.
 * The bridge reads that metadata on main topics too: the endpoint receives the ORIGINAL
 * idempotency-key and attempt numbers go on counting, so a record that was in fact delivered
 * before (a lost response) is recognised as a duplicate.
 *
 * Progress lives in consumer group `<groupId>-replay`, committed only for records that Kafka
 * acknowledged (acks=-1) or that the filters skipped: a rerun resumes where the last run
 * stopped, and a crash between produce and commit produces a record again (at least once,
 * same idempotency key). The run ends at the end offsets seen at start.
 *
 * When targets come from the records' headers, a first pass reads the range without
 * committing (a throwaway group) to learn every target topic: a missing target, or a record
 * without one, is an error before anything is produced. `--dry-run` is that pass alone.
 */
import type { Admin, IHeaders, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type { BridgeConfig } from '../config/types.ts';
import { sleep } from '../delivery/backoff.ts';
import { BridgeError, ErrorCodes } from '../errors.ts';
import { readCopyMetadata } from '../retry/copy-headers.ts';
import { RateLimit } from './rate-limit.ts';
import { RecordFilter, recordTime, type FilterOptions } from './record-filter.ts';
import { keyText, reasonOf, timeText, tokenText } from './record-text.ts';
import {
  deleteGroupQuietly,
  groupBusyError,
  groupPositions,
  isRebalancing,
  readRanges,
  refuseIfGroupActive,
  remainingRecords,
  snapshotTopic,
  throwawayGroupId,
  type PartitionRange,
} from './topic-range-reader.ts';

export interface ReplayRequest {
  readonly from: string;
  /** Every record goes here instead of its bridge-original-topic. */
  readonly to: string | undefined;
  readonly filter: FilterOptions;
  /** Most records to replay in this run. */
  readonly limit: number | undefined;
  /** Records per second. */
  readonly rate: number | undefined;
  readonly dryRun: boolean;
}

export interface ReplayContext {
  readonly kafka: Kafka;
  readonly config: BridgeConfig;
  /** Standard output: dry-run lines. */
  readonly out: (line: string) => void;
  /** Progress notes for a person watching (standard error). */
  readonly note?: (line: string) => void;
  /** Aborting (SIGINT) stops after the records already taken are acknowledged and committed. */
  readonly signal?: AbortSignal;
  /** How often `note` hears about progress; default 5 s. */
  readonly progressEveryMs?: number;
}

export type StopReason = 'caught-up' | 'limit' | 'interrupted';

export interface ReplaySummary {
  readonly from: string;
  readonly group: string;
  readonly dryRun: boolean;
  /** Replayed and acknowledged (dry run: would be replayed). */
  readonly replayed: number;
  /** Read and left out by the filters (committed as done, except in a dry run). */
  readonly skipped: number;
  readonly byTarget: ReadonlyMap<string, number>;
  readonly stoppedBy: StopReason;
}

/** Records per produce request; smaller under --rate (see RateLimit). */
const CHUNK = 100;

export function replayGroupId(config: BridgeConfig): string {
  return `${config.kafka.groupId}-replay`;
}

interface Target {
  readonly topic: string;
  /** The original partition when the record goes back to its original topic. */
  readonly partition: number | undefined;
}

type TargetProblem = typeof ErrorCodes.REPLAY_TARGET_UNKNOWN | typeof ErrorCodes.REPLAY_TARGET_IS_SOURCE;

/** Where a record goes: `--to`, or the topic it first entered the bridge on. */
function targetTopic(message: KafkaMessage, request: ReplayRequest): { topic: string } | { problem: TargetProblem } {
  const topic = request.to ?? readCopyMetadata(message.headers ?? {})?.originalTopic;
  if (topic === undefined) return { problem: ErrorCodes.REPLAY_TARGET_UNKNOWN };
  if (topic === request.from) return { problem: ErrorCodes.REPLAY_TARGET_IS_SOURCE };
  return { topic };
}

/**
 * Back on its original topic a record goes to its original partition (when the topic still
 * has it): it lands among the records of its key again, whatever partitioner its producer
 * used. Anywhere else (`--to`) the key decides, like any producer.
 */
function targetOf(message: KafkaMessage, topic: string, partitions: ReadonlyMap<string, number>): Target {
  const meta = readCopyMetadata(message.headers ?? {});
  const count = partitions.get(topic) ?? 0;
  const keep = meta !== undefined && meta.originalTopic === topic && meta.originalPartition >= 0 && meta.originalPartition < count;
  return { topic, partition: keep ? meta.originalPartition : undefined };
}

interface Plan {
  taken: number;
  skipped: number;
  readonly byTarget: Map<string, number>;
  readonly problems: Map<TargetProblem, { count: number; example: string }>;
  stoppedBy: StopReason;
}

function countInto(map: Map<string, number>, key: string, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

export async function replay(request: ReplayRequest, ctx: ReplayContext): Promise<ReplaySummary> {
  const { kafka, config } = ctx;
  const group = replayGroupId(config);
  const filter = new RecordFilter(request.filter);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [request.from, ...(request.to === undefined ? [] : [request.to])].filter((t) => !existing.has(t));
    if (missing.length > 0) throw topicsMissing(missing);
    if (!request.dryRun) await refuseIfGroupActive(admin, group);
    const ranges = await groupPositions(admin, group, request.from, await snapshotTopic(admin, request.from));
    ctx.note?.(`replay ${request.from}: ${remainingRecords(ranges)} record(s) after the committed position of group ${group}`);

    let targets = request.to === undefined ? new Set<string>() : new Set([request.to]);
    if (request.dryRun || request.to === undefined) {
      const plan = await scan(request, ctx, filter, ranges, admin);
      const missingTargets = [...plan.byTarget.keys()].filter((t) => !existing.has(t));
      // A dry run prints everything first, then fails exactly as the real run would.
      const problem = planProblem(plan, missingTargets, request);
      if (problem !== undefined) throw problem;
      if (request.dryRun) {
        return { from: request.from, group, dryRun: true, replayed: plan.taken, skipped: plan.skipped, byTarget: plan.byTarget, stoppedBy: plan.stoppedBy };
      }
      if (plan.stoppedBy === 'interrupted') {
        return { from: request.from, group, dryRun: false, replayed: 0, skipped: 0, byTarget: new Map(), stoppedBy: 'interrupted' };
      }
      targets = new Set(plan.byTarget.keys());
    }
    const partitions = await partitionCounts(admin, [...targets]);
    return await copy(request, ctx, filter, ranges, partitions, group);
  } finally {
    await admin.disconnect();
  }
}

function topicsMissing(topics: readonly string[]): BridgeError {
  return new BridgeError(
    ErrorCodes.TOPICS_MISSING,
    `missing topics: ${topics.join(', ')}. replay never creates topics; nothing was produced.`,
  );
}

function planProblem(plan: Plan, missingTargets: readonly string[], request: ReplayRequest): BridgeError | undefined {
  const unknown = plan.problems.get(ErrorCodes.REPLAY_TARGET_UNKNOWN);
  if (unknown !== undefined) {
    return new BridgeError(
      ErrorCodes.REPLAY_TARGET_UNKNOWN,
      `${unknown.count} record(s) of ${request.from} carry no bridge-original-topic header (e.g. ${unknown.example}): ` +
        'give --to <topic>, or leave them out with a filter; nothing was produced.',
    );
  }
  const loop = plan.problems.get(ErrorCodes.REPLAY_TARGET_IS_SOURCE);
  if (loop !== undefined) {
    return new BridgeError(
      ErrorCodes.REPLAY_TARGET_IS_SOURCE,
      `${loop.count} record(s) of ${request.from} came from ${request.from} itself (e.g. ${loop.example}): ` +
        'replay reads dead-letter and retry topics, not main topics; nothing was produced.',
    );
  }
  return missingTargets.length > 0 ? topicsMissing(missingTargets) : undefined;
}

async function partitionCounts(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  if (topics.length === 0) return new Map();
  // Only after listTopics proved they exist: a metadata request naming a topic may create it.
  const { topics: meta } = await admin.fetchTopicMetadata({ topics: [...topics] });
  return new Map(meta.map((t) => [t.name, t.partitions.length]));
}

/** The first pass: what would be replayed where, committing nothing. */
async function scan(request: ReplayRequest, ctx: ReplayContext, filter: RecordFilter, ranges: readonly PartitionRange[], admin: Admin): Promise<Plan> {
  const plan: Plan = { taken: 0, skipped: 0, byTarget: new Map(), problems: new Map(), stoppedBy: 'caught-up' };
  const groupId = throwawayGroupId(ctx.config.kafka.groupId, 'replay-scan');
  try {
    await readRanges({
      kafka: ctx.kafka,
      kafkaConfig: ctx.config.kafka,
      topic: request.from,
      groupId,
      ranges,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      onBatch: ({ partition, messages }) => {
        let next = messages[0]!.offset;
        for (const m of messages) {
          if (request.limit !== undefined && plan.taken >= request.limit) {
            plan.stoppedBy = 'limit';
            return Promise.resolve({ next, stop: true });
          }
          next = (BigInt(m.offset) + 1n).toString();
          if (!filter.matches(m)) {
            plan.skipped++;
            continue;
          }
          plan.taken++;
          const target = targetTopic(m, request);
          if ('problem' in target) {
            const seen = plan.problems.get(target.problem);
            plan.problems.set(target.problem, { count: (seen?.count ?? 0) + 1, example: seen?.example ?? `${request.from}/${partition}/${m.offset}` });
          } else {
            countInto(plan.byTarget, target.topic);
          }
          if (request.dryRun) {
            ctx.out(
              `would-replay partition=${partition} offset=${m.offset} key=${keyText(m.key)} reason=${tokenText(reasonOf(m))} ` +
                `failed-at=${timeText(recordTime(m))} target=${'topic' in target ? target.topic : 'none'}`,
            );
          }
        }
        // The limit may be met by the very last record of the range.
        if (request.limit !== undefined && plan.taken >= request.limit) {
          plan.stoppedBy = 'limit';
          return Promise.resolve({ next, stop: true });
        }
        return Promise.resolve({ next, stop: false });
      },
    });
  } finally {
    await deleteGroupQuietly(admin, groupId);
  }
  if (ctx.signal?.aborted === true && plan.stoppedBy === 'caught-up') plan.stoppedBy = 'interrupted';
  return plan;
}


function createProducer(kafka: Kafka, config: BridgeConfig): Producer {
  const idempotent = config.kafka.idempotentProducer;
  return kafka.producer({
    idempotent,
    ...(idempotent ? { maxInFlightRequests: 1 } : {}),
    // The Java client's partitioner (murmur2), so a record replayed with --to lands where a
    // Java producer would put its key; named explicitly, which also silences kafkajs's notice.
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
}

/** The second pass: produce, await acks, commit. */
async function copy(
  request: ReplayRequest,
  ctx: ReplayContext,
  filter: RecordFilter,
  ranges: readonly PartitionRange[],
  partitions: ReadonlyMap<string, number>,
  group: string,
): Promise<ReplaySummary> {
  const { signal } = ctx;
  // A function, not a property read: TypeScript would keep a narrowed `aborted` across awaits.
  const aborted = (): boolean => signal?.aborted === true;
  const limiter = request.rate === undefined ? undefined : new RateLimit(request.rate);
  const byTarget = new Map<string, number>();
  let replayed = 0;
  let skipped = 0;
  /** Taken for replay, acknowledged or not yet: what --limit counts. */
  let taken = 0;
  let stoppedBy: StopReason = 'caught-up';
  const total = remainingRecords(ranges);
  let read = 0;
  const ticker = setInterval(() => ctx.note?.(`replay ${request.from}: read ${read}/${total}, replayed ${replayed}, skipped ${skipped}`), ctx.progressEveryMs ?? 5_000);
  ticker.unref();

  const producer = createProducer(ctx.kafka, ctx.config);
  await producer.connect();
  try {
    await readRanges({
      kafka: ctx.kafka,
      kafkaConfig: ctx.config.kafka,
      topic: request.from,
      groupId: group,
      ranges,
      ...(signal === undefined ? {} : { signal }),
      onBatch: async ({ partition, messages, commit, heartbeat }) => {
        /** Records taken and not yet acknowledged, in offset order. */
        let pending: { target: Target; message: Message }[] = [];
        /** The offset after the last record dealt with (taken or skipped). */
        let examined = messages[0]!.offset;
        let committed = examined;
        let batchSkipped = 0;

        const flush = async (): Promise<void> => {
          if (pending.length > 0) {
            const byTopic = new Map<string, Message[]>();
            for (const p of pending) {
              const list = byTopic.get(p.target.topic) ?? [];
              list.push(p.message);
              byTopic.set(p.target.topic, list);
            }
            try {
              await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) });
            } catch (error) {
              throw failed(`Kafka did not acknowledge replayed records (${messageOf(error)})`, replayed, error);
            }
            for (const [topic, msgs] of byTopic) countInto(byTarget, topic, msgs.length);
            replayed += pending.length;
            pending = [];
          }
          // Only what is acknowledged (or skipped) is committed: the offset after `examined`
          // covers nothing that is still pending.
          if (examined !== committed) {
            try {
              await commit(examined);
            } catch (error) {
              if (isRebalancing(error)) {
                throw groupBusyError(
                  group,
                  `started rebalancing (another member joined, or this one lost its session); records up to ${request.from}/${partition}/${examined} were produced ` +
                    `but not committed and a rerun produces them again (with the same idempotency-key); ${replayed} record(s) were replayed before`,
                );
              }
              throw failed(
                `the progress commit failed (${messageOf(error)}); records up to ${request.from}/${partition}/${examined} ` +
                  'were produced and a rerun produces them again (with the same idempotency-key)',
                replayed,
                error,
              );
            }
            committed = examined;
          }
          skipped += batchSkipped;
          batchSkipped = 0;
          await heartbeat();
        };

        let stop = false;
        for (const m of messages) {
          if (aborted()) {
            stoppedBy = 'interrupted';
            stop = true;
            break;
          }
          if (request.limit !== undefined && taken >= request.limit) {
            stoppedBy = 'limit';
            stop = true;
            break;
          }
          const next = (BigInt(m.offset) + 1n).toString();
          if (!filter.matches(m)) {
            batchSkipped++;
            examined = next;
            read++;
            continue;
          }
          const found = targetTopic(m, request);
          // The scan (or --to) proved every target exists; anything else is a bug, never a guess.
          if (!('topic' in found) || !partitions.has(found.topic)) {
            throw new Error(`replay: ${request.from}/${partition}/${m.offset} has an unchecked target`);
          }
          const topic = found.topic;
          if (limiter !== undefined) {
            const wait = limiter.reserve();
            if (wait > 0) {
              const until = Date.now() + wait;
              await flush();
              await sleep(until - Date.now(), signal);
              if (aborted()) {
                stoppedBy = 'interrupted';
                stop = true;
                break;
              }
            }
          }
          const target = targetOf(m, topic, partitions);
          pending.push({ target, message: toMessage(m, target) });
          taken++;
          read++;
          examined = next;
          if (pending.length >= CHUNK) await flush();
        }
        await flush();
        if (!stop && request.limit !== undefined && taken >= request.limit) {
          stoppedBy = 'limit';
          stop = true;
        }
        return { next: examined, stop };
      },
    });
  } finally {
    clearInterval(ticker);
    await producer.disconnect().catch(() => undefined);
  }
  if (aborted() && stoppedBy === 'caught-up') stoppedBy = 'interrupted';
  return { from: request.from, group, dryRun: false, replayed, skipped, byTarget, stoppedBy };
}

/** Key, value and every header as they are; the timestamp is new (the replay is a new write). */
function toMessage(m: KafkaMessage, target: Target): Message {
  return {
    key: m.key,
    value: m.value,
    headers: { ...(m.headers ?? {}) } satisfies IHeaders,
    ...(target.partition === undefined ? {} : { partition: target.partition }),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function failed(what: string, replayed: number, cause: unknown): BridgeError {
  return new BridgeError(
    ErrorCodes.REPLAY_FAILED,
    `replay stopped: ${what}. ${replayed} record(s) were replayed and committed before; rerun the same command to resume.`,
    { cause, retriable: true },
  );
}

export function formatReplaySummary(s: ReplaySummary, limit: number | undefined): string[] {
  const lines = [
    s.dryRun ? `dry run of ${s.from} (group ${s.group}): nothing was produced or committed` : `replay of ${s.from} (group ${s.group})`,
    `${s.dryRun ? 'would replay' : 'replayed'}: ${s.replayed}`,
    `skipped by filter: ${s.skipped}`,
    ...[...s.byTarget].sort(([a], [b]) => a.localeCompare(b)).map(([topic, n]) => `  to ${topic}: ${n}`),
  ];
  const why = {
    'caught-up': 'caught up with the end offsets seen at start',
    limit: `--limit ${limit ?? ''} reached; run again to continue`,
    interrupted: 'interrupted; what was acknowledged is committed, run the same command to resume',
  } as const;
  lines.push(`stopped: ${why[s.stoppedBy]}`);
  return lines;
}
