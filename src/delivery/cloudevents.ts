/**
 * A record as a CloudEvent 1.0 over HTTP, in binary or structured content mode.
 *
 *   record already a CloudEvent in the Kafka protocol binding?
 *     ce_* headers (binary)                → those attributes, content-type → datacontenttype
 *     content-type application/cloudevents+json (structured) → the attributes of its JSON
 *   otherwise the bridge makes one:
 *     id = <topic>-<partition>-<offset> (original), source = configured or kafka://<broker>/<topic>,
 *     type = the typeHeader's value or the configured type, time = the record timestamp,
 *     subject = the key when it is UTF-8, datacontenttype = the record's content-type header
 *     or the configured one
 *
 * An event that passes through keeps its attributes unchanged; only a missing id becomes the
 * original coordinates, so that every event has a stable one.
 */
import { isUtf8 } from 'node:buffer';
import type { CloudEventsConfig } from '../config/types.ts';
import type { BridgeRecord } from '../kafka/record.ts';
import { headerText, idempotencyKey } from '../kafka/record.ts';
import { NOT_JSON, parseJsonText } from './json-text.ts';

export interface CloudEvent {
  /** Context attributes and extensions, as strings, in the order they go out. */
  readonly attributes: Map<string, string>;
  readonly data: Buffer | null;
  /** Already a JSON value (a structured event's `data`): goes out as this JSON text. */
  readonly dataJson?: string;
}

const STRUCTURED_KAFKA = 'application/cloudevents+json';
const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;

/** The CloudEvent a record stands for. */
export function toCloudEvent(record: BridgeRecord, settings: CloudEventsConfig, sourceHost: string): CloudEvent {
  const contentType = headerText(record, 'content-type');
  const id = idempotencyKey(record.origin);
  if (contentType?.toLowerCase().startsWith(STRUCTURED_KAFKA) && record.value !== null) {
    const passed = fromStructured(record.value, id);
    if (passed !== undefined) return passed;
  }
  if (headerText(record, 'ce_specversion') !== undefined) return fromBinary(record, contentType, id);
  const attributes = new Map<string, string>([
    ['specversion', '1.0'],
    ['id', id],
    ['source', settings.source ?? `kafka://${sourceHost}/${record.origin.topic}`],
    ['type', (settings.typeHeader === undefined ? undefined : headerText(record, settings.typeHeader)) ?? settings.type],
    ['time', new Date(Number(record.origin.timestamp)).toISOString()],
  ]);
  if (record.key !== null && isUtf8(record.key)) attributes.set('subject', record.key.toString('utf8'));
  // A value decoded through the Schema Registry is JSON now, whatever the record said.
  const decoded = record.schemas?.value;
  const dataContentType = decoded !== undefined ? 'application/json' : (contentType ?? settings.dataContentType);
  if (dataContentType !== undefined) attributes.set('datacontenttype', dataContentType);
  if (decoded !== undefined) attributes.set('dataschema', decoded.url);
  return { attributes, data: record.value };
}

function fromBinary(record: BridgeRecord, contentType: string | undefined, id: string): CloudEvent {
  const attributes = new Map<string, string>();
  for (const key in record.headers) {
    const lower = key.toLowerCase();
    const name = lower.slice(3);
    if (!lower.startsWith('ce_') || !ATTRIBUTE_NAME.test(name)) continue;
    attributes.set(name, headerText(record, lower)!);
  }
  if (!attributes.has('id')) attributes.set('id', id);
  if (contentType !== undefined) attributes.set('datacontenttype', contentType);
  return { attributes, data: record.value };
}

function fromStructured(value: Buffer, id: string): CloudEvent | undefined {
  let event: unknown;
  try {
    event = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const attributes = new Map<string, string>();
  let data: Buffer | null = null;
  let dataJson: string | undefined;
  for (const [name, v] of Object.entries(event as Record<string, unknown>)) {
    if (name === 'data') dataJson = JSON.stringify(v);
    else if (name === 'data_base64' && typeof v === 'string') data = Buffer.from(v, 'base64');
    else if (ATTRIBUTE_NAME.test(name) && v !== null && typeof v !== 'object') attributes.set(name, String(v));
  }
  if (!attributes.has('id')) attributes.set('id', id);
  return { attributes, data, ...(dataJson === undefined ? {} : { dataJson }) };
}

/** Whether data of this type is JSON, for structured mode (no type: JSON, as the JSON format says). */
function isJsonType(type: string | undefined): boolean {
  if (type === undefined) return true;
  const base = type.split(';')[0]!.trim().toLowerCase();
  return base === 'application/json' || base === 'text/json' || base.endsWith('+json');
}

/** Structured content mode: the event as one JSON object. */
export function structuredBody(event: CloudEvent): Buffer {
  const parts: string[] = [];
  for (const [name, value] of event.attributes) parts.push(`${JSON.stringify(name)}:${JSON.stringify(value)}`);
  if (event.dataJson !== undefined) parts.push(`"data":${event.dataJson}`);
  else if (event.data !== null) {
    const utf8 = isUtf8(event.data);
    const text = utf8 ? event.data.toString('utf8') : '';
    if (utf8 && isJsonType(event.attributes.get('datacontenttype')) && parseJsonText(text) !== NOT_JSON) parts.push(`"data":${text}`);
    else if (utf8) parts.push(`"data":${JSON.stringify(text)}`);
    else parts.push(`"data_base64":"${event.data.toString('base64')}"`);
  }
  return Buffer.from(`{${parts.join(',')}}`, 'utf8');
}

/**
 * Binary content mode: `ce-<attribute>` headers (datacontenttype as content-type), values
 * percent-encoded where the HTTP binding says so: space, `"`, `%` and anything outside
 * printable ASCII.
 */
export function binaryHeaders(event: CloudEvent): string[] {
  const out: string[] = [];
  // A passed-through structured event's data is JSON, whose type goes without saying there.
  if (event.dataJson !== undefined && !event.attributes.has('datacontenttype')) out.push('content-type', 'application/json');
  for (const [name, value] of event.attributes) {
    if (name === 'datacontenttype') out.push('content-type', value);
    else out.push(`ce-${name}`, percentEncode(value));
  }
  return out;
}

/** The data of binary mode: the value's bytes, or a passed-through structured event's JSON data. */
export function binaryBody(event: CloudEvent): Buffer {
  if (event.dataJson !== undefined) return Buffer.from(event.dataJson, 'utf8');
  return event.data ?? Buffer.alloc(0);
}

function percentEncode(value: string): string {
  let plain = true;
  for (let i = 0; i < value.length && plain; i++) {
    const c = value.charCodeAt(i);
    plain = c > 0x20 && c < 0x7f && c !== 0x22 && c !== 0x25;
  }
  if (plain) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte > 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
