import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { loadConfig, parseConfig } from '../../src/config/load-config.ts';
import { refusal } from '../support/config-problems.ts';

const dir = mkdtempSync(join(tmpdir(), 'bridge-yaml-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const configErrorOf = refusal;

describe('YAML syntax errors', () => {
  it('names the file, line and column', () => {
    const file = join(dir, 'bridge.yaml');
    writeFileSync(file, 'kafka:\n  brokers: [localhost:9092\nroutes: []\n');
    const error = configErrorOf(() => loadConfig(file, {}));
    expect(error.problems).toEqual([
      `${file}:3:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
  });

  it('reports duplicate keys and several documents', () => {
    expect(configErrorOf(() => parseConfig('a: 1\na: 2\n', {}, 'bridge.yaml')).problems).toEqual([
      'bridge.yaml:2:1: YAML syntax error: Map keys must be unique',
    ]);
    expect(configErrorOf(() => parseConfig('a: 1\n---\nb: 2\n', {}, 'bridge.yaml')).problems).toEqual([
      'bridge.yaml:2:1: YAML syntax error: Source contains multiple documents; please use YAML.parseAllDocuments()',
    ]);
  });

  it('does not quote the offending line, which may hold a credential', () => {
    const error = configErrorOf(() => parseConfig('headers:\n  authorization: "Bearer abc123\n', {}));
    expect(error.message).not.toContain('abc123');
  });

  it('reports an unreadable file', () => {
    const missing = join(dir, 'missing.yaml');
    expect(configErrorOf(() => loadConfig(missing, {})).problems).toEqual([`${missing}: the configuration file does not exist`]);
    expect(configErrorOf(() => loadConfig(dir, {})).problems).toEqual([`${dir}: the configuration file cannot be read (EISDIR)`]);
  });
});

/** A tiny deterministic generator, so a failure can be reproduced from the seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const fragments = [
  'routes:', '\n', '  ', '- ', 'name: a', 'topics: [a]', 'endpoint:', 'url: http://x', '{', '}', '[', ']', ':', ',', '&a ', '*a',
  '!!str ', '!!map ', '"', "'", '#', '~', 'null', '1e400', '-1', 'kafka:', 'brokers:', '? ', '|', '>', '---', '%YAML 1.2',
  'fromEnv: X', 'headers:', 'timeout: 5s', '0x1F', '.nan', 'true', '__proto__:', '\t', '\u0000', '\uFEFF', 'é',
];

describe('parseConfig never throws anything but a ConfigError', () => {
  it('turns an unexpected failure into a ConfigError that does not quote it', () => {
    const exploding = new Proxy({}, {
      get() {
        throw new Error('boom with a secret inside');
      },
    }) as NodeJS.ProcessEnv;
    const error = configErrorOf(() => parseConfig('routes: []', exploding, 'bridge.yaml'));
    expect(error.problems).toEqual(['bridge.yaml: internal error while reading the configuration (Error); please report this']);
    expect(error.message).not.toContain('boom');
  });


  const garbage = [
    '',
    'null',
    '~',
    '[]',
    '42',
    '"a string"',
    '{}',
    'routes: 5',
    'routes: [5, null, [], {}]',
    'routes: [{ endpoint: 5 }]',
    'routes: [{ endpoint: { headers: 5 } }]',
    'routes: [{ endpoint: { headers: { a: { fromEnv: { fromFile: 1 } } } } }]',
    'routes: [{ name: { a: { b: { c: 1 } } }, topics: { a: [1] } }]',
    'kafka: { brokers: { a: { b: 1 } } }',
    'kafka: [1, 2]',
    `x: ${'['.repeat(3000)}${']'.repeat(3000)}`,
    `x: ${'{a: '.repeat(200)}1${'}'.repeat(200)}`,
    `routes: ${'['.repeat(40)}${']'.repeat(40)}`,
    'a: &x\n  b: *x',
    'a: &a [1, 2]\nb: [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\nd: [*c, *c, *c, *c]\ne: [*d, *d, *d, *d]\nf: [*e, *e, *e, *e]',
    '? [a, b]\n: 1',
    '? { a: 1 }\n: 1',
    '!!binary aGVsbG8=',
    '\u0000\u0001\u0002',
    '\uFEFFroutes: 1',
    'routes:\n  - name: a\n    topics: [a]\n    endpoint: { url: "http://x" }\n    retry: { delays: [1e400, .nan, -.inf] }',
    'routes:\n  - name: a\n    topics: [a]\n    endpoint: { url: "http://x", headers: { "__proto__": { fromEnv: X } } }',
  ];

  it.each(garbage)('%j', (text) => {
    const error = configErrorOf(() => parseConfig(text, {}));
    expect(error.problems.length).toBeGreaterThan(0);
    for (const problem of error.problems) {
      expect(problem).toMatch(/^\S.*: \S/);
      expect(problem).not.toMatch(/internal error|\n| {4}at /);
    }
  });

  it('holds for generated inputs', () => {
    const next = random(20_251_123);
    for (let run = 0; run < 300; run += 1) {
      const length = 1 + Math.floor(next() * 30);
      let text = '';
      for (let i = 0; i < length; i += 1) text += fragments[Math.floor(next() * fragments.length)] ?? '';
      let thrown: unknown;
      try {
        parseConfig(text, {});
      } catch (error) {
        thrown = error;
      }
      if (thrown === undefined) continue; // valid by chance
      expect(thrown, `input ${JSON.stringify(text)}`).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).problems.join('\n'), `input ${JSON.stringify(text)}`).not.toContain('internal error');
    }
  });
});
