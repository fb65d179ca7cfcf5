import { describe, expect } from 'vitest';
import { committedOffsets, fullyCommitted, produce, readAll, uniqueTopic, waitFor, recordCount } from '../support/kafka-helpers.ts';
import { testConfig, testConfigObject } from '../support/test-bridge.ts';
import { createRouteTopics, test, type Bridges } from '../support/fixtures.ts';

/** Runs the real CLI on `config` and waits for it to exit. */
async function cli(bridges: Bridges, config: Record<string, unknown>, args: string[]) {
  const p = bridges.spawn(config, args);
  const code = await p.exited;
  const stdout = p.logs.map((l) => (typeof l['raw'] === 'string' ? l['raw'] : JSON.stringify(l)));
  return { code, stdout, stderr: p.stderr.join('') };
}

describe('replaying the dead-letter topic', () => {
  test('dry run changes nothing; replay then delivers each record exactly once with its original idempotency key', async ({ cluster, kafka, sink, bridges }) => {
    const total = (topic: string) => recordCount(kafka, topic);
    const { topic, dlt } = await createRouteTopics(cluster, 'orders', { partitions: 2 });
    const groupId = uniqueTopic('group');
    sink.responder = () => ({ status: 400, body: 'rejected' });
    const options = {
      bootstrap: cluster.bootstrap,
      groupId,
      routes: [{ topics: [topic], url: sink.url, attempts: 1, retry: { delays: [] } }],
    };
    await produce(
      kafka,
      topic,
      Array.from({ length: 100 }, (_, i) => ({ key: `customer-${i % 10}`, value: JSON.stringify({ order: i }), headers: { traceparent: `00-trace-${i}` } })),
    );
    const originals = await readAll(kafka, topic);
    const originalKeys = new Set(originals.map((r) => `${topic}-${r.partition}-${r.offset}`));
    expect(originalKeys.size).toBe(100);

    // 1. Every record fails permanently and lands in the DLT.
    const first = await bridges.inProcess(testConfig(options));
    await waitFor('100 records dead-lettered', async () => (await total(dlt)) === 100, 30_000, 200);
    await waitFor('main topic committed', () => fullyCommitted(kafka, groupId, topic), 15_000, 200);
    await first.bridge.stop();
    expect(sink.requests).toHaveLength(100);

    // 2. A dry run prints one line per record and changes nothing.
    const config = testConfigObject(options);
    const dry = await cli(bridges, config, ['replay', '--from', dlt, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const lines = dry.stdout.filter((l) => l.startsWith('would-replay '));
    expect(lines).toHaveLength(100);
    expect(lines.every((l) => / reason=http-400 /.test(l) && l.endsWith(` target=${topic}`))).toBe(true);
    expect(dry.stdout).toContain('would replay: 100');
    expect(await total(topic)).toBe(100);
    expect([...(await committedOffsets(kafka, `${groupId}-replay`, dlt)).values()].every((o) => o === -1)).toBe(true);

    // 3. The real replay copies all 100 back and commits its progress.
    const real = await cli(bridges, config, ['replay', '--from', dlt]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toEqual(expect.arrayContaining(['replayed: 100', 'skipped by filter: 0', `  to ${topic}: 100`]));
    expect(await total(topic)).toBe(200);
    expect(await fullyCommitted(kafka, `${groupId}-replay`, dlt)).toBe(true);
    const originalEnd = new Map<number, number>();
    for (const o of originals) originalEnd.set(o.partition, (originalEnd.get(o.partition) ?? 0) + 1);
    const replayedCopies = (await readAll(kafka, topic)).filter((r) => Number(r.offset) >= (originalEnd.get(r.partition) ?? 0));
    expect(replayedCopies).toHaveLength(100);
    // Back on its original partition, with every header kept.
    for (const copy of replayedCopies) {
      expect(copy.headers['bridge-original-partition']).toBe(String(copy.partition));
      expect(copy.headers['bridge-original-topic']).toBe(topic);
      expect(copy.headers['bridge-reason']).toBe('http-400');
      expect(copy.headers['traceparent']).toMatch(/^00-trace-\d+$/);
    }

    // A second run finds nothing left to do.
    const again = await cli(bridges, config, ['replay', '--from', dlt]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('replayed: 0');
    expect(await total(topic)).toBe(200);

    // 4. The endpoint is fixed: each record arrives exactly once, under its original key.
    sink.responder = () => ({ status: 200 });
    const before = sink.requests.length;
    const second = await bridges.inProcess(testConfig(options));
    await waitFor('100 redeliveries', () => sink.requests.length - before >= 100, 30_000, 100);
    await waitFor('main topic committed again', () => fullyCommitted(kafka, groupId, topic), 15_000, 200);
    await second.bridge.stop();
    const redelivered = sink.requests.slice(before);
    expect(redelivered).toHaveLength(100);
    const keys = redelivered.map((r) => String(r.headers['idempotency-key']));
    expect(new Set(keys)).toEqual(originalKeys);
    expect(redelivered.every((r) => r.headers['kafka-delivery-attempt'] === '2')).toBe(true);
    expect(redelivered.every((r) => r.headers['kafka-topic'] === topic)).toBe(true);
    for (const r of redelivered) {
      const original = originals.find((o) => `${topic}-${o.partition}-${o.offset}` === r.headers['idempotency-key'])!;
      expect(r.body.toString()).toBe(original.value?.toString());
      expect(r.headers['kafka-key']).toBe(original.key?.toString());
    }
  }, 120_000);

  test('SIGINT stops a paced replay cleanly: exactly what was acknowledged is committed, and a rerun finishes the rest', async ({ cluster, kafka, bridges }) => {
    const total = (topic: string) => recordCount(kafka, topic);
    const { topic, dlt } = await createRouteTopics(cluster, 'paced');
    const groupId = uniqueTopic('group');
    const config = testConfigObject({
      bootstrap: cluster.bootstrap,
      groupId,
      routes: [{ topics: [topic], url: 'http://127.0.0.1:1/unused', attempts: 1, retry: { delays: [] } }],
    });
    await produce(
      kafka,
      dlt,
      Array.from({ length: 60 }, (_, i) => ({
        key: `k${i}`,
        value: `v${i}`,
        headers: { 'bridge-original-topic': topic, 'bridge-original-partition': '0', 'bridge-original-offset': String(i), 'bridge-reason': 'http-503' },
      })),
    );
    const p = bridges.spawn(config, ['replay', '--from', dlt, '--rate', '10/s']);
    await waitFor('some records replayed', async () => (await total(topic)) >= 5, 30_000, 100);
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(130);
    const stdout = p.logs.map((l) => String(l['raw']));
    expect(stdout.some((l) => l.startsWith('stopped: interrupted'))).toBe(true);
    const produced = await total(topic);
    expect(produced).toBeGreaterThanOrEqual(5);
    expect(produced).toBeLessThan(60);
    // Everything it produced was acknowledged, counted and committed; nothing beyond.
    expect(stdout).toContain(`replayed: ${produced}`);
    expect((await committedOffsets(kafka, `${groupId}-replay`, dlt)).get(0)).toBe(produced);

    const rest = await cli(bridges, config, ['replay', '--from', dlt]);
    expect(rest.code).toBe(0);
    expect(rest.stdout).toContain(`replayed: ${60 - produced}`);
    const copies = await readAll(kafka, topic);
    expect(copies.map((c) => c.value?.toString())).toEqual(Array.from({ length: 60 }, (_, i) => `v${i}`));
  }, 90_000);
});
