import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { routeSchema } from '../../src/config/route-schema.ts';
import { bridgeSchema, schemaLeafPaths } from '../../src/config/schema.ts';

const docs = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const example: unknown = parse(readFileSync(new URL('../../config/bridge.example.yaml', import.meta.url), 'utf8'));

const topPaths = schemaLeafPaths(bridgeSchema).filter((path) => path !== 'routes');
const routePaths = schemaLeafPaths(routeSchema);

function hasPath(value: unknown, path: string): boolean {
  let node = value;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

function schemaNode(schema: object, path: string): Record<string, unknown> {
  return path.split('.').reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, schema as Record<string, unknown>);
}

describe('the reference documentation and the example file', () => {
  it('finds the keys of both schemas', () => {
    expect(topPaths).toContain('kafka.sessionTimeout');
    expect(routePaths).toContain('endpoint.timeout');
    expect(topPaths.length + routePaths.length).toBeGreaterThan(35);
  });

  it.each(topPaths)('the README documents %s', (path) => {
    expect(docs).toContain(`| \`${path}\` |`);
  });

  it.each(routePaths)('the README documents routes[].%s', (path) => {
    expect(docs).toContain(`| \`routes[].${path}\` |`);
  });

  it.each(topPaths)('the example sets %s', (path) => {
    expect(hasPath(example, path)).toBe(true);
  });

  it.each(routePaths)('the example route sets %s', (path) => {
    const [route] = (example as { routes: unknown[] }).routes;
    expect(hasPath(route, path)).toBe(true);
  });

  it('documents every environment variable of the schema', () => {
    const variables = topPaths.map((path) => schemaNode(bridgeSchema, path)['env']).filter((env) => env !== undefined);
    expect(variables).toEqual(['KAFKA_BROKERS', 'KAFKA_GROUP_ID', 'PORT', 'LOG_LEVEL']);
    for (const variable of variables) expect(docs).toContain(`| \`${String(variable)}\``);
  });

  it('gives every key a doc and a format', () => {
    for (const [schema, paths] of [
      [bridgeSchema, topPaths],
      [routeSchema, routePaths],
    ] as const) {
      for (const path of paths) {
        const node = schemaNode(schema, path);
        expect(typeof node['doc'], path).toBe('string');
        expect(node['format'], path).toBeDefined();
        expect('default' in node, path).toBe(true);
      }
    }
  });
});
