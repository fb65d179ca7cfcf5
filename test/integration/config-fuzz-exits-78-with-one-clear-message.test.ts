/**
 * 1,000 generated invalid configurations: wrong types, unknown keys, absurd durations and
 * broken YAML. Every one must be refused with one clear message that names where the problem
 * is, never a stack trace, never a start. All 1,000 go through the loader the CLI uses; a
 * sample of them goes through the real CLI to prove the exit status and the output.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument, stringify } from 'yaml';
import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors.ts';
import { spawnBridge } from '../support/test-bridge.ts';

const VALID = {
  kafka: { brokers: ['127.0.0.1:1'], groupId: 'fuzz', sessionTimeout: '45s' },
  server: { port: 0 },
  routes: [
    {
      name: 'orders',
      topics: ['orders'],
      endpoint: { url: 'http://127.0.0.1:3000/orders', timeout: '5s', headers: { 'content-type': 'application/json' } },
      attempts: 3,
      backoff: { initial: '200ms', max: '2s' },
      ordering: 'key',
      maxInFlight: 64,
      retry: { delays: ['1h'] },
      healthCheck: { interval: '30s', timeout: '2s' },
      recovery: { rampUp: '30s' },
    },
  ],
};

/** Deterministic PRNG so a failure can be reproduced from its index. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function leaves(value: Json, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [path];
  if (value !== null && typeof value === 'object') {
    // A header map is a leaf of its own (its values are free-form).
    if (path.at(-1) === 'headers' && path.includes('endpoint')) return [path];
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [path];
}

function mappings(value: Json, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => mappings(v, [...path, i]));
  if (value !== null && typeof value === 'object') {
    if (path.at(-1) === 'headers') return [];
    return [path, ...Object.entries(value).flatMap(([k, v]) => mappings(v, [...path, k]))];
  }
  return [];
}

function at(root: Json, path: (string | number)[]): Json {
  return path.reduce<Json>((node, k) => (node as Record<string, Json>)[k as string] as Json, root);
}

function set(root: Json, path: (string | number)[], value: Json): void {
  const parent = at(root, path.slice(0, -1)) as Record<string, Json>;
  parent[path.at(-1) as string] = value;
}

const show = (path: (string | number)[]) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

const DURATION_KEYS = new Set(['sessionTimeout', 'timeout', 'initial', 'max', 'interval', 'rampUp']);
const ABSURD_DURATIONS = ['-5s', '5 seconds', '1y', '0.5s', '999999h', '', '5', 'NaN', '1h-1s', '10S', '∞', '1e3ms'];

interface Case {
  readonly kind: string;
  readonly yaml: string;
  /** A path the message must name (absent for broken YAML). */
  readonly path?: string;
}

function generate(n: number): Case[] {
  const rand = prng(20261123);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const cases: Case[] = [];
  const validText = stringify(VALID);
  for (let i = 0; i < n; i++) {
    const config = structuredClone(VALID) as unknown as Json;
    const kind = ['type', 'unknown-key', 'duration', 'yaml'][i % 4]!;
    if (kind === 'type') {
      const path = pick(leaves(config));
      const current = at(config, path);
      // An object is wrong for every scalar and list; a number is wrong for a header map.
      set(config, path, current !== null && typeof current === 'object' && !Array.isArray(current) ? 42 : { bogus: [1] });
      cases.push({ kind, yaml: stringify(config), path: show(path) });
    } else if (kind === 'unknown-key') {
      const path = pick(mappings(config));
      const key = `zz${Math.floor(rand() * 1e6)}`;
      (at(config, path) as Record<string, Json>)[key] = pick([1, 'x', true, null, [1], { a: 1 }]);
      cases.push({ kind, yaml: stringify(config), path: show([...path, key]) });
    } else if (kind === 'duration') {
      const path = pick(leaves(config).filter((p) => DURATION_KEYS.has(String(p.at(-1))) || p.at(-1) === 'delays'));
      const bad = pick(ABSURD_DURATIONS);
      set(config, path, path.at(-1) === 'delays' ? [bad] : bad);
      cases.push({ kind, yaml: stringify(config), path: show(path) });
    } else {
      // Break the text until the YAML parser itself refuses it: these cases are syntax errors
      // by construction, not configurations that happen to parse.
      const breakers = [
        (l: string) => `${l} [`,
        (l: string) => `${l} "unclosed`,
        (l: string) => `\t${l}`,
        (l: string) => `${l}: : :`,
        (l: string) => l.replace(':', ' {'),
        (l: string) => `${l} ]`,
        (l: string) => `${l.replace(/\S.*/, '')}- ${l.trim()}: {`,
      ];
      let text = validText;
      while (parseDocument(text).errors.length === 0) {
        const lines = validText.split('\n');
        const line = Math.floor(rand() * (lines.length - 1));
        lines[line] = pick(breakers)(lines[line]!);
        text = lines.join('\n');
      }
      cases.push({ kind, yaml: text });
    }
  }
  return cases;
}

const CASES = generate(1000);
const dir = mkdtempSync(join(tmpdir(), 'config-fuzz-'));

function refusal(c: Case, index: number): ConfigError {
  const file = join(dir, `case-${index}.yaml`);
  writeFileSync(file, c.yaml);
  try {
    loadConfig(file, {});
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw new Error(`case ${index} (${c.kind}) threw ${String(error)} instead of a ConfigError`);
  }
  throw new Error(`case ${index} (${c.kind}) was accepted:\n${c.yaml}`);
}

describe('config fuzz', () => {
  it('the generator covers every kind of mistake', () => {
    const kinds = new Map<string, number>();
    for (const c of CASES) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
    expect(Object.fromEntries(kinds)).toEqual({ type: 250, 'unknown-key': 250, duration: 250, yaml: 250 });
    // The unbroken configuration itself is valid, so every refusal is the mutation's doing.
    expect(parse(stringify(VALID))).toEqual(VALID);
    const file = join(dir, 'valid.yaml');
    writeFileSync(file, stringify(VALID));
    expect(() => loadConfig(file, {})).not.toThrow();
  });

  it('refuses all 1,000 with one clear message naming the key, and no stack trace', () => {
    CASES.forEach((c, i) => {
      const error = refusal(c, i);
      const text = error.message;
      expect(text.startsWith('invalid configuration:\n  - '), `case ${i}`).toBe(true);
      expect(text, `case ${i}`).not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(text, `case ${i}`).not.toMatch(/internal error/);
      if (c.path !== undefined) expect(text, `case ${i}: ${c.kind}`).toContain(c.path);
      else expect(text, `case ${i}: broken YAML`).toMatch(/case-\d+\.yaml:\d+:\d+: YAML syntax error/);
    });
  });

  it('the CLI exits 78 for a sample of them, prints one message and never starts', async () => {
    const sample = CASES.filter((_, i) => i % 50 === 7);
    expect(sample.length).toBe(20);
    for (let i = 0; i < sample.length; i += 4) {
      const runs = sample.slice(i, i + 4).map((c) => spawnBridge(c.yaml, ['run']));
      for (const p of runs) {
        expect(await p.exited).toBe(78);
        const stderr = p.stderr.join('');
        expect(stderr.match(/kafka-http-bridge: invalid configuration:/g)).toHaveLength(1);
        expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
        expect(p.logs.some((l) => l['msg'] === 'lifecycle: starting')).toBe(false);
      }
    }
  }, 120_000);
});
