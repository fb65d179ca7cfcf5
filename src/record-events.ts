/**
 * What happens to records, as events. The dispatcher and the delivery loop only emit; the
 * offset trackers, metrics and logs listen. That keeps prom-client, pino and kafkajs out of
 * the code that moves records.
 */
import type { BridgeRecord } from './kafka/record.ts';
import type { AttemptResult, Outcome } from './delivery/outcome.ts';

export interface RecordEventMap {
  /** The consumer handed the record to the dispatcher. */
  received: { route: string; record: BridgeRecord };
  /** One HTTP attempt (or a pre-flight rejection) ended. */
  attempted: { route: string; record: BridgeRecord; attempt: number; result: AttemptResult; durationMs: number };
  /**
   * The record ran out of in-process attempts and its failures were judged its own (the
   * endpoint serves other records, its health check passes, or nothing points at an outage):
   * it takes its next ladder step while the route goes on.
   */
  failingAlone: { route: string; record: BridgeRecord; result: AttemptResult; attempts: number; judged: string };
  /** The record left the bridge: the consumer may commit past it. */
  finished: { route: string; record: BridgeRecord; outcome: Outcome; result: AttemptResult | undefined; target?: string };
  /** Writing a retry or dead-letter copy failed; it will be tried again, the record is not finished. */
  copyFailed: { route: string; record: BridgeRecord; target: string; error: string };
  /** The record stopped without finishing (partition revoked, shutdown deadline): it will be fetched again. */
  abandoned: { route: string; record: BridgeRecord };
  /** A batch refused as a whole was split in halves (batch.splitOnFailure), each tried on its own. */
  batchSplit: { route: string; records: number; result: AttemptResult };
}

type Listener<K extends keyof RecordEventMap> = (event: RecordEventMap[K]) => void;

export class RecordEvents {
  readonly #listeners: { [K in keyof RecordEventMap]: Listener<K>[] } = {
    received: [],
    attempted: [],
    failingAlone: [],
    finished: [],
    copyFailed: [],
    abandoned: [],
    batchSplit: [],
  };

  on<K extends keyof RecordEventMap>(name: K, listener: Listener<K>): void {
    this.#listeners[name].push(listener);
  }

  emit<K extends keyof RecordEventMap>(name: K, event: RecordEventMap[K]): void {
    for (const listener of this.#listeners[name]) {
      // A listener bug (metrics, logging) must never stop a record from finishing.
      try {
        listener(event);
      } catch {
        /* listeners are side effects only */
      }
    }
  }
}
