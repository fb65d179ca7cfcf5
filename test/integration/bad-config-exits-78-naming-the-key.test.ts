import { describe, expect, it } from 'vitest';
import { spawnBridge } from '../support/test-bridge.ts';

const valid = `
kafka:
  brokers: ["127.0.0.1:1"]
routes:
  - name: orders
    topics: ["orders"]
    endpoint:
      url: "http://127.0.0.1:3000/orders"
`;

async function runWith(yaml: string) {
  const p = spawnBridge(yaml, ['run']);
  const code = await p.exited;
  return { code, stderr: p.stderr.join(''), stdout: p.logs };
}

describe('invalid configuration', () => {
  it.each([
    ['an unknown key', valid.replace('    topics:', '    topcis: ["x"]\n    topics:'), 'routes[0].topcis'],
    ['a bad duration', valid.replace('      url:', '      timeout: 5 seconds\n      url:'), 'routes[0].endpoint.timeout'],
    ['a bad URL', valid.replace('http://127.0.0.1:3000/orders', 'not a url'), 'routes[0].endpoint.url'],
    ['batch.maxRecords 0', valid.replace('    topics:', '    batch: { maxRecords: 0 }\n    topics:'), 'routes[0].batch.maxRecords'],
    ['an unknown batch format', valid.replace('    topics:', '    batch: { maxRecords: 10, format: xml }\n    topics:'), 'routes[0].batch.format'],
    ['an unknown concurrency mode', valid.replace('    topics:', '    concurrency: { mode: turbo }\n    topics:'), 'routes[0].concurrency.mode'],
    ['concurrency.min above maxInFlight', valid.replace('    topics:', '    maxInFlight: 4\n    concurrency: { min: 8 }\n    topics:'), 'routes[0].concurrency.min'],
    ['an invalid filter regular expression', valid.replace('    topics:', '    filter: { headers: { event-type: "(unclosed" } }\n    topics:'), 'routes[0].filter.headers.event-type'],
    ['an invalid JSON Pointer', valid.replace('    topics:', '    filter: { value: { "status": paid } }\n    topics:'), 'routes[0].filter.value.status'],
    ['a placeholder in the host', valid.replace('http://127.0.0.1:3000/orders', 'http://{key}.internal/orders'), 'routes[0].endpoint.url'],
    ['an unknown placeholder', valid.replace('http://127.0.0.1:3000/orders', 'http://127.0.0.1:3000/orders/{value}'), 'routes[0].endpoint.url'],
    ['no routes', 'kafka:\n  brokers: ["127.0.0.1:1"]\n', 'routes'],
    ['broken YAML', 'kafka: [\n', 'config.yaml:2:1: YAML syntax error'],
  ])('%s exits 78 and names the key', async (_what, yaml, path) => {
    const { code, stderr, stdout } = await runWith(yaml);
    expect(code).toBe(78);
    expect(stderr).toContain(path);
    // A user error is a message, never a stack trace, and the bridge never started.
    expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(stdout.some((l) => l['msg'] === 'lifecycle: starting')).toBe(false);
  }, 30_000);

  it('a missing config file exits 78 and names the file', async () => {
    const p = spawnBridge(valid, ['run', '--config', '/nonexistent/bridge.yaml']);
    expect(await p.exited).toBe(78);
    expect(p.stderr.join('')).toContain('/nonexistent/bridge.yaml');
  }, 30_000);
});
