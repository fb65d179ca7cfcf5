/**
 * For tests of one endpoint's HTTP behaviour without Kafka: a route configuration made by the
 * real loader, an HttpEndpoint for it, and records to send.
 */
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load-config.ts';
import type { BridgeConfig, RouteConfig } from '../../src/config/types.ts';
import { HttpEndpoint } from '../../src/delivery/http-endpoint.ts';
import type { BridgeRecord } from '../../src/kafka/record.ts';

/** A one-route configuration; `endpoint` is merged over `{ url, timeout: 1s }`. */
export function configWith(endpoint: Record<string, unknown>, extra: { route?: Record<string, unknown>; top?: Record<string, unknown> } = {}): BridgeConfig {
  const text = stringify({
    kafka: { brokers: ['127.0.0.1:9'], sessionTimeout: '45s' },
    ...extra.top,
    routes: [{ name: 'orders', topics: ['orders'], retry: { delays: [] }, ...extra.route, endpoint: { timeout: '1s', ...endpoint } }],
  });
  return parseConfig(text, {}, 'endpoint-test.yaml');
}

export function routeWith(endpoint: Record<string, unknown>, route: Record<string, unknown> = {}): RouteConfig {
  const [first] = configWith(endpoint, { route }).routes;
  if (first === undefined) throw new Error('no route');
  return first;
}

export function endpointFor(endpoint: Record<string, unknown>, route: Record<string, unknown> = {}): HttpEndpoint {
  return new HttpEndpoint(routeWith(endpoint, route));
}

let offset = 0;

export function record(value: string | Buffer = '{"n":1}'): BridgeRecord {
  const coordinates = { topic: 'orders', partition: 0, offset: String(offset++), timestamp: '1700000000000' };
  return {
    ...coordinates,
    key: Buffer.from('k'),
    value: Buffer.isBuffer(value) ? value : Buffer.from(value),
    headers: {},
    origin: coordinates,
    priorAttempts: 0,
    firstFailureAt: undefined,
    tier: 0,
    dueAt: 0,
  };
}

/** Runs `send` and returns its result with the time it took, in ms. */
export async function timed<T>(send: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await send();
  return { result, ms: performance.now() - started };
}
