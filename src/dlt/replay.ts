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
import type { Admin } from 'kafkajs';
import type { BridgeConfig } from '../config/types.ts';
import { BridgeError, ErrorCodes } from '../errors.ts';
import { RecordFilter } from './record-filter.ts';
import { ReplayCopy } from './replay-copy.ts';
import type { ReplayContext, ReplayRequest, ReplaySummary } from './replay-request.ts';
import { scan, type Plan } from './replay-scan.ts';
import { groupPositions, refuseIfGroupActive, remainingRecords, snapshotTopic } from './topic-range-reader.ts';

export type { ReplayContext, ReplayRequest, ReplaySummary, StopReason } from './replay-request.ts';

export function replayGroupId(config: BridgeConfig): string {
  return `${config.kafka.groupId}-replay`;
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
        return { from: request.from, group, dryRun: true, replayed: plan.limit.taken, skipped: plan.skipped, byTarget: plan.byTarget, stoppedBy: plan.limit.stoppedBy };
      }
      if (plan.limit.stoppedBy === 'interrupted') {
        return { from: request.from, group, dryRun: false, replayed: 0, skipped: 0, byTarget: new Map(), stoppedBy: 'interrupted' };
      }
      targets = new Set(plan.byTarget.keys());
    }
    const partitions = await partitionCounts(admin, [...targets]);
    return await new ReplayCopy(request, ctx, filter, partitions, group).run(ranges);
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
