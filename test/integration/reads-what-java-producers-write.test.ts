/**
 * Topics as users' services write them: every record here comes from Apache Kafka's Java
 * producer (test/support/java-producer.ts), with each compression codec, idempotence on,
 * transactions committed and aborted, an 8 MiB record and bytes that are not text. The bridge
 * must deliver them faithfully and commit to the end offsets (read through the admin API).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { javaProduce, type JavaRecord } from '../support/java-producer.ts';
import { committedOffsets, endOffsets, fullyCommitted, readAll, waitFor } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test, uniqueTopic } from '../support/fixtures.ts';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const PER_CODEC = 400;
const MiB = 1024 * 1024;

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/**
 * The codecs of a topic's batches as the broker stored them: the compression bits of each
 * record batch header in its log segments (the on-disk format is the wire format).
 */
function storedCodecs(clusterDir: string, topic: string): Set<string> {
  const segments = readdirSync(clusterDir)
    .filter((d) => d.startsWith('data-'))
    .flatMap((d) => readdirSync(join(clusterDir, d), { withFileTypes: true }).filter((e) => e.isDirectory() && new RegExp(`^${topic}-\\d+$`).test(e.name)).map((e) => join(clusterDir, d, e.name)))
    .flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => join(dir, f)));
  const codecs = new Set<string>();
  for (const file of segments) {
    const log = readFileSync(file);
    // baseOffset int64, batchLength int32, leaderEpoch int32, magic int8, crc int32, attributes int16
    for (let at = 0; at + 23 <= log.length; at += 12 + log.readInt32BE(at + 8)) {
      const attributes = log.readInt16BE(at + 21);
      if ((attributes & 0x20) === 0) codecs.add(CODEC_NAMES[attributes & 0x07] ?? 'unknown'); // control batches aside
    }
  }
  return codecs;
}

async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

describe('what Java producers write', () => {
  test('every codec, with idempotence: each record delivered once, copies compressed as configured, offsets at the end', async ({ cluster, kafka, sink, bridges }) => {
    const topics = new Map<string, string>();
    const dlts = new Map<string, string>();
    for (const codec of CODECS) {
      const t = await createRouteTopics(cluster, `codec-${codec}`, { partitions: 2 });
      topics.set(codec, t.topic);
      dlts.set(codec, t.dlt);
    }
    for (const codec of CODECS) {
      const records: JavaRecord[] = Array.from({ length: PER_CODEC }, (_, i) => ({
        topic: topics.get(codec)!,
        key: Buffer.from(`k${i % 37}`),
        value: Buffer.from(JSON.stringify({ codec, i, pad: 'x'.repeat(100) })),
      }));
      await javaProduce(cluster.bootstrap, { 'compression.type': codec, 'enable.idempotence': 'true', acks: 'all', 'linger.ms': '50' }, records);
      expect(storedCodecs(cluster.dir, topics.get(codec)!)).toEqual(new Set([codec]));
    }
    // Every 50th record is refused for good: its dead-letter copy is written with lz4.
    sink.responder = (req) => ((JSON.parse(req.body.toString()) as { i: number }).i % 50 === 0 ? { status: 400 } : { status: 200 });
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        kafka: { producer: { compression: 'lz4' } },
        routes: CODECS.map((codec) => ({ name: codec, topics: [topics.get(codec)!], url: `${sink.url}/${codec}` })),
      }),
    );
    await waitFor('every record answered', () => sink.requests.length >= CODECS.length * PER_CODEC, 60_000);
    for (const codec of CODECS) await waitFor(`${codec} committed to the end`, () => fullyCommitted(kafka, groupId, topics.get(codec)!), 20_000, 200);
    await bridge.stop();
    for (const codec of CODECS) {
      const seen = sink.requests.filter((r) => r.url === `/${codec}`).map((r) => (JSON.parse(r.body.toString()) as { codec: string; i: number }));
      expect(seen.every((v) => v.codec === codec)).toBe(true);
      expect(seen.map((v) => v.i).sort((a, b) => a - b)).toEqual(Array.from({ length: PER_CODEC }, (_, i) => i));
      expect(await committedOffsets(kafka, groupId, topics.get(codec)!)).toEqual(await endOffsets(kafka, topics.get(codec)!));
      const dead = await readAll(kafka, dlts.get(codec)!);
      expect(dead.map((r) => (JSON.parse(r.value!.toString()) as { i: number }).i).sort((a, b) => a - b)).toEqual(Array.from({ length: PER_CODEC / 50 }, (_, k) => k * 50));
      expect(storedCodecs(cluster.dir, dlts.get(codec)!)).toEqual(new Set(['lz4']));
    }
  }, 180_000);

  test('a transactional topic that ends in an aborted transaction: committed records only, lag 0 in each fan-out group', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'txn', { partitions: 2 });
    const rec = (label: string, i: number): JavaRecord => ({ topic, partition: i % 2, key: Buffer.from(`k${i}`), value: Buffer.from(`${label}-${i}`) });
    const txn = (label: string, from: number, n: number) => Array.from({ length: n }, (_, k) => rec(label, from + k));
    await javaProduce(cluster.bootstrap, { 'transactional.id': uniqueTopic('tx'), 'compression.type': 'zstd' }, [
      'BEGIN', ...txn('committed', 0, 20), 'COMMIT',
      'BEGIN', ...txn('aborted', 20, 10), 'ABORT',
      'BEGIN', ...txn('committed', 30, 6), 'COMMIT',
      'BEGIN', ...txn('aborted', 36, 8), 'ABORT',
    ]);
    await cluster.createTopic({ name: `${topic}-audit-dlt`, partitions: 2 });
    const groupId = uniqueTopic('group');
    // Two routes on the topic: a fan-out pair, each in a consumer group of its own.
    const groups = [`${groupId}-txn`, `${groupId}-audit`];
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [
          { name: 'txn', topics: [topic], url: `${sink.url}/txn`, groupId: groups[0] },
          { name: 'audit', topics: [topic], url: `${sink.url}/audit`, groupId: groups[1], retry: { delays: [], topicSuffix: '-audit-retry' }, deadLetter: { topicSuffix: '-audit-dlt' } },
        ],
      }),
    );
    await waitFor('committed records delivered on both routes', () => sink.requests.length >= 52, 30_000);
    const ends = await endOffsets(kafka, topic);
    expect([...ends.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(44); // records plus markers
    for (const group of groups) {
      // Within one commit interval (200 ms here) of the last record: the markers after it count as finished.
      await waitFor(`${group} at the end offsets`, () => fullyCommitted(kafka, group, topic), 5_000, 100);
      expect(await committedOffsets(kafka, group, topic)).toEqual(ends);
    }
    await waitFor('consumer_lag 0 on both partitions of both groups', async () => {
      const lags = [...(await metricsText(bridge.port)).matchAll(new RegExp(`consumer_lag\\{topic="${topic}",partition="\\d",group="${groupId}-(txn|audit)"\\} (\\d+)`, 'g'))];
      return lags.length === 4 && lags.every((m) => m[2] === '0');
    }, 5_000, 200);
    await bridge.stop();
    const expected = [...Array.from({ length: 20 }, (_, i) => `committed-${i}`), ...Array.from({ length: 6 }, (_, i) => `committed-${30 + i}`)].sort();
    for (const path of ['/txn', '/audit']) expect(sink.requests.filter((r) => r.url === path).map((r) => r.body.toString()).sort()).toEqual(expected);
  }, 90_000);

  test('an 8 MiB record is delivered where the route allows it and dead-lettered with its reason where it does not', async ({ cluster, kafka, sink, bridges }) => {
    const big = { 'max.message.bytes': String(10 * MiB) };
    const topic = uniqueTopic('big');
    for (const name of [topic, `${topic}-dlt`, `${topic}-strict-dlt`]) await cluster.createTopic({ name, partitions: 1, config: big });
    const value = Buffer.alloc(8 * MiB);
    for (let i = 0; i < value.length; i += 4) value.writeUInt32BE((i * 2654435761) >>> 0, i);
    await javaProduce(cluster.bootstrap, { 'max.request.size': String(10 * MiB), 'compression.type': 'none' }, [
      { topic, key: Buffer.from('small-before'), value: Buffer.from('before') },
      'FLUSH',
      { topic, key: Buffer.from('big'), value },
      'FLUSH',
      { topic, key: Buffer.from('small-after'), value: Buffer.from('after') },
    ]);
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [
          { name: 'roomy', topics: [topic], url: `${sink.url}/roomy`, groupId: `${groupId}-roomy`, attempts: 2, endpoint: { url: `${sink.url}/roomy`, timeout: '2s', maxBodyBytes: 16 * MiB } },
          { name: 'strict', topics: [topic], url: `${sink.url}/strict`, groupId: `${groupId}-strict`, retry: { delays: [], topicSuffix: '-strict-retry' }, deadLetter: { topicSuffix: '-strict-dlt' } },
        ],
      }),
    );
    await waitFor('roomy got all three', () => sink.requests.filter((r) => r.url === '/roomy').length >= 3, 60_000);
    for (const g of ['roomy', 'strict']) await waitFor(`${g} committed`, () => fullyCommitted(kafka, `${groupId}-${g}`, topic), 30_000, 200);
    await bridge.stop();
    const roomy = sink.requests.filter((r) => r.url === '/roomy').sort((a, b) => Number(a.headers['kafka-offset']) - Number(b.headers['kafka-offset']));
    expect(roomy.map((r) => r.headers['kafka-key'])).toEqual(['small-before', 'big', 'small-after']);
    expect(roomy[1]!.body.equals(value)).toBe(true);
    expect(sink.requests.filter((r) => r.url === '/strict').map((r) => r.body.toString())).toEqual(['before', 'after']);
    const dead = await readAll(kafka, `${topic}-strict-dlt`, 30_000);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.headers['bridge-reason']).toBe('body-too-large');
    expect(dead[0]!.value!.equals(value)).toBe(true);
  }, 120_000);

  test('binary keys and values, tombstones, empty values, byte headers and repeated names arrive byte for byte', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'binary');
    await cluster.createTopic({ name: `${topic}-envelope-dlt`, partitions: 1 });
    const notUtf8 = Buffer.from([0xff, 0x00, 0x80, 0xfe, 0x0a, 0xc3]);
    const byteHeader = Buffer.from([0x00, 0xff, 0x10, 0x80]);
    await javaProduce(cluster.bootstrap, { 'compression.type': 'snappy' }, [
      { topic, key: notUtf8, value: Buffer.concat([notUtf8, notUtf8]) },
      { topic, key: null, value: null },
      { topic, key: Buffer.from('empty'), value: Buffer.alloc(0) },
      { topic, key: Buffer.from('headers'), value: Buffer.from('{"n":12345678901234567890}'), headers: [['x-bin', byteHeader], ['x-dup', Buffer.from('a')], ['x-dup', Buffer.from('b')]] },
    ]);
    const groupId = uniqueTopic('group');
    const common = { topics: [topic], nullValue: 'deliver', forwardHeaders: ['x-dup'] };
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [
          { name: 'raw', url: `${sink.url}/raw`, groupId: `${groupId}-raw`, ...common },
          { name: 'envelope', url: `${sink.url}/envelope`, groupId: `${groupId}-envelope`, ...common, payload: 'envelope', forwardHeaders: ['x-bin', 'x-dup'], retry: { delays: [], topicSuffix: '-envelope-retry' }, deadLetter: { topicSuffix: '-envelope-dlt' } },
        ],
      }),
    );
    await waitFor('both routes got the four records', () => sink.requests.length >= 8, 30_000);
    for (const g of ['raw', 'envelope']) await waitFor(`${g} committed`, () => fullyCommitted(kafka, `${groupId}-${g}`, topic), 20_000, 200);
    await bridge.stop();
    const raw = sink.requests.filter((r) => r.url === '/raw').sort((a, b) => Number(a.headers['kafka-offset']) - Number(b.headers['kafka-offset']));
    expect(raw[0]!.body.equals(Buffer.concat([notUtf8, notUtf8]))).toBe(true);
    expect(Buffer.from(String(raw[0]!.headers['kafka-key-base64']), 'base64').equals(notUtf8)).toBe(true);
    expect(raw[1]!.body.length).toBe(0);
    expect(raw[1]!.headers['kafka-key']).toBeUndefined();
    expect(raw[2]!.body.length).toBe(0);
    expect(raw[2]!.headers['kafka-key']).toBe('empty');
    expect(raw[3]!.body.toString()).toBe('{"n":12345678901234567890}');
    expect(raw[3]!.headers['x-dup']).toBe('a, b');
    expect(raw[3]!.headers['x-bin']).toBeUndefined();
    const envelopes = sink.requests
      .filter((r) => r.url === '/envelope')
      .map((r) => JSON.parse(r.body.toString()) as Record<string, unknown>)
      .sort((a, b) => Number(a['offset']) - Number(b['offset']));
    expect(envelopes[0]).toMatchObject({ key: notUtf8.toString('base64'), keyEncoding: 'base64', value: Buffer.concat([notUtf8, notUtf8]).toString('base64'), valueEncoding: 'base64' });
    expect(envelopes[1]).toMatchObject({ key: null, keyEncoding: null, value: null, valueEncoding: null });
    expect(envelopes[2]).toMatchObject({ key: 'empty', value: '', valueEncoding: 'utf8' });
    expect(envelopes[3]!['headers']).toEqual({ 'x-bin': { base64: byteHeader.toString('base64') }, 'x-dup': ['a', 'b'] });
    // The big number keeps its digits: the value went in as its own JSON text.
    const text = sink.requests.find((r) => r.url === '/envelope' && r.body.includes('"n":'))!.body.toString();
    expect(text).toContain('"value":{"n":12345678901234567890}');
  }, 90_000);
});
