/**
 * What a replay is asked to do, where each record goes, and the --limit bookkeeping that the
 * scan and the copy pass share.
 */
import type { IHeaders, Kafka, KafkaMessage, Message } from 'kafkajs';
import type { BridgeConfig } from '../config/types.ts';
import { ErrorCodes } from '../errors.ts';
import { readCopyMetadata } from '../retry/copy-headers.ts';
import type { FilterOptions } from './record-filter.ts';

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

/** --limit, and why a pass stopped: the same bookkeeping for the scan and the copy. */
export class ReplayLimit {
  /** Taken for replay, acknowledged or not yet: what --limit counts. */
  taken = 0;
  stoppedBy: StopReason = 'caught-up';
  readonly #limit: number | undefined;

  constructor(limit: number | undefined) {
    this.#limit = limit;
  }

  /** True, and the reason noted, once --limit records were taken. */
  reached(): boolean {
    if (this.#limit === undefined || this.taken < this.#limit) return false;
    this.stoppedBy = 'limit';
    return true;
  }

  interrupted(): void {
    this.stoppedBy = 'interrupted';
  }

  /** After the pass: an abort that ended it early counts as an interruption. */
  finish(aborted: boolean): StopReason {
    if (aborted && this.stoppedBy === 'caught-up') this.stoppedBy = 'interrupted';
    return this.stoppedBy;
  }
}

export interface Target {
  readonly topic: string;
  /** The original partition when the record goes back to its original topic. */
  readonly partition: number | undefined;
}

export type TargetProblem = typeof ErrorCodes.REPLAY_TARGET_UNKNOWN | typeof ErrorCodes.REPLAY_TARGET_IS_SOURCE;

/** Where a record goes: `--to`, or the topic it first entered the bridge on. */
export function targetTopic(message: KafkaMessage, request: ReplayRequest): { topic: string } | { problem: TargetProblem } {
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
export function targetOf(message: KafkaMessage, topic: string, partitions: ReadonlyMap<string, number>): Target {
  const meta = readCopyMetadata(message.headers ?? {});
  const count = partitions.get(topic) ?? 0;
  const keep = meta !== undefined && meta.originalTopic === topic && meta.originalPartition >= 0 && meta.originalPartition < count;
  return { topic, partition: keep ? meta.originalPartition : undefined };
}

export function countInto(map: Map<string, number>, key: string, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/** Key, value and every header as they are; the timestamp is new (the replay is a new write). */
export function toMessage(m: KafkaMessage, target: Target): Message {
  return {
    key: m.key,
    value: m.value,
    headers: { ...(m.headers ?? {}) } satisfies IHeaders,
    ...(target.partition === undefined ? {} : { partition: target.partition }),
  };
}

