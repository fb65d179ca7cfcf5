/**
 * Resolving `{ fromEnv: NAME }` and `{ fromFile: /path }` header values into Secret instances
 * at load time, so a missing secret stops the bridge before it consumes anything. Problems
 * name the key path and the variable or file, never the value.
 */
import { readFileSync, statSync } from 'node:fs';
import { headerValueProblem } from './http-headers.ts';
import type { Problems } from './problems.ts';
import type { HeaderValueInput } from './schema.ts';
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
  const read = 'fromEnv' in value ? fromEnv(value.fromEnv, env) : fromFile(value.fromFile);
  if ('problem' in read) {
    problems.add(path, read.problem);
    return undefined;
  }
  const unusable = headerValueProblem(read.value, `the value of ${read.source}`);
  if (unusable !== undefined) {
    problems.add(path, unusable);
    return undefined;
  }
  return new Secret(read.value, read.source);
}

type Read = { value: string; source: string } | { problem: string };

function fromEnv(name: string, env: NodeJS.ProcessEnv): Read {
  const source = `env ${name}`;
  const value = env[name];
  if (value === undefined) return { problem: `${source} is not set` };
  if (value === '') return { problem: `${source} is empty` };
  return { value, source };
}

function fromFile(file: string): Read {
  const source = `file ${file}`;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) return { problem: `${source} is not a regular file` };
    if (stats.size > MAX_SECRET_FILE_BYTES) return { problem: `${source} is larger than 64 KiB` };
    // One trailing newline is what editors and `echo` add; it is not part of the secret.
    const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    if (value === '') return { problem: `${source} is empty` };
    return { value, source };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { problem: `${source} does not exist` };
    return { problem: `${source} cannot be read (${code ?? 'unknown error'})` };
  }
}
