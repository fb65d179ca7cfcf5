import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { ApiKey, DevBroker } from '../support/dev-broker.ts';
import { RecordingSink } from '../support/recording-sink.ts';
import { fullyCommitted, kafkaFor, produce, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
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

const INVALID_REQUEST = 42;

describe('a consumer kafkajs gives up on', () => {
  it('is replaced after an INVALID_REQUEST answer to SyncGroup, and delivery goes on', async () => {
    const topic = uniqueTopic('replace');
    await broker.createTopic(topic, 2);
    await broker.createTopic(`${topic}-dlt`, 2);
    await produce(kafka, topic, Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    const sink = await RecordingSink.start();
    await broker.pushRequestErrors(ApiKey.SyncGroup, INVALID_REQUEST, 1);
    const groupId = uniqueTopic('group');
    const { bridge, logs } = await startInProcess(
      testConfig({ bootstrap: broker.bootstrap, groupId, logLevel: 'info', routes: [{ topics: [topic], url: sink.url }] }),
    );
    try {
      await waitFor('delivered by the replacement consumer', () => sink.requests.length >= 50, 30_000, 100);
      await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 10_000, 200);
      expect(logs.lines.some((l) => l['msg'] === 'kafka consumer crashed' && l['restart'] === false)).toBe(true);
      expect(bridge.lifecycle.state).toBe('running');
      const metrics = await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text();
      // At least one: the abandoned member's session timing out is itself an overlapping
      // rebalance, which the dev broker may answer with INVALID_REQUEST once more.
      expect(metrics).toMatch(/kafka_http_bridge_consumer_restarts_total\{consumer="main"\} [1-9]/);
    } finally {
      await bridge.stop();
      await sink.stop();
    }
  }, 60_000);
});
