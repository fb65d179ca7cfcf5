/**
 * The dev broker is only worth having if kafkajs cannot tell it from Kafka for what the
 * bridge does: produce with acks=-1, group consumption, offset commits, admin reads, and
 * fault injection that really reaches the client. Every other integration test stands on this.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, DevBroker } from '../support/dev-broker.ts';

const NOT_ENOUGH_REPLICAS = 19;

let broker: DevBroker;
let kafka: Kafka;

const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  broker = await DevBroker.start();
  kafka = new Kafka({ clientId: 'dev-broker-test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
});

afterAll(async () => {
  await broker?.stop();
});

describe('dev broker', () => {
  it('round-trips 100 records through a consumer group and commits the end offsets', { timeout: 30_000 }, async () => {
    const topic = uniqueName('roundtrip');
    const groupId = uniqueName('group');
    await broker.createTopic(topic, 3);

    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const sent = Array.from({ length: 100 }, (_, i) => `value-${i}`);
    try {
      await producer.send({ topic, acks: -1, messages: sent.map((value, i) => ({ key: `key-${i}`, value })) });
    } finally {
      await producer.disconnect();
    }

    const admin = kafka.admin();
    await admin.connect();
    // Short session timeout: this mock needs sessionTimeout - 1 s for any membership change.
    const consumer = kafka.consumer({ groupId, sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    try {
      const end = await admin.fetchTopicOffsets(topic);
      expect(end.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
      expect(end.reduce((sum, p) => sum + Number(p.high), 0)).toBe(100);
      expect(end.filter((p) => Number(p.high) > 0).length).toBeGreaterThan(1); // keys spread

      const received: string[] = [];
      const next = new Map<number, string>(); // partition -> offset to commit
      let allReceived!: () => void;
      const done = new Promise<void>((resolve) => (allReceived = resolve));
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          received.push(message.value?.toString() ?? '');
          next.set(partition, (BigInt(message.offset) + 1n).toString());
          if (received.length === sent.length) allReceived();
        },
      });
      await done;
      await consumer.commitOffsets([...next].map(([partition, offset]) => ({ topic, partition, offset })));

      expect([...received].sort()).toEqual([...sent].sort());
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committedByPartition = Object.fromEntries((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
      const endByPartition = Object.fromEntries(end.map((p) => [p.partition, p.high]));
      expect(committedByPartition).toEqual(endByPartition);
    } finally {
      await consumer.disconnect();
      await admin.disconnect();
    }
  });

  it('makes exactly the pushed number of Produce requests fail', { timeout: 20_000 }, async () => {
    const topic = uniqueName('produce-error');
    await broker.createTopic(topic, 1);
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ value: 'warm-up' }] }); // metadata cached

      await broker.pushRequestErrors(ApiKey.Produce, NOT_ENOUGH_REPLICAS, 1);
      // kafkajs wraps the broker's answer even with retries: 0.
      await expect(producer.send({ topic, acks: -1, messages: [{ value: 'rejected' }] })).rejects.toMatchObject({
        name: 'KafkaJSNumberOfRetriesExceeded',
        cause: { type: 'NOT_ENOUGH_REPLICAS', code: NOT_ENOUGH_REPLICAS },
      });

      // The single pushed error is used up; the name form of the code works too.
      const [ok] = await producer.send({ topic, acks: -1, messages: [{ value: 'accepted' }] });
      expect(ok?.errorCode).toBe(0);
      await broker.pushRequestErrors(ApiKey.Produce, 'NOT_ENOUGH_REPLICAS');
      await expect(producer.send({ topic, acks: -1, messages: [{ value: 'rejected' }] })).rejects.toMatchObject({
        cause: { type: 'NOT_ENOUGH_REPLICAS' },
      });
    } finally {
      await producer.disconnect();
    }

    const admin = kafka.admin();
    await admin.connect();
    try {
      const [p0] = await admin.fetchTopicOffsets(topic);
      expect(p0?.high).toBe('2'); // warm-up and accepted; both rejected sends wrote nothing
    } finally {
      await admin.disconnect();
    }
  });

  it('answers garbage with ERR and keeps serving', async () => {
    await expect(broker.command('frobnicate 1 2')).rejects.toThrow(/unknown command/);
    await expect(broker.command('x'.repeat(10_000))).rejects.toThrow(/line too long/);
    await expect(broker.command('create')).rejects.toThrow(/usage/);
    await expect(broker.command('create bad/name 3')).rejects.toThrow(/invalid topic name/);
    await expect(broker.command('down 99')).rejects.toThrow(/broker id/);
    await expect(broker.command('error Produce NO_SUCH_ERROR')).rejects.toThrow(/unknown error code/);
    await expect(broker.command('ping\nping')).rejects.toThrow(/single line/);
    await expect(broker.createTopic('bad name', 1)).rejects.toThrow(/invalid argument/);

    const topic = uniqueName('dup');
    await broker.createTopic(topic, 1);
    await expect(broker.createTopic(topic, 1)).rejects.toThrow(/TOPIC_ALREADY_EXISTS/);
    await expect(broker.command('ping')).resolves.toBe('');
  });

  it('lists topics without creating any, while naming an unknown topic auto-creates it', { timeout: 20_000 }, async () => {
    // A broker of its own, so the topic list is exactly what this test made.
    const fresh = await DevBroker.start({ brokers: 3 });
    const admin = new Kafka({ clientId: 'dev-broker-test', brokers: fresh.brokers, logLevel: logLevel.NOTHING }).admin();
    try {
      expect(fresh.brokers).toHaveLength(3);
      await admin.connect();
      expect(await admin.listTopics()).toEqual([]);
      await fresh.createTopic('listed', 2);
      expect(await admin.listTopics()).toEqual(['listed']);
      expect(await admin.listTopics()).toEqual(['listed']);

      // The mock ignores AllowAutoTopicCreation: metadata for a named topic creates it
      // (4 partitions). Existence checks must therefore use listTopics().
      const { topics } = await admin.fetchTopicMetadata({ topics: ['named'] });
      expect(topics[0]?.partitions).toHaveLength(4);
      expect((await admin.listTopics()).sort()).toEqual(['listed', 'named']);
    } finally {
      await admin.disconnect();
      await fresh.stop();
    }
    await fresh.exited;
    await expect(fresh.ping()).rejects.toThrow(/exited|stopping/);
    await fresh.stop(); // idempotent
  });
});
