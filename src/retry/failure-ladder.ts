/**
 * Where a record goes when in-process attempts did not deliver it:
 *
 *   main topic ──transient──▶ retry tier 1 ──▶ retry tier 2 ──▶ … ──▶ dead-letter topic
 *        └──────permanent (e.g. 400, invalid header, too large)─────────▶ dead-letter topic
 *
 * A copy is written with acks=-1 and the caller awaits it: only an acknowledged copy lets
 * the source offset count as finished.
 */
import type { RouteConfig } from '../config/types.ts';
import { deadLetterTopicName, retryTopicName } from '../config/topic-names.ts';
import type { BridgeRecord } from '../kafka/record.ts';
import { Outcome, Verdict, type AttemptResult } from '../delivery/outcome.ts';
import { copyHeaders } from './copy-headers.ts';

export interface CopyMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: import('kafkajs').IHeaders;
}

/** Writes one copy and resolves only once Kafka acknowledged it (acks=-1). */
export interface CopyProducer {
  send(topic: string, message: CopyMessage): Promise<void>;
}

export interface LadderStep {
  readonly outcome: typeof Outcome.retryScheduled | typeof Outcome.deadLettered;
  readonly topic: string;
  readonly dueAt?: number;
}

export class FailureLadder {
  readonly #route: RouteConfig;
  readonly #producer: CopyProducer;

  constructor(route: RouteConfig, producer: CopyProducer) {
    this.#route = route;
    this.#producer = producer;
  }

  /** The next step for a record whose attempts ended with `result`. */
  next(record: BridgeRecord, result: AttemptResult, now: number): LadderStep {
    const source = record.origin.topic;
    const delays = this.#route.retry.delays;
    const nextTier = record.tier + 1;
    if (result.verdict === Verdict.transient && this.#route.onFailure === 'escalate' && nextTier <= delays.length) {
      const delay = delays[nextTier - 1]!;
      // Retry-After may ask for more than the tier's delay; never for less.
      const dueAt = now + Math.max(delay, result.retryAfterMs ?? 0);
      return { outcome: Outcome.retryScheduled, topic: retryTopicName(source, this.#route, nextTier - 1), dueAt };
    }
    return { outcome: Outcome.deadLettered, topic: deadLetterTopicName(source, this.#route) };
  }

  async copy(record: BridgeRecord, step: LadderStep, result: AttemptResult, attempts: number, now: number): Promise<void> {
    const headers = copyHeaders(record, this.#route.headers, {
      route: this.#route.name,
      attempts,
      result,
      firstFailureAt: record.firstFailureAt ?? new Date(now).toISOString(),
      ...(step.dueAt === undefined ? {} : { dueAt: step.dueAt }),
    });
    await this.#producer.send(step.topic, { key: record.key, value: record.value, headers });
  }

  /** Every topic this route may write copies to, for the preflight check. */
  static topicsFor(route: RouteConfig): string[] {
    const out: string[] = [];
    // In `block` mode failures are retried in place: no retry topics are ever written.
    const tiers = route.onFailure === 'escalate' ? route.retry.delays.length : 0;
    for (const topic of route.topics) {
      for (let tier = 1; tier <= tiers; tier++) out.push(retryTopicName(topic, route, tier - 1));
      out.push(deadLetterTopicName(topic, route));
    }
    return out;
  }
}
