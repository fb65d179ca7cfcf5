import { describe, expect } from 'vitest';
import type { Kafka } from 'kafkajs';
import { committedOffsets, fullyCommitted, produce, readAll, uniqueTopic, waitFor, recordCount } from '../support/kafka-helpers.ts';
import { testConfig, testConfigObject } from '../support/test-bridge.ts';
import { createRouteTopics, startCluster, test } from '../support/fixtures.ts';

/** The replicas of `topic`/`partition` that the cluster metadata lists as in sync now. */
async function inSyncReplicas(kafka: Kafka, topic: string, partition: number): Promise<number[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const p = topics[0]?.partitions.find((x) => x.partitionId === partition);
    return [...(p?.isr ?? [])].sort((a, b) => a - b);
  } finally {
    await admin.disconnect();
  }
}

describe('failure ladder under restarts and produce errors', () => {
  test('records waiting in a retry tier across a restart are delivered once, when due', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'restart', { partitions: 2, tiers: 1 });
    const failed = new Set<string>();
    sink.responder = (req) => {
      const body = req.body.toString();
      if (failed.has(body)) return { status: 200 };
      failed.add(body);
      return { status: 503 };
    };
    const groupId = uniqueTopic('group');
    // Every record fails once on purpose; the breaker would (rightly) read that as an outage.
    const config = testConfig({
      bootstrap: cluster.bootstrap,
      groupId,
      routes: [{ topics: [topic], url: sink.url, attempts: 1, retry: { delays: ['6s'] }, circuitBreaker: { enabled: false } }],
    });
    await produce(kafka, topic, Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `r${i}` })));
    const first = await bridges.inProcess(config);
    await waitFor('every record parked on the retry topic', async () => (await recordCount(kafka, `${topic}-retry`)) === 20, 20_000, 100);
    await first.bridge.stop();
    expect(sink.requests).toHaveLength(20);
    const second = await bridges.inProcess(config);
    await waitFor('every record delivered from the retry tier', () => sink.requests.length >= 40, 30_000, 100);
    await waitFor('retry group committed', () => fullyCommitted(kafka, `${groupId}-retry`, `${topic}-retry`), 10_000, 200);
    await second.bridge.stop();
    const byBody = new Map<string, number[]>();
    for (const r of sink.requests) byBody.set(r.body.toString(), [...(byBody.get(r.body.toString()) ?? []), r.receivedAt]);
    expect(byBody.size).toBe(20);
    for (const [body, times] of byBody) {
      expect(times, body).toHaveLength(2);
      expect(times[1]! - times[0]!, body).toBeGreaterThanOrEqual(6000 - 50);
    }
  }, 90_000);

  test('a copy Kafka did not acknowledge keeps the source offset uncommitted, and nothing is lost', async ({ sink, bridges }) => {
    // A cluster of its own: three brokers, replication 3 and min.insync.replicas 2, so that with
    // two brokers down Kafka refuses the copy with NOT_ENOUGH_REPLICAS. The controller runs
    // apart from the brokers, so killing two of them leaves a quorum that shrinks the ISR.
    const own = await startCluster({ brokers: 3, controller: 'separate' });
    const kafka = own.client();
    let bridge: Awaited<ReturnType<typeof bridges.inProcess>>['bridge'] | undefined;
    let sampling = true;
    let release = () => {};
    try {
      const { topic } = await createRouteTopics(own, 'prodfail', { tiers: 1, replication: 3 });
      await produce(kafka, topic, [{ key: 'a', value: 'only' }]);
      // The broker that survives leads the source partition and coordinates the group: the
      // fault hits the copy, not the bridge's fetches and commits.
      const survivor = await own.leader(topic, 0);
      let groupId = uniqueTopic('group');
      while ((await own.coordinator(groupId)) !== survivor) groupId = uniqueTopic('group');
      const victims = [1, 2, 3].filter((id) => id !== survivor);
      // The first attempt is answered 503 only once two brokers are down, so the bridge writes
      // its copy while Kafka cannot acknowledge it.
      const faultInPlace = new Promise<void>((r) => (release = r));
      let calls = 0;
      sink.responder = async () => {
        if (++calls === 1) {
          await faultInPlace;
          return { status: 503 };
        }
        return { status: 200 };
      };
      const samples: { committed: number; copies: number }[] = [];
      const sampler = (async () => {
        while (sampling) {
          try {
            // Committed first: a commit seen here happened before the copy count is read, so a
            // commit past the record with no copy yet would be a real violation, not a race.
            const committed = (await committedOffsets(kafka, groupId, topic)).get(0) ?? -1;
            const copies = await recordCount(kafka, `${topic}-retry`);
            samples.push({ committed, copies });
          } catch {
            // A read that met a dead broker is no sample.
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const started = await bridges.inProcess(
        testConfig({
          bootstrap: own.bootstrap,
          groupId,
          // The first answer is held while the brokers go down: timing out would write the copy
          // before Kafka refuses writes, into a leader still waiting for its dead followers. The
          // session must be at least twice the endpoint timeout.
          kafka: { sessionTimeout: '30s' },
          routes: [{ topics: [topic], url: sink.url, attempts: 1, retry: { delays: ['1s'] }, endpoint: { url: sink.url, timeout: '15s' } }],
        }),
      );
      bridge = started.bridge;
      await waitFor('first attempt in flight', () => sink.requests.length >= 1, 20_000, 50);
      await Promise.all(victims.map((id) => own.kill(id)));
      await waitFor('only the survivor in sync on the retry topic', async () => (await inSyncReplicas(kafka, `${topic}-retry`, 0)).join() === String(survivor), 30_000, 200);
      release();
      // Until its client finds the survivor, the bridge may also fail to reach a dead broker;
      // what matters is that Kafka itself refused the copy.
      const copyErrors = () =>
        started.logs.lines.filter((l) => l['msg'] === 'writing a copy failed; the record stays unfinished and the copy is written again').map((l) => String(l['error']));
      const notEnoughReplicas = /fewer in-sync replicas/i;
      await waitFor('Kafka refuses the copy with NOT_ENOUGH_REPLICAS', () => copyErrors().some((e) => notEnoughReplicas.test(e)), 30_000, 100).catch(() => undefined);
      expect(copyErrors()).toContainEqual(expect.stringMatching(notEnoughReplicas));
      // Kafka refuses the copy from now on: let the sampler watch that for a while.
      const refusedFrom = samples.length;
      await waitFor('samples taken while the copy is refused', () => samples.length - refusedFrom > 5, 30_000, 100);
      await Promise.all(victims.map((id) => own.startNode(id)));
      await waitFor('copy acknowledged and source committed', () => samples.some((s) => s.copies === 1 && s.committed === 1), 40_000, 100);
      sampling = false;
      await sampler;
      // Never committed past the record while its copy was missing.
      expect(samples.filter((s) => s.copies === 0 && s.committed >= 1)).toEqual([]);
      expect(samples.filter((s) => s.copies === 0).length).toBeGreaterThan(5);
      const failures = await bridge.metrics.copyFailures.get();
      expect(failures.values[0]?.value ?? 0).toBeGreaterThan(0);
      await waitFor('delivered from the retry tier', () => sink.requests.length >= 2, 20_000);
      await bridge.stop();
      expect(sink.requests.map((r) => r.headers['idempotency-key'])).toEqual([`${topic}-0-0`, `${topic}-0-0`]);
    } finally {
      sampling = false;
      release();
      // Before the cluster goes: a bridge stopping against no broker waits out its shutdown timeout.
      await bridge?.stop();
      await own.close();
    }
  }, 150_000);

  test('onFailure: block holds a failing key in place while other keys flow, and keeps its order', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'block');
    let failingSince: number | undefined;
    const answers: { body: string; status: number; at: number }[] = [];
    sink.responder = (req) => {
      const body = req.body.toString();
      let status = 200;
      if (req.headers['kafka-key'] === 'K') {
        failingSince ??= Date.now();
        if (Date.now() - failingSince < 3000) status = 503;
      }
      answers.push({ body, status, at: Date.now() });
      return { status };
    };
    const messages = [];
    for (let i = 0; i < 10; i++) {
      messages.push({ key: 'K', value: `K-${i}` });
      messages.push({ key: `other-${i}`, value: `O-${i}` });
    }
    await produce(kafka, topic, messages);
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
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
    await waitFor('key K delivered after its outage', () => answers.some((a) => a.body === 'K-9'), 30_000);
    await waitFor('committed', () => fullyCommitted(kafka, groupId, topic), 10_000, 200);
    await bridge.stop();
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
    expect(await recordCount(kafka, `${topic}-dlt`)).toBe(0);
  }, 60_000);

  test('onFailure: block sends a permanent failure to the DLT, and the key goes on behind it', async ({ cluster, kafka, sink, bridges }) => {
    const { topic, dlt } = await createRouteTopics(cluster, 'blockdlt');
    const tries = new Map<string, number>();
    sink.responder = (req) => {
      const body = req.body.toString();
      const n = (tries.get(body) ?? 0) + 1;
      tries.set(body, n);
      // K-0 fails transiently three times (held in place), K-1 is refused for good.
      if (body === 'K-0' && n <= 3) return { status: 503 };
      return { status: body === 'K-1' ? 400 : 200 };
    };
    await produce(kafka, topic, ['K-0', 'K-1', 'K-2'].map((value) => ({ key: 'K', value })));
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [{ topics: [topic], url: sink.url, attempts: 2, onFailure: 'block', circuitBreaker: { enabled: false } }],
      }),
    );
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 20_000, 100);
    await bridge.stop();
    // Held in place past `attempts`, then delivered; the permanent failure was not retried.
    expect(sink.requests.map((r) => `${r.body.toString()} ${r.headers['kafka-delivery-attempt']}`)).toEqual(['K-0 1', 'K-0 2', 'K-0 3', 'K-0 4', 'K-1 1', 'K-2 1']);
    const copies = await readAll(kafka, dlt);
    expect(copies).toHaveLength(1);
    expect(copies[0]!.value?.toString()).toBe('K-1');
    expect(copies[0]!.headers).toMatchObject({ 'bridge-reason': 'http-400', 'bridge-http-status': '400', 'bridge-attempts': '1', 'bridge-original-offset': '1' });
  }, 60_000);

  test('onFailure: block for three session timeouts: no rebalance, no duplicate, the commit held at the blocked record', async ({ cluster, kafka, sink, bridges }) => {
    const SESSION_MS = 6000;
    const { topic, dlt } = await createRouteTopics(cluster, 'blocklong');
    let blocking = true;
    sink.responder = (req) => ({ status: blocking && req.body.toString() === 'blocked' ? 503 : 200 });
    // Offset 0 is delivered at once, offset 1 blocks its key, the rest (other keys, then the
    // blocked key again) go on or wait behind it.
    await produce(kafka, topic, [
      { key: 'A', value: 'first' },
      { key: 'K', value: 'blocked' },
      ...Array.from({ length: 10 }, (_, i) => ({ key: `other-${i}`, value: `other-${i}` })),
      { key: 'K', value: 'K-after' },
    ]);
    const groupId = uniqueTopic('group');
    const { bridge, logs } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        logLevel: 'info',
        kafka: { sessionTimeout: `${SESSION_MS}ms`, heartbeatInterval: '1s' },
        routes: [{ topics: [topic], url: sink.url, attempts: 2, onFailure: 'block', backoff: { initial: '200ms', max: '1s' }, circuitBreaker: { enabled: false } }],
      }),
    );
    const members = async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const { groups } = await admin.describeGroups([groupId]);
        return groups[0]!.members.map((m) => m.memberId).sort();
      } finally {
        await admin.disconnect();
      }
    };
    const committed = async () => (await committedOffsets(kafka, groupId, topic)).get(0) ?? -1;
    await waitFor('offset 0 committed', async () => (await committed()) === 1, 20_000, 100);
    await waitFor('the other keys delivered', () => sink.requests.filter((r) => r.body.toString().startsWith('other-')).length === 10, 10_000, 50);
    const membersBefore = await members();
    // Sample the committed offset through the admin API while the record blocks.
    const samples: number[] = [];
    const blockedUntil = Date.now() + 3 * SESSION_MS;
    while (Date.now() < blockedUntil) {
      samples.push(await committed());
      await new Promise((r) => setTimeout(r, 1000));
    }
    const membersDuring = await members();
    blocking = false;
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 20_000, 100);
    await bridge.stop();

    expect(samples.length).toBeGreaterThanOrEqual(12);
    expect(new Set(samples)).toEqual(new Set([1]));
    // Still the same single member: never evicted, never rejoined.
    expect(membersBefore).toHaveLength(1);
    expect(membersDuring).toEqual(membersBefore);
    expect(logs.lines.filter((l) => l['msg'] === 'partitions assigned' && l['consumer'] === 'main')).toHaveLength(1);
    const blockedAttempts = sink.requests.filter((r) => r.body.toString() === 'blocked');
    expect(blockedAttempts.length).toBeGreaterThan(10);
    // Every record delivered once; the blocked one retried in place, its key waited behind it.
    const delivered = sink.requests.filter((r) => r.body.toString() !== 'blocked' || r === blockedAttempts.at(-1));
    expect(delivered.map((r) => r.headers['idempotency-key']).sort()).toEqual(Array.from({ length: 13 }, (_, i) => `${topic}-0-${i}`).sort());
    expect(sink.requests.findIndex((r) => r.body.toString() === 'K-after')).toBe(sink.requests.length - 1);
    expect(blockedAttempts.map((r) => r.headers['kafka-delivery-attempt'])).toEqual(blockedAttempts.map((_, i) => String(i + 1)));
    expect(await recordCount(kafka, dlt)).toBe(0);
  }, 90_000);

  test('a missing dead-letter topic stops the bridge with its name; check says the same', async ({ cluster, kafka, bridges }) => {
    const topic = uniqueTopic('nodlt');
    await cluster.createTopic({ name: topic, partitions: 1 });
    await cluster.createTopic({ name: `${topic}-retry`, partitions: 1 });
    const config = testConfigObject({
      bootstrap: cluster.bootstrap,
      groupId: uniqueTopic('group'),
      routes: [{ topics: [topic], url: 'http://127.0.0.1:9/never', retry: { delays: ['1h'] } }],
    });
    const run = bridges.spawn(config, ['run']);
    expect(await run.exited).not.toBe(0);
    const runErr = run.stderr.join('');
    expect(runErr).toContain(`${topic}-dlt`);
    expect(runErr).not.toContain(`${topic}-retry,`);
    expect(runErr).toContain('-retry"');
    const check = bridges.spawn(config, ['check']);
    expect(await check.exited).not.toBe(0);
    expect(check.stderr.join('')).toContain(`${topic}-dlt`);
    // Nothing was auto-created by looking.
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(`${topic}-dlt`);
    await admin.disconnect();
  }, 60_000);
});
