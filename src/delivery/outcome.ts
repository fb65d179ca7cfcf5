import type { PauseReason } from '../flow/pause-reasons.ts';

/**
 * The closed set of ways a record can leave the bridge. These exact strings are what
 * operators see in `deliveries_total{outcome}` and in logs.
 */
export const Outcome = {
  /** The endpoint accepted the record (2xx, or a status configured as delivered). */
  delivered: 'delivered',
  /** A copy was acknowledged on the next retry topic; it will be tried again when due. */
  retryScheduled: 'retry_scheduled',
  /** A copy was acknowledged on the dead-letter topic; it needs a human or a replay. */
  deadLettered: 'dead_lettered',
  /** Dropped on purpose by configuration (e.g. `nullValue: discard`). */
  discarded: 'discarded',
  /** Did not match the route's `filter`: finished without a request, on purpose. */
  filtered: 'filtered',
} as const;

export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** What one HTTP attempt (or the record itself) says about the record. */
export const Verdict = {
  delivered: 'delivered',
  /** Worth trying again: the endpoint or the network may get better. */
  transient: 'transient',
  /** Trying again cannot help (e.g. 400, or a record that cannot become a request). */
  permanent: 'permanent',
} as const;

export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export interface AttemptResult {
  readonly verdict: Verdict;
  /** Short stable reason: `http-503`, `timeout`, `connect-refused`, `invalid-header`, … */
  readonly reason: string;
  /** One line for humans; never a stack trace. */
  readonly message: string;
  readonly status?: number;
  /** ms the endpoint asked us to wait (Retry-After), when it did. */
  readonly retryAfterMs?: number;
  /**
   * Set when the attempt could not be made because something else the route needs is down
   * (its OAuth token endpoint): not the record's failure and not the endpoint's, so the
   * route pauses like an outage instead of counting it.
   */
  readonly outage?: Outage;
  /** A batch answered 207: one result per record, in body order. */
  readonly perRecord?: readonly AttemptResult[];
}

/** A dependency of the route (not the endpoint itself) is unavailable. */
export interface Outage {
  /** The route's pause reason while it lasts. */
  readonly reason: typeof PauseReason.tokenEndpoint | typeof PauseReason.schemaRegistry;
  /** One line for the log; never a credential. */
  readonly detail: string;
  /** Resolves once the dependency works again (never rejects). */
  readonly recovered: Promise<void>;
}
