/**
 * Which dead-lettered records a replay takes. A record must pass every filter given; a filter
 * given several times (two `--reason`s) passes a record that matches any of its values.
 *
 * Time filters look at when the record first failed (`bridge-first-failure-at`), because
 * that is what an operator knows ("the endpoint was down from 14:00 to 14:20"): a record
 * that hopped through retry tiers for an hour was dead-lettered long after it failed. A
 * record without that header (written by something other than the bridge) is judged by its
 * Kafka timestamp instead.
 */
import type { KafkaMessage } from 'kafkajs';
import { CopyHeader, headerText } from '../retry/copy-headers.ts';

export interface FilterOptions {
  /** `bridge-reason` values, e.g. `http-503`; empty = any reason. */
  readonly reasons: readonly string[];
  /** Exact keys, compared as UTF-8 bytes; empty = any key. */
  readonly keys: readonly string[];
  /** ms since the epoch, inclusive. */
  readonly since?: number;
  /** ms since the epoch, exclusive. */
  readonly until?: number;
}

/** The time the filters and `inspect` use: the first failure, else the Kafka timestamp. */
export function recordTime(message: Pick<KafkaMessage, 'headers' | 'timestamp'>): number {
  const firstFailure = headerText(message.headers, CopyHeader.firstFailureAt);
  const parsed = firstFailure === undefined ? Number.NaN : Date.parse(firstFailure);
  return Number.isNaN(parsed) ? Number(message.timestamp) : parsed;
}

export class RecordFilter {
  readonly #reasons: ReadonlySet<string>;
  readonly #keys: readonly Buffer[];
  readonly #since: number | undefined;
  readonly #until: number | undefined;

  constructor(options: FilterOptions) {
    this.#reasons = new Set(options.reasons);
    this.#keys = options.keys.map((k) => Buffer.from(k, 'utf8'));
    this.#since = options.since;
    this.#until = options.until;
  }

  get isEmpty(): boolean {
    return this.#reasons.size === 0 && this.#keys.length === 0 && this.#since === undefined && this.#until === undefined;
  }

  matches(message: Pick<KafkaMessage, 'headers' | 'timestamp' | 'key'>): boolean {
    if (this.#reasons.size > 0 && !this.#reasons.has(headerText(message.headers, CopyHeader.reason) ?? '')) return false;
    if (this.#keys.length > 0) {
      const key = message.key;
      if (key === null || key === undefined || !this.#keys.some((k) => k.equals(key))) return false;
    }
    if (this.#since !== undefined || this.#until !== undefined) {
      const time = recordTime(message);
      if (this.#since !== undefined && !(time >= this.#since)) return false;
      if (this.#until !== undefined && !(time < this.#until)) return false;
    }
    return true;
  }
}
