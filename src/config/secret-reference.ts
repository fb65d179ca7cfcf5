/**
 * The two ways the configuration file refers to a secret: `{ fromEnv: NAME }` and
 * `{ fromFile: /absolute/path }`. Shared by header values, Kafka SASL credentials and the
 * endpoint's auth and signing settings, so every secret is written the same way.
 */
import { isAbsolute } from 'node:path';
import type { Issue } from './problems.ts';
import { isPlainObject, kindOf, show } from './problems.ts';

export const SECRET_FORMS = '{ fromEnv: NAME } or { fromFile: /absolute/path }';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type SecretReference = { readonly fromEnv: string } | { readonly fromFile: string };

/** Problems of a `{ fromEnv }` / `{ fromFile }` mapping; `at` is appended to the key path. */
export function secretReferenceIssues(ref: Record<string, unknown>, at: string): Issue[] {
  const keys = Object.keys(ref);
  const [only] = keys;
  if (keys.length !== 1 || (only !== 'fromEnv' && only !== 'fromFile')) {
    const got = keys.length === 0 ? 'an empty mapping' : `keys ${keys.map((k) => show(k)).join(', ')}`;
    return [{ at, reason: `must be a string, ${SECRET_FORMS} (got ${got})` }];
  }
  const target = ref[only];
  // The reference itself is never shown: a secret pasted here by mistake must not be echoed.
  if (only === 'fromEnv') {
    return typeof target === 'string' && ENV_NAME.test(target)
      ? []
      : [{ at: `${at}.fromEnv`, reason: 'must be the name of an environment variable (letters, digits and _, not starting with a digit)' }];
  }
  return typeof target === 'string' && isAbsolute(target) && !target.includes('\0')
    ? []
    : [{ at: `${at}.fromFile`, reason: 'must be an absolute file path' }];
}

/**
 * A credential that must never be written into the file itself (a password, a client
 * secret): only a reference is accepted, and a plain string is refused without echoing it.
 */
export function secretOnlyIssues(value: unknown, at: string): Issue[] {
  if (isPlainObject(value)) return secretReferenceIssues(value, at).map(onlyReferences);
  const why = typeof value === 'string' ? 'a secret is never written in the configuration file' : `got ${kindOf(value)}`;
  return [{ at, reason: `must be ${SECRET_FORMS} (${why})` }];
}

/** A value that may be written in the file (a user name, a client id) or read like a secret. */
export function plainOrSecretIssues(value: unknown, at: string, what: string): Issue[] {
  if (isPlainObject(value)) return secretReferenceIssues(value, at);
  if (typeof value !== 'string') return [{ at, reason: `must be ${what}, ${SECRET_FORMS} (got ${kindOf(value)})` }];
  if (value === '') return [{ at, reason: 'must not be empty' }];
  if (/\p{Cc}/u.test(value)) return [{ at, reason: 'must not contain control characters' }];
  return [];
}

/** In a secret-only position the message should not offer "a string" as an option. */
function onlyReferences(issue: Issue): Issue {
  return { at: issue.at, reason: issue.reason.replace(`must be a string, ${SECRET_FORMS}`, `must be ${SECRET_FORMS}`) };
}
