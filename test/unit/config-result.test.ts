import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig, parseConfig } from '../../src/config/load-config.ts';
import type { BridgeConfig } from '../../src/config/types.ts';

const examplePath = fileURLToPath(new URL('../../config/bridge.example.yaml', import.meta.url));

const minimal = stringify({
  kafka: { sessionTimeout: '45s' },
  routes: [{ name: 'orders', topics: ['orders'], endpoint: { url: 'http://localhost:3000/orders' } }],
});

function everyObjectIn(value: unknown, path = 'config'): Array<[string, object]> {
  if (typeof value !== 'object' || value === null) return [];
  return [[path, value], ...Object.entries(value).flatMap(([key, child]) => everyObjectIn(child, `${path}.${key}`))];
}

describe('the example configuration', () => {
  it('is valid', () => {
    const config = loadConfig(examplePath, {});
    expect(config.routes.map((route) => route.name)).toEqual(['orders']);
  });

  it('spells out the defaults, apart from one header and the health-check URL', () => {
    const example = loadConfig(examplePath, {});
    const defaults = parseConfig(minimal, {});
    expect(example.kafka.sessionTimeout).toBe(45_000);
    const [route] = example.routes;
    expect(route?.endpoint.headers).toEqual({ 'content-type': 'application/json' });
    expect(route?.healthCheck.url).toBe('http://localhost:3000/health');
    expect({
      ...example,
      routes: [{ ...route, endpoint: { ...route?.endpoint, headers: {} }, healthCheck: { ...route?.healthCheck, url: undefined } }],
    }).toEqual(defaults);
  });
});

describe('the resulting BridgeConfig', () => {
  it('has every default, in milliseconds and bytes', () => {
    const expected: BridgeConfig = {
      kafka: {
        brokers: ['localhost:9092'],
        clientId: 'kafka-http-bridge',
        groupId: 'kafka-http-bridge',
        sessionTimeout: 45_000,
        heartbeatInterval: 3000,
        commitInterval: 1000,
        connectionTimeout: 3000,
        requestTimeout: 30_000,
        idempotentProducer: false,
        producer: { compression: 'none' },
        isolationLevel: 'read_committed',
        maxConsumerRestarts: 10,
        tls: undefined,
        sasl: undefined,
      },
      schemaRegistry: undefined,
      server: { port: 8080, host: '0.0.0.0' },
      log: { level: 'info' },
      shutdown: { timeout: 30_000 },
      security: { allowedHosts: [] },
      routes: [
        {
          name: 'orders',
          topics: ['orders'],
          groupId: undefined,
          endpoint: {
            url: 'http://localhost:3000/orders',
            method: 'POST',
            timeout: 5000,
            headers: {},
            connections: 64,
            maxBodyBytes: 1_048_576,
            maxResponseBytes: 65_536,
            tls: { ca: undefined, cert: undefined, key: undefined, servername: undefined },
            auth: undefined,
            signing: undefined,
          },
          attempts: 3,
          backoff: { initial: 200, max: 2000 },
          ordering: 'key',
          maxInFlight: 64,
          concurrency: { mode: 'adaptive', min: 1 },
          batch: { maxRecords: 1, maxBytes: 1_048_576, maxWait: 20, format: 'json-array', splitOnFailure: false },
          filter: { key: undefined, headers: {}, value: {} },
          payload: 'raw',
          cloudEvents: { source: undefined, type: 'kafka.record', typeHeader: undefined, dataContentType: undefined },
          statuses: { delivered: [], retry: [408, 429, 500, 502, 503, 504] },
          forwardHeaders: ['traceparent', 'tracestate'],
          nullValue: 'dead-letter',
          decode: { key: 'bytes', value: 'bytes' },
          retry: { delays: [3_600_000], topicSuffix: '-retry' },
          deadLetter: { topicSuffix: '-dlt' },
          onFailure: 'escalate',
          headers: {
            strip: ['kafka_exception-stacktrace', 'kafka_dlt-exception-stacktrace', '__connect.errors.exception.stacktrace'],
            maxValueBytes: 8192,
          },
          healthCheck: { url: undefined, interval: 30_000, timeout: 2000, unhealthyAfter: 2, healthyAfter: 2 },
          circuitBreaker: { enabled: true, errorThresholdPercentage: 50, volumeThreshold: 20, resetTimeout: 30_000 },
          recovery: { rampUp: 30_000 },
          rateLimit: 0,
          maxRecordAge: undefined,
        },
      ],
    };
    expect(parseConfig(minimal, {})).toEqual(expected);
  });

  it('lower-cases header names', () => {
    const config = parseConfig(
      stringify({
        kafka: { sessionTimeout: '45s' },
        routes: [
          {
            name: 'orders',
            topics: ['orders'],
            endpoint: { url: 'http://x/', headers: { 'Content-Type': 'application/json' } },
            forwardHeaders: ['TraceParent'],
          },
        ],
      }),
      {},
    );
    expect(config.routes[0]?.endpoint.headers).toEqual({ 'content-type': 'application/json' });
    expect(config.routes[0]?.forwardHeaders).toEqual(['traceparent']);
  });

  it('is deep-frozen', () => {
    const config = loadConfig(examplePath, {});
    const objects = everyObjectIn(config);
    expect(objects.length).toBeGreaterThan(20);
    for (const [path, object] of objects) expect(Object.isFrozen(object), path).toBe(true);

    const route = config.routes[0] as unknown as Record<string, unknown> & { topics: string[]; endpoint: Record<string, unknown> };
    expect(() => {
      (config as unknown as Record<string, unknown>)['kafka'] = {};
    }).toThrow(TypeError);
    expect(() => route.topics.push('other')).toThrow(TypeError);
    expect(() => {
      route.endpoint['timeout'] = 1;
    }).toThrow(TypeError);
    expect(() => {
      (route.endpoint['headers'] as Record<string, unknown>)['x-new'] = 'x';
    }).toThrow(TypeError);
  });

  it('does not share arrays with another load', () => {
    const first = parseConfig(minimal, {});
    const second = parseConfig(minimal, {});
    expect(first.routes[0]?.statuses.retry).not.toBe(second.routes[0]?.statuses.retry);
    expect(first.kafka.brokers).not.toBe(second.kafka.brokers);
  });
});
