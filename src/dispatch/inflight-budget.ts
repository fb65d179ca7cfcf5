/**
 * The in-flight budget of a route: every bound on how much work the bridge holds, in one
 * place.
 *
 *   maxInFlight ── split over the partitions the route owns ──▶ share per partition (≥ 1)
 *        │                                                        │
 *        │   a partition takes a record only while it holds       │ hasRoom: held < share
 *        │   fewer than its share; a full one is paused           │
 *        │                                                        │
 *        │   and only while a crash would repeat at most two      │ withinExposure:
 *        │   shares: everything started beyond the last commit     │ started past the commit ≤ 2 × share
 *        │   Kafka acknowledged                                   │
 *        ▼
 *   endpoint concurrency (ramped after a resume, adaptive below maxInFlight when configured)
 *   and connections default to maxInFlight: more connections than requests are never used.
 *
 * With batching, maxInFlight counts requests and a share holds that many full batches, four
 * at most (batchCapacity): what is held stays under min(maxInFlight, 4 × partitions) ×
 * batch.maxRecords records.
 *
 * So memory is bounded by maxInFlight records plus one fetch per owned partition, and a crash
 * or a rebalance repeats at most two in-flight windows per partition.
 */

/** How many shares past the last acknowledged commit a partition may start. */
export const EXPOSURE_SHARES = 2;

/** A partition's share of the route's maxInFlight: at least one record each. */
export function partitionShare(maxInFlight: number, partitions: number): number {
  return Math.max(1, Math.floor(maxInFlight / Math.max(1, partitions)));
}

/** Whether a partition holding `held` records may take one more. */
export function hasRoom(held: number, share: number): boolean {
  return held < share;
}

/**
 * Whether the record whose start would make `exposure` offsets repeatable after a crash (see
 * OffsetTracker.exposure) may start. A slow record holds its partition once this is reached,
 * until a commit moves the base: the caller then asks for one.
 */
export function withinExposure(exposure: bigint, share: number): boolean {
  return exposure <= BigInt(EXPOSURE_SHARES * share);
}

/**
 * How many records of a partition finished since the last commit make an early commit worth
 * it: a share's worth. The timer alone would let what a crash repeats grow with throughput.
 */
export function commitEarlyAfter(share: number): number {
  return share;
}

/**
 * Records one route may hold at once when it batches: every request it may have in flight,
 * full. A sanity ceiling on that product keeps a typo from asking for gigabytes.
 */
export const MAX_HELD_RECORDS = 200_000;

export function heldRecords(maxInFlight: number, maxRecords: number): number {
  return maxInFlight * maxRecords;
}

/** Full batches a batching partition may hold at most (partition order: one running, one filling). */
export const BATCHES_PER_PARTITION = 4;

/**
 * A batching partition's capacity, in records: its share of requests, each a full batch, but
 * never more than BATCHES_PER_PARTITION of them. A handful of 500-record requests per
 * partition keeps any endpoint busy, while a share of 32 full batches held 128,000 records
 * over 8 partitions and 426 MB in the benchmark. In partition order only one batch runs at
 * a time, so one running and one filling behind it is all that can be used.
 */
export function batchCapacity(shareOfRequests: number, maxRecords: number, oneLane: boolean): number {
  return Math.min(oneLane ? 2 : BATCHES_PER_PARTITION, shareOfRequests) * maxRecords;
}

/** Keep-alive connections to an endpoint when the configuration leaves them out. */
export function defaultConnections(maxInFlight: number): number {
  return maxInFlight;
}

/** Why `connections` is too many for `maxInFlight`, or undefined. */
export function connectionsProblem(connections: number, maxInFlight: number): string | undefined {
  return connections > maxInFlight ? `more connections than records in flight are never used` : undefined;
}
