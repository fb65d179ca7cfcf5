/**
 * Resolving `{ fromEnv: NAME }` and `{ fromFile: /path }` references (header values, Kafka
 * SASL credentials, endpoint auth and signing secrets) into Secret instances at load time,
 * so a missing secret stops the bridge before it consumes anything. Problems name the key
 * path and the variable or file, never the value.
 */
import { readFileSync, statSync } from 'node:fs';
import { headerValueProblem } from './http-headers.ts';
import type { Problems } from './problems.ts';
import type { HeaderValueInput } from './schema.ts';
import type { SecretReference } from './secret-reference.ts';
import { Secret } from './secret.ts';

/** A secret file larger than this is certainly not a header value. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * The header value to use: the string itself, or a Secret read from env or a file. Returns
 * undefined (after reporting at `path`) when the secret cannot be read or is unusable.
 */
export function resolveHeaderValue(
  value: HeaderValueInput,
  path: string,
  env: NodeJS.ProcessEnv,
  problems: Problems,
): Secret | string | undefined {
  if (typeof value === 'string') return value;
  return resolveSecret(value, path, env, problems, headerValueProblem);
}

/**
 * Why a secret's value cannot be used, or undefined; `what` names it in the message
 * ("the value of env TOKEN"). Never includes the value.
 */
export type SecretCheck = (value: string, what: string) => string | undefined;

/** Reads a reference into a Secret; reports at `path` and returns undefined when it cannot. */
export function resolveSecret(
  ref: SecretReference,
  path: string,
  env: NodeJS.ProcessEnv,
  problems: Problems,
  check: SecretCheck = headerValueProblem,
): Secret | undefined {
  const read = 'fromEnv' in ref ? fromEnv(ref.fromEnv, env) : readSecretFile(ref.fromFile);
  if ('problem' in read) {
    problems.add(path, read.problem);
    return undefined;
  }
  const unusable = check(read.value, `the value of ${read.source}`);
  if (unusable !== undefined) {
    problems.add(path, unusable);
    return undefined;
  }
  return new Secret(read.value, read.source);
}

/** A value written in the file stays a string; a reference becomes a Secret. */
export function resolvePlainOrSecret(
  value: string | SecretReference,
  path: string,
  env: NodeJS.ProcessEnv,
  problems: Problems,
  check: SecretCheck = headerValueProblem,
): Secret | string | undefined {
  if (typeof value !== 'string') return resolveSecret(value, path, env, problems, check);
  const unusable = check(value, 'the value');
  if (unusable === undefined) return value;
  problems.add(path, unusable);
  return undefined;
}

export type Read = { value: string; source: string } | { problem: string };

function fromEnv(name: string, env: NodeJS.ProcessEnv): Read {
  const source = `env ${name}`;
  const value = env[name];
  if (value === undefined) return { problem: `${source} is not set` };
  if (value === '') return { problem: `${source} is empty` };
  return { value, source };
}

/** A secret file: at most 64 KiB, one trailing newline removed, not empty. */
export function readSecretFile(file: string): Read {
  return readTextFile(file, { maxBytes: MAX_SECRET_FILE_BYTES, trimNewline: true });
}

/** Reads a small text file for the configuration; problems name the file, never its content. */
export function readTextFile(file: string, options: { maxBytes: number; trimNewline: boolean }): Read {
  const source = `file ${file}`;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) return { problem: `${source} is not a regular file` };
    if (stats.size > options.maxBytes) return { problem: `${source} is larger than ${options.maxBytes / 1024} KiB` };
    const text = readFileSync(file, 'utf8');
    // One trailing newline is what editors and `echo` add; it is not part of the secret.
    const value = options.trimNewline ? text.replace(/\r?\n$/, '') : text;
    if (value === '') return { problem: `${source} is empty` };
    return { value, source };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { problem: `${source} does not exist` };
    return { problem: `${source} cannot be read (${code ?? 'unknown error'})` };
  }
}
