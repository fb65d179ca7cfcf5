import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load-config.ts';
import { problemsOf } from '../support/config-problems.ts';

const route = { name: 'orders', topics: ['orders'], endpoint: { url: 'http://localhost:3000/orders' } };
const withRoute = (changes: Record<string, unknown>): unknown => ({ kafka: { sessionTimeout: '45s' }, routes: [{ ...route, ...changes }] });
const withEndpoint = (changes: Record<string, unknown>): unknown => withRoute({ endpoint: { ...route.endpoint, ...changes } });

describe('routes', () => {
  it('requires at least one route', () => {
    expect(problemsOf({})).toEqual(['routes: at least one route is required']);
    expect(problemsOf({ routes: [] })).toEqual(['routes: at least one route is required']);
    expect(problemsOf('routes:\n')).toEqual(['routes: at least one route is required']);
  });

  it('requires routes to be a list of mappings', () => {
    expect(problemsOf({ routes: { orders: route } })).toEqual(['routes: must be a list of routes (got a mapping)']);
    expect(problemsOf({ routes: [route, 'orders'] })).toEqual([
      'routes[1]: must be a mapping with at least name, topics and endpoint.url (got "orders")',
    ]);
  });

  it('requires name, topics and endpoint.url', () => {
    expect(problemsOf({ routes: [{ endpoint: {} }] })).toEqual([
      'routes[0].name: is required',
      'routes[0].topics: is required',
      'routes[0].endpoint.url: is required',
    ]);
  });

  it('requires URL-safe route names', () => {
    expect(problemsOf(withRoute({ name: 'Orders API' }))).toEqual([
      'routes[0].name: must contain only the characters a-z 0-9 - _ (got "Orders API")',
    ]);
    expect(problemsOf(withRoute({ name: 'a'.repeat(65) }))).toEqual([
      expect.stringMatching(/^routes\[0\]\.name: must be at most 64 characters/),
    ]);
  });

  it('requires valid, distinct, non-empty topics', () => {
    expect(problemsOf(withRoute({ topics: 'orders' }))).toEqual([
      'routes[0].topics: must be a list of Kafka topic names, e.g. ["orders"] (got "orders")',
    ]);
    expect(problemsOf(withRoute({ topics: [] }))).toEqual(['routes[0].topics: must list at least one topic']);
    expect(problemsOf(withRoute({ topics: ['orders', 'a b', 'x'.repeat(250), 'orders', 7] }))).toEqual([
      'routes[0].topics[1]: is not a valid Kafka topic name: may contain only the characters a-z A-Z 0-9 . _ - (got "a b")',
      expect.stringMatching(/^routes\[0\]\.topics\[2\]: is not a valid Kafka topic name: must be at most 249 characters \(got 250\) \(got "x{40}/),
      'routes[0].topics[3]: "orders" is listed more than once',
      'routes[0].topics[4]: must be a topic name (got 7)',
    ]);
  });
});

describe('endpoint', () => {
  it.each([
    ['localhost:3000/orders', 'must be an absolute http:// or https:// URL (got "localhost:3000/orders")'],
    ['/orders', 'must be an absolute http:// or https:// URL (got "/orders")'],
    ['ftp://host/orders', 'must be an absolute http:// or https:// URL (got "ftp://host/orders")'],
    ['http://', 'must be an absolute http:// or https:// URL (got "http://")'],
    ['http://host/a b', 'must be an absolute http:// or https:// URL (got "http://host/a b")'],
  ])('rejects the URL %j', (url, reason) => {
    expect(problemsOf(withEndpoint({ url }))).toEqual([`routes[0].endpoint.url: ${reason}`]);
  });

  it('rejects credentials in the URL without showing them', () => {
    const problems = problemsOf(withEndpoint({ url: 'https://svc:hunter2@api.example.com/orders' }));
    expect(problems).toEqual([expect.stringMatching(/^routes\[0\]\.endpoint\.url: must not contain credentials/)]);
    expect(problems.join('\n')).toContain('https://***@api.example.com/orders');
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('accepts http and https URLs', () => {
    for (const url of ['http://localhost:3000/orders', 'https://api.example.com/v1/orders?tenant=a', 'HTTP://[::1]:8080/']) {
      expect(() => parseConfig(stringify(withEndpoint({ url })), {})).not.toThrow();
    }
  });

  it('accepts only POST, PUT and PATCH', () => {
    expect(problemsOf(withEndpoint({ method: 'GET' }))).toEqual(['routes[0].endpoint.method: must be one of POST, PUT, PATCH (got "GET")']);
    expect(problemsOf(withEndpoint({ method: 'post' }))).toEqual(['routes[0].endpoint.method: must be one of POST, PUT, PATCH (got "post")']);
  });

  it('rejects invalid and connection-level header names', () => {
    const problems = problemsOf(
      withEndpoint({
        headers: { 'Content-Length': '5', 'proxy-authorization': 'x', 'bad name': 'x', Host: 'x', 'x-ok': 'x', 'X-OK': 'y' },
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^routes\[0\]\.endpoint\.headers\.Content-Length: is managed by the HTTP client and cannot be set/),
      expect.stringMatching(/^routes\[0\]\.endpoint\.headers\.proxy-authorization: is managed by the HTTP client/),
      expect.stringMatching(/^routes\[0\]\.endpoint\.headers\["bad name"\]: is not a valid HTTP header name/),
      expect.stringMatching(/^routes\[0\]\.endpoint\.headers\.Host: is managed by the HTTP client/),
      'routes[0].endpoint.headers.X-OK: is set twice (header names are case-insensitive)',
    ]);
  });

  it('rejects header values with CR or LF without showing them', () => {
    const problems = problemsOf(withEndpoint({ headers: { 'x-token': 'abc\r\nInjected: yes' } }));
    expect(problems).toEqual(['routes[0].endpoint.headers.x-token: the value must not contain CR or LF']);
  });

  it('merges several problems about the same key into one line', () => {
    expect(problemsOf(withEndpoint({ headers: { 'bad name': 'a\nb' } }))).toEqual([
      "routes[0].endpoint.headers[\"bad name\"]: is not a valid HTTP header name (allowed: letters, digits and !#$%&'*+-.^_`|~); the value must not contain CR or LF",
    ]);
  });

  it('bounds connections and sizes', () => {
    expect(problemsOf(withEndpoint({ connections: 0, maxBodyBytes: '1MB', maxResponseBytes: -1 }))).toEqual([
      'routes[0].endpoint.connections: must be an integer from 1 to 10000 (got 0)',
      'routes[0].endpoint.maxBodyBytes: must be an integer from 1 to 268435456 bytes (256 MiB) (got "1MB")',
      'routes[0].endpoint.maxResponseBytes: must be an integer from 0 to 16777216 bytes (16 MiB) (got -1)',
    ]);
  });
});

describe('types of values', () => {
  it('reports every wrong type in one error, in document order', () => {
    const problems = problemsOf({
      kafka: { brokers: 'localhost', clientId: 5, idempotentProducer: 'yes', maxConsumerRestarts: 1.5 },
      server: { port: '80a', host: 'a b' },
      log: { level: 'verbose' },
      shutdown: 30,
      routes: [
        {
          ...route,
          attempts: '3',
          maxInFlight: 0,
          ordering: 'random',
          statuses: { delivered: [200], retry: [503, 'x'] },
          forwardHeaders: ['traceparent', 'content-length'],
          nullValue: 'drop',
          onFailure: 'retry',
          headers: { strip: [''], maxValueBytes: 0 },
          deadLetter: { topicSuffix: '/dlt' },
        },
      ],
    });
    expect(problems).toEqual([
      'kafka.brokers[0]: must be host:port, e.g. broker-1:9092 (got "localhost")',
      'kafka.clientId: must be a string (got 5)',
      'kafka.idempotentProducer: must be true or false (got "yes")',
      'kafka.maxConsumerRestarts: must be an integer from 0 to 1000 (got 1.5)',
      'server.port: must be a port number from 0 to 65535 (got "80a")',
      'server.host: must not contain whitespace (got "a b")',
      'log.level: must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
      'shutdown: must be a mapping with the keys timeout (got 30)',
      'routes[0].attempts: must be an integer from 1 to 100 (got "3")',
      'routes[0].maxInFlight: must be an integer from 1 to 10000 (got 0)',
      'routes[0].ordering: must be one of partition, key, none (got "random")',
      'routes[0].statuses.delivered[0]: must be an HTTP status from 300 to 599; 2xx always count as delivered (got 200)',
      'routes[0].statuses.retry[1]: must be an HTTP status from 400 to 599 (got "x")',
      expect.stringMatching(/^routes\[0\]\.forwardHeaders\[1\]: is managed by the HTTP client and cannot be set .* \(got "content-length"\)$/),
      'routes[0].nullValue: must be one of dead-letter, discard, deliver (got "drop")',
      'routes[0].onFailure: must be one of escalate, block (got "retry")',
      'routes[0].headers.strip[0]: must be a non-empty header name (got "")',
      'routes[0].headers.maxValueBytes: must be an integer from 1 to 1048576 bytes (1 MiB) (got 0)',
      'routes[0].deadLetter.topicSuffix: must contain only the characters a-z A-Z 0-9 . _ - (got "/dlt")',
    ]);
  });

  it('reports a mapping where a value is expected, and a value where a mapping is expected', () => {
    expect(problemsOf({ ...(withRoute({}) as object), kafka: { sessionTimeout: '45s', clientId: { nested: { deeper: 1 } } }, log: 'info' })).toEqual([
      'kafka.clientId: must be a string (got a mapping)',
      'log: must be a mapping with the keys level (got "info")',
    ]);
  });

  it('rejects a key set to nothing instead of falling back to the default', () => {
    expect(problemsOf(`kafka:\n  sessionTimeout: 45s\n  clientId:\nroutes:\n  - name: a\n    topics: [a]\n    endpoint: { url: "http://x" }\n`)).toEqual([
      'kafka.clientId: must not be empty (remove the key to use the default)',
    ]);
  });

  it('accepts a comma-separated string for brokers', () => {
    const config = parseConfig(stringify({ ...(withRoute({}) as object), kafka: { sessionTimeout: '45s', brokers: 'a:9092, b:9093' } }), {});
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9093']);
  });
});
