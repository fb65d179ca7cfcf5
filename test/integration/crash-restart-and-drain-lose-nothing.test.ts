import { describe, expect } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { KafkaCluster } from '../../tools/kafka/kafka-cluster.ts';
import type { RecordingSink } from '../support/recording-sink.ts';
import { fullyCommitted, produce, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { testConfigObject, waitForPort, type BridgeProcess } from '../support/test-bridge.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';

async function setup(cluster: KafkaCluster, kafka: Kafka, count: number, partitions: number) {
  const { topic } = await createRouteTopics(cluster, 'crash', { partitions });
  await produce(kafka, topic, Array.from({ length: count }, (_, i) => ({ key: `k${i % 100}`, value: String(i) })), 1000);
  const groupId = uniqueTopic('group');
  return { topic, groupId };
}

/** The sink answers 200 after `ms`, so that a stream takes long enough to be interrupted. */
function answerAfter(sink: RecordingSink, ms: number): void {
  sink.responder = async () => {
    await new Promise((r) => setTimeout(r, ms));
    return { status: 200 };
  };
}

function distinctValues(sink: RecordingSink): Set<string> {
  return new Set(sink.requests.map((r) => r.body.toString()));
}

describe('process crashes and restarts', () => {
  test('kill -9 mid-stream, then a restart: every record is delivered', async ({ cluster, kafka, sink, bridges }) => {
    const count = 3000;
    const { topic, groupId } = await setup(cluster, kafka, count, 3);
    answerAfter(sink, 5);
    const config = testConfigObject({ bootstrap: cluster.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url }], logLevel: 'info' });
    const first = bridges.spawn(config);
    await waitFor('some records delivered', () => sink.requests.length > 300, 30_000, 20);
    first.child.kill('SIGKILL');
    await first.exited;
    const before = sink.requests.length;
    expect(before).toBeLessThan(count);
    const second = bridges.spawn(config);
    await waitForPort(second);
    await waitFor('every record delivered after the restart', () => distinctValues(sink).size >= count, 60_000);
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 20_000, 250);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(distinctValues(sink).size).toBe(count);
    // Duplicates are possible after kill -9, but bounded by what was in flight and not
    // yet committed: never more than a fraction of the stream.
    expect(sink.requests.length - count).toBeLessThan(1000);
  }, 120_000);

  test('SIGTERM drains, commits and exits 0; a restart redelivers nothing', async ({ cluster, kafka, sink, bridges }) => {
    const count = 2000;
    const { topic, groupId } = await setup(cluster, kafka, count, 3);
    answerAfter(sink, 5);
    const config = testConfigObject({ bootstrap: cluster.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url }], logLevel: 'info' });
    const first = bridges.spawn(config);
    await waitFor('some records delivered', () => sink.requests.length > 200, 30_000, 20);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const afterDrain = sink.requests.length;
    expect(afterDrain).toBeLessThan(count);
    expect(first.logs.some((l) => l['msg'] === 'lifecycle: draining -> stopped')).toBe(true);
    const second = bridges.spawn(config);
    await waitForPort(second);
    await waitFor('every record delivered', () => sink.requests.length >= count, 60_000);
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 20_000, 250);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(sink.requests.length).toBe(count);
    expect(distinctValues(sink).size).toBe(count);
  }, 120_000);

  test('two instances share the partitions; when one is killed the other takes over and nothing is lost', async ({ cluster, kafka, sink, bridges }) => {
    const count = 4000;
    const { topic, groupId } = await setup(cluster, kafka, count, 4);
    answerAfter(sink, 3);
    const config = testConfigObject({
      bootstrap: cluster.bootstrap,
      groupId,
      routes: [{ topics: [topic], url: sink.url, maxInFlight: 8 }],
      logLevel: 'info',
      kafka: { sessionTimeout: '8s', heartbeatInterval: '500ms' },
    });
    const a = bridges.spawn(config);
    const b = bridges.spawn(config);
    await Promise.all([waitForPort(a), waitForPort(b)]);
    const assignedTo = (p: BridgeProcess) =>
      p.logs.filter((l) => l['msg'] === 'partitions assigned').map((l) => (l['assignment'] as Record<string, number[]>)[topic] ?? []);
    // Each instance logs its share of a new generation on its own, one after the other: until
    // both have, the last lines of the two may still add up to an earlier generation's.
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
  }, 150_000);
});
