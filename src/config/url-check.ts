/**
 * The rule for every URL the bridge calls (endpoint, health probe, OAuth token endpoint):
 * absolute http:// or https://, a host, and no credentials in it. A URL is never printed
 * with its user:password part.
 */
import { SECRET_FORMS } from './secret-reference.ts';
import { show } from './problems.ts';

/** Why `value` is not a usable URL, or undefined. */
export function urlProblem(value: unknown): string | undefined {
  const expected = 'must be an absolute http:// or https:// URL';
  if (typeof value !== 'string') return `${expected} (got ${show(value)})`;
  const url = /^https?:\/\/[^\s]+$/i.test(value) ? URL.parse(value) : null;
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    return `${expected} (got ${show(redactUserinfo(value))})`;
  }
  if (url.username !== '' || url.password !== '') {
    return `must not contain credentials (user:password@); send them in a header with ${SECRET_FORMS} (got ${show(redactUserinfo(value))})`;
  }
  return undefined;
}

/** Shows a URL with any user:password replaced, so an error message never carries it. */
export function redactUserinfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}
