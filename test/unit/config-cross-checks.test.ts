import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load-config.ts';
import { problemsOf } from '../support/config-problems.ts';

const route = { name: 'orders', topics: ['orders'], endpoint: { url: 'http://localhost:3000/orders' } };
const kafka = { sessionTimeout: '45s' };

describe('cross-field checks', () => {
  it('requires backoff.initial <= backoff.max', () => {
    expect(problemsOf({ kafka, routes: [{ ...route, backoff: { initial: '3s', max: '2s' } }] })).toEqual([
      'routes[0].backoff.initial: must not exceed routes[0].backoff.max (2s) (got 3s)',
    ]);
  });

  it('requires heartbeatInterval < sessionTimeout / 3', () => {
    expect(problemsOf({ kafka: { sessionTimeout: '45s', heartbeatInterval: '15s' }, routes: [route] })).toEqual([
      'kafka.heartbeatInterval: must be less than a third of kafka.sessionTimeout (45s), so that a member sends at least three heartbeats per session (got 15s)',
    ]);
    expect(() => parseConfig(stringify({ kafka: { sessionTimeout: '45s', heartbeatInterval: '14s999ms' }, routes: [route] }), {})).not.toThrow();
  });

  it('accepts the route defaults with the default session timeout', () => {
    expect(() => parseConfig(stringify({ routes: [route] }), {})).not.toThrow();
  });

  it('requires the in-process retry budget to fit in half the session timeout', () => {
    // The route defaults: 3 × 5s + 2 × 2s = 19s > 30s / 2.
    expect(problemsOf({ kafka: { sessionTimeout: '30s' }, routes: [route] })).toEqual([
      'routes[0]: the in-process retry budget attempts × endpoint.timeout + (attempts − 1) × backoff.max = 3 × 5s + 2 × 2s = 19s ' +
        'must be at most kafka.sessionTimeout / 2 = 15s; a delivery that outlives the consumer session is delivered again after ' +
        'the rebalance, so the endpoint would receive it twice. Lower attempts, endpoint.timeout or backoff.max, or raise kafka.sessionTimeout',
    ]);
  });

  it('accepts a budget of exactly half the session timeout', () => {
    // 2 × 5s + 1 × 5s = 15s = 30s / 2
    expect(() => parseConfig(stringify({ kafka: { sessionTimeout: '30s' }, routes: [{ ...route, attempts: 2, backoff: { max: '5s' } }] }), {})).not.toThrow();
    expect(problemsOf({ kafka: { sessionTimeout: '30s' }, routes: [{ ...route, attempts: 2, backoff: { max: '5s1ms' } }] })).toEqual([
      expect.stringMatching(/^routes\[0\]: the in-process retry budget .* = 15s1ms must be at most kafka\.sessionTimeout \/ 2 = 15s;/),
    ]);
  });

  it('applies the budget to a single attempt with onFailure: block', () => {
    const blocking = { ...route, onFailure: 'block', attempts: 10 };
    expect(() => parseConfig(stringify({ kafka: { sessionTimeout: '30s' }, routes: [blocking] }), {})).not.toThrow();
    expect(problemsOf({ kafka: { sessionTimeout: '30s' }, routes: [{ ...blocking, endpoint: { ...route.endpoint, timeout: '16s' } }] })).toEqual([
      expect.stringMatching(
        /^routes\[0\]: with onFailure: block one attempt must fit in half the session: endpoint\.timeout \(16s\) must be at most kafka\.sessionTimeout \/ 2 = 15s;/,
      ),
    ]);
  });

  it('requires connections <= maxInFlight, and defaults connections to maxInFlight', () => {
    expect(problemsOf({ kafka, routes: [{ ...route, maxInFlight: 8, endpoint: { ...route.endpoint, connections: 9 } }] })).toEqual([
      'routes[0].endpoint.connections: must not exceed routes[0].maxInFlight (8): more connections than records in flight are never used (got 9)',
    ]);
    const config = parseConfig(stringify({ kafka, routes: [{ ...route, maxInFlight: 8 }] }), {});
    expect(config.routes[0]?.endpoint.connections).toBe(8);
  });

  it('rejects a status listed as both delivered and retried', () => {
    expect(problemsOf({ kafka, routes: [{ ...route, statuses: { delivered: [409, 429], retry: [429, 503] } }] })).toEqual([
      'routes[0].statuses: 429 is listed in both statuses.delivered and statuses.retry',
    ]);
  });

  it('rejects duplicate route names', () => {
    expect(problemsOf({ kafka, routes: [route, { ...route, topics: ['b'] }, { ...route, topics: ['c'] }] })).toEqual([
      'routes[1].name: "orders" is already the name of routes[0]',
      'routes[2].name: "orders" is already the name of routes[0]',
    ]);
  });

  it('lets a topic feed two routes only with retry and dead-letter topics of their own', () => {
    expect(problemsOf({ kafka, routes: [route, { ...route, name: 'audit', topics: ['audit', 'orders'] }] })).toEqual([
      'routes[1].topics[1]: "orders" also feeds routes[0], and each route needs retry and dead-letter topics of its own, but "orders-retry", "orders-dlt" ' +
        'would be shared: give routes[1] its own retry.topicSuffix and deadLetter.topicSuffix (e.g. "-audit-retry", "-audit-dlt")',
    ]);
    const own = { ...route, name: 'audit', topics: ['audit', 'orders'], retry: { topicSuffix: '-audit-retry' }, deadLetter: { topicSuffix: '-audit-dlt' } };
    expect(() => parseConfig(stringify({ kafka, routes: [route, own] }), {})).not.toThrow();
  });

  it('rejects a source topic that is also a retry or dead-letter topic', () => {
    expect(problemsOf({ kafka, routes: [route, { ...route, name: 'replay', topics: ['orders-retry'] }] })).toEqual([
      'routes[0].topics[0]: the retry topic of "orders" would be "orders-retry", which is already a source topic of routes[1]; ' +
        'change routes[0].retry.topicSuffix or routes[0].deadLetter.topicSuffix',
    ]);
  });

  it('rejects a retry topic that is also the dead-letter topic', () => {
    expect(problemsOf({ kafka, routes: [{ ...route, retry: { topicSuffix: '-x' }, deadLetter: { topicSuffix: '-x' } }] })).toEqual([
      'routes[0].topics[0]: the dead-letter topic of "orders" would be "orders-x", which is already the retry topic of "orders" in routes[0]; ' +
        'change routes[0].retry.topicSuffix or routes[0].deadLetter.topicSuffix',
    ]);
  });

  it('requires derived topic names to stay within 249 characters', () => {
    const topic = 't'.repeat(243); // + "-retry" = 249: fine; + "-retry-1" = 251: too long
    expect(() => parseConfig(stringify({ kafka, routes: [{ ...route, topics: [topic] }] }), {})).not.toThrow();
    const problems = problemsOf({ kafka, routes: [{ ...route, topics: [topic], retry: { delays: ['1m', '1h'] } }] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^routes\[0\]\.topics\[0\]: the derived topic "t+… is not a valid topic name: must be at most 249 characters \(got 251\); .*routes\[0\]\.retry\.topicSuffix/,
    );
  });

  it('runs only once every value is valid on its own', () => {
    // The duplicate name is a stage 2 problem: it is not reported while stage 1 fails.
    expect(problemsOf({ kafka, routes: [route, { ...route, topics: ['b'], attempts: 0 }] })).toEqual([
      'routes[1].attempts: must be an integer from 1 to 100 (got 0)',
    ]);
  });

  it('reports every cross-field problem at once', () => {
    const problems = problemsOf({
      kafka: { sessionTimeout: '10s', heartbeatInterval: '5s' },
      routes: [{ ...route, backoff: { initial: '5s', max: '1s' } }, route],
    });
    expect(problems.map((problem) => problem.split(':')[0])).toEqual([
      'kafka.heartbeatInterval',
      'routes[0].backoff.initial',
      'routes[0]',
      'routes[1]',
      'routes[1].name',
      'routes[1].topics[0]',
    ]);
  });
});
