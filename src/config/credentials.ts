/**
 * Turns the checked shapes of `kafka.sasl`, `endpoint.auth` and `endpoint.signing` into
 * configuration values, reading every referenced secret once, at load time: a missing
 * variable or file stops the bridge before it consumes anything, with the key path and the
 * variable or file named, never the value.
 */
import { headerValueProblem } from './http-headers.ts';
import type { Problems } from './problems.ts';
import { readSecretFile, resolvePlainOrSecret, resolveSecret, type SecretCheck } from './secrets.ts';
import { Secret } from './secret.ts';
import { NONE, type EndpointAuthInput, type KafkaSaslInput, type SigningInput } from './security-shapes.ts';
import type { EndpointAuthConfig, KafkaSaslConfig, SigningConfig } from './types.ts';

/** The Standard Webhooks spec asks for signing keys of 24 to 64 random bytes. */
const MIN_SIGNING_KEY_BYTES = 24;
const SIGNING_PREFIX = 'whsec_';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const noControlChars: SecretCheck = (value, what) =>
  /\p{Cc}/u.test(value) ? `${what} must not contain control characters` : undefined;

/** RFC 7617: the user-id of Basic credentials cannot contain a colon. */
const basicUser: SecretCheck = (value, what) => (value.includes(':') ? `${what} must not contain ":"` : noControlChars(value, what));

/** `null` is the key left out: none, like `none`. */
export function readKafkaSasl(input: KafkaSaslInput | null, env: NodeJS.ProcessEnv, problems: Problems): KafkaSaslConfig | undefined {
  if (input === null || input === NONE) return undefined;
  const username = resolvePlainOrSecret(input.username, 'kafka.sasl.username', env, problems, noControlChars);
  const password = resolveSecret(input.password, 'kafka.sasl.password', env, problems, noControlChars);
  if (username === undefined || password === undefined) return undefined;
  return { mechanism: input.mechanism, username, password };
}

export function readEndpointAuth(
  input: EndpointAuthInput | null,
  path: string,
  env: NodeJS.ProcessEnv,
  problems: Problems,
): EndpointAuthConfig | undefined {
  if (input === null || input === NONE) return undefined;
  if ('bearer' in input) {
    const { tokenFile } = input.bearer;
    const token = resolveSecret({ fromFile: tokenFile }, `${path}.bearer.tokenFile`, env, problems, headerValueProblem);
    return token === undefined ? undefined : { kind: 'bearer', tokenFile, token };
  }
  if ('basic' in input) {
    const username = resolvePlainOrSecret(input.basic.username, `${path}.basic.username`, env, problems, basicUser);
    const password = resolveSecret(input.basic.password, `${path}.basic.password`, env, problems, noControlChars);
    return username === undefined || password === undefined ? undefined : { kind: 'basic', username, password };
  }
  const { oauth2 } = input;
  const clientId = resolvePlainOrSecret(oauth2.clientId, `${path}.oauth2.clientId`, env, problems, noControlChars);
  const clientSecret = resolveSecret(oauth2.clientSecret, `${path}.oauth2.clientSecret`, env, problems, noControlChars);
  if (clientId === undefined || clientSecret === undefined) return undefined;
  return {
    kind: 'oauth2',
    tokenUrl: oauth2.tokenUrl,
    clientId,
    clientSecret,
    scope: oauth2.scope,
    audience: oauth2.audience,
    authMethod: oauth2.authMethod ?? 'client_secret_basic',
  };
}

export function readSigning(input: SigningInput | null, path: string, problems: Problems): SigningConfig | undefined {
  if (input === null || input === NONE) return undefined;
  const keyPath = `${path}.secretFile`;
  const read = readSecretFile(input.secretFile);
  if ('problem' in read) {
    problems.add(keyPath, read.problem);
    return undefined;
  }
  const text = read.value.trim();
  const base64 = text.startsWith(SIGNING_PREFIX) ? text.slice(SIGNING_PREFIX.length) : text;
  if (!BASE64.test(base64)) {
    problems.add(keyPath, `the value of ${read.source} must be a base64 key, optionally prefixed with whsec_`);
    return undefined;
  }
  if (Buffer.from(base64, 'base64').length < MIN_SIGNING_KEY_BYTES) {
    problems.add(keyPath, `the value of ${read.source} must decode to at least ${MIN_SIGNING_KEY_BYTES} bytes (e.g. openssl rand -base64 32)`);
    return undefined;
  }
  return { secretFile: input.secretFile, key: new Secret(base64, read.source) };
}
