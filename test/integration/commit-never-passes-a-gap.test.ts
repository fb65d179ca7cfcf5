import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { DevBroker } from '../support/dev-broker.ts';
import { RecordingSink } from '../support/recording-sink.ts';
import { committedOffsets, fullyCommitted, kafkaFor, produce, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { startInProcess, testConfig } from '../support/test-bridge.ts';

let broker: DevBroker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await DevBroker.start();
  kafka = kafkaFor(broker.bootstrap);
});

afterAll(async () => {
  await broker?.stop();
});

describe('commits', () => {
  it('hold at a slow record while the records after it finish', async () => {
    const topic = uniqueTopic('gap');
    await broker.createTopic(topic, 1);
    await broker.createTopic(`${topic}-dlt`, 1);
    await produce(kafka, topic, Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: String(i) })));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const sink = await RecordingSink.start(async (req) => {
      if (req.headers['kafka-offset'] === '10') await released;
      return { status: 200 };
    });
    const groupId = uniqueTopic('group');
    const { bridge } = await startInProcess(
      testConfig({
        bootstrap: broker.bootstrap,
        groupId,
        routes: [{ topics: [topic], url: sink.url, ordering: 'none', maxInFlight: 100, attempts: 1, endpoint: { url: sink.url, timeout: '20s' } }],
        kafka: { sessionTimeout: '60s' },
      }),
    );
    try {
      await waitFor('all but offset 10 delivered', () => sink.requests.length >= 50, 20_000);
      // Give the commit timer several ticks to (wrongly) move past the gap.
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 300));
        samples.push((await committedOffsets(kafka, groupId, topic)).get(0) ?? -1);
      }
      expect(samples.at(-1)).toBe(10);
      expect(Math.max(...samples)).toBe(10);
      release();
      await waitFor('committed to the end once the slow record finished', () => fullyCommitted(kafka, groupId, topic), 10_000, 200);
      expect((await committedOffsets(kafka, groupId, topic)).get(0)).toBe(50);
    } finally {
      release();
      await bridge.stop();
      await sink.stop();
    }
  }, 60_000);

  it('a slow record lets at most two in-flight windows be started past the last commit', async () => {
    const topic = uniqueTopic('window');
    await broker.createTopic(topic, 1);
    await broker.createTopic(`${topic}-dlt`, 1);
    await produce(kafka, topic, Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: String(i) })));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const sink = await RecordingSink.start(async (req) => {
      if (req.headers['kafka-offset'] === '0') await released;
      return { status: 200 };
    });
    const groupId = uniqueTopic('group');
    const { bridge } = await startInProcess(
      testConfig({
        bootstrap: broker.bootstrap,
        groupId,
        routes: [{ topics: [topic], url: sink.url, ordering: 'none', maxInFlight: 8, attempts: 1, endpoint: { url: sink.url, timeout: '20s' } }],
        kafka: { sessionTimeout: '60s' },
      }),
    );
    try {
      await waitFor('the window is used', () => sink.requests.length >= 8, 20_000);
      await new Promise((r) => setTimeout(r, 1500));
      // Nothing is committed past offset 0, so what a crash would deliver again is everything
      // started: offset 0 and the fifteen after it (2 × maxInFlight), and nothing more until
      // offset 0 finishes.
      expect(sink.requests.map((r) => Number(r.headers['kafka-offset'])).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i));
      release();
      await waitFor('everything delivered once released', () => sink.requests.length >= 100, 20_000);
      await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 10_000, 200);
      expect(new Set(sink.requests.map((r) => r.headers['kafka-offset'])).size).toBe(100);
    } finally {
      release();
      await bridge.stop();
      await sink.stop();
    }
  }, 60_000);
});
