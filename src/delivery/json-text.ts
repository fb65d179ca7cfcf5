/**
 * Whether text is JSON, for the envelope's `valueEncoding`, CloudEvents' `data` and the
 * filter's value conditions: one parse, with a look at the first character before it, since
 * most text that is not JSON cannot even start a JSON value.
 */
export const NOT_JSON: unique symbol = Symbol('not JSON');

/** What `text` parses to as JSON, or NOT_JSON. */
export function parseJsonText(text: string): unknown {
  if (!mayBeJson(text)) return NOT_JSON;
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

function mayBeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    // { [ " - digit t f n
    return c === 0x7b || c === 0x5b || c === 0x22 || c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e;
  }
  return false;
}
