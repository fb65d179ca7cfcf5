/**
 * Rules for HTTP header names and values set by the configuration (static endpoint headers
 * and Kafka headers forwarded to the endpoint). They match what undici accepts, so a header
 * the configuration allows can never make a request fail at delivery time.
 */

/** RFC 9110 token: the characters allowed in a header name. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Connection-level and framing headers: the HTTP client manages them, and setting them by
 * hand either breaks the request framing or is refused by undici ("expect").
 */
export const MANAGED_HEADERS: readonly string[] = [
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'host',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-*',
];

export function headerNameProblem(name: string): string | undefined {
  // Valid tokens, but as object keys they would be swallowed or poison a prototype on the
  // way through the loader, so the header would silently never be sent.
  if (name === '__proto__' || name === 'constructor' || name === 'prototype') return 'is a reserved name';
  if (!TOKEN.test(name)) {
    return "is not a valid HTTP header name (allowed: letters, digits and !#$%&'*+-.^_`|~)";
  }
  const lower = name.toLowerCase();
  if (lower.startsWith('proxy-') || MANAGED_HEADERS.includes(lower)) {
    return `is managed by the HTTP client and cannot be set (${MANAGED_HEADERS.join(', ')})`;
  }
  return undefined;
}

/**
 * Why a header value is unusable, or undefined. Never includes the value: header values are
 * often credentials. `what` names the value in the message ("the value", "env TOKEN").
 */
export function headerValueProblem(value: string, what = 'the value'): string | undefined {
  if (/[\r\n]/.test(value)) return `${what} must not contain CR or LF`;
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
    return `${what} must not contain control characters or characters outside Latin-1`;
  }
  return undefined;
}
