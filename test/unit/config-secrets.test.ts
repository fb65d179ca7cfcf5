import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from '../../src/errors.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { Secret } from '../../src/config/secret.ts';
import { problemsOf } from '../support/config-problems.ts';

const SECRET = 'sk-live-4f9c2e7d1b';
const dir = mkdtempSync(join(tmpdir(), 'bridge-secrets-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function secretFile(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

function configWithHeaders(headers: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return stringify({
    kafka: { sessionTimeout: '45s' },
    routes: [{ name: 'orders', topics: ['orders'], endpoint: { url: 'http://localhost:3000/orders', headers }, ...extra }],
  });
}

function expectNoSecretIn(...texts: string[]): void {
  for (const text of texts) expect(text).not.toContain(SECRET);
}

describe('secret header values', () => {
  it('reads { fromEnv } into a Secret', () => {
    const config = parseConfig(configWithHeaders({ Authorization: { fromEnv: 'ORDERS_TOKEN' } }), { ORDERS_TOKEN: SECRET });
    const header = config.routes[0]?.endpoint.headers['authorization'];
    expect(header).toBeInstanceOf(Secret);
    expect((header as Secret).reveal()).toBe(SECRET);
    expect((header as Secret).source).toBe('env ORDERS_TOKEN');
  });

  it('reads { fromFile } into a Secret, without the trailing newline', () => {
    const file = secretFile('token', `${SECRET}\n`);
    const config = parseConfig(configWithHeaders({ 'x-api-key': { fromFile: file } }), {});
    const header = config.routes[0]?.endpoint.headers['x-api-key'] as Secret;
    expect(header.reveal()).toBe(SECRET);
    expect(header.source).toBe(`file ${file}`);
  });

  it('removes only one trailing newline (CRLF too) from a file', () => {
    const crlf = secretFile('crlf', `${SECRET}\r\n`);
    expect((parseConfig(configWithHeaders({ a: { fromFile: crlf } }), {}).routes[0]?.endpoint.headers['a'] as Secret).reveal()).toBe(SECRET);
    const twoLines = secretFile('two-lines', `${SECRET}\n\n`);
    expect(problemsOf(configWithHeaders({ a: { fromFile: twoLines } }))).toEqual([
      `routes[0].endpoint.headers.a: the value of file ${twoLines} must not contain CR or LF`,
    ]);
  });

  it('keeps plain string values as strings', () => {
    const config = parseConfig(configWithHeaders({ 'content-type': 'application/json' }), {});
    expect(config.routes[0]?.endpoint.headers).toEqual({ 'content-type': 'application/json' });
  });

  it('names the key path and the variable when an env secret is missing or empty', () => {
    const text = configWithHeaders({ authorization: { fromEnv: 'ORDERS_TOKEN' }, 'x-tenant': { fromEnv: 'TENANT' } });
    expect(problemsOf(text, { TENANT: '' })).toEqual([
      'routes[0].endpoint.headers.authorization: env ORDERS_TOKEN is not set',
      'routes[0].endpoint.headers.x-tenant: env TENANT is empty',
    ]);
  });

  it('names the key path and the file when a file secret cannot be read', () => {
    const missing = join(dir, 'missing');
    const directory = join(dir, 'a-directory');
    mkdirSync(directory);
    const empty = secretFile('empty', '\n');
    expect(problemsOf(configWithHeaders({ a: { fromFile: missing }, b: { fromFile: directory }, c: { fromFile: empty } }))).toEqual([
      `routes[0].endpoint.headers.a: file ${missing} does not exist`,
      `routes[0].endpoint.headers.b: file ${directory} is not a regular file`,
      `routes[0].endpoint.headers.c: file ${empty} is empty`,
    ]);
  });

  it('requires a valid reference', () => {
    expect(
      problemsOf(
        configWithHeaders({
          a: { fromFile: 'relative/token' },
          b: { fromEnv: 'NOT-A-NAME' },
          c: { fromEnv: 'A', fromFile: '/x' },
          d: {},
          e: ['x'],
        }),
      ),
    ).toEqual([
      'routes[0].endpoint.headers.a.fromFile: must be an absolute file path',
      'routes[0].endpoint.headers.b.fromEnv: must be the name of an environment variable (letters, digits and _, not starting with a digit)',
      'routes[0].endpoint.headers.c: must be a string, { fromEnv: NAME } or { fromFile: /absolute/path } (got keys "fromEnv", "fromFile")',
      'routes[0].endpoint.headers.d: must be a string, { fromEnv: NAME } or { fromFile: /absolute/path } (got an empty mapping)',
      'routes[0].endpoint.headers.e: must be a string, { fromEnv: NAME } or { fromFile: /absolute/path } (got a list)',
    ]);
  });
});

describe('secrets never leak', () => {
  it('is redacted in String(), JSON.stringify() and util.inspect() of the config', () => {
    const file = secretFile('leak', SECRET);
    const config = parseConfig(configWithHeaders({ authorization: { fromEnv: 'ORDERS_TOKEN' }, 'x-key': { fromFile: file } }), {
      ORDERS_TOKEN: SECRET,
    });
    const headers = config.routes[0]?.endpoint.headers;
    expectNoSecretIn(
      String(config),
      `${String(headers?.['authorization'])}`,
      JSON.stringify(config),
      inspect(config, { depth: Infinity }),
      inspect(config, { depth: Infinity, showHidden: true }),
    );
    expect(JSON.stringify(headers)).toBe('{"authorization":"[redacted]","x-key":"[redacted]"}');
  });

  it('never appears in error messages, whatever else is wrong', () => {
    const withNewline = secretFile('newline', `${SECRET}\nsecond line`);
    const texts = [
      // The secret itself is fine, other problems are reported.
      configWithHeaders({ authorization: { fromEnv: 'ORDERS_TOKEN' } }, { attempts: 0 }),
      // The secret cannot be used as a header value.
      configWithHeaders({ authorization: { fromEnv: 'BAD_TOKEN' }, 'x-key': { fromFile: withNewline } }),
      // A secret pasted where a reference belongs, or into a literal with a line break.
      configWithHeaders({ a: { fromEnv: `Bearer ${SECRET}` }, b: { fromFile: SECRET }, c: `Bearer ${SECRET}\n` }),
      // The secret in a URL.
      stringify({ routes: [{ name: 'a', topics: ['a'], endpoint: { url: `https://user:${SECRET}@host/x` } }] }),
      // Stage 2 problems with a resolved secret.
      configWithHeaders({ authorization: { fromEnv: 'ORDERS_TOKEN' } }, { backoff: { initial: '5s', max: '1s' } }),
    ];
    for (const text of texts) {
      let error: unknown;
      try {
        parseConfig(text, { ORDERS_TOKEN: SECRET, BAD_TOKEN: `${SECRET}\r\nx: y` });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const configError = error as ConfigError;
      expect(configError.problems.length).toBeGreaterThan(0);
      expectNoSecretIn(configError.message, configError.problems.join('\n'), inspect(configError), String(configError.stack));
    }
  });

  it('is frozen', () => {
    const config = parseConfig(configWithHeaders({ authorization: { fromEnv: 'T' } }), { T: SECRET });
    expect(Object.isFrozen(config.routes[0]?.endpoint.headers['authorization'])).toBe(true);
  });
});
