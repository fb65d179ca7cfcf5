import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load-config.ts';
import { problemsOf } from '../support/config-problems.ts';

const route = { name: 'orders', topics: ['orders'], endpoint: { url: 'http://localhost:3000/orders' } };
const valid = { kafka: { sessionTimeout: '45s' }, routes: [route] };

describe('unknown keys', () => {
  it('accepts the valid base configuration', () => {
    expect(() => parseConfig(stringify(valid), {})).not.toThrow();
  });

  it('rejects an unknown top-level key, listing the allowed ones', () => {
    expect(problemsOf(stringify({ ...valid, metrics: { port: 9090 } }))).toEqual([
      'metrics: unknown key (expected one of: kafka, schemaRegistry, server, log, shutdown, security, routes)',
    ]);
  });

  it('rejects an unknown nested key and suggests the right one', () => {
    expect(problemsOf(stringify({ ...valid, kafka: { sessionTimeout: '45s', groupID: 'x' } }))).toEqual([
      'kafka.groupID: unknown key (did you mean "groupId"?)',
    ]);
  });

  it('rejects unknown keys inside a route, at every level, in document order', () => {
    const problems = problemsOf(
      stringify({
        ...valid,
        routes: [route, { ...route, name: 'b', topics: ['b'], timeout: '1s', endpoint: { ...route.endpoint, retries: 3 }, backoff: { inital: '1s' } }],
      }),
    );
    expect(problems).toEqual([
      'routes[1].endpoint.retries: unknown key (expected one of: url, method, timeout, headers, connections, maxBodyBytes, maxResponseBytes, tls, auth, signing)',
      'routes[1].timeout: unknown key (expected one of: name, topics, groupId, endpoint, attempts, backoff, ordering, maxInFlight, concurrency, batch, decode, filter, payload, cloudEvents, statuses, forwardHeaders, nullValue, retry, deadLetter, onFailure, headers, healthCheck, circuitBreaker, recovery, maxRecordAge, rateLimit)',
      'routes[1].backoff.inital: unknown key (did you mean "initial"?)',
    ]);
  });

  it('names keys that are not identifiers exactly', () => {
    expect(problemsOf(`${stringify(valid)}"log level": info\n`)).toEqual([
      '["log level"]: unknown key (expected one of: kafka, schemaRegistry, server, log, shutdown, security, routes)',
    ]);
  });

  it('rejects __proto__ and constructor like any other unknown key', () => {
    const problems = problemsOf(`${stringify(valid)}__proto__: { polluted: true }\nconstructor: 1\n`);
    expect(problems).toEqual([
      expect.stringMatching(/^__proto__: unknown key/),
      expect.stringMatching(/^constructor: unknown key/),
    ]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('does not treat header names as keys of the schema', () => {
    const config = parseConfig(
      stringify({ ...valid, routes: [{ ...route, endpoint: { ...route.endpoint, headers: { 'x-anything': '1', Accept: 'text/plain' } } }] }),
      {},
    );
    expect(config.routes[0]?.endpoint.headers).toEqual({ 'x-anything': '1', accept: 'text/plain' });
  });
});
