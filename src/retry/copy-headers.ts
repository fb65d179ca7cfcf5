/**
 * The Kafka headers of a retry or dead-letter copy. This header contract is public:
 * operators, `inspect` and `replay` read it.
 *
 * A copy keeps the original key, value and headers, minus hygiene: headers on the strip list
 * and oversized values are dropped (Spring and Connect attach 20 KiB stack traces, and a
 * record that hops three tiers must not grow each time), and metadata from an earlier hop is
 * replaced, never accumulated.
 */
import type { IHeaders } from 'kafkajs';
import type { BridgeRecord } from '../kafka/record.ts';
import type { AttemptResult } from '../delivery/outcome.ts';
import { oneLine } from '../delivery/classify-response.ts';

export const CopyHeader = {
  originalTopic: 'bridge-original-topic',
  originalPartition: 'bridge-original-partition',
  originalOffset: 'bridge-original-offset',
  originalTimestamp: 'bridge-original-timestamp',
  attempts: 'bridge-attempts',
  firstFailureAt: 'bridge-first-failure-at',
  dueAt: 'bridge-due-at',
  reason: 'bridge-reason',
  error: 'bridge-error',
  httpStatus: 'bridge-http-status',
  route: 'bridge-route',
} as const;

const BRIDGE_PREFIX = 'bridge-';
export const MAX_ERROR_BYTES = 512;

export interface HeaderHygiene {
  readonly strip: readonly string[];
  readonly maxValueBytes: number;
}

export interface CopyFacts {
  readonly route: string;
  /** Attempts across all hops, including the ones just made. */
  readonly attempts: number;
  readonly result: AttemptResult;
  readonly firstFailureAt: string;
  /** ms since the epoch; only for retry copies. */
  readonly dueAt?: number;
}

function byteLength(value: Buffer | string): number {
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/** The original headers after hygiene, without any `bridge-*` metadata. */
export function cleanHeaders(headers: IHeaders, hygiene: HeaderHygiene): IHeaders {
  // Strip names match case-insensitively, although Kafka header names are case-sensitive on
  // the wire. The list is a deny list for hygiene: a header spelt `Kafka_Exception-Stacktrace`
  // by some producer or interceptor would otherwise ride along on every copy, while matching
  // too widely can only drop a header whose name differs from a listed one by case alone,
  // which nobody attaches on purpose. The defaults are unaffected (Spring and Connect use fixed
  // lower case), and the route's other header list, forwardHeaders, is case-insensitive too.
  const strip = new Set(hygiene.strip.map((h) => h.toLowerCase()));
  const out: IHeaders = {};
  for (const [name, raw] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (raw === undefined || strip.has(lower) || lower.startsWith(BRIDGE_PREFIX)) continue;
    const values = (Array.isArray(raw) ? raw : [raw]).filter((v) => byteLength(v) <= hygiene.maxValueBytes);
    if (values.length === 0) continue;
    out[name] = values.length === 1 ? values[0] : values;
  }
  return out;
}

export function copyHeaders(record: BridgeRecord, hygiene: HeaderHygiene, facts: CopyFacts): IHeaders {
  const headers = cleanHeaders(record.headers, hygiene);
  const origin = record.origin;
  headers[CopyHeader.originalTopic] = origin.topic;
  headers[CopyHeader.originalPartition] = String(origin.partition);
  headers[CopyHeader.originalOffset] = origin.offset;
  headers[CopyHeader.originalTimestamp] = origin.timestamp;
  headers[CopyHeader.attempts] = String(facts.attempts);
  headers[CopyHeader.firstFailureAt] = facts.firstFailureAt;
  if (facts.dueAt !== undefined) headers[CopyHeader.dueAt] = new Date(facts.dueAt).toISOString();
  headers[CopyHeader.reason] = facts.result.reason;
  headers[CopyHeader.error] = oneLine(facts.result.message, MAX_ERROR_BYTES);
  if (facts.result.status !== undefined) headers[CopyHeader.httpStatus] = String(facts.result.status);
  headers[CopyHeader.route] = facts.route;
  return headers;
}

/** The first value of header `name` as UTF-8 text, or undefined when the record has none. */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

export interface CopyMetadata {
  readonly originalTopic: string;
  readonly originalPartition: number;
  readonly originalOffset: string;
  readonly originalTimestamp: string;
  readonly attempts: number;
  readonly firstFailureAt: string | undefined;
  readonly dueAt: number | undefined;
  readonly reason: string | undefined;
  readonly route: string | undefined;
}

/**
 * Reads the metadata of a copy, or undefined when the record carries none (someone wrote to
 * a retry topic by hand). Garbled values count as absent rather than failing the record.
 */
export function readCopyMetadata(headers: IHeaders): CopyMetadata | undefined {
  const topic = headerText(headers, CopyHeader.originalTopic);
  const partition = Number(headerText(headers, CopyHeader.originalPartition));
  const offset = headerText(headers, CopyHeader.originalOffset);
  if (topic === undefined || !Number.isInteger(partition) || offset === undefined || !/^\d+$/.test(offset)) {
    return undefined;
  }
  const attempts = Number(headerText(headers, CopyHeader.attempts));
  const due = headerText(headers, CopyHeader.dueAt);
  const dueAt = due === undefined ? undefined : Date.parse(due);
  return {
    originalTopic: topic,
    originalPartition: partition,
    originalOffset: offset,
    originalTimestamp: headerText(headers, CopyHeader.originalTimestamp) ?? '0',
    attempts: Number.isInteger(attempts) && attempts >= 0 ? attempts : 0,
    firstFailureAt: headerText(headers, CopyHeader.firstFailureAt),
    dueAt: dueAt === undefined || Number.isNaN(dueAt) ? undefined : dueAt,
    reason: headerText(headers, CopyHeader.reason),
    route: headerText(headers, CopyHeader.route),
  };
}
