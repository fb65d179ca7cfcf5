import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { DevBroker } from '../support/dev-broker.ts';
import { RecordingSink } from '../support/recording-sink.ts';
import { kafkaFor, produce, uniqueTopic, waitFor, fullyCommitted } from '../support/kafka-helpers.ts';
import { startInProcess, testConfig } from '../support/test-bridge.ts';
import { parsePrometheusText } from '../support/prometheus-text.ts';
import { Lifecycle } from '../../src/ops/lifecycle.ts';
import { startOpsServer } from '../../src/ops/ops-server.ts';

let broker: DevBroker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await DevBroker.start();
  kafka = kafkaFor(broker.bootstrap);
});

afterAll(async () => {
  await broker?.stop();
});

describe('ops endpoints', () => {
  it('/metrics parses as Prometheus text and counts deliveries; /health and /ready follow the lifecycle', async () => {
    const topic = uniqueTopic('ops');
    await broker.createTopic(topic, 2);
    await broker.createTopic(`${topic}-dlt`, 2);
    await produce(kafka, topic, Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: String(i) })));
    // Held until the test has looked at the draining state, so that a slow machine cannot
    // let the drain finish before the checks.
    let hold: Promise<void> | undefined;
    let release = () => {};
    const sink = await RecordingSink.start(async () => {
      if (hold !== undefined) await hold;
      return { status: 200 };
    });
    const groupId = uniqueTopic('group');
    const { bridge } = await startInProcess(testConfig({ bootstrap: broker.bootstrap, groupId, routes: [{ name: 'orders', topics: [topic], url: sink.url }] }));
    const base = `http://127.0.0.1:${bridge.port}`;
    try {
      await waitFor('delivered', () => sink.requests.length >= 40, 20_000);
      await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 10_000, 200);

      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', state: 'running' });

      const ready = await fetch(`${base}/ready`);
      expect(ready.status).toBe(200);
      const detail = (await ready.json()) as { state: string; routes: { name: string; partitions: unknown[]; inFlight: number; paused: boolean }[] };
      expect(detail.state).toBe('running');
      expect(detail.routes[0]).toMatchObject({ name: 'orders', inFlight: 0, paused: false });
      expect(detail.routes[0]!.partitions).toHaveLength(2);

      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      const samples = parsePrometheusText(await metrics.text());
      const value = (name: string, labels: Record<string, string>) =>
        samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
      expect(value('kafka_http_bridge_deliveries_total', { route: 'orders', outcome: 'delivered' })).toBe(40);
      expect(value('kafka_http_bridge_http_request_duration_seconds_count', { route: 'orders' })).toBe(40);
      expect(value('kafka_http_bridge_inflight_records', { route: 'orders' })).toBe(0);
      const committed = samples.filter((s) => s.name === 'kafka_http_bridge_committed_offset' && s.labels['topic'] === topic);
      expect(committed.map((s) => s.value).reduce((a, b) => a + b, 0)).toBe(40);
      const lag = samples.filter((s) => s.name === 'kafka_http_bridge_consumer_lag' && s.labels['topic'] === topic);
      expect(lag.every((s) => s.value === 0)).toBe(true);

      // While draining, /ready turns 503 and /health stays green.
      hold = new Promise<void>((r) => (release = r));
      await produce(kafka, topic, [{ key: 'late', value: 'x' }]);
      await waitFor('the slow record is in flight', () => sink.requests.length >= 41, 10_000);
      const stopping = bridge.stop();
      await waitFor('draining', () => bridge.lifecycle.state === 'draining', 5_000, 10);
      const drainingReady = await fetch(`${base}/ready`);
      expect(drainingReady.status).toBe(503);
      expect(await drainingReady.json()).toMatchObject({ ready: false, state: 'draining' });
      expect((await fetch(`${base}/health`)).status).toBe(200);
      release();
      await stopping;
      expect(bridge.lifecycle.state).toBe('stopped');
    } finally {
      release();
      await bridge.stop();
      await sink.stop();
    }
  }, 60_000);

  it('/health turns red when the bridge failed', async () => {
    const lifecycle = new Lifecycle(pino({ level: 'silent' }));
    const app = await startOpsServer({ lifecycle, registry: new Registry(), routes: () => [] }, '127.0.0.1', 0);
    try {
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(503);
      lifecycle.to('running');
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      lifecycle.to('failed', 'kafka consumer crashed and will not restart');
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'failed', reason: 'kafka consumer crashed and will not restart' });
    } finally {
      await app.close();
    }
  });
});
