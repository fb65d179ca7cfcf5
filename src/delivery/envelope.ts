/**
 * The JSON envelope of one record: what a batch body holds per record, and the body of a
 * route with `payload: envelope`. Written by hand rather than through JSON.stringify of an
 * object, because a value that already is JSON goes in as its own text: re-serialising it
 * would cost a parse and a stringify per record and round big integers to doubles.
 *
 *   { "topic", "partition", "offset", "timestamp",      original coordinates; offset and
 *     "key", "keyEncoding",                              timestamp as strings (64-bit)
 *     "headers",                                         the forwardHeaders allowlist
 *     "value", "valueEncoding",                          json | utf8 | base64 (null: none)
 *     "idempotencyKey" }                                 <topic>-<partition>-<offset>
 */
import { isUtf8 } from 'node:buffer';
import type { BridgeRecord } from '../kafka/record.ts';
import { idempotencyKey } from '../kafka/record.ts';
import { NOT_JSON, parseJsonText } from './json-text.ts';
import { isForwarded } from './request-headers.ts';

export type Encoding = 'json' | 'utf8' | 'base64';

/** A Buffer as an envelope field: its JSON text and how to read it. */
function encodeBytes(bytes: Buffer, tryJson: boolean, oneLine: boolean): [string, Encoding] {
  if (!isUtf8(bytes)) return [`"${bytes.toString('base64')}"`, 'base64'];
  const text = bytes.toString('utf8');
  // Outside strings JSON may hold raw line breaks only as whitespace: one line for ndjson.
  if (tryJson && parseJsonText(text) !== NOT_JSON) return [oneLine ? text.replace(/[\r\n]/g, ' ') : text, 'json'];
  return [JSON.stringify(text), 'utf8'];
}

/** A header value that is not UTF-8 text, kept byte for byte. */
type HeaderValue = string | { base64: string };

function headerValue(v: Buffer | string): HeaderValue {
  if (typeof v === 'string') return v;
  return isUtf8(v) ? v.toString('utf8') : { base64: v.toString('base64') };
}

/**
 * The allowlisted headers as a JSON object: one value as a string, several (the name repeated
 * in the record) as an array in record order; a value that is not UTF-8 as `{"base64": …}`.
 */
function encodeHeaders(record: BridgeRecord, forward: ReadonlySet<string>): string {
  if (forward.size === 0) return '{}';
  const out: Record<string, HeaderValue | HeaderValue[]> = {};
  for (const name in record.headers) {
    const lower = name.toLowerCase();
    if (!isForwarded(lower, forward)) continue;
    const raw = record.headers[name];
    const values = (Array.isArray(raw) ? raw : [raw]).filter((v) => v !== undefined).map(headerValue);
    if (values.length === 0) continue;
    const existing = out[lower];
    const merged = existing === undefined ? values : [...(Array.isArray(existing) ? existing : [existing]), ...values];
    out[lower] = merged.length === 1 ? merged[0]! : merged;
  }
  return JSON.stringify(out);
}

/** `keySchema`/`valueSchema` of a record decoded through the Schema Registry; nothing otherwise. */
function schemaFields(record: BridgeRecord): string {
  const schemas = record.schemas;
  if (schemas === undefined) return '';
  let out = '';
  for (const part of ['key', 'value'] as const) {
    const ref = schemas[part];
    if (ref !== undefined) out += `,"${part}Schema":${JSON.stringify({ id: ref.id, subject: ref.subject ?? null })}`;
  }
  return out;
}

/** The envelope of `record` as JSON text; `oneLine` keeps it on one line (ndjson). */
export function encodeEnvelope(record: BridgeRecord, forward: ReadonlySet<string>, oneLine = false): string {
  const origin = record.origin;
  const [key, keyEncoding] = record.key === null ? ['null', null] : encodeBytes(record.key, false, oneLine);
  const [value, valueEncoding] = record.value === null ? ['null', null] : encodeBytes(record.value, true, oneLine);
  return (
    `{"topic":${JSON.stringify(origin.topic)},"partition":${origin.partition},"offset":"${origin.offset}","timestamp":"${origin.timestamp}",` +
    `"key":${key},"keyEncoding":${keyEncoding === null ? 'null' : `"${keyEncoding}"`},"headers":${encodeHeaders(record, forward)},` +
    `"value":${value},"valueEncoding":${valueEncoding === null ? 'null' : `"${valueEncoding}"`},"idempotencyKey":${JSON.stringify(idempotencyKey(origin))}` +
    `${schemaFields(record)}}`
  );
}
