/**
 * Stage 1 for the structured security settings: `kafka.tls`, `kafka.sasl`, and per route
 * `endpoint.tls`, `endpoint.auth` and `endpoint.signing`. Each is one schema key whose value
 * is a small mapping (or `none`), checked here key by key so that a problem names its exact
 * path (`routes[0].endpoint.auth.oauth2.clientSecret`). Files and secrets are read later, by
 * tls-files.ts and credentials.ts, once the shape is known to be right.
 *
 * Credentials that are secrets (passwords, client secrets) are accepted only as
 * `{ fromEnv }` / `{ fromFile }` references; values are never echoed in a message.
 */
import { isAbsolute } from 'node:path';
import type { Issue } from './problems.ts';
import { unknownKeyReason } from './key-suggestions.ts';
import { isPlainObject, keySuffix, kindOf, show } from './problems.ts';
import { plainOrSecretIssues, secretOnlyIssues, type SecretReference } from './secret-reference.ts';
import { urlProblem } from './url-check.ts';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];
export const OAUTH2_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
export type OAuth2AuthMethod = (typeof OAUTH2_AUTH_METHODS)[number];
export const NONE = 'none';

/** A value that may be written in the file or read from env / a file. */
export type PlainOrSecretInput = string | SecretReference;

export interface TlsFilesInput {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly servername?: string;
}
export interface KafkaTlsInput extends TlsFilesInput {
  readonly enabled: boolean;
}
export type KafkaSaslInput =
  | typeof NONE
  | { readonly mechanism: SaslMechanism; readonly username: PlainOrSecretInput; readonly password: SecretReference };
export interface OAuth2Input {
  readonly tokenUrl: string;
  readonly clientId: PlainOrSecretInput;
  readonly clientSecret: SecretReference;
  readonly scope?: string;
  readonly audience?: string;
  readonly authMethod?: OAuth2AuthMethod;
}
export type EndpointAuthInput =
  | typeof NONE
  | { readonly bearer: { readonly tokenFile: string } }
  | { readonly basic: { readonly username: PlainOrSecretInput; readonly password: SecretReference } }
  | { readonly oauth2: OAuth2Input };
export type SigningInput = typeof NONE | { readonly secretFile: string };

type Check = (value: unknown, at: string) => Issue[];
interface Field {
  readonly required?: boolean;
  readonly check: Check;
}

const issue = (at: string, reason: string): Issue[] => [{ at, reason }];

const absolutePath: Check = (value, at) =>
  typeof value === 'string' && isAbsolute(value) && !value.includes('\0') ? [] : issue(at, 'must be an absolute file path');

const serverName: Check = (value, at) =>
  typeof value === 'string' && /^[A-Za-z0-9.-]{1,253}$/.test(value)
    ? []
    : issue(at, `must be a host name (letters, digits, . and -) (got ${show(value)})`);

const boolean: Check = (value, at) => (typeof value === 'boolean' ? [] : issue(at, `must be true or false (got ${show(value)})`));

const oneOf =
  (values: readonly string[]): Check =>
  (value, at) =>
    typeof value === 'string' && values.includes(value) ? [] : issue(at, `must be one of ${values.join(', ')} (got ${show(value)})`);

const text: Check = (value, at) => {
  if (typeof value !== 'string' || value === '') return issue(at, `must be a non-empty string (got ${show(value)})`);
  if (value.length > 1024 || /\p{Cc}/u.test(value)) return issue(at, 'must be at most 1024 characters, without control characters');
  return [];
};

const url: Check = (value, at) => {
  const why = urlProblem(value);
  return why === undefined ? [] : issue(at, why);
};

const secretOnly: Check = (value, at) => secretOnlyIssues(value, at);
const plainOrSecret =
  (what: string): Check =>
  (value, at) =>
    plainOrSecretIssues(value, at, what);

/** Unknown keys, missing required keys, and each field's own check. */
function mappingIssues(value: unknown, at: string, fields: Readonly<Record<string, Field>>, what: string): Issue[] {
  if (!isPlainObject(value)) return issue(at, `must be ${what} (got ${kindOf(value)})`);
  const issues: Issue[] = [];
  const allowed = Object.keys(fields);
  for (const [key, child] of Object.entries(value)) {
    const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
    const childAt = `${at}${keySuffix(key)}`;
    if (field === undefined) issues.push({ at: childAt, reason: unknownKeyReason(key, allowed) });
    else if (child === null || child === undefined) issues.push({ at: childAt, reason: 'must not be empty (remove the key to leave it out)' });
    else issues.push(...field.check(child, childAt));
  }
  for (const [key, field] of Object.entries(fields)) {
    if (field.required === true && !Object.hasOwn(value, key)) issues.push({ at: `${at}${keySuffix(key)}`, reason: 'is required' });
  }
  return issues;
}

const TLS_FILE_FIELDS = {
  ca: { check: absolutePath },
  cert: { check: absolutePath },
  key: { check: absolutePath },
  servername: { check: serverName },
} as const satisfies Record<string, Field>;

/** A client certificate without its key (or the reverse) cannot be used. */
function pairIssues(value: Record<string, unknown>, at: string): Issue[] {
  if (Object.hasOwn(value, 'cert') === Object.hasOwn(value, 'key')) return [];
  const [has, lacks] = Object.hasOwn(value, 'cert') ? ['cert', 'key'] : ['key', 'cert'];
  return issue(`${at}.${lacks}`, `is required with ${has}: a client certificate needs its private key`);
}

export function kafkaTlsIssues(value: unknown): Issue[] {
  const issues = mappingIssues(value, '', { enabled: { required: true, check: boolean }, ...TLS_FILE_FIELDS }, 'a mapping like { enabled: true, ca: /path/ca.pem }');
  if (!isPlainObject(value)) return issues;
  if (value['enabled'] === false && Object.keys(value).length > 1) {
    return [...issues, ...issue('', 'ca, cert, key and servername apply only with enabled: true')];
  }
  return [...issues, ...pairIssues(value, '')];
}

export function endpointTlsIssues(value: unknown): Issue[] {
  const issues = mappingIssues(value, '', TLS_FILE_FIELDS, 'a mapping with ca, cert, key or servername ({} for the system CAs)');
  return isPlainObject(value) ? [...issues, ...pairIssues(value, '')] : issues;
}

export function kafkaSaslIssues(value: unknown): Issue[] {
  if (value === NONE) return [];
  return mappingIssues(
    value,
    '',
    {
      mechanism: { required: true, check: oneOf(SASL_MECHANISMS) },
      username: { required: true, check: plainOrSecret('a user name') },
      password: { required: true, check: secretOnly },
    },
    'none or a mapping with mechanism, username and password',
  );
}

const AUTH_KINDS: Readonly<Record<string, Readonly<Record<string, Field>>>> = {
  bearer: { tokenFile: { required: true, check: absolutePath } },
  basic: {
    username: { required: true, check: plainOrSecret('a user name') },
    password: { required: true, check: secretOnly },
  },
  oauth2: {
    tokenUrl: { required: true, check: url },
    clientId: { required: true, check: plainOrSecret('a client id') },
    clientSecret: { required: true, check: secretOnly },
    scope: { check: text },
    audience: { check: text },
    authMethod: { check: oneOf(OAUTH2_AUTH_METHODS) },
  },
};

export function endpointAuthIssues(value: unknown): Issue[] {
  if (value === NONE) return [];
  const kinds = Object.keys(AUTH_KINDS);
  const expected = `none or a mapping with one of ${kinds.join(', ')}`;
  if (!isPlainObject(value)) return issue('', `must be ${expected} (got ${show(value)})`);
  const keys = Object.keys(value);
  const unknown = keys.filter((key) => !Object.hasOwn(AUTH_KINDS, key));
  if (unknown.length > 0) return unknown.map((key) => ({ at: keySuffix(key), reason: unknownKeyReason(key, kinds) }));
  if (keys.length !== 1) return issue('', `must be ${expected} (got ${keys.length === 0 ? 'an empty mapping' : `${keys.join(' and ')}`})`);
  const kind = keys[0] as string;
  return mappingIssues(value[kind], `.${kind}`, AUTH_KINDS[kind] ?? {}, `a mapping with ${Object.keys(AUTH_KINDS[kind] ?? {}).join(', ')}`);
}

export function signingIssues(value: unknown): Issue[] {
  if (value === NONE) return [];
  return mappingIssues(value, '', { secretFile: { required: true, check: absolutePath } }, 'none or a mapping like { secretFile: /path/secret }');
}
