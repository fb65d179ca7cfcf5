import { describe, expect, onTestFinished } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { produce, uniqueTopic, waitFor, fullyCommitted } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { parsePrometheusText } from '../support/prometheus-text.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';
import { Lifecycle } from '../../src/ops/lifecycle.ts';
import { startOpsServer } from '../../src/ops/ops-server.ts';

describe('ops endpoints', () => {
  test('/metrics parses as Prometheus text and counts deliveries; /health and /ready follow the lifecycle', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'ops', { partitions: 2 });
    await produce(kafka, topic, Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: String(i) })));
    // Held until the test has looked at the draining state, so that a slow machine cannot
    // let the drain finish before the checks.
    let holding = false;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    onTestFinished(() => release());
    sink.responder = async () => {
      if (holding) await released;
      return { status: 200 };
    };
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(testConfig({ bootstrap: cluster.bootstrap, groupId, routes: [{ name: 'orders', topics: [topic], url: sink.url }] }));
    const base = `http://127.0.0.1:${bridge.port}`;
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
    holding = true;
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
  }, 60_000);

  test('/health turns red when the bridge failed', async () => {
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
