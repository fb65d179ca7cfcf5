/**
 * batch.splitOnFailure: an endpoint that refuses a whole batch because of one record in it
 * (400, no per-record results) gets halves until the culprit stands alone. Only the culprit
 * is dead-lettered; the others are delivered, in order.
 */
import { describe, expect } from 'vitest';
import { fullyCommitted, produce, readAll, waitFor } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test, uniqueTopic } from '../support/fixtures.ts';

interface Envelope {
  value: string;
}

describe('batch.splitOnFailure', () => {
  test('a batch with one poison record delivers the others and dead-letters only that one', async ({ cluster, kafka, sink, bridges }) => {
    const { topic, dlt } = await createRouteTopics(cluster, 'split');
    const values = Array.from({ length: 12 }, (_, i) => (i === 7 ? 'poison' : `ok-${i}`));
    await produce(kafka, topic, values.map((value) => ({ key: 'one-key', value })));
    sink.responder = (req) => ((JSON.parse(req.body.toString()) as Envelope[]).some((e) => e.value === 'poison') ? { status: 400, body: 'one bad record' } : { status: 200 });
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [{ topics: [topic], url: sink.url, ordering: 'partition', batch: { maxRecords: 12, maxWait: '500ms', splitOnFailure: true } }],
      }),
    );
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 30_000, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text();
    await bridge.stop();
    const delivered = sink.requests.filter((r) => !(JSON.parse(r.body.toString()) as Envelope[]).some((e) => e.value === 'poison')).flatMap((r) => (JSON.parse(r.body.toString()) as Envelope[]).map((e) => e.value));
    // Every good record once, in offset order (one key, one partition, halves one after the other).
    expect(delivered).toEqual(values.filter((v) => v !== 'poison'));
    const dead = await readAll(kafka, dlt);
    expect(dead.map((r) => r.value!.toString())).toEqual(['poison']);
    expect(dead[0]!.headers['bridge-reason']).toBe('http-400');
    // 12 → 6+6 → 3+3 → 2+1 → 1+1: four splits on the way to the culprit.
    expect(metrics).toMatch(/kafka_http_bridge_batch_splits_total\{route="route-0"\} 4/);
    const sizes = sink.requests.map((r) => (JSON.parse(r.body.toString()) as Envelope[]).length);
    expect(sizes[0]).toBe(12);
    expect(Math.max(...sizes.slice(1))).toBeLessThanOrEqual(6);
  }, 60_000);
});
