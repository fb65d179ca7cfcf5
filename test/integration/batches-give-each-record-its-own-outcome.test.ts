/**
 * Batched delivery against real Kafka and a real HTTP server: the envelope, the batch
 * idempotency key, and a 207's per-record results mapped to delivered, retry tier and DLT.
 * Committed offsets are read through the admin API.
 */
import { describe, expect } from 'vitest';
import type { SinkRequest } from '../support/recording-sink.ts';
import { fullyCommitted, produce, readAll, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';

interface Envelope {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  keyEncoding: string | null;
  headers: Record<string, string | string[]>;
  value: unknown;
  valueEncoding: string | null;
  idempotencyKey: string;
}

/** The envelopes of one batched request, parsed as the endpoint would. */
function envelopes(req: SinkRequest): Envelope[] {
  const text = req.body.toString('utf8');
  if (req.headers['content-type'] === 'application/x-ndjson') {
    expect(text.endsWith('\n')).toBe(true);
    return text.trimEnd().split('\n').map((line) => JSON.parse(line) as Envelope);
  }
  expect(req.headers['content-type']).toBe('application/json');
  return JSON.parse(text) as Envelope[];
}

const batch = (format: string, maxRecords = 50) => ({ maxRecords, maxWait: '50ms', format });

describe('batched delivery', () => {
  test('json-array: every record arrives once in an envelope, with a batch key and its count', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'batch-envelope', { partitions: 2 });
    const binary = Buffer.from([0xff, 0x00, 0xfe]);
    await produce(kafka, topic, [
      { key: 'customer-7', value: '{"big":12345678901234567890,"nested":{"ok":true}}', headers: { traceparent: '00-abc-def-01', secret: 'x' }, partition: 0 },
      { key: null, value: 'plain text, not JSON', partition: 0 },
      { key: binary, value: binary, partition: 0 },
      ...Array.from({ length: 97 }, (_, i) => ({ key: `k${i % 7}`, value: JSON.stringify({ i }), partition: i % 2 })),
    ]);
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url, batch: batch('json-array') }] }));
    await waitFor('every record delivered', () => sink.requests.reduce((n, r) => n + Number(r.headers['kafka-batch-size']), 0) >= 100, 30_000);
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 20_000, 250);
    await bridge.stop();

    const all = sink.requests.flatMap((r) => {
      const items = envelopes(r);
      expect(items).toHaveLength(Number(r.headers['kafka-batch-size']));
      expect(r.headers['idempotency-key']).toMatch(/^batch-[0-9a-f]{32}$/);
      // A batch never spans partitions.
      expect(new Set(items.map((e) => e.partition)).size).toBe(1);
      return items;
    });
    expect(sink.requests.length).toBeLessThan(100);
    expect(all).toHaveLength(100);
    expect(new Set(all.map((e) => e.idempotencyKey)).size).toBe(100);
    const byOffset = new Map(all.filter((e) => e.partition === 0).map((e) => [e.offset, e]));
    const first = byOffset.get('0')!;
    expect(first).toMatchObject({ topic, partition: 0, offset: '0', key: 'customer-7', keyEncoding: 'utf8', valueEncoding: 'json', idempotencyKey: `${topic}-0-0` });
    expect(first.headers).toEqual({ traceparent: '00-abc-def-01' });
    expect(typeof first.timestamp).toBe('string');
    expect(Number(first.timestamp)).toBeGreaterThan(1_700_000_000_000);
    // The value went in as its own text: the big integer's digits are all there.
    const request = sink.requests.find((r) => r.body.includes(`"offset":"0"`) && r.body.includes('customer-7'))!;
    expect(request.body.toString()).toContain('12345678901234567890');
    expect(byOffset.get('1')).toMatchObject({ key: null, keyEncoding: null, value: 'plain text, not JSON', valueEncoding: 'utf8' });
    expect(byOffset.get('2')).toMatchObject({ key: binary.toString('base64'), keyEncoding: 'base64', value: binary.toString('base64'), valueEncoding: 'base64' });
  }, 60_000);

  test('ndjson: one envelope per line, pretty-printed JSON values included', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'batch-ndjson');
    await produce(kafka, topic, Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i, text: 'a\nb' }, null, 2) })));
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url, batch: batch('ndjson') }] }));
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 30_000, 250);
    await bridge.stop();
    const all = sink.requests.flatMap(envelopes);
    expect(all.map((e) => (e.value as { i: number }).i)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect((all[0]!.value as { text: string }).text).toBe('a\nb');
  }, 60_000);

  test('a 207 gives each record its own outcome: delivered, retry tier, dead-letter topic', async ({ cluster, kafka, sink, bridges }) => {
    const { topic, retry, dlt } = await createRouteTopics(cluster, 'batch-207', { tiers: 1 });
    const fates = ['ok', 'busy', 'bad', 'ok', 'flaky', 'ok'];
    await produce(kafka, topic, fates.map((fate, i) => ({ key: `k${i}`, value: JSON.stringify({ fate }) })));
    const flakySeen = new Set<string>();
    sink.responder = (req) => {
      const results = envelopes(req).map((e) => {
        const fate = (e.value as { fate: string }).fate;
        if (fate === 'busy') return { status: 503 };
        if (fate === 'bad') return { status: 400, message: 'field "fate" is invalid' };
        if (fate === 'flaky' && !flakySeen.has(e.idempotencyKey)) {
          flakySeen.add(e.idempotencyKey);
          return { status: 503 };
        }
        return { status: 200 };
      });
      return { status: 207, body: JSON.stringify(results) };
    };
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url, attempts: 3, retry: { delays: ['1h'] }, batch: batch('json-array', 10) }] }),
    );
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 30_000, 250);
    await bridge.stop();

    // One batch of six, then the transient ones again in a smaller batch with a key of its own.
    const sizes = sink.requests.map((r) => Number(r.headers['kafka-batch-size']));
    expect(sizes[0]).toBe(6);
    expect(sizes.slice(1)).toEqual([2, 1]);
    expect(new Set(sink.requests.map((r) => r.headers['idempotency-key'])).size).toBe(3);

    const [retried] = await Promise.all([readAll(kafka, retry[0]!)]);
    expect(retried.map((r) => JSON.parse(r.value!.toString()) as { fate: string })).toEqual([{ fate: 'busy' }]);
    expect(retried[0]!.headers['bridge-reason']).toBe('http-503');
    expect(retried[0]!.headers['bridge-original-offset']).toBe('1');
    const dead = await readAll(kafka, dlt);
    expect(dead.map((r) => JSON.parse(r.value!.toString()) as { fate: string })).toEqual([{ fate: 'bad' }]);
    expect(dead[0]!.headers['bridge-reason']).toBe('http-400');
    expect(dead[0]!.headers['bridge-error']).toContain('field "fate" is invalid');
  }, 60_000);

  test('retry tiers batch the same way: records failed in one batch come back due, together, with their original coordinates', async ({ cluster, kafka, sink, bridges }) => {
    const { topic, retry } = await createRouteTopics(cluster, 'batch-tier', { tiers: 1 });
    await produce(kafka, topic, Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i }) })));
    const seen = new Set<string>();
    sink.responder = (req) => {
      const results = envelopes(req).map((e) => {
        const first = !seen.has(e.idempotencyKey);
        seen.add(e.idempotencyKey);
        return { status: first ? 503 : 200 };
      });
      return { status: 207, body: JSON.stringify(results) };
    };
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url, attempts: 1, retry: { delays: ['1s'] }, batch: batch('json-array', 10) }] }),
    );
    await waitFor('every record delivered from the retry tier', () => sink.requests.length >= 2 && seen.size === 10 && sink.requests.slice(1).reduce((n, r) => n + envelopes(r).length, 0) >= 10, 30_000, 100);
    await waitFor('main and retry groups committed', async () => (await fullyCommitted(kafka, groupId, topic)) && (await fullyCommitted(kafka, `${groupId}-retry`, retry[0]!)), 20_000, 250);
    await bridge.stop();
    const [first, ...fromRetry] = sink.requests;
    expect(envelopes(first!)).toHaveLength(10);
    // The retry tier sent them in batches too (fewer requests than records), each envelope with its original coordinates.
    expect(fromRetry.length).toBeLessThan(10);
    const retried = fromRetry.flatMap(envelopes);
    expect(retried.map((e) => e.idempotencyKey).sort()).toEqual(envelopes(first!).map((e) => e.idempotencyKey).sort());
    for (const e of retried) expect(e.topic).toBe(topic);
  }, 60_000);

  test('a 207 the bridge cannot read fails the whole batch, which is sent again under the same key', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'batch-207-bad');
    await produce(kafka, topic, Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i }) })));
    let calls = 0;
    sink.responder = () => (++calls === 1 ? { status: 207, body: JSON.stringify([{ status: 200 }]) } : { status: 200 });
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url, batch: batch('json-array', 10) }] }));
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 30_000, 250);
    await bridge.stop();
    expect(sink.requests).toHaveLength(2);
    expect(sink.requests[1]!.headers['idempotency-key']).toBe(sink.requests[0]!.headers['idempotency-key']);
    expect(sink.requests[1]!.body.equals(sink.requests[0]!.body)).toBe(true);
  }, 60_000);
});
