/**
 * A record's next ladder step after its in-process attempts: a copy on the next retry topic
 * or the dead-letter topic. A copy that Kafka did not acknowledge is written again after
 * backoff, for as long as the record is ours: skipping it would lose it.
 */
import type { RouteConfig } from '../config/types.ts';
import type { RecordDecoder } from '../decode/record-decoder.ts';
import type { BridgeRecord } from '../kafka/record.ts';
import type { RecordEvents } from '../record-events.ts';
import type { FailureLadder } from '../retry/failure-ladder.ts';
import type { RouteFlow } from '../flow/route-flow.ts';
import type { HttpEndpoint } from './http-endpoint.ts';
import type { RecordFilter } from './route-filter.ts';
import { retryDelay, sleep } from './backoff.ts';
import { oneLine } from './classify-response.ts';
import type { AttemptResult } from './outcome.ts';

/** What delivering a route's records takes: shared by one-by-one and batched delivery. */
export interface DeliveryParts {
  readonly route: RouteConfig;
  readonly endpoint: HttpEndpoint;
  readonly flow: RouteFlow;
  readonly ladder: FailureLadder;
  readonly events: RecordEvents;
  /** The route's filter; undefined when it filters nothing. */
  readonly filter: RecordFilter | undefined;
  /** How the route reads keys and values (`decoder.active` false: as they are). */
  readonly decoder: RecordDecoder;
}

export async function escalate(ctx: DeliveryParts, record: BridgeRecord, result: AttemptResult, attempts: number, signal: AbortSignal): Promise<void> {
  const route = ctx.route.name;
  let failures = 0;
  for (;;) {
    if (signal.aborted) {
      ctx.events.emit('abandoned', { route, record });
      return;
    }
    const now = Date.now();
    const step = ctx.ladder.next(record, result, now);
    try {
      // A decoded view's copy carries the record as Kafka held it, not the decoded JSON.
      await ctx.ladder.copy(record.raw ?? record, step, result, attempts, now);
      ctx.events.emit('finished', { route, record, outcome: step.outcome, result, target: step.topic });
      return;
    } catch (error) {
      failures++;
      const message = oneLine(error instanceof Error ? error.message : String(error));
      ctx.events.emit('copyFailed', { route, record, target: step.topic, error: message });
      await sleep(retryDelay(ctx.route.backoff, Math.min(failures, 30), undefined), signal);
    }
  }
}
