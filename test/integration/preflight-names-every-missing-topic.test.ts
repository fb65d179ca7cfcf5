/**
 * The bridge never creates topics (README "What operators prepare", "Exit status"): at start,
 * and with `check`, it lists the topics that exist and stops with exit status 1, naming every
 * missing one in a single line `kafka-http-bridge: <message> (TOPICS_MISSING)` on standard
 * error. `check` exits 0 when every topic exists. The real CLI on real Kafka.
 */
import { describe, expect } from 'vitest';
import type { Kafka } from 'kafkajs';
import { uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { testConfigObject, type BridgeProcess, type RouteOptions } from '../support/test-bridge.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';

/** The one line on standard error, and the topics it names as missing. */
function missingTopicsReport(p: BridgeProcess): { line: string; named: string[] } {
  const stderr = p.stderr.join('');
  // Exactly one line, in the documented shape, ending with the error code.
  expect(stderr).toMatch(/^kafka-http-bridge: missing topics: [^\n]+ \(TOPICS_MISSING\)\n$/);
  const list = /missing topics: (.+?)\. The bridge never creates topics/.exec(stderr);
  expect(list, stderr).not.toBeNull();
  return { line: stderr, named: list![1]!.split(', ').sort() };
}

async function existingTopics(kafka: Kafka): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

function config(bootstrap: string, routes: RouteOptions[]): Record<string, unknown> {
  // Info, so that the lifecycle lines show whether a bridge got as far as running.
  return testConfigObject({ bootstrap, groupId: uniqueTopic('group'), routes, logLevel: 'info' });
}

describe('preflight: every topic must exist', () => {
  test('run: a missing retry topic is named, exit status 1, a fatal log line with the code, and nothing is created', async ({ cluster, kafka, bridges }) => {
    // Tier 1 and the DLT exist; tier 2 does not.
    const topic = uniqueTopic('noretry');
    for (const name of [topic, `${topic}-retry-1`, `${topic}-dlt`]) await cluster.createTopic({ name, partitions: 1 });
    const run = bridges.spawn(config(cluster.bootstrap, [{ topics: [topic], url: 'http://127.0.0.1:9/never', retry: { delays: ['1s', '2s'] } }]), ['run']);
    expect(await run.exited).toBe(1);
    expect(missingTopicsReport(run).named).toEqual([`${topic}-retry-2`]);
    expect(run.logs.find((l) => l['level'] === 60)).toMatchObject({ code: 'TOPICS_MISSING' });
    expect(run.logs.some((l) => l['msg'] === 'lifecycle: starting')).toBe(true);
    expect(run.logs.some((l) => l['msg'] === 'lifecycle: starting -> running')).toBe(false);
    expect(await existingTopics(kafka)).not.toContain(`${topic}-retry-2`);
  }, 60_000);

  test('check: a missing source topic is named, exit status 1, and nothing is created', async ({ cluster, kafka, bridges }) => {
    const topic = uniqueTopic('nosource');
    for (const name of [`${topic}-retry`, `${topic}-dlt`]) await cluster.createTopic({ name, partitions: 1 });
    const check = bridges.spawn(config(cluster.bootstrap, [{ topics: [topic], url: 'http://127.0.0.1:9/never', retry: { delays: ['1h'] } }]), ['check']);
    expect(await check.exited).toBe(1);
    expect(missingTopicsReport(check).named).toEqual([topic]);
    expect(await existingTopics(kafka)).not.toContain(topic);
  }, 60_000);

  test('run and check list every missing topic of every route at once', async ({ cluster, kafka, bridges }) => {
    // Route a: its source and its DLT are missing (its retry topic exists).
    // Route b: the source exists, one retry tier and the DLT are missing.
    const a = uniqueTopic('multi-a');
    const b = uniqueTopic('multi-b');
    for (const name of [`${a}-retry`, b, `${b}-retry-1`]) await cluster.createTopic({ name, partitions: 1 });
    const routes = [
      { name: 'a', topics: [a], url: 'http://127.0.0.1:9/a', retry: { delays: ['1h'] } },
      { name: 'b', topics: [b], url: 'http://127.0.0.1:9/b', retry: { delays: ['1m', '1h'] } },
    ];
    const missing = [a, `${a}-dlt`, `${b}-retry-2`, `${b}-dlt`].sort();
    const run = bridges.spawn(config(cluster.bootstrap, routes), ['run']);
    const check = bridges.spawn(config(cluster.bootstrap, routes), ['check']);
    expect(await run.exited).toBe(1);
    expect(await check.exited).toBe(1);
    expect(missingTopicsReport(run).named).toEqual(missing);
    expect(missingTopicsReport(check).named).toEqual(missing);
    const existing = await existingTopics(kafka);
    for (const name of missing) expect(existing).not.toContain(name);
  }, 60_000);

  test('check exits 0 and says so when every topic exists', async ({ cluster, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'allthere', { tiers: 2 });
    const cfg = config(cluster.bootstrap, [{ topics: [topic], url: 'http://127.0.0.1:9/never', retry: { delays: ['1m', '1h'] } }]);
    const group = (cfg['kafka'] as { groupId: string }).groupId;
    const check = bridges.spawn(cfg, ['check']);
    expect(await check.exited).toBe(0);
    expect(check.stderr.join('')).toBe('');
    expect(check.logs[0]).toEqual({ raw: 'ok: configuration valid, 1 route(s), every topic exists' });
    // Then what the route needs from Kafka: its groups, what it reads and what it writes.
    expect(check.logs.slice(1).map((l) => l['raw'])).toEqual([
      `route route-0: group "${group}" reads ${topic}; group "${group}-retry" reads ${topic}-retry-1, ${topic}-retry-2; ` +
        `writes ${topic}-retry-1, ${topic}-retry-2, ${topic}-dlt (ACLs: READ on those groups and the topics read, WRITE and DESCRIBE on the topics written)`,
    ]);
  }, 60_000);

  test('check and start warn, naming both topics, when a copy topic takes smaller records than its source', async ({ cluster, sink, bridges }) => {
    const topic = uniqueTopic('roomy');
    await cluster.createTopic({ name: topic, partitions: 1, config: { 'max.message.bytes': String(10 * 1024 * 1024) } });
    await cluster.createTopic({ name: `${topic}-retry`, partitions: 1, config: { 'max.message.bytes': String(20 * 1024 * 1024) } });
    await cluster.createTopic({ name: `${topic}-dlt`, partitions: 1, config: { 'max.message.bytes': '1048588' } });
    const cfg = config(cluster.bootstrap, [{ name: 'roomy', topics: [topic], url: sink.url, retry: { delays: ['1m'] } }]);
    const check = bridges.spawn(cfg, ['check']);
    expect(await check.exited).toBe(0);
    const warnings = check.logs.map((l) => String(l['raw'])).filter((l) => l.startsWith('warning: '));
    expect(warnings).toEqual([
      `warning: route roomy: topic ${topic}-dlt accepts records up to 1048588 bytes (max.message.bytes), less than 10485760 on ${topic}: ` +
        `a larger record's copy would be refused and written again until it fits, and its offset is never committed past; raise max.message.bytes on ${topic}-dlt`,
    ]);
    const run = bridges.spawn(cfg);
    await waitFor('running', () => run.logs.some((l) => l['state'] === 'running') || run.child.exitCode !== null, 30_000);
    const logged = run.logs.filter((l) => l['check'] === 'max.message.bytes');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40 });
    expect(String(logged[0]!['msg'])).toContain(`topic ${topic}-dlt accepts records up to 1048588 bytes`);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 60_000);
});
