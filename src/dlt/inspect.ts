/**
 * `inspect`: what is in a dead-letter (or retry) topic, before deciding what to replay.
 *
 * It reads every record from the low watermark to the end offsets seen at start through a
 * throwaway consumer group that never commits (and is deleted afterwards, best effort): an
 * inspection must never move anybody's position, least of all the replay group's.
 *
 * Times are those the replay filters use (the first failure, else the Kafka timestamp), so
 * the oldest and newest lines tell which --since/--until select what.
 */
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { BridgeConfig } from '../config/types.ts';
import { BridgeError, ErrorCodes } from '../errors.ts';
import { CopyHeader } from '../retry/copy-headers.ts';
import { headerText } from '../retry/copy-headers.ts';
import { recordTime } from './record-filter.ts';
import { keyText, originText, reasonOf, timeText, tokenText } from './record-text.ts';
import { replayGroupId } from './replay.ts';
import { deleteGroupQuietly, groupPositions, readRanges, remainingRecords, snapshotTopic, throwawayGroupId } from './topic-range-reader.ts';

export interface RecordSighting {
  readonly partition: number;
  readonly offset: string;
  readonly time: number;
  readonly deadLetteredAt: number;
  readonly key: string;
  readonly reason: string;
  readonly origin: string;
}

export interface InspectReport {
  readonly topic: string;
  readonly partitions: number;
  readonly total: number;
  readonly byReason: ReadonlyMap<string, number>;
  readonly byRoute: ReadonlyMap<string, number>;
  readonly oldest: RecordSighting | undefined;
  readonly newest: RecordSighting | undefined;
  readonly replayGroup: string;
  /** Records at or after the replay group's committed position (what a replay would read). */
  readonly notYetReplayed: number;
  readonly interrupted: boolean;
}

export interface InspectContext {
  readonly kafka: Kafka;
  readonly config: BridgeConfig;
  readonly signal?: AbortSignal;
}

const NONE = '(none)';

function sighting(partition: number, m: KafkaMessage): RecordSighting {
  return {
    partition,
    offset: m.offset,
    time: recordTime(m),
    deadLetteredAt: Number(m.timestamp),
    key: keyText(m.key),
    reason: tokenText(reasonOf(m)),
    origin: originText(m),
  };
}

export async function inspect(topic: string, ctx: InspectContext): Promise<InspectReport> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  const groupId = throwawayGroupId(ctx.config.kafka.groupId, 'inspect');
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new BridgeError(ErrorCodes.TOPICS_MISSING, `missing topics: ${topic}. inspect reads existing topics only.`);
    }
    const snapshot = await snapshotTopic(admin, topic);
    const replayGroup = replayGroupId(ctx.config);
    const notYetReplayed = remainingRecords(await groupPositions(admin, replayGroup, topic, snapshot));
    const byReason = new Map<string, number>();
    const byRoute = new Map<string, number>();
    let total = 0;
    let oldest: RecordSighting | undefined;
    let newest: RecordSighting | undefined;
    await readRanges({
      kafka: ctx.kafka,
      kafkaConfig: ctx.config.kafka,
      topic,
      groupId,
      ranges: snapshot.partitions.map((p) => ({ partition: p.partition, start: p.low, end: p.high })),
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      onBatch: ({ partition, messages }) => {
        for (const m of messages) {
          total++;
          const reason = reasonOf(m) ?? NONE;
          byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
          const route = headerText(m.headers, CopyHeader.route) ?? NONE;
          byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
          const time = recordTime(m);
          if (oldest === undefined || time < oldest.time) oldest = sighting(partition, m);
          if (newest === undefined || time > newest.time) newest = sighting(partition, m);
        }
        return Promise.resolve({ next: (BigInt(messages.at(-1)!.offset) + 1n).toString(), stop: false });
      },
    });
    return {
      topic,
      partitions: snapshot.partitions.length,
      total,
      byReason,
      byRoute,
      oldest,
      newest,
      replayGroup,
      notYetReplayed,
      interrupted: ctx.signal?.aborted === true,
    };
  } finally {
    await deleteGroupQuietly(admin, groupId);
    await admin.disconnect();
  }
}

function counts(map: ReadonlyMap<string, number>): string[] {
  const sorted = [...map].sort(([ka, a], [kb, b]) => b - a || ka.localeCompare(kb));
  const width = Math.max(0, ...sorted.map(([k]) => k.length));
  return sorted.map(([k, n]) => `  ${k.padEnd(width)}  ${n}`);
}

function sightingLine(label: string, s: RecordSighting): string {
  return (
    `${label} failed-at=${timeText(s.time)} partition=${s.partition} offset=${s.offset} key=${s.key} reason=${s.reason} ` +
    `original=${s.origin} dead-lettered-at=${timeText(s.deadLetteredAt)}`
  );
}

export function formatInspectReport(r: InspectReport): string[] {
  const lines = [`topic ${r.topic}: ${r.total} record(s) in ${r.partitions} partition(s)${r.interrupted ? ' (interrupted: partial counts)' : ''}`];
  if (r.total > 0) {
    lines.push('by reason:', ...counts(r.byReason), 'by route:', ...counts(r.byRoute));
    if (r.oldest !== undefined) lines.push(sightingLine('oldest:', r.oldest));
    if (r.newest !== undefined) lines.push(sightingLine('newest:', r.newest));
  }
  lines.push(`not yet replayed (after the committed position of group ${r.replayGroup}): ${r.notYetReplayed}`);
  return lines;
}
