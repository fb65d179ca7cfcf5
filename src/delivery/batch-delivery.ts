/**
 * The life of one batch: every record's pre-flight checks, in-process attempts of the batch
 * with backoff, then each record's own ladder step. Like RecordDelivery it resolves when every
 * record finished or was abandoned, never rejects, and gives up on nothing it still owns.
 *
 *   records ─preflight─▶ filtered / discarded / permanent (own ladder step, no request)
 *      │
 *      ▼ pending
 *   send batch ──2xx──────────────▶ all delivered
 *      │ ──207 per-record results─▶ delivered ones finish, permanent ones take their step,
 *      │                            transient ones stay pending
 *      │ ──any other answer───────▶ every pending record gets it
 *      ▼
 *      │ ──refused as a whole (400, 413, 422) with batch.splitOnFailure─▶ halves, one after the
 *      │                            other, down to single records
 *   pending transient: again after backoff (a smaller batch after a 207, so a new batch key),
 *   until `attempts` counted failures; then, failures judged their own (RouteFlow.judge),
 *   each record climbs its ladder with its own result and metadata.
 */
import type { RouteConfig } from '../config/types.ts';
import type { EvidenceMark, RouteFlow } from '../flow/route-flow.ts';
import type { BridgeRecord } from '../kafka/record.ts';
import type { RecordEvents } from '../record-events.ts';
import { retryDelay, sleep } from './backoff.ts';
import { BatchEncoder } from './batch-body.ts';
import { firstStep } from './first-step.ts';
import { escalate, type DeliveryParts } from './escalate.ts';
import type { HttpEndpoint } from './http-endpoint.ts';
import { Outcome, Verdict, type AttemptResult } from './outcome.ts';

export class BatchDelivery {
  readonly #route: RouteConfig;
  readonly #endpoint: HttpEndpoint;
  readonly #flow: RouteFlow;
  readonly #events: RecordEvents;
  readonly #parts: DeliveryParts;
  readonly #encoder: BatchEncoder;

  constructor(parts: DeliveryParts) {
    ({ route: this.#route, endpoint: this.#endpoint, flow: this.#flow, events: this.#events } = parts);
    this.#parts = parts;
    this.#encoder = new BatchEncoder(this.#route.batch.format, new Set(this.#route.forwardHeaders));
  }

  /** A record's bytes in a body: the dispatcher cuts batches at batch.maxBytes with it. */
  readonly measure = (record: BridgeRecord): number => this.#encoder.measure(record);

  /** Runs one batch to every record's outcome. Bound for use as the dispatcher's runner. */
  readonly run = async (records: readonly BridgeRecord[], signal: AbortSignal): Promise<void> => {
    const route = this.#route.name;
    const steps: Promise<void>[] = [];
    const pending: BridgeRecord[] = [];
    for (const kafkaRecord of records) {
      const step = firstStep(this.#parts, kafkaRecord, signal);
      const first = step instanceof Promise ? await step : step;
      if (first === undefined) continue;
      const { record, early } = first;
      if (typeof early === 'string') {
        this.#events.emit('finished', { route, record, outcome: early, result: undefined });
      } else if (early !== undefined) {
        this.#events.emit('attempted', { route, record, attempt: record.priorAttempts, result: early, durationMs: 0 });
        steps.push(escalate(this.#parts, record, early, record.priorAttempts, signal));
      } else {
        pending.push(record);
      }
    }
    if (pending.length > 0) steps.push(this.#attempt(pending, signal));
    await Promise.all(steps);
  };

  /**
   * With batch.splitOnFailure, a batch refused for good as a whole (400, 413, 422: one answer,
   * no per-record results) is split: some record in it is the culprit, and the answer does not
   * say which. Halves are tried one after the other, keeping the batch's order, down to single
   * records, so that only the culprits take the permanent verdict.
   */
  #splits(answer: AttemptResult, pending: readonly BridgeRecord[]): boolean {
    return this.#route.batch.splitOnFailure && pending.length > 1 && answer.perRecord === undefined && answer.verdict === Verdict.permanent;
  }

  /** In-process attempts of the pending records, then their ladder steps; `sentBefore`: attempts a split batch already made. */
  async #attempt(initial: BridgeRecord[], signal: AbortSignal, sentBefore = 0): Promise<void> {
    const route = this.#route;
    const steps: Promise<void>[] = [];
    let pending = initial;
    let results: AttemptResult[] = [];
    let sent = sentBefore;
    let counted = 0;
    let epoch = this.#flow.epoch;
    let mark: EvidenceMark | undefined;
    for (;;) {
      if (signal.aborted) break;
      const body = this.#encoder.encode(pending);
      let durationMs = 0;
      const count = pending.length;
      const send = async (): Promise<AttemptResult> => {
        const started = performance.now();
        try {
          return await this.#endpoint.sendBatch(body, count);
        } finally {
          durationMs = performance.now() - started;
        }
      };
      const fresh = counted === 0 && pending.every((r) => r.priorAttempts === 0);
      const outcome = await this.#flow.attempt(send, signal, this.#endpoint.ready, fresh, true);
      if (outcome === undefined) break;
      sent++;
      const answer = outcome.result;
      if (this.#splits(answer, pending)) {
        pending.forEach((record, i) => this.#events.emit('attempted', { route: route.name, record, attempt: record.priorAttempts + sent, result: answer, durationMs: i === 0 ? durationMs : 0 }));
        this.#events.emit('batchSplit', { route: route.name, records: pending.length, result: answer });
        const half = Math.ceil(pending.length / 2);
        const [first, second] = [pending.slice(0, half), pending.slice(half)];
        steps.push(this.#attempt(first, signal, sent).then(() => this.#attempt(second, signal, sent)));
        pending = [];
        break;
      }
      const next: BridgeRecord[] = [];
      results = [];
      pending.forEach((record, i) => {
        const result = answer.perRecord?.[i] ?? answer;
        const attempt = record.priorAttempts + sent;
        // One request: its duration is observed once, not once per record.
        this.#events.emit('attempted', { route: route.name, record, attempt, result, durationMs: i === 0 ? durationMs : 0 });
        if (result.verdict === Verdict.delivered) this.#events.emit('finished', { route: route.name, record, outcome: Outcome.delivered, result });
        else if (result.verdict === Verdict.permanent) steps.push(escalate(this.#parts, record, result, attempt, signal));
        else {
          next.push(record);
          results.push(result);
        }
      });
      pending = next;
      if (pending.length === 0) break;
      if (!outcome.counts || this.#flow.epoch !== epoch) {
        epoch = this.#flow.epoch;
        counted = 0;
        continue;
      }
      if (counted++ === 0) mark = this.#flow.mark();
      if (route.onFailure === 'block' || counted < route.attempts) {
        await sleep(retryDelay(route.backoff, Math.min(counted, 30), answer.retryAfterMs), signal);
        continue;
      }
      const judged = await this.#flow.judge(mark!, signal, pending.every((r) => r.priorAttempts === 0));
      if (judged === undefined) break;
      if (judged === 'outage') {
        epoch = this.#flow.epoch;
        counted = 0;
        continue;
      }
      pending.forEach((record, i) => {
        const result = results[i]!;
        const attempts = record.priorAttempts + sent;
        this.#events.emit('failingAlone', { route: route.name, record, result, attempts, judged });
        steps.push(escalate(this.#parts, record, result, attempts, signal));
      });
      pending = [];
      break;
    }
    // Left pending: the partition was revoked or shutdown ran out of time.
    for (const record of pending) this.#events.emit('abandoned', { route: route.name, record });
    await Promise.all(steps);
  }
}
