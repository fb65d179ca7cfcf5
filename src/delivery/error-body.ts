/**
 * What an error answer may show of itself: the start of its body, read within a bound, with
 * every credential the request carried redacted first. Careless servers echo the
 * authorization header they refused, and the sample goes into logs and the dead-letter topic.
 */
import { oneLine } from './classify-response.ts';

/** How much of an error response body is kept for the `bridge-error` message. */
const ERROR_SNIPPET_BYTES = 200;
const REDACTED = '[redacted]';

/**
 * The forms in which a header value sent as a credential could come back in a body: the value
 * without its scheme (`Bearer <token>` → `<token>`, which also covers the whole value), and for
 * Basic the decoded password as well.
 */
export function secretForms(value: string): string[] {
  const space = value.indexOf(' ');
  const param = space < 0 ? value : value.slice(space + 1);
  const forms = [param];
  if (space > 0 && value.slice(0, space).toLowerCase() === 'basic') {
    const pair = Buffer.from(param, 'base64').toString('utf8');
    forms.push(pair.slice(pair.indexOf(':') + 1));
  }
  return forms.filter((form) => form.trim() !== '');
}

/**
 * Replaces every secret in `text` with [redacted], longest first. When `cut` (the sample ends
 * where the body went on), a trailing piece that starts a secret is dropped too: the rest of
 * that secret was not read, so it could not be recognised whole. The message keeps no more
 * than the sample, so no later part of the body can bring a secret into view.
 */
function redact(text: string, secrets: readonly string[], cut: boolean): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.replaceAll(secret, REDACTED);
  if (!cut) return out;
  for (const secret of secrets) {
    for (let n = Math.min(secret.length - 1, out.length); n > 0; n--) {
      if (out.endsWith(secret.slice(0, n))) {
        out = out.slice(0, -n);
        break;
      }
    }
  }
  return out;
}

/**
 * Reads the start of an error body for the log/header message, discarding the rest (bounded),
 * with the secrets in `secrets` redacted.
 */
export async function readSnippet(
  body: AsyncIterable<Buffer> & { destroy(): void },
  limit: number,
  secrets: readonly string[],
): Promise<string> {
  const parts: Buffer[] = [];
  let kept = 0;
  let seen = 0;
  let cut = false;
  try {
    for await (const chunk of body) {
      seen += chunk.length;
      if (kept < ERROR_SNIPPET_BYTES) {
        parts.push(chunk.subarray(0, ERROR_SNIPPET_BYTES - kept));
        kept += Math.min(chunk.length, ERROR_SNIPPET_BYTES - kept);
      }
      if (seen > limit) {
        body.destroy();
        cut = true;
        break;
      }
    }
  } catch {
    // A broken error body (or one cut off by the deadline) does not change the status we
    // already have.
    cut = true;
  }
  const text = redact(Buffer.concat(parts).toString('utf8'), secrets, cut || seen > kept);
  return oneLine(text, ERROR_SNIPPET_BYTES);
}
