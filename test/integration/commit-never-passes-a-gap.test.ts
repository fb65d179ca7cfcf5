import { describe, expect, onTestFinished } from 'vitest';
import { committedOffsets, fullyCommitted, produce, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';

/** A promise the sink waits on, released by the test (and, whatever happens, when it ends). */
function gate(): { released: Promise<void>; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  onTestFinished(() => release());
  return { released, release };
}

describe('commits', () => {
  test('hold at a slow record while the records after it finish', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'gap');
    await produce(kafka, topic, Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: String(i) })));
    const { released, release } = gate();
    sink.responder = async (req) => {
      if (req.headers['kafka-offset'] === '10') await released;
      return { status: 200 };
    };
    const groupId = uniqueTopic('group');
    await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [{ topics: [topic], url: sink.url, ordering: 'none', maxInFlight: 100, attempts: 1, endpoint: { url: sink.url, timeout: '20s' } }],
        kafka: { sessionTimeout: '60s' },
      }),
    );
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
  }, 60_000);

  test('a slow record lets at most two in-flight windows be started past the last commit', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'window');
    await produce(kafka, topic, Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: String(i) })));
    const { released, release } = gate();
    sink.responder = async (req) => {
      if (req.headers['kafka-offset'] === '0') await released;
      return { status: 200 };
    };
    const groupId = uniqueTopic('group');
    await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [{ topics: [topic], url: sink.url, ordering: 'none', maxInFlight: 8, attempts: 1, endpoint: { url: sink.url, timeout: '20s' } }],
        kafka: { sessionTimeout: '60s' },
      }),
    );
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
  }, 60_000);
});
