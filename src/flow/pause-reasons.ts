/**
 * Why fetching stops: one vocabulary for the pause book, flow control, outcomes, /ready and
 * the `route_paused{reason}` metric.
 */
export const PauseReason = {
  /** A partition's backlog waits for room in its share or for a due time (partition-level). */
  backlog: 'backlog',
  /** The partition's next record batch cannot be read; fetched again after a backoff (partition-level). */
  unreadable: 'unreadable',
  /** Shutdown began: nothing new is taken. */
  shutdown: 'shutdown',
  /** The route's health probe failed `unhealthyAfter` times in a row. */
  healthCheck: 'health-check',
  /** The route's circuit breaker is open. */
  circuitOpen: 'circuit-open',
  /** The route's OAuth2 token endpoint cannot hand out a token. */
  tokenEndpoint: 'token-endpoint',
  /** The Schema Registry the route decodes with does not answer. */
  schemaRegistry: 'schema-registry',
} as const;

export type PauseReason = (typeof PauseReason)[keyof typeof PauseReason];

/** Reasons a whole route pauses for, as /ready and route_paused show them. */
export const ROUTE_PAUSE_REASONS = [PauseReason.healthCheck, PauseReason.circuitOpen, PauseReason.tokenEndpoint, PauseReason.schemaRegistry, PauseReason.shutdown] as const;

/** The reasons flow control pauses a route for (shutdown is the lifecycle's). */
export type FlowPauseReason = typeof PauseReason.healthCheck | typeof PauseReason.circuitOpen | typeof PauseReason.tokenEndpoint | typeof PauseReason.schemaRegistry;
