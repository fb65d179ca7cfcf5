/** Small statistics helpers for the report. */

/** Nearest-rank percentile (p in 0..100) of `values`; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/**
 * Records per second between the first and the last arrival. The records that arrived at the
 * first instant (one record at the sink, a whole fetch for consume-only) were produced before
 * the clock started, so they are not counted: n single arrivals span n - 1 gaps.
 */
export function ratePerSecond(count: number, firstCount: number, firstAt: number, lastAt: number): number {
  if (count <= firstCount || lastAt <= firstAt) return NaN;
  return ((count - firstCount) * 1000) / (lastAt - firstAt);
}

export function round(value: number, digits = 0): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
