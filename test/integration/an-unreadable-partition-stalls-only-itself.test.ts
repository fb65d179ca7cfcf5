/**
 * A record batch the bridge cannot read (here: bytes that claim to be lz4 and are not) stops
 * its own partition and nothing else. This runs on the dev broker, because Apache Kafka
 * checks every batch it is given and refuses such bytes: only a broker that stores what it
 * is sent can hold a batch that no client can read, which is what a bug in a producer's
 * codec, or a codec Kafka adds later, looks like to a consumer.
 */
import { CompressionCodecs, CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bridge } from '../../src/bridge.ts';
import { DevBroker } from '../support/dev-broker.ts';
import { uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { RecordingSink } from '../support/recording-sink.ts';
import { startInProcess, testConfig, type LogSink } from '../support/test-bridge.ts';

let broker: DevBroker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await DevBroker.start();
  kafka = new Kafka({ clientId: 'unreadable-test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
});

afterAll(async () => {
  await broker?.stop();
});

type Codecs = Record<number, () => { compress: (e: { buffer: Buffer }) => Promise<Buffer>; decompress: (b: Buffer) => Promise<Buffer> }>;

/** Writes `values` in one batch whose lz4-flagged payload is not lz4 at all. */
async function sendCorruptBatch(topic: string, values: string[]): Promise<void> {
  const table = CompressionCodecs as unknown as Codecs;
  const real = table[CompressionTypes.LZ4]!;
  table[CompressionTypes.LZ4] = () => ({ compress: async () => Buffer.from('these bytes are not an lz4 frame'), decompress: real().decompress });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, compression: CompressionTypes.LZ4, messages: values.map((value) => ({ key: value, value })) });
  } finally {
    table[CompressionTypes.LZ4] = real;
    await producer.disconnect();
  }
}

async function send(topic: string, values: string[]): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: value, value })) });
  await producer.disconnect();
}

async function committed(groupId: string, topic: string): Promise<string | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return t?.partitions.find((p) => p.partition === 0)?.offset;
  } finally {
    await admin.disconnect();
  }
}

interface ReadyPartition {
  topic: string;
  partition: number;
  paused: boolean;
  unreadable?: { firstOffset: string; lastOffset: string; reason: string; failures: number; since: string; retryAt: string };
}

describe('a partition the bridge cannot read', () => {
  it('pauses alone, shows in /ready and the metrics, commits nothing past it; two healthy routes beside it deliver everything', async () => {
    const [bad, good1, good2] = [uniqueTopic('bad'), uniqueTopic('good'), uniqueTopic('good')];
    for (const t of [bad, good1, good2]) {
      await broker.createTopic(t, t === bad ? 1 : 2);
      await broker.createTopic(`${t}-dlt`, t === bad ? 1 : 2);
    }
    await send(bad, ['b0', 'b1', 'b2']);
    await sendCorruptBatch(bad, ['x0', 'x1', 'x2', 'x3']);
    await send(bad, ['after0', 'after1']);
    const healthy = Array.from({ length: 150 }, (_, i) => `v${i}`);
    await send(good1, healthy);
    await send(good2, healthy);

    const sink = await RecordingSink.start();
    const groupId = uniqueTopic('group');
    let started: { bridge: Bridge; logs: LogSink } | undefined;
    try {
      started = await startInProcess(
        testConfig({
          bootstrap: broker.brokers.join(','),
          groupId,
          routes: [
            { name: 'bad', topics: [bad], url: `${sink.url}/bad` },
            { name: 'good1', topics: [good1], url: `${sink.url}/good1` },
            { name: 'good2', topics: [good2], url: `${sink.url}/good2` },
          ],
        }),
      );
      const { bridge, logs } = started;
      const bodies = (path: string) => sink.requests.filter((r) => r.url === path).map((r) => r.body.toString());
      await waitFor('both healthy routes delivered everything', () => bodies('/good1').length >= 150 && bodies('/good2').length >= 150, 30_000);
      await waitFor('the records before the bad batch delivered', () => bodies('/bad').length >= 3, 10_000);

      const readyPartition = async (): Promise<ReadyPartition | undefined> => {
        const ready = (await (await fetch(`http://127.0.0.1:${bridge.port}/ready`)).json()) as { routes: { name: string; partitions: ReadyPartition[] }[] };
        return ready.routes.find((r) => r.name === 'bad')?.partitions.find((p) => p.topic === bad);
      };
      // It is fetched again after 1 s, then 2 s: still unreadable, still paused.
      await waitFor('the bad partition tried again', async () => ((await readyPartition())?.unreadable?.failures ?? 0) >= 2, 15_000, 200);
      const stuck = (await readyPartition())!;
      expect(stuck.paused).toBe(true);
      expect(stuck.unreadable).toMatchObject({ firstOffset: '3', lastOffset: '6' });
      expect(stuck.unreadable!.reason).toMatch(/./);
      await waitFor('committed up to the bad batch', async () => (await committed(groupId, bad)) === '3', 10_000, 200);

      const metrics = await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`kafka_http_bridge_partition_unreadable\\{topic="${bad}",partition="0",group="${groupId}"\\} 1`));
      const lines = logs.lines.filter((l) => l['msg'] === 'cannot read a record batch: partition paused, nothing committed past it; fetching it again after a backoff');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ topic: bad, partition: 0, firstOffset: '3', lastOffset: '6' });

      expect(bodies('/bad')).toEqual(['b0', 'b1', 'b2']);
      expect(new Set(bodies('/good1'))).toEqual(new Set(healthy));
      expect(new Set(bodies('/good2'))).toEqual(new Set(healthy));
      expect(bridge.lifecycle.state).toBe('running');
      expect((await fetch(`http://127.0.0.1:${bridge.port}/health`)).status).toBe(200);
      // Nothing was dead-lettered for it: records that cannot be read are not records to give up on.
      expect(sink.requests.some((r) => r.body.toString().startsWith('x') || r.body.toString().startsWith('after'))).toBe(false);
      expect(await committed(groupId, bad)).toBe('3');
    } finally {
      await started?.bridge.stop();
      await sink.stop();
    }
  }, 90_000);
});
