/**
 * `endpoint.url` with per-record placeholders in its path and query:
 *
 *   https://api.internal/customers/{key}/events?partition={partition}
 *   └── fixed: scheme, host, port ─┘└──────── rendered per record ─────────┘
 *
 * Placeholders: {topic} {partition} {offset} (the record's original coordinates), {key},
 * {header:<name>}. The origin can hold none, so the host allowlist and the connection pool
 * see one fixed host whatever a producer writes. Every value is percent-encoded byte by byte
 * (all but A-Z a-z 0-9 - _ . ~), so `../admin` or `a/b?c` stays inside its segment or query
 * value. A record that cannot be sent fails permanently, to the dead-letter topic: without a
 * value for a placeholder (null key, missing header) with reason `template-missing`; with `.`
 * or `..` as a whole path segment with reason `template-invalid`, because URL parsers take
 * those, encoded or not (`%2E%2E`), as "this directory" and "the parent directory".
 */
import { headerValues, type BridgeRecord } from '../kafka/record.ts';
import { RecordRejection } from './request-headers.ts';

const PLACEHOLDER = /\{([^{}]*)\}/g;
const NAMES = /^(topic|partition|offset|key|header:[!#$%&'*+\-.^_`|~0-9A-Za-z]+)$/;

type Part = string | { readonly name: string; readonly inPath: boolean; readonly get: (record: BridgeRecord) => Buffer | string | undefined };

export interface UrlTemplate {
  readonly origin: string;
  /** The path and query for `record`, or why the record cannot be sent. */
  render(record: BridgeRecord): string | RecordRejection;
}

/** Where the origin ends: the first "/", "?" or "#" after "scheme://". */
function splitOrigin(url: string): [string, string] {
  const start = url.indexOf('://') + 3;
  const end = url.slice(start).search(/[/?#]/);
  return end < 0 ? [url, '/'] : [url.slice(0, start + end), url.slice(start + end)];
}

/** Why `url` is not a usable template, or undefined (also for a URL without placeholders). */
export function urlTemplateProblem(url: string): string | undefined {
  const [origin, rest] = splitOrigin(url);
  if (/[{}]/.test(origin)) return 'placeholders are allowed only in the path and the query: the scheme, host and port are fixed';
  if (rest.includes('#')) return 'must not contain a fragment (#…): it is never sent';
  const unknown = [...rest.matchAll(PLACEHOLDER)].map((m) => m[1]!).find((name) => !NAMES.test(name));
  if (unknown !== undefined) return `has an unknown placeholder {${unknown}}: use {topic}, {partition}, {offset}, {key} or {header:<name>}`;
  if (/[{}]/.test(rest.replace(PLACEHOLDER, ''))) return 'has an unbalanced "{" or "}"';
  return undefined;
}

export function hasPlaceholders(url: string): boolean {
  return new RegExp(PLACEHOLDER.source).test(splitOrigin(url)[1]);
}

function valueOf(name: string): (record: BridgeRecord) => Buffer | string | undefined {
  switch (name) {
    case 'topic':
      return (r) => r.origin.topic;
    case 'partition':
      return (r) => String(r.origin.partition);
    case 'offset':
      return (r) => r.origin.offset;
    case 'key':
      return (r) => r.key ?? undefined;
    default: {
      const headerName = name.slice('header:'.length).toLowerCase();
      return (r) => headerValues(r, headerName)[0];
    }
  }
}

/** Percent-encodes every byte but the unreserved ones. */
export function encodeSegment(value: Buffer | string): string {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let out = '';
  for (const b of bytes) {
    const unreserved = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f || b === 0x7e || b === 0x2e;
    out += unreserved ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The compiled template of a checked URL (urlTemplateProblem), or undefined when it has no placeholder. */
export function compileUrlTemplate(url: string): UrlTemplate | undefined {
  if (!hasPlaceholders(url)) return undefined;
  const [origin, rest] = splitOrigin(url);
  const parts: Part[] = [];
  let last = 0;
  for (const match of rest.matchAll(PLACEHOLDER)) {
    parts.push(rest.slice(last, match.index));
    const query = rest.indexOf('?');
    parts.push({ name: match[1]!, inPath: query < 0 || match.index < query, get: valueOf(match[1]!) });
    last = match.index + match[0].length;
  }
  parts.push(rest.slice(last));
  return {
    origin,
    render(record) {
      let out = '';
      for (const part of parts) {
        if (typeof part === 'string') {
          out += part;
          continue;
        }
        const value = part.get(record);
        if (value === undefined) return new RecordRejection('template-missing', `the record has no value for {${part.name}} in endpoint.url`);
        const encoded = encodeSegment(value);
        if (part.inPath && (encoded === '.' || encoded === '..')) {
          return new RecordRejection('template-invalid', `{${part.name}} would be the path segment "${encoded}" in endpoint.url`);
        }
        out += encoded;
      }
      return out;
    },
  };
}
