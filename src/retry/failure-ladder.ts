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
import type { BridgeRecord } from '../kafka/record.ts';
import { Outcome, Verdict, type AttemptResult } from '../delivery/outcome.ts';
import { copyHeaders } from './copy-headers.ts';
import type { RetryTopology } from './retry-topology.ts';

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
  readonly #topology: RetryTopology;
  readonly #producer: CopyProducer;

  constructor(route: RouteConfig, topology: RetryTopology, producer: CopyProducer) {
    this.#route = route;
    this.#topology = topology;
    this.#producer = producer;
  }

  /** The next step for a record whose attempts ended with `result`. */
  next(record: BridgeRecord, result: AttemptResult, now: number): LadderStep {
    const rung = this.#topology.next(record.topic, result.verdict === Verdict.transient);
    if ('deadLetter' in rung) return { outcome: Outcome.deadLettered, topic: rung.deadLetter };
    // Retry-After may ask for more than the tier's delay; never for less.
    return { outcome: Outcome.retryScheduled, topic: rung.topic, dueAt: now + Math.max(rung.delayMs, result.retryAfterMs ?? 0) };
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
}
