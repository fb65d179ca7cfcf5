/**
 * The life of one record inside the bridge: pre-flight checks, in-process attempts with
 * backoff, then the failure ladder. It resolves when the record finished (an outcome was
 * emitted) or was abandoned (its partition was revoked or shutdown ran out of time); it
 * never rejects and never gives up on a record while it still owns it.
 */
import type { RouteConfig } from '../config/types.ts';
import type { BridgeRecord } from '../kafka/record.ts';
import type { RecordEvents } from '../record-events.ts';
import { retryDelay, sleep } from './backoff.ts';
import { firstStep } from './first-step.ts';
import { escalate, type DeliveryParts } from './escalate.ts';
import type { EvidenceMark, RouteFlow } from '../flow/route-flow.ts';
import type { HttpEndpoint } from './http-endpoint.ts';
import { Outcome, Verdict, type AttemptResult } from './outcome.ts';

export class RecordDelivery {
  readonly #route: RouteConfig;
  readonly #endpoint: HttpEndpoint;
  readonly #events: RecordEvents;
  readonly #flow: RouteFlow;
  readonly #parts: DeliveryParts;

  constructor(parts: DeliveryParts) {
    ({ route: this.#route, endpoint: this.#endpoint, flow: this.#flow, events: this.#events } = parts);
    this.#parts = parts;
  }

  /** Runs one record to its outcome. Bound for use as the dispatcher's runner. */
  readonly run = async (kafkaRecord: BridgeRecord, signal: AbortSignal): Promise<void> => {
    const route = this.#route.name;
    const step = firstStep(this.#parts, kafkaRecord, signal);
    const first = step instanceof Promise ? await step : step;
    if (first === undefined) return;
    const { record, early } = first;
    if (typeof early === 'string') {
      this.#events.emit('finished', { route, record, outcome: early, result: undefined });
      return;
    }
    let result: AttemptResult;
    let attempts = record.priorAttempts;
    if (early !== undefined) {
      result = early;
      this.#events.emit('attempted', { route, record, attempt: attempts, result, durationMs: 0 });
    } else {
      const ended = await this.#attempt(record, signal);
      if (ended === undefined) {
        this.#events.emit('abandoned', { route, record });
        return;
      }
      result = ended.result;
      attempts = ended.attempts;
    }
    if (result.verdict === Verdict.delivered) {
      this.#events.emit('finished', { route, record, outcome: Outcome.delivered, result });
      return;
    }
    await escalate(this.#parts, record, result, attempts, signal);
  };

  /**
   * In-process attempts. `escalate` stops after `attempts`; `block` keeps the record here
   * (its key or partition waits behind it) until it is delivered or fails permanently.
   * Failures that belong to an outage (the route paused meanwhile) do not count: the record
   * waits for the resume and its count starts again.
   */
  async #attempt(record: BridgeRecord, signal: AbortSignal): Promise<{ result: AttemptResult; attempts: number } | undefined> {
    const route = this.#route;
    let sent = 0;
    let counted = 0;
    let epoch = this.#flow.epoch;
    // Where the evidence stood at the record's first counted failure (outage-evidence.ts).
    let mark: EvidenceMark | undefined;
    for (;;) {
      if (signal.aborted) return undefined;
      const attempt = record.priorAttempts + sent + 1;
      // Only the HTTP exchange is timed: waits for a resume, a ramp-up slot or a rate-limit
      // token are flow control, not endpoint latency.
      let durationMs = 0;
      const send = async (): Promise<AttemptResult> => {
        const started = performance.now();
        try {
          return await this.#endpoint.send(record, attempt);
        } finally {
          durationMs = performance.now() - started;
        }
      };
      // Fresh: not failed yet, here or on an earlier hop. Only a fresh record's failure is
      // evidence that the endpoint is down; failures during an outage do not make it stale.
      const fresh = record.priorAttempts === 0 && counted === 0;
      const outcome = await this.#flow.attempt(send, signal, this.#endpoint.ready, fresh);
      if (outcome === undefined) return undefined;
      sent++;
      const { result } = outcome;
      this.#events.emit('attempted', { route: route.name, record, attempt, result, durationMs });
      if (result.verdict !== Verdict.transient) return { result, attempts: attempt };
      if (!outcome.counts || this.#flow.epoch !== epoch) {
        epoch = this.#flow.epoch;
        counted = 0;
        continue;
      }
      if (counted++ === 0) mark = this.#flow.mark();
      const keepTrying = route.onFailure === 'block' || counted < route.attempts;
      if (!keepTrying) {
        const judged = await this.#flow.judge(mark!, signal, record.priorAttempts === 0);
        if (judged === undefined) return undefined;
        if (judged === 'outage') {
          // The endpoint is down, not this record: wait for the resume and start again.
          epoch = this.#flow.epoch;
          counted = 0;
          continue;
        }
        this.#events.emit('failingAlone', { route: route.name, record, result, attempts: attempt, judged });
        return { result, attempts: attempt };
      }
      await sleep(retryDelay(route.backoff, Math.min(counted, 30), result.retryAfterMs), signal);
    }
  }
}
