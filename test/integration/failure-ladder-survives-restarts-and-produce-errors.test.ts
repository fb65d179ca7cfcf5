import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { ApiKey, DevBroker } from '../support/dev-broker.ts';
import { RecordingSink } from '../support/recording-sink.ts';
import { committedOffsets, fullyCommitted, kafkaFor, produce, uniqueTopic, waitFor, recordCount } from '../support/kafka-helpers.ts';
import { spawnBridge, startInProcess, testConfig, testConfigObject } from '../support/test-bridge.ts';

let broker: DevBroker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await DevBroker.start();
  kafka = kafkaFor(broker.bootstrap);
});

afterAll(async () => {
  await broker?.stop();
});

const total = (topic: string) => recordCount(kafka, topic);
const NOT_ENOUGH_REPLICAS = 19;

describe('failure ladder under restarts and produce errors', () => {
  it('records waiting in a retry tier across a restart are delivered once, when due', async () => {
    const topic = uniqueTopic('restart');
    await broker.createTopic(topic, 2);
    await broker.createTopic(`${topic}-retry`, 2);
    await broker.createTopic(`${topic}-dlt`, 2);
    const failed = new Set<string>();
    const sink = await RecordingSink.start((req) => {
      const body = req.body.toString();
      if (failed.has(body)) return { status: 200 };
      failed.add(body);
      return { status: 503 };
    });
    const groupId = uniqueTopic('group');
    // Every record fails once on purpose; the breaker would (rightly) read that as an outage.
    const config = testConfig({
      bootstrap: broker.bootstrap,
      groupId,
      routes: [{ topics: [topic], url: sink.url, attempts: 1, retry: { delays: ['6s'] }, circuitBreaker: { enabled: false } }],
    });
    await produce(kafka, topic, Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `r${i}` })));
    const first = await startInProcess(config);
    try {
      await waitFor('every record parked on the retry topic', async () => (await total(`${topic}-retry`)) === 20, 20_000, 100);
    } finally {
      await first.bridge.stop();
    }
    expect(sink.requests).toHaveLength(20);
    const second = await startInProcess(config);
    try {
      await waitFor('every record delivered from the retry tier', () => sink.requests.length >= 40, 30_000, 100);
      await waitFor('retry group committed', () => fullyCommitted(kafka, `${groupId}-retry`, `${topic}-retry`), 10_000, 200);
    } finally {
      await second.bridge.stop();
    }
    const byBody = new Map<string, number[]>();
    for (const r of sink.requests) byBody.set(r.body.toString(), [...(byBody.get(r.body.toString()) ?? []), r.receivedAt]);
    expect(byBody.size).toBe(20);
    for (const [body, times] of byBody) {
      expect(times, body).toHaveLength(2);
      expect(times[1]! - times[0]!, body).toBeGreaterThanOrEqual(6000 - 50);
    }
    await sink.stop();
  }, 90_000);

  it('a copy Kafka did not acknowledge keeps the source offset uncommitted, and nothing is lost', async () => {
    const topic = uniqueTopic('prodfail');
    await broker.createTopic(topic, 1);
    await broker.createTopic(`${topic}-retry`, 1);
    await broker.createTopic(`${topic}-dlt`, 1);
    await produce(kafka, topic, [{ key: 'a', value: 'only' }]);
    let calls = 0;
    const sink = await RecordingSink.start(() => ({ status: ++calls === 1 ? 503 : 200 }));
    // Every Produce request fails for a while: the bridge's copy cannot be acknowledged.
    await broker.pushRequestErrors(ApiKey.Produce, NOT_ENOUGH_REPLICAS, 30);
    const groupId = uniqueTopic('group');
    const samples: { committed: number; copies: number }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        // Committed first: a commit seen here happened before the copy count is read, so a
        // commit past the record with no copy yet would be a real violation, not a race.
        const committed = (await committedOffsets(kafka, groupId, topic)).get(0) ?? -1;
        const copies = await total(`${topic}-retry`);
        samples.push({ committed, copies });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const { bridge } = await startInProcess(
      testConfig({ bootstrap: broker.bootstrap, groupId, routes: [{ topics: [topic], url: sink.url, attempts: 1, retry: { delays: ['1s'] } }] }),
    );
    try {
      await waitFor('copy acknowledged and source committed', () => samples.some((s) => s.copies === 1 && s.committed === 1), 40_000, 100);
      sampling = false;
      await sampler;
      // Never committed past the record while its copy was missing.
      expect(samples.filter((s) => s.copies === 0 && s.committed >= 1)).toEqual([]);
      expect(samples.filter((s) => s.copies === 0).length).toBeGreaterThan(5);
      const failures = await bridge.metrics.copyFailures.get();
      expect(failures.values[0]?.value ?? 0).toBeGreaterThan(0);
      await waitFor('delivered from the retry tier', () => sink.requests.length >= 2, 20_000);
    } finally {
      sampling = false;
      await bridge.stop();
      await sink.stop();
    }
    expect(sink.requests.map((r) => r.headers['idempotency-key'])).toEqual([`${topic}-0-0`, `${topic}-0-0`]);
  }, 90_000);

  it('onFailure: block holds a failing key in place while other keys flow, and keeps its order', async () => {
    const topic = uniqueTopic('block');
    await broker.createTopic(topic, 1);
    await broker.createTopic(`${topic}-dlt`, 1);
    let failingSince: number | undefined;
    const answers: { body: string; status: number; at: number }[] = [];
    const sink = await RecordingSink.start((req) => {
      const body = req.body.toString();
      let status = 200;
      if (req.headers['kafka-key'] === 'K') {
        failingSince ??= Date.now();
        if (Date.now() - failingSince < 3000) status = 503;
      }
      answers.push({ body, status, at: Date.now() });
      return { status };
    });
    const messages = [];
    for (let i = 0; i < 10; i++) {
      messages.push({ key: 'K', value: `K-${i}` });
      messages.push({ key: `other-${i}`, value: `O-${i}` });
    }
    await produce(kafka, topic, messages);
    const groupId = uniqueTopic('group');
    const { bridge } = await startInProcess(
      testConfig({
        bootstrap: broker.bootstrap,
        groupId,
        routes: [
          {
            topics: [topic],
            url: sink.url,
            attempts: 2,
            onFailure: 'block',
            ordering: 'key',
            backoff: { initial: '100ms', max: '500ms' },
            // Most requests in the window fail; this test is about block mode, not the breaker.
            circuitBreaker: { enabled: false },
          },
        ],
      }),
    );
    try {
      await waitFor('key K delivered after its outage', () => answers.some((a) => a.body === 'K-9'), 30_000);
      await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 10_000, 200);
    } finally {
      await bridge.stop();
      await sink.stop();
    }
    const others = answers.filter((a) => a.body.startsWith('O'));
    expect(others).toHaveLength(10);
    // Other keys did not wait for K's 3 s outage.
    expect(Math.max(...others.map((a) => a.at)) - failingSince!).toBeLessThan(2500);
    // K: its head was retried in place (more than `attempts` times, no escalation) and
    // nothing later in K went before it; then K went out in order, once each.
    const k = answers.filter((a) => a.body.startsWith('K'));
    const failures = k.filter((a) => a.status === 503);
    expect(failures.length).toBeGreaterThan(2);
    expect(failures.every((a) => a.body === 'K-0')).toBe(true);
    expect(k.filter((a) => a.status === 200).map((a) => a.body)).toEqual(Array.from({ length: 10 }, (_, i) => `K-${i}`));
    expect(k.findIndex((a) => a.status === 200)).toBe(failures.length);
    expect(await total(`${topic}-dlt`)).toBe(0);
  }, 60_000);

  it('a missing dead-letter topic stops the bridge with its name; check says the same', async () => {
    const topic = uniqueTopic('nodlt');
    await broker.createTopic(topic, 1);
    await broker.createTopic(`${topic}-retry`, 1);
    const config = testConfigObject({
      bootstrap: broker.bootstrap,
      groupId: uniqueTopic('group'),
      routes: [{ topics: [topic], url: 'http://127.0.0.1:9/never', retry: { delays: ['1h'] } }],
    });
    const run = spawnBridge(config, ['run']);
    expect(await run.exited).not.toBe(0);
    const runErr = run.stderr.join('');
    expect(runErr).toContain(`${topic}-dlt`);
    expect(runErr).not.toContain(`${topic}-retry,`);
    expect(runErr).toContain('-retry"');
    const check = spawnBridge(config, ['check']);
    expect(await check.exited).not.toBe(0);
    expect(check.stderr.join('')).toContain(`${topic}-dlt`);
    // Nothing was auto-created by looking.
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(`${topic}-dlt`);
    await admin.disconnect();
  }, 60_000);
});
