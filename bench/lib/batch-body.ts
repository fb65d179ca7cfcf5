/**
 * Reads a batched request of the bridge: a JSON array of envelopes (`application/json`) or
 * one envelope per line (`application/x-ndjson`), each envelope carrying its record's
 * `timestamp` (a string, ms since the epoch). The sink parses a body only in the latency
 * phase: parsing costs CPU that the bridge needs on the same two cores, and the throughput
 * phase counts records from the `kafka-batch-size` header instead.
 */

/** The `kafka-batch-size` header as a record count, or 0 when the request is not a batch. */
export function batchSize(header: string | string[] | undefined): number {
  const n = typeof header === 'string' ? Number(header) : NaN;
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function timestampOf(envelope: unknown): number {
  if (typeof envelope !== 'object' || envelope === null || !('timestamp' in envelope)) return NaN;
  const ts = envelope.timestamp;
  if (typeof ts === 'number') return ts;
  return typeof ts === 'string' && /^\d+$/.test(ts) ? Number(ts) : NaN;
}

/**
 * Each record's timestamp (NaN where an envelope has none), or undefined when the body is
 * neither a JSON array nor newline-delimited JSON. The format is told by the body itself (an
 * array starts with "["), so a content-type set by the route's static headers cannot mislead it.
 */
export function batchTimestamps(body: Buffer): number[] | undefined {
  const text = body.toString('utf8');
  try {
    if (text.trimStart().startsWith('[')) {
      const parsed: unknown = JSON.parse(text);
      return Array.isArray(parsed) ? parsed.map(timestampOf) : undefined;
    }
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => timestampOf(JSON.parse(line)));
  } catch {
    return undefined;
  }
}
