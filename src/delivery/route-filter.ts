/**
 * A route's `filter`, compiled once: whether a record is one the endpoint wants. A record
 * that does not match is finished on purpose (outcome `filtered`), committed like a delivered
 * one and counted, never silently dropped. Nothing about a record can make the filter throw:
 * a key that is not UTF-8, a missing header or a value that is not JSON simply do not match.
 */
import { isUtf8 } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import type { FilterConfig } from '../config/types.ts';
import { NOT_JSON, parseJsonText } from './json-text.ts';
import { headerValues, type BridgeRecord } from '../kafka/record.ts';

/** True when the record should be delivered. */
export type RecordFilter = (record: BridgeRecord) => boolean;

/** The compiled filter, or undefined when the route filters nothing. */
export function compileFilter(config: FilterConfig): RecordFilter | undefined {
  const key = config.key === undefined ? undefined : new RegExp(config.key, 'u');
  const headers = Object.entries(config.headers).map(([name, pattern]) => [name, new RegExp(pattern, 'u')] as const);
  const value = Object.entries(config.value).map(([pointer, expected]) => [pointerTokens(pointer), expected] as const);
  if (key === undefined && headers.length === 0 && value.length === 0) return undefined;
  return (record) => {
    if (key !== undefined && (record.key === null || !isUtf8(record.key) || !key.test(record.key.toString('utf8')))) return false;
    for (const [name, pattern] of headers) {
      if (!headerValues(record, name).some((v) => pattern.test(typeof v === 'string' ? v : v.toString('utf8')))) return false;
    }
    if (value.length === 0) return true;
    const parsed = record.value === null || !isUtf8(record.value) ? NOT_JSON : parseJsonText(record.value.toString('utf8'));
    if (parsed === NOT_JSON) return false;
    return value.every(([tokens, expected]) => isDeepStrictEqual(resolve(parsed, tokens), expected));
  };
}

const MISSING = Symbol('missing');

/** RFC 6901: "" is the whole document; "/a/b" the tokens a, b, with ~1 for "/" and ~0 for "~". */
function pointerTokens(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function resolve(doc: unknown, tokens: readonly string[]): unknown {
  let node = doc;
  for (const token of tokens) {
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d*)$/.test(token) || Number(token) >= node.length) return MISSING;
      node = node[Number(token)];
    } else if (typeof node === 'object' && node !== null && Object.hasOwn(node, token)) {
      node = (node as Record<string, unknown>)[token];
    } else {
      return MISSING;
    }
  }
  return node;
}
