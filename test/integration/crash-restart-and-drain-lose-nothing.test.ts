import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { DevBroker } from '../support/dev-broker.ts';
import { RecordingSink } from '../support/recording-sink.ts';
import { fullyCommitted, kafkaFor, produce, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { spawnBridge, testConfigObject, waitForPort, type BridgeProcess } from '../support/test-bridge.ts';

let broker: DevBroker;
let kafka: Kafka;
const running: BridgeProcess[] = [];

beforeAll(async () => {
  broker = await DevBroker.start();
  kafka = kafkaFor(broker.bootstrap);
});

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await broker?.stop();
});

async function setup(count: number, partitions: number) {
  const topic = uniqueTopic('crash');
  await broker.createTopic(topic, partitions);
  await broker.createTopic(`${topic}-dlt`, partitions);
  await produce(kafka, topic, Array.from({ length: count }, (_, i) => ({ key: `k${i % 100}`, value: String(i) })), 1000);
  const groupId = uniqueTopic('group');
  return { topic, groupId };
}

function start(config: Record<string, unknown>): BridgeProcess {
  const p = spawnBridge(config);
  running.push(p);
  return p;
}

function distinctValues(sink: RecordingSink): Set<string> {
  return new Set(sink.requests.map((r) => r.body.toString()));
}

describe('process crashes and restarts', () => {
  it('kill -9 mid-stream, then a restart: every record is delivered', async () => {
    const count = 3000;
    const { topic, groupId } = await setup(count, 3);
    const sink = await RecordingSink.start(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return { status: 200 };
    });
    const config = testConfigObject({ bootstrap: broker.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url }], logLevel: 'info' });
    try {
      const first = start(config);
      await waitFor('some records delivered', () => sink.requests.length > 300, 30_000, 20);
      first.child.kill('SIGKILL');
      await first.exited;
      const before = sink.requests.length;
      expect(before).toBeLessThan(count);
      const second = start(config);
      await waitForPort(second);
      await waitFor('every record delivered after the restart', () => distinctValues(sink).size >= count, 60_000);
      await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 20_000, 250);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(distinctValues(sink).size).toBe(count);
      // Duplicates are possible after kill -9, but bounded by what was in flight and not
      // yet committed: never more than a fraction of the stream.
      expect(sink.requests.length - count).toBeLessThan(1000);
    } finally {
      await sink.stop();
    }
  }, 120_000);

  it('SIGTERM drains, commits and exits 0; a restart redelivers nothing', async () => {
    const count = 2000;
    const { topic, groupId } = await setup(count, 3);
    const sink = await RecordingSink.start(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return { status: 200 };
    });
    const config = testConfigObject({ bootstrap: broker.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url }], logLevel: 'info' });
    try {
      const first = start(config);
      await waitFor('some records delivered', () => sink.requests.length > 200, 30_000, 20);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      const afterDrain = sink.requests.length;
      expect(afterDrain).toBeLessThan(count);
      expect(first.logs.some((l) => l['msg'] === 'lifecycle: draining -> stopped')).toBe(true);
      const second = start(config);
      await waitForPort(second);
      await waitFor('every record delivered', () => sink.requests.length >= count, 60_000);
      await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 20_000, 250);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(sink.requests.length).toBe(count);
      expect(distinctValues(sink).size).toBe(count);
    } finally {
      await sink.stop();
    }
  }, 120_000);

  it('two instances share the partitions; when one is killed the other takes over and nothing is lost', async () => {
    const count = 4000;
    const { topic, groupId } = await setup(count, 4);
    const sink = await RecordingSink.start(async () => {
      await new Promise((r) => setTimeout(r, 3));
      return { status: 200 };
    });
    const config = testConfigObject({
      bootstrap: broker.bootstrap,
      groupId,
      routes: [{ topics: [topic], url: sink.url, maxInFlight: 8 }],
      logLevel: 'info',
      kafka: { sessionTimeout: '8s', heartbeatInterval: '500ms' },
    });
    try {
      const a = start(config);
      const b = start(config);
      await Promise.all([waitForPort(a), waitForPort(b)]);
      const assignedTo = (p: BridgeProcess) =>
        p.logs.filter((l) => l['msg'] === 'partitions assigned').map((l) => (l['assignment'] as Record<string, number[]>)[topic] ?? []);
      // Wait for a settled split rather than the first moment both own something: when the dev
      // broker answers overlapping rebalances with INVALID_REQUEST, an instance replaces its
      // consumer and the old member keeps a share until its session times out, so for a few
      // seconds the two instances may own three partitions between them.
      const split = () => [...(assignedTo(a).at(-1) ?? []), ...(assignedTo(b).at(-1) ?? [])];
      await waitFor(
        'the two instances split the partitions',
        () => (assignedTo(a).at(-1)?.length ?? 0) > 0 && (assignedTo(b).at(-1)?.length ?? 0) > 0 && split().length === 4 && new Set(split()).size === 4,
        30_000,
      );
      expect(new Set(split()).size).toBe(4);
      await waitFor('some records delivered', () => sink.requests.length > 400, 30_000, 20);
      a.child.kill('SIGKILL');
      await a.exited;
      await waitFor('the survivor owns every partition', () => (assignedTo(b).at(-1)?.length ?? 0) === 4, 30_000);
      await waitFor('every record delivered', () => distinctValues(sink).size >= count, 60_000);
      await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 20_000, 250);
      b.child.kill('SIGTERM');
      expect(await b.exited).toBe(0);
      expect(distinctValues(sink).size).toBe(count);
    } finally {
      await sink.stop();
    }
  }, 150_000);
});
