/**
 * A batch's answer, record by record. 2xx (other than 207) is every record delivered; any
 * other whole-batch answer is every record's; a 207 carries a JSON array of per-record
 * results in body order, `[{"status":200},{"status":503,"message":"…"},{"status":400}]`, each
 * classified like a status of its own. A 207 the bridge cannot read (not JSON, not an array,
 * the wrong length, an element without an integer status 100–599) says nothing about any
 * record: the whole batch failed transiently and is sent again, never guessed at.
 */
import type { StatusPolicy } from '../config/types.ts';
import { oneLine, resultFromStatus } from './classify-response.ts';
import { Verdict, type AttemptResult } from './outcome.ts';

export const MULTI_STATUS = 207;

/** Per-record results of a 207 body, or a transient failure of the whole batch. */
export function readMultiStatus(text: string, count: number, policy: StatusPolicy): AttemptResult[] | AttemptResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return unreadableMultiStatus('its body is not JSON');
  }
  if (!Array.isArray(parsed)) return unreadableMultiStatus('its body is not a JSON array');
  if (parsed.length !== count) return unreadableMultiStatus(`it has ${parsed.length} results for ${count} records`);
  const results: AttemptResult[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const item: unknown = parsed[i];
    const status = typeof item === 'object' && item !== null ? (item as { status?: unknown }).status : undefined;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
      return unreadableMultiStatus(`result ${i} has no integer status between 100 and 599`);
    }
    const message = (item as { message?: unknown }).message;
    results.push(resultFromStatus(status, policy, undefined, typeof message === 'string' ? oneLine(message, 200) : ''));
  }
  return results;
}

/** Reads a body as UTF-8 text, or undefined once it passes `limit` bytes (then it is discarded). */
export async function readBounded(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let seen = 0;
  try {
    for await (const chunk of body) {
      seen += chunk.length;
      if (seen > limit) {
        body.destroy();
        return undefined;
      }
      parts.push(chunk);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(parts).toString('utf8');
}

export function unreadableMultiStatus(why: string): AttemptResult {
  return { verdict: Verdict.transient, reason: 'multi-status-unreadable', message: `endpoint answered 207 but ${why}` };
}
