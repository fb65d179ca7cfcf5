/**
 * The replay's first pass: reads the range through a throwaway group, committing nothing, to
 * learn where every record would go (and, for --dry-run, to print it).
 */
import type { Admin } from 'kafkajs';
import type { RecordFilter } from './record-filter.ts';
import { recordTime } from './record-filter.ts';
import { keyText, reasonOf, timeText, tokenText } from './record-text.ts';
import { countInto, ReplayLimit, targetTopic, type ReplayContext, type ReplayRequest, type TargetProblem } from './replay-request.ts';
import { deleteGroupQuietly, readRanges, throwawayGroupId, type PartitionRange } from './topic-range-reader.ts';

export interface Plan {
  readonly limit: ReplayLimit;
  skipped: number;
  readonly byTarget: Map<string, number>;
  readonly problems: Map<TargetProblem, { count: number; example: string }>;
}

/** The first pass: what would be replayed where, committing nothing. */
export async function scan(request: ReplayRequest, ctx: ReplayContext, filter: RecordFilter, ranges: readonly PartitionRange[], admin: Admin): Promise<Plan> {
  const plan: Plan = { limit: new ReplayLimit(request.limit), skipped: 0, byTarget: new Map(), problems: new Map() };
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
          if (plan.limit.reached()) return Promise.resolve({ next, stop: true });
          next = (BigInt(m.offset) + 1n).toString();
          if (!filter.matches(m)) {
            plan.skipped++;
            continue;
          }
          plan.limit.taken++;
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
        return Promise.resolve({ next, stop: plan.limit.reached() });
      },
    });
  } finally {
    await deleteGroupQuietly(admin, groupId);
  }
  plan.limit.finish(ctx.signal?.aborted === true);
  return plan;
}
