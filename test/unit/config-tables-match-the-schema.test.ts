/**
 * The README's configuration tables are written by hand; this keeps each row's default and
 * bounds equal to the schema's, so that they cannot drift apart (they did: maxInFlight,
 * maxConsumerRestarts). Keys whose default or bounds are not a single value (a mapping, a
 * default derived from another key) are checked by config-reference-in-step.test.ts for
 * presence only.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/config/duration.ts';
import { FORMAT } from '../../src/config/formats.ts';
import { routeSchema } from '../../src/config/route-schema.ts';
import { bridgeSchema, schemaLeafPaths } from '../../src/config/schema.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

interface Leaf {
  readonly key: string;
  readonly node: { format: unknown; default: unknown; params?: { min?: number; max?: number; values?: readonly string[] } };
}

function leaves(schema: object, prefix: string): Leaf[] {
  return schemaLeafPaths(schema).map((path) => ({
    key: `${prefix}${path}`,
    node: path.split('.').reduce<Record<string, unknown>>((n, k) => n[k] as Record<string, unknown>, schema as Record<string, unknown>) as Leaf['node'],
  }));
}

/** The README row of `key`: its type and default columns. */
function row(key: string): { type: string; default: string } | undefined {
  const line = readme.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
  if (line === undefined) return undefined;
  const cells = line.split(' | ').map((c) => c.trim());
  return { type: cells[1]!, default: cells[2]! };
}

const SCALARS = [FORMAT.duration, FORMAT.integer, FORMAT.boolean, FORMAT.oneOf, FORMAT.port];
const checked = [...leaves(bridgeSchema, ''), ...leaves(routeSchema, 'routes[].')].filter(
  (l) => SCALARS.includes(l.node.format as (typeof SCALARS)[number]) && l.node.default !== null,
);

describe('the README configuration tables', () => {
  it('cover many keys', () => {
    expect(checked.length).toBeGreaterThan(30);
  });

  it.each(checked.map((l) => [l.key, l] as const))('%s: default as in the schema', (key, leaf) => {
    const r = row(key);
    expect(r, `a row for ${key}`).toBeDefined();
    expect(r!.default.startsWith(`\`${String(leaf.node.default)}\``), `${key} default is ${String(leaf.node.default)}; README says ${r!.default}`).toBe(true);
  });

  it.each(checked.filter((l) => l.node.params?.min !== undefined && l.node.params.max !== undefined).map((l) => [l.key, l] as const))('%s: bounds as in the schema', (key, leaf) => {
    const { min, max } = leaf.node.params as { min: number; max: number };
    // The README writes a zero duration as 0s.
    const bounds = leaf.node.format === FORMAT.duration ? `${min === 0 ? '0s' : formatDuration(min)}–${formatDuration(max)}` : `${min}–${max}`;
    expect(row(key)!.type, key).toContain(bounds);
  });

  it.each(checked.filter((l) => l.node.params?.values !== undefined).map((l) => [l.key, l] as const))('%s: the values the schema allows', (key, leaf) => {
    expect(row(key)!.type, key).toBe(leaf.node.params!.values!.map((v) => `\`${v}\``).join(' \\| '));
  });
});
