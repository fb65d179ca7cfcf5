/**
 * Builds the HTTP request headers for one attempt. The output is undici's flat
 * `[name, value, name, value, …]` form: it skips an object allocation per request and keeps
 * header order stable.
 *
 * The coordinates sent are the record's ORIGINAL ones, so the endpoint can use
 * `idempotency-key` to drop duplicates however many retry hops the record took.
 */
import type { BridgeRecord } from '../kafka/record.ts';
import { idempotencyKey } from '../kafka/record.ts';

/**
 * Headers that describe one connection or the message framing. Forwarding one of them from
 * a Kafka record would let a producer smuggle requests or confuse the connection pool.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);

/** Header names the bridge sets itself; a Kafka header may never override them. */
export const BRIDGE_HEADERS: ReadonlySet<string> = new Set([
  'kafka-topic',
  'kafka-partition',
  'kafka-offset',
  'kafka-timestamp',
  'kafka-key',
  'kafka-key-base64',
  'kafka-delivery-attempt',
  'idempotency-key',
  'kafka-key-schema-id',
  'kafka-key-schema-subject',
  'kafka-value-schema-id',
  'kafka-value-schema-subject',
]);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether a Kafka header (`lower`: its name in lower case) goes to the endpoint: allowlisted, and neither hop-by-hop nor the bridge's own. */
export function isForwarded(lower: string, forward: ReadonlySet<string>): boolean {
  return forward.has(lower) && !HOP_BY_HOP_HEADERS.has(lower) && !BRIDGE_HEADERS.has(lower);
}

/** True for a header value HTTP can carry: no control characters except tab. */
export function isValidHeaderValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

export function isValidHeaderName(name: string): boolean {
  return TOKEN.test(name);
}

/** A record that cannot become a request; it goes to the dead-letter path with `reason`. */
export class RecordRejection {
  readonly reason: string;
  readonly message: string;
  constructor(reason: string, message: string) {
    this.reason = reason;
    this.message = message;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A key that is valid UTF-8 without control characters is sent as is (its bytes go on the
 * wire unchanged, as latin1 string units); anything else is sent base64-encoded.
 */
function keyHeader(key: Buffer): [string, string] {
  let text: string;
  try {
    text = utf8.decode(key);
  } catch {
    return ['kafka-key-base64', key.toString('base64')];
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) return ['kafka-key-base64', key.toString('base64')];
  }
  return ['kafka-key', key.toString('latin1')];
}

/** Which registered schemas decoded the key and value (src/decode), for the endpoint. */
function schemaHeaders(schemas: NonNullable<BridgeRecord['schemas']>, out: string[]): void {
  for (const part of ['key', 'value'] as const) {
    const ref = schemas[part];
    if (ref === undefined) continue;
    out.push(`kafka-${part}-schema-id`, String(ref.id));
    if (ref.subject !== undefined && isValidHeaderValue(ref.subject)) out.push(`kafka-${part}-schema-subject`, ref.subject);
  }
}

export interface HeaderPlan {
  /** Static endpoint headers, already revealed, as a flat list. */
  readonly fixed: readonly string[];
  /** Lower-case Kafka header names to forward. */
  readonly forward: ReadonlySet<string>;
  /**
   * The body carries the forwarded headers byte for byte (envelope): a value HTTP cannot
   * carry is left out of the request headers instead of failing the record.
   */
  readonly inBody: boolean;
}

export function buildRequestHeaders(
  record: BridgeRecord,
  attempt: number,
  plan: HeaderPlan,
): string[] | RecordRejection {
  const origin = record.origin;
  const out: string[] = [
    'kafka-topic',
    origin.topic,
    'kafka-partition',
    String(origin.partition),
    'kafka-offset',
    origin.offset,
    'kafka-timestamp',
    origin.timestamp,
    'kafka-delivery-attempt',
    String(attempt),
    'idempotency-key',
    idempotencyKey(origin),
  ];
  if (record.key !== null) out.push(...keyHeader(record.key));
  if (record.schemas !== undefined) schemaHeaders(record.schemas, out);
  if (plan.forward.size > 0) {
    for (const name in record.headers) {
      const lower = name.toLowerCase();
      if (!isForwarded(lower, plan.forward)) continue;
      const raw = record.headers[name];
      const values = Array.isArray(raw) ? raw : [raw];
      for (const v of values) {
        if (v === undefined) continue;
        const text = typeof v === 'string' ? v : v.toString('latin1');
        if (!isValidHeaderValue(text)) {
          if (plan.inBody) continue;
          return new RecordRejection('invalid-header', `Kafka header "${lower}" has a value HTTP cannot carry`);
        }
        out.push(lower, text);
      }
    }
  }
  for (const item of plan.fixed) out.push(item);
  return out;
}
