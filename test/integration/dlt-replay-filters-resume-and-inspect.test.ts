import { describe, expect } from 'vitest';
import type { IHeaders, Kafka } from 'kafkajs';
import { committedOffsets, produce, readAll, uniqueTopic, recordCount, waitFor } from '../support/kafka-helpers.ts';
import { testConfig, testConfigObject } from '../support/test-bridge.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';
import type { KafkaCluster } from '../../tools/kafka/kafka-cluster.ts';
import type { BridgeConfig } from '../../src/config/types.ts';
import { createKafka } from '../../src/kafka/kafka-client.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { formatInspectReport, inspect } from '../../src/dlt/inspect.ts';
import { formatReplaySummary, replay, type ReplayRequest } from '../../src/dlt/replay.ts';
import { BridgeError } from '../../src/errors.ts';

const HOUR = 3_600_000;
const BASE = Date.parse('2025-06-01T12:00:00.000Z');

/** A dead-letter copy as the bridge writes it: record i failed i hours after BASE. */
function dlqRecord(topic: string, i: number, reason: string, extra: IHeaders = {}) {
  return {
    key: `customer-${i % 3}`,
    value: `order-${i}`,
    headers: {
      'bridge-original-topic': topic,
      'bridge-original-partition': '0',
      'bridge-original-offset': String(i),
      'bridge-original-timestamp': String(BASE),
      'bridge-attempts': '3',
      'bridge-first-failure-at': new Date(BASE + i * HOUR).toISOString(),
      'bridge-reason': reason,
      'bridge-error': `failed with ${reason}`,
      'bridge-route': i % 4 === 0 ? 'orders-eu' : 'orders',
      ...extra,
    },
  };
}

async function setup(cluster: KafkaCluster, partitions = 1) {
  const { topic, dlt } = await createRouteTopics(cluster, 'orders', { partitions });
  const groupId = uniqueTopic('group');
  const config = testConfig({
    bootstrap: cluster.bootstrap,
    groupId,
    routes: [{ topics: [topic], url: 'http://127.0.0.1:1/unused', attempts: 1, retry: { delays: [] } }],
  });
  return { topic, dlt, groupId, config };
}

async function run(config: BridgeConfig, request: Partial<ReplayRequest> & { from: string }) {
  const out: string[] = [];
  const summary = await replay(
    { to: undefined, filter: { reasons: [], keys: [] }, limit: undefined, rate: undefined, dryRun: false, ...request },
    { kafka: createKafka(config.kafka, createLogger('silent')), config, out: (l) => out.push(l) },
  );
  return { summary, out, text: formatReplaySummary(summary, request.limit) };
}

const values = async (kafka: Kafka, topic: string) => (await readAll(kafka, topic)).map((r) => r.value?.toString());

describe('replay filters and resume', () => {
  test('--reason with --limit replays only matching records, commits skipped ones as done, and resumes', async ({ cluster, kafka }) => {
    const { topic, dlt, groupId, config } = await setup(cluster);
    // 30 records: every third one failed with http-503, the others with http-400.
    await produce(kafka, dlt, Array.from({ length: 30 }, (_, i) => dlqRecord(topic, i, i % 3 === 0 ? 'http-503' : 'http-400')));

    const first = await run(config, { from: dlt, filter: { reasons: ['http-503'], keys: [] }, limit: 4 });
    expect(first.summary).toMatchObject({ replayed: 4, skipped: 6, stoppedBy: 'limit' });
    expect(first.text).toContain('stopped: --limit 4 reached; run again to continue');
    expect(await values(kafka, topic)).toEqual(['order-0', 'order-3', 'order-6', 'order-9']);
    // The group stands right after the 4th replayed record (offset 9): nothing after it was read.
    expect((await committedOffsets(kafka, `${groupId}-replay`, dlt)).get(0)).toBe(10);

    // Every header travels, the bridge-* metadata included.
    const [copy] = await readAll(kafka, topic);
    expect(copy!.headers).toMatchObject({ 'bridge-original-offset': '0', 'bridge-attempts': '3', 'bridge-reason': 'http-503', 'bridge-route': 'orders-eu' });

    const second = await run(config, { from: dlt, filter: { reasons: ['http-503'], keys: [] } });
    expect(second.summary).toMatchObject({ replayed: 6, skipped: 14, stoppedBy: 'caught-up' });
    expect(await values(kafka, topic)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27].map((i) => `order-${i}`));
    expect((await committedOffsets(kafka, `${groupId}-replay`, dlt)).get(0)).toBe(30);

    // Skipped records count as done: a later run for the other reason finds nothing left.
    const third = await run(config, { from: dlt, filter: { reasons: ['http-400'], keys: [] } });
    expect(third.summary).toMatchObject({ replayed: 0, skipped: 0 });
    expect(await recordCount(kafka, topic)).toBe(10);
  }, 60_000);

  test('--key, --since and --until select by key and by time of first failure; a dry run commits nothing', async ({ cluster, kafka }) => {
    const { topic, dlt, groupId, config } = await setup(cluster);
    await produce(kafka, dlt, Array.from({ length: 12 }, (_, i) => dlqRecord(topic, i, 'timeout')));
    const dry = await run(config, {
      from: dlt,
      dryRun: true,
      filter: { reasons: [], keys: ['customer-1'], since: BASE + 2 * HOUR, until: BASE + 10 * HOUR },
    });
    // customer-1 is i = 1, 4, 7, 10; within [2h, 10h): 4 and 7.
    expect(dry.out).toEqual([
      `would-replay partition=0 offset=4 key="customer-1" reason=timeout failed-at=2025-06-01T16:00:00.000Z target=${topic}`,
      `would-replay partition=0 offset=7 key="customer-1" reason=timeout failed-at=2025-06-01T19:00:00.000Z target=${topic}`,
    ]);
    expect(dry.summary).toMatchObject({ dryRun: true, replayed: 2, skipped: 10 });
    expect(dry.text[0]).toContain('nothing was produced or committed');
    expect(await recordCount(kafka, topic)).toBe(0);
    expect((await committedOffsets(kafka, `${groupId}-replay`, dlt)).get(0)).toBe(-1);

    const real = await run(config, { from: dlt, filter: { reasons: [], keys: ['customer-1'], since: BASE + 2 * HOUR, until: BASE + 10 * HOUR } });
    expect(real.summary).toMatchObject({ replayed: 2, skipped: 10 });
    expect(await values(kafka, topic)).toEqual(['order-4', 'order-7']);
  }, 60_000);

  test('--to sends every record to another topic, placed by key', async ({ cluster, kafka }) => {
    const { topic, dlt, config } = await setup(cluster);
    const other = uniqueTopic('elsewhere');
    await cluster.createTopic({ name: other, partitions: 3 });
    await produce(kafka, dlt, Array.from({ length: 9 }, (_, i) => dlqRecord(topic, i, 'http-503')));
    const { summary } = await run(config, { from: dlt, to: other });
    expect(summary).toMatchObject({ replayed: 9, byTarget: new Map([[other, 9]]) });
    expect(await recordCount(kafka, topic)).toBe(0);
    const copies = await readAll(kafka, other);
    // Same key, same partition.
    const partitionOf = new Map<string, Set<number>>();
    for (const c of copies) partitionOf.set(c.key!.toString(), (partitionOf.get(c.key!.toString()) ?? new Set()).add(c.partition));
    expect([...partitionOf.values()].every((s) => s.size === 1)).toBe(true);
  }, 60_000);

  test('a missing target topic, or a record without one, is an error before anything is produced', async ({ cluster, kafka }) => {
    const { topic, dlt, config } = await setup(cluster);
    const ghost = uniqueTopic('ghost');
    await produce(kafka, dlt, [dlqRecord(topic, 0, 'http-503'), dlqRecord(ghost, 1, 'http-503')]);
    await expect(run(config, { from: dlt })).rejects.toMatchObject({ code: 'TOPICS_MISSING', message: expect.stringContaining(ghost) });
    expect(await recordCount(kafka, topic)).toBe(0);
    // Never auto-created.
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(ghost);
    await admin.disconnect();

    const { dlt: bare, config: bareConfig, topic: bareTopic } = await setup(cluster);
    await produce(kafka, bare, [dlqRecord(bareTopic, 0, 'http-503'), { key: 'hand-written', value: 'x', headers: {} }]);
    const error: unknown = await run(bareConfig, { from: bare }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgeError);
    expect(error).toMatchObject({ code: 'REPLAY_TARGET_UNKNOWN' });
    expect(await recordCount(kafka, bareTopic)).toBe(0);
  }, 60_000);

  test('a second replay with the same group is refused instead of interleaving with the first', async ({ cluster, kafka }) => {
    const { topic, dlt, groupId, config } = await setup(cluster, 2);
    await produce(kafka, dlt, Array.from({ length: 40 }, (_, i) => ({ ...dlqRecord(topic, i, 'http-503'), partition: i % 2 })));
    const first = run(config, { from: dlt, to: topic, rate: 4 });
    await waitFor('the first replay copying', async () => (await recordCount(kafka, topic)) > 0, 15_000, 50);
    const second = run(config, { from: dlt, to: topic, rate: 4 });
    const results = await Promise.allSettled([first, second]);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as BridgeError);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.map((e) => e.code)).toEqual(refused.map(() => 'REPLAY_GROUP_BUSY'));
    // Whatever each got to do before, every record was committed only after it was produced.
    const committed = [...(await committedOffsets(kafka, `${groupId}-replay`, dlt)).values()].reduce((a, b) => a + Math.max(0, b), 0);
    expect(await recordCount(kafka, topic)).toBeGreaterThanOrEqual(committed);
  }, 90_000);
});

describe('inspect', () => {
  test('summarises a DLT by reason and route, with its oldest and newest records, committing nothing', async ({ cluster, kafka }) => {
    const { topic, dlt, groupId, config } = await setup(cluster, 2);
    await produce(
      kafka,
      dlt,
      Array.from({ length: 10 }, (_, i) => ({ ...dlqRecord(topic, i, i < 7 ? 'http-400' : 'timeout'), partition: i % 2 })),
    );
    const report = await inspect(dlt, { kafka: createKafka(config.kafka, createLogger('silent')), config });
    expect(report).toMatchObject({ total: 10, partitions: 2, notYetReplayed: 10 });
    expect(report.byReason).toEqual(new Map([['http-400', 7], ['timeout', 3]]));
    expect(report.byRoute).toEqual(new Map([['orders', 7], ['orders-eu', 3]]));
    const lines = formatInspectReport(report);
    expect(lines[0]).toBe(`topic ${dlt}: 10 record(s) in 2 partition(s)`);
    expect(lines).toContain('  http-400  7');
    expect(lines.find((l) => l.startsWith('oldest:'))).toContain(`failed-at=2025-06-01T12:00:00.000Z partition=0 offset=0 key="customer-0" reason=http-400 original=${topic}/0/0`);
    expect(lines.find((l) => l.startsWith('newest:'))).toContain(`failed-at=2025-06-01T21:00:00.000Z partition=1 offset=4 key="customer-0" reason=timeout original=${topic}/0/9`);
    expect((await committedOffsets(kafka, `${groupId}-replay`, dlt)).get(0)).toBe(-1);
    expect((await committedOffsets(kafka, groupId, dlt)).get(0)).toBe(-1);
  }, 60_000);

  test('works through the real CLI, and a bad command line or configuration fails before Kafka is contacted', async ({ cluster, kafka, bridges }) => {
    const { topic, dlt, groupId } = await setup(cluster);
    await produce(kafka, dlt, [dlqRecord(topic, 0, 'http-503'), dlqRecord(topic, 1, 'http-503')]);
    const config = testConfigObject({
      bootstrap: cluster.bootstrap,
      groupId,
      routes: [{ topics: [topic], url: 'http://127.0.0.1:1/unused', attempts: 1, retry: { delays: [] } }],
    });
    const ok = bridges.spawn(config, ['inspect', '--topic', dlt]);
    expect(await ok.exited).toBe(0);
    const stdout = ok.logs.map((l) => String(l['raw']));
    expect(stdout[0]).toBe(`topic ${dlt}: 2 record(s) in 1 partition(s)`);
    expect(stdout).toContain('  http-503  2');
    expect(stdout).toContain(`not yet replayed (after the committed position of group ${groupId}-replay): 2`);

    const usage = bridges.spawn(config, ['replay', '--from', dlt, '--rate', 'fast']);
    expect(await usage.exited).toBe(64);
    expect(usage.stderr.join('')).toContain('--rate');

    const invalid = bridges.spawn({ ...config, kafka: { ...(config['kafka'] as object), sessionTimeout: 'soon' } }, ['replay', '--from', dlt, '--dry-run']);
    expect(await invalid.exited).toBe(78);
    expect(invalid.stderr.join('')).toContain('kafka.sessionTimeout');

    const missing = bridges.spawn(config, ['inspect', '--topic', uniqueTopic('nothing')]);
    expect(await missing.exited).toBe(1);
    expect(missing.stderr.join('')).toContain('TOPICS_MISSING');
  }, 60_000);
});
