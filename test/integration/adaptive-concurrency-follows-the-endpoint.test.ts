/**
 * `concurrency.mode: adaptive` against real Kafka and a real HTTP server that turns away
 * (503) every request beyond 8 at once: the limit shrinks to what the endpoint takes, the
 * 503s stay few, and once the endpoint takes everything the limit grows back. The limit is
 * read where operators read it, `concurrency_limit{route}` on /metrics.
 */
import { describe, expect } from 'vitest';
import { fullyCommitted, produce, recordCount, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { parsePrometheusText } from '../support/prometheus-text.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';

const CAPACITY = 8;

async function concurrencyLimit(port: number): Promise<number> {
  const samples = parsePrometheusText(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  return samples.find((s) => s.name === 'kafka_http_bridge_concurrency_limit' && s.labels['route'] === 'fragile')!.value;
}

describe('adaptive concurrency', () => {
  test('shrinks under 503s to what the endpoint takes, and grows back after it recovers', async ({ cluster, kafka, sink, bridges }) => {
    const { topic, dlt } = await createRouteTopics(cluster, 'adaptive', { partitions: 4 });
    const count = 40_000;
    await produce(kafka, topic, Array.from({ length: count }, (_, i) => ({ key: `k${i % 500}`, value: JSON.stringify({ i }) })), 2000);
    let fragile = true;
    let open = 0;
    let turnedAway = 0;
    let answered = 0;
    const accepted = new Set<string>();
    sink.responder = async (req) => {
      answered++;
      if (fragile && open >= CAPACITY) {
        turnedAway++;
        return { status: 503 };
      }
      open++;
      await new Promise((r) => setTimeout(r, 5));
      open--;
      accepted.add(String(req.headers['idempotency-key']));
      return { status: 200 };
    };
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [
          {
            name: 'fragile',
            topics: [topic],
            url: sink.url,
            ordering: 'none',
            maxInFlight: 128,
            concurrency: { mode: 'adaptive', min: 1 },
            onFailure: 'block',
            backoff: { initial: '5ms', max: '20ms' },
            // The breaker would pause the route on the first burst of 503s; this test is about the limit.
            circuitBreaker: { enabled: false },
          },
        ],
      }),
    );
    await waitFor('the limit settles', () => answered > 3000, 30_000);
    const settled: number[] = [];
    const before = { answered, turnedAway };
    for (let i = 0; i < 10; i++) {
      settled.push(await concurrencyLimit(bridge.port));
      await new Promise((r) => setTimeout(r, 100));
    }
    const shareTurnedAway = (turnedAway - before.turnedAway) / (answered - before.answered);
    console.log(`fragile: limit ${settled.join(' ')}, ${(shareTurnedAway * 100).toFixed(1)}% of answers were 503`);
    expect(Math.max(...settled)).toBeLessThanOrEqual(2 * CAPACITY);
    // A cliff gives no warning: the limit finds it by touching it. And 503s cut only when most
    // fresh answers are 503 (records failing on their own must not drive the limit down), so
    // the bouncing slots above the cliff answer a fifth to a third of the requests; a majority
    // would mean the limit no longer follows the cliff.
    expect(shareTurnedAway).toBeLessThan(0.5);

    fragile = false;
    await waitFor('the limit grows back', async () => (await concurrencyLimit(bridge.port)) >= 4 * CAPACITY, 30_000, 100);
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 60_000, 250);
    await bridge.stop();
    // Nothing was given up on: every record was accepted by the endpoint, none dead-lettered.
    expect(accepted.size).toBe(count);
    expect(await recordCount(kafka, dlt)).toBe(0);
  }, 120_000);
});
