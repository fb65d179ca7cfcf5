/**
 * One pure function decides what an HTTP answer means for a record. Everything that
 * retries, dead-letters or counts failures reads its verdict and nothing else.
 */
import type { StatusPolicy } from '../config/types.ts';
import { Verdict, type AttemptResult } from './outcome.ts';

export function classifyStatus(status: number, policy: StatusPolicy): Verdict {
  // An explicit "treat as delivered" entry wins: 409 often means "already processed",
  // which is exactly what a redelivered record should hear.
  if (policy.delivered.includes(status)) return Verdict.delivered;
  if (status >= 200 && status < 300) return Verdict.delivered;
  // Listed statuses (408, 429, … by default) say "not now", never "never".
  if (policy.retry.includes(status)) return Verdict.transient;
  // Any 5xx is the server's fault and may pass; retrying costs little.
  if (status >= 500) return Verdict.transient;
  // 3xx is not followed (no redirects, by design) and the rest of 4xx means the request
  // itself is wrong: sending it again cannot help, so it goes to the dead-letter topic.
  return Verdict.permanent;
}

/** Parses Retry-After (delta-seconds or an HTTP date) into ms, or undefined. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === '') return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

export function resultFromStatus(
  status: number,
  policy: StatusPolicy,
  retryAfter?: string | string[],
  detail = '',
): AttemptResult {
  const verdict = classifyStatus(status, policy);
  const retryAfterMs = verdict === Verdict.transient ? parseRetryAfter(retryAfter) : undefined;
  return {
    verdict,
    reason: `http-${status}`,
    message: detail === '' ? `endpoint answered ${status}` : `endpoint answered ${status}: ${detail}`,
    status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

/**
 * Network-level failures are transient: the request may never have reached the endpoint.
 * The reason names the failure class, not the message, so that metrics stay low-cardinality.
 */
export function resultFromError(error: unknown): AttemptResult {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const reason = errorReason(code);
  const message = oneLine(error instanceof Error ? error.message : String(error));
  return { verdict: Verdict.transient, reason, message: `${reason}: ${message}` };
}

function errorReason(code: string): string {
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
    case 'ABORT_ERR':
      return 'timeout';
    case 'ECONNREFUSED':
      return 'connect-refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return 'connection-reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'dns';
    case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
      return 'response-too-large';
    default:
      return isTlsFailure(code) ? 'tls' : 'network';
  }
}

/**
 * Node's TLS errors (ERR_TLS_*), OpenSSL alerts from the peer (ERR_SSL_*, e.g. a server that
 * wants a client certificate) and OpenSSL's certificate verification codes, most of which
 * name a certificate but not all (UNABLE_TO_VERIFY_LEAF_SIGNATURE, HOSTNAME_MISMATCH).
 */
function isTlsFailure(code: string): boolean {
  return (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.startsWith('UNABLE_TO_') ||
    code.includes('CERT') ||
    code === 'HOSTNAME_MISMATCH'
  );
}

/** Collapses a message to one line of at most `max` bytes (no stack traces, ever). */
export function oneLine(text: string, max = 512): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ').trim();
  if (Buffer.byteLength(flat) <= max) return flat;
  let cut = flat.slice(0, max);
  while (Buffer.byteLength(cut) > max - 3) cut = cut.slice(0, -1);
  return `${cut}...`;
}
