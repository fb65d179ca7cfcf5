/**
 * 1,000 generated invalid configurations: wrong types, unknown keys, absurd durations and
 * broken YAML. Every one must be refused with one clear message that names where the problem
 * is, never a stack trace, never a start. All 1,000 go through the loader the CLI uses; a
 * sample of every kind goes through the real CLI to prove the exit status and the output.
 *
 * The valid configuration they start from sets every key of the schema, and the mutations go
 * round all of them: every key path (top level, inside `routes[0]`, inside its nested mappings,
 * list items) gets a value of the wrong type, every duration key of the schema an absurd
 * duration, and every mapping an unknown key. The first test checks that coverage and prints
 * how many distinct key paths were exercised.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument, stringify } from 'yaml';
import { loadConfig } from '../../src/config/load-config.ts';
import { FORMAT } from '../../src/config/formats.ts';
import { routeSchema } from '../../src/config/route-schema.ts';
import { bridgeSchema, schemaLeafPaths } from '../../src/config/schema.ts';
import { ConfigError } from '../../src/errors.ts';
import { spawnBridge } from '../support/test-bridge.ts';

/** Every key of both schemas, set to a valid value that is not the default where possible. */
const VALID = {
  kafka: {
    brokers: ['127.0.0.1:1'],
    clientId: 'fuzz-client',
    groupId: 'fuzz',
    sessionTimeout: '45s',
    heartbeatInterval: '3s',
    commitInterval: '1s',
    connectionTimeout: '3s',
    requestTimeout: '30s',
    idempotentProducer: false,
    producer: { compression: 'zstd' },
    isolationLevel: 'read_uncommitted',
    maxConsumerRestarts: 10,
    tls: { enabled: false },
    sasl: 'none',
  },
  schemaRegistry: { url: 'http://127.0.0.1:8081', timeout: '10s', tls: {}, auth: 'none' },
  server: { port: 0, host: '127.0.0.1' },
  log: { level: 'info' },
  shutdown: { timeout: '30s' },
  security: { allowedHosts: ['127.0.0.1'] },
  routes: [
    {
      name: 'orders',
      topics: ['orders', 'refunds'],
      groupId: 'orders-bridge',
      endpoint: {
        url: 'http://127.0.0.1:3000/orders',
        method: 'POST',
        timeout: '5s',
        headers: { 'content-type': 'application/json' },
        connections: 32,
        maxBodyBytes: 1048576,
        maxResponseBytes: 65536,
        tls: { servername: 'orders.internal' },
        auth: 'none',
        signing: 'none',
      },
      attempts: 3,
      backoff: { initial: '200ms', max: '2s' },
      ordering: 'key',
      maxInFlight: 64,
      concurrency: { mode: 'adaptive', min: 2 },
      batch: { maxRecords: 1, maxBytes: 1048576, maxWait: '20ms', format: 'json-array', splitOnFailure: true },
      filter: { key: '^customer-', headers: { 'event-type': '^order\\.' }, value: {} },
      decode: { key: 'string', value: 'schema-registry' },
      payload: 'raw',
      cloudEvents: { source: 'kafka://broker/orders', type: 'kafka.record', typeHeader: 'event-type', dataContentType: 'application/json' },
      statuses: { delivered: [409], retry: [429, 503] },
      forwardHeaders: ['traceparent'],
      nullValue: 'dead-letter',
      retry: { delays: ['1m', '1h'], topicSuffix: '-retry' },
      deadLetter: { topicSuffix: '-dlt' },
      onFailure: 'escalate',
      headers: { strip: ['kafka_exception-stacktrace'], maxValueBytes: 8192 },
      healthCheck: { url: 'http://127.0.0.1:3000/health', interval: '30s', timeout: '2s', unhealthyAfter: 2, healthyAfter: 2 },
      circuitBreaker: { enabled: true, errorThresholdPercentage: 50, volumeThreshold: 20, resetTimeout: '30s' },
      recovery: { rampUp: '30s' },
      rateLimit: 100,
      maxRecordAge: '6h',
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
type Path = (string | number)[];

const isMapping = (v: Json): v is { [k: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Every key path below the root: mappings (and the keys inside them), lists (and their items),
 * scalars. The items of `routes` are mappings, so every key of `routes[0]` and of its nested
 * mappings is here, and so are the entries of the free-form header map.
 */
function keyPaths(value: Json, path: Path = []): Path[] {
  const below = Array.isArray(value)
    ? value.flatMap((v, i) => keyPaths(v, [...path, i]))
    : isMapping(value)
      ? Object.entries(value).flatMap(([k, v]) => keyPaths(v, [...path, k]))
      : [];
  return path.length === 0 ? below : [path, ...below];
}

/** Mappings that take a fixed set of keys (the root included; the header maps are free-form). */
function mappings(value: Json, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => mappings(v, [...path, i]));
  if (!isMapping(value)) return [];
  if (path.at(-1) === 'headers' && (path.at(-2) === 'endpoint' || path.at(-2) === 'filter')) return [];
  return [path, ...Object.entries(value).flatMap(([k, v]) => mappings(v, [...path, k]))];
}

function at(root: Json, path: Path): Json {
  return path.reduce<Json>((node, k) => (node as Record<string, Json>)[k as string] as Json, root);
}

function set(root: Json, path: Path, value: Json): void {
  const parent = at(root, path.slice(0, -1)) as Record<string, Json>;
  parent[path.at(-1) as string] = value;
}

const show = (path: Path) => (path.length === 0 ? '(root)' : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join(''));

/** Values of another type than `current`: a quoted number is a string too, and brokers accept a string. */
function wrongTypes(current: Json): Json[] {
  if (Array.isArray(current)) return [{ bogus: [1] }, 42, true];
  if (isMapping(current)) return [42, 'text', [1], true];
  if (typeof current === 'string') return [{ bogus: [1] }, 42, [1], true];
  if (typeof current === 'number') return [{ bogus: [1] }, 'text', [1], true];
  return [{ bogus: [1] }, 'yes', 42, [1]];
}

/** Every duration key of the schema, as a key path of VALID. */
function durationPaths(): Path[] {
  const isDuration = (schema: object, dotted: string) => {
    const node = dotted.split('.').reduce<Record<string, unknown>>((n, k) => n[k] as Record<string, unknown>, schema as Record<string, unknown>);
    return node['format'] === FORMAT.duration || node['format'] === FORMAT.durationList;
  };
  const top = schemaLeafPaths(bridgeSchema).filter((p) => isDuration(bridgeSchema, p));
  const route = schemaLeafPaths(routeSchema).filter((p) => isDuration(routeSchema, p));
  return [...top.map((p) => p.split('.')), ...route.map((p) => ['routes', 0, ...p.split('.')])];
}

const ABSURD_DURATIONS = ['-5s', '5 seconds', '1y', '0.5s', '999999h', '', '5', 'NaN', '1h-1s', '10S', '∞', '1e3ms'];

interface Case {
  readonly kind: string;
  readonly yaml: string;
  /** The key path the message must name (absent for broken YAML). */
  readonly path?: string;
  /** The existing key whose value was changed, or the mapping that got an unknown key. */
  readonly target?: string;
}

function generate(n: number): Case[] {
  const rand = prng(20261123);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const cases: Case[] = [];
  const validText = stringify(VALID);
  const targets = keyPaths(VALID as unknown as Json);
  const maps = mappings(VALID as unknown as Json);
  const durations = durationPaths();
  // Each kind goes round its targets in turn, so that every one is hit (several times).
  const seen = { type: 0, 'unknown-key': 0, duration: 0 };
  for (let i = 0; i < n; i++) {
    const config = structuredClone(VALID) as unknown as Json;
    const kind = ['type', 'unknown-key', 'duration', 'yaml'][i % 4]!;
    if (kind === 'type') {
      const path = targets[seen.type++ % targets.length]!;
      set(config, path, pick(wrongTypes(at(config, path))));
      cases.push({ kind, yaml: stringify(config), path: show(path), target: show(path) });
    } else if (kind === 'unknown-key') {
      const path = maps[seen['unknown-key']++ % maps.length]!;
      const key = `zz${Math.floor(rand() * 1e6)}`;
      (at(config, path) as Record<string, Json>)[key] = pick([1, 'x', true, null, [1], { a: 1 }]);
      cases.push({ kind, yaml: stringify(config), path: show([...path, key]), target: show(path) });
    } else if (kind === 'duration') {
      const key = durations[seen.duration++ % durations.length]!;
      const bad = pick(ABSURD_DURATIONS);
      const current = at(config, key);
      // In a list of durations, one item goes bad and the message names that item.
      const path = Array.isArray(current) ? [...key, Math.floor(rand() * current.length)] : key;
      set(config, path, bad);
      cases.push({ kind, yaml: stringify(config), path: show(path), target: show(key) });
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

/** Whether `root` sets the dotted schema key `dotted`. */
const sets = (root: Json, dotted: string) =>
  dotted.split('.').every((key, i, keys) => {
    const parent = at(root, keys.slice(0, i));
    return isMapping(parent) && Object.hasOwn(parent, key);
  });

/** The message has a problem line for `path`, or for a key beneath it. */
const namesKey = (text: string, path: string) => text.split('\n').some((line) => line.startsWith(`  - ${path}`) && /^[:.[ ]/.test(line.slice(4 + path.length)));

/**
 * 86 today: the 85 key paths of the valid configuration (every key of the schema, the items of
 * its lists, the header entry) and the root mapping. Fewer means the valid configuration or the
 * generator shrank; a key added to the schema must be added to VALID (checked above).
 */
const MIN_KEY_PATHS = 86;

describe('config fuzz', () => {
  it('the generator covers every kind of mistake, every key of the schema and every mapping', () => {
    const kinds = new Map<string, number>();
    for (const c of CASES) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
    expect(Object.fromEntries(kinds)).toEqual({ type: 250, 'unknown-key': 250, duration: 250, yaml: 250 });
    // The unbroken configuration itself is valid, so every refusal is the mutation's doing.
    expect(parse(stringify(VALID))).toEqual(VALID);
    const file = join(dir, 'valid.yaml');
    writeFileSync(file, stringify(VALID));
    expect(() => loadConfig(file, {})).not.toThrow();

    // It sets every key of both schemas, so "every key path" below means every key there is.
    const valid = VALID as unknown as Json;
    const unset = [
      ...schemaLeafPaths(bridgeSchema).filter((p) => p !== 'routes' && !sets(valid, p)),
      ...schemaLeafPaths(routeSchema).filter((p) => !sets(at(valid, ['routes', 0]), p)).map((p) => `routes[0].${p}`),
    ];
    expect(unset).toEqual([]);

    const targets = (kind: string) => new Set(CASES.filter((c) => c.kind === kind).map((c) => c.target!));
    // Every key path got a value of the wrong type: top level, routes[0], its nested mappings, list items.
    const typed = targets('type');
    expect([...typed].sort()).toEqual(keyPaths(valid).map(show).sort());
    for (const key of ['routes', 'routes[0]', 'routes[0].endpoint', 'routes[0].endpoint.tls.servername', 'routes[0].retry.delays[1]', 'routes[0].circuitBreaker.resetTimeout']) {
      expect(typed).toContain(key);
    }
    // Every duration key of the schema got an absurd duration.
    const durations = targets('duration');
    expect([...durations].sort()).toEqual(durationPaths().map(show).sort());
    expect(durations.size).toBeGreaterThanOrEqual(14);
    // Every mapping with a fixed set of keys got an unknown key.
    expect([...targets('unknown-key')].sort()).toEqual(mappings(valid).map(show).sort());

    const exercised = new Set([...typed, ...durations, ...targets('unknown-key')]);
    console.log(
      `config fuzz: ${exercised.size} distinct key paths exercised ` +
        `(wrong type: ${typed.size}, absurd duration: ${durations.size}, unknown key in: ${targets('unknown-key').size} mappings)`,
    );
    expect(exercised.size).toBeGreaterThanOrEqual(MIN_KEY_PATHS);
  });

  it('refuses all 1,000 with one clear message naming the key, and no stack trace', () => {
    CASES.forEach((c, i) => {
      const error = refusal(c, i);
      const text = error.message;
      expect(text.startsWith('invalid configuration:\n  - '), `case ${i}`).toBe(true);
      expect(text, `case ${i}`).not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(text, `case ${i}`).not.toMatch(/internal error/);
      if (c.path !== undefined) {
        expect(text, `case ${i}: ${c.kind}`).toContain(c.path);
        expect(namesKey(text, c.path), `case ${i}: ${c.kind}: a problem line for ${c.path} in\n${text}`).toBe(true);
      } else expect(text, `case ${i}: broken YAML`).toMatch(/case-\d+\.yaml:\d+:\d+: YAML syntax error/);
    });
  });

  it('the CLI exits 78 for a sample of every kind, prints one message naming the key and never starts', async () => {
    // Five of each kind, spread over the cases of that kind.
    const sample = ['type', 'unknown-key', 'duration', 'yaml'].flatMap((kind) => {
      const ofKind = CASES.filter((c) => c.kind === kind);
      return Array.from({ length: 5 }, (_, j) => ofKind[7 + j * 48]!);
    });
    expect(sample.length).toBe(20);
    expect(new Set(sample.map((c) => c.kind)).size).toBe(4);
    for (let i = 0; i < sample.length; i += 4) {
      const batch = sample.slice(i, i + 4);
      const runs = batch.map((c) => spawnBridge(c.yaml, ['run']));
      for (const [j, p] of runs.entries()) {
        const c = batch[j]!;
        expect(await p.exited).toBe(78);
        const stderr = p.stderr.join('');
        expect(stderr.match(/kafka-http-bridge: invalid configuration:/g)).toHaveLength(1);
        expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
        if (c.path !== undefined) expect(namesKey(stderr, c.path), `${c.kind}: a problem line for ${c.path} in\n${stderr}`).toBe(true);
        else expect(stderr, 'broken YAML').toMatch(/config\.yaml:\d+:\d+: YAML syntax error/);
        expect(p.logs.some((l) => l['msg'] === 'lifecycle: starting')).toBe(false);
      }
    }
  }, 120_000);
});
