/**
 * How `replay --dry-run` and `inspect` print a record: one line of `name=value` fields, so
 * the output can be read by people and cut with grep or awk. Values that could contain
 * spaces or control characters (keys, reasons) are JSON-quoted; keys that are not valid
 * UTF-8 text are shown in base64.
 */
import type { KafkaMessage } from 'kafkajs';
import { CopyHeader, readCopyMetadata } from '../retry/copy-headers.ts';
import { headerText } from '../retry/copy-headers.ts';

// Control characters are what make a key unprintable here; the pattern must name them.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function keyText(key: Buffer | null | undefined): string {
  if (key === null || key === undefined) return 'null';
  const text = key.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(key) && !CONTROL.test(text)) return JSON.stringify(text);
  return `base64:${key.toString('base64')}`;
}

export function timeText(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : 'unknown';
}

export function reasonOf(message: Pick<KafkaMessage, 'headers'>): string | undefined {
  return headerText(message.headers, CopyHeader.reason);
}

/** `orders/2/17`: where the record first entered the bridge, or `unknown`. */
export function originText(message: Pick<KafkaMessage, 'headers'>): string {
  const meta = readCopyMetadata(message.headers ?? {});
  return meta === undefined ? 'unknown' : `${meta.originalTopic}/${meta.originalPartition}/${meta.originalOffset}`;
}

/** A short code (`http-503`) as it is; anything else JSON-quoted; `none` when absent. */
export function tokenText(value: string | undefined): string {
  if (value === undefined) return 'none';
  return /^[\w.:/-]{1,100}$/.test(value) ? value : JSON.stringify(value);
}
