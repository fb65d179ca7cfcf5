/**
 * Faults of the endpoint and of the bridge processes, on Apache Kafka: each scenario breaks
 * something, heals it, lets the backlog drain and checks the invariants L, D, O, C and R
 * (support/workload.ts, docs/reliability.md).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SteadyProducer } from '../chaos/steady-producer.ts';
import { committedOffsets, readAll, waitFor } from '../support/kafka-helpers.ts';
import type { BridgeProcess } from '../support/test-bridge.ts';
import { SESSION_TIMEOUT_MS, WINDOW, faultSuite, type Scenario } from './support/scenario.ts';

const scenario = faultSuite(afterEach);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Partitions each process owns by its latest assignment. */
function owned(s: Scenario, p: BridgeProcess): number[] {
  const last = p.logs.filter((l) => l['msg'] === 'partitions assigned' && l['consumer'] === 'main').at(-1);
  return ((last?.['assignment'] as Record<string, number[]> | undefined)?.[s.topic] ?? []).slice().sort();
}

/** Runs `during` with a steady producer going, then adds what it produced to the workload. */
async function underSteadyLoad(s: Scenario, perSecond: number, during: () => Promise<void>): Promise<void> {
  const producer = new SteadyProducer(s.kafka, s.topic, s.options.keys ?? 100, perSecond);
  await producer.start();
  try {
    await Promise.race([during(), producer.failed]);
  } finally {
    await producer.stop();
    s.produced.push(...producer.produced);
  }
}

describe('endpoint and process faults on Apache Kafka', () => {
  it('S1: sink bursts of 5xx, timeouts, then a 30 s outage', async () => {
    const s = await scenario({ perKey: 10 });
    let phase: 'flaky' | 'slow' | 'down' | 'ok' = 'flaky';
    s.sink.behaviour = () => {
      if (phase === 'flaky') return { status: Math.random() < 0.3 ? 503 : 200 };
      if (phase === 'slow') return Math.random() < 0.3 ? { status: 504, delayMs: 1500 } : { status: 200 };
      if (phase === 'down') return { status: 503 };
      return { status: 200 };
    };
    await s.produce(4);
    const p = await s.startBridge();
    await sleep(2000);
    phase = 'slow';
    await s.produce(3);
    await sleep(2000);
    phase = 'down';
    await s.produce(3);
    await sleep(30_000);
    phase = 'ok';
    await s.drained(10_000);
    await s.sigterm(p);
    await s.check(0);
  }, 120_000);

  it('S2: sink latency above the session timeout does not cost the group membership', async () => {
    const s = await scenario({ perKey: 5 });
    let slow = true;
    s.sink.behaviour = () => (slow ? { status: 200, delayMs: SESSION_TIMEOUT_MS + 2000 } : { status: 200 });
    await s.produce();
    const p = await s.startBridge();
    await sleep(SESSION_TIMEOUT_MS + 4000);
    slow = false;
    await s.drained(10_000);
    // Requests time out (endpoint.timeout) long before the session would: heartbeats never
    // stopped, so the member was never evicted and never rejoined.
    expect(s.rebalances()).toBe(0);
    await s.sigterm(p);
    // The slow answers were 200s the bridge had already given up on: each is a duplicate by
    // design (the endpoint sees the same idempotency key again).
    const report = await s.check(Number.MAX_SAFE_INTEGER);
    const late = s.sink.attempts.filter((a) => a.status === 200 && a.answeredAt - a.at > 1500).length;
    expect(report.duplicates).toBeLessThanOrEqual(late);
  }, 90_000);

  it('S3: poison records land in the DLT with a reason; hop-by-hop headers are stripped; lag reaches 0', async () => {
    const s = await scenario({ perKey: 3, route: { endpoint: { maxBodyBytes: 1024 } } });
    await s.produce();
    const producer = s.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: s.topic,
      acks: -1,
      messages: [
        { key: 'poison-null', value: null },
        { key: 'poison-big', value: 'x'.repeat(2000) },
        { key: 'poison-crlf', value: 'crlf', headers: { traceparent: 'abc\r\nx-injected: 1' } },
        { key: 'hop-by-hop', value: 'hop', headers: { 'transfer-encoding': 'chunked', host: 'evil.example', traceparent: 'ok' } },
      ],
    });
    await producer.disconnect();
    const p = await s.startBridge();
    await s.drained();
    const dlt = await readAll(s.kafka, `${s.topic}-dlt`);
    const reasons = Object.fromEntries(dlt.map((r) => [r.key?.toString() ?? '', r.headers['bridge-reason']]));
    expect(reasons).toEqual({ 'poison-null': 'null-value', 'poison-big': 'body-too-large', 'poison-crlf': 'invalid-header' });
    const hop = s.sink.requests.find((r) => r.body.toString() === 'hop');
    expect(hop).toBeDefined();
    expect(hop!.headers['host']).not.toBe('evil.example');
    expect(hop!.headers['transfer-encoding']).toBeUndefined();
    expect(hop!.headers['traceparent']).toBe('ok');
    expect(p.child.exitCode).toBeNull();
    await s.sigterm(p);
    await s.check(0);
  }, 90_000);

  it('S11: three SIGTERM restarts deliver no duplicate; then three kill -9 stay within the window', async () => {
    const s = await scenario({ perKey: 40 });
    s.sink.behaviour = () => ({ status: 200, delayMs: 10 });
    await s.produce();
    // Each round lets the instance make progress, then stops it mid-stream.
    const round = async (stop: (p: BridgeProcess) => Promise<void>) => {
      const p = await s.startBridge();
      const before = s.sink.attempts.length;
      await waitFor('progress in this round', () => s.sink.attempts.length >= before + 300, 30_000, 20);
      await stop(p);
    };
    for (let i = 0; i < 3; i++) await round((p) => s.sigterm(p));
    const clean = s.sink.delivered();
    expect(new Set(clean.map((a) => a.idempotencyKey)).size).toBe(clean.length);
    for (let i = 0; i < 3; i++) await round((p) => s.kill9(p));
    const last = await s.startBridge();
    // After a kill -9 the dead member stays in the group until its session times out; the
    // rebalance completes as soon as it is gone.
    await s.drained();
    await s.sigterm(last);
    await s.check(WINDOW * s.crashes);
  }, 240_000);

  it('S12: a rolling restart while the route is paused keeps it paused', async () => {
    const s = await scenario({ perKey: 5 });
    let down = true;
    const healthServer = createServer((_req, res) => {
      res.writeHead(down ? 503 : 200);
      res.end();
    });
    await new Promise<void>((resolve) => healthServer.listen(0, '127.0.0.1', resolve));
    const { port } = healthServer.address() as AddressInfo;
    s.options = {
      ...s.options,
      route: { healthCheck: { url: `http://127.0.0.1:${port}/health`, interval: '200ms', timeout: '100ms', unhealthyAfter: 1, healthyAfter: 1 } },
    };
    await s.produce();
    try {
      const a = await s.startBridge();
      const b = await s.startBridge();
      await sleep(SESSION_TIMEOUT_MS);
      for (const old of [a, b]) {
        await s.sigterm(old);
        await s.startBridge();
        await sleep(SESSION_TIMEOUT_MS);
      }
      await sleep(SESSION_TIMEOUT_MS);
      expect(s.sink.attempts).toEqual([]);
      down = false;
      await s.drained(10_000);
      for (const p of s.processes.slice(2)) await s.sigterm(p);
      // Records flow only after the heal; every start and stop before it was a rebalance
      // while nothing was in flight.
      await s.check(0);
    } finally {
      healthServer.close();
    }
  }, 180_000);

  it('S13: a bridge frozen longer than the session timeout loses its partitions and never commits them after it thaws', async () => {
    const s = await scenario({ perKey: 30 });
    s.sink.behaviour = () => ({ status: 200, delayMs: 10 });
    await s.produce();
    const a = await s.startBridge();
    const b = await s.startBridge();
    await waitFor('the two instances split the partitions', () => owned(s, a).length > 0 && owned(s, b).length > 0 && owned(s, a).length + owned(s, b).length === 3, 30_000);
    await waitFor('some delivered', () => s.sink.attempts.length > 300, 30_000, 20);
    const frozenOwned = owned(s, a);
    a.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    await waitFor('the other instance takes every partition', () => owned(s, b).length === 3, 2 * SESSION_TIMEOUT_MS + 10_000, 100);
    s.notes['takeoverMs'] = Date.now() - frozenAt;
    await waitFor('the other instance moves past the frozen one', async () => {
      const committed = await committedOffsets(s.kafka, s.groupId, s.topic);
      return frozenOwned.every((p) => (committed.get(p) ?? -1) > 0);
    }, 30_000, 200);
    const beforeThaw = await committedOffsets(s.kafka, s.groupId, s.topic);
    a.child.kill('SIGCONT');
    await s.drained(10_000);
    await s.sigterm(a);
    await s.sigterm(b);
    // What the thawed instance still held for partitions it lost must never reach Kafka: a
    // commit from it would rewind the group. The coordinator refuses its stale generation, and
    // the bridge drops partitions it learns it lost before committing again.
    const samples = s.sampler.samples.filter((x) => x.at >= frozenAt);
    for (const p of frozenOwned) {
      const offsets = samples.filter((x) => x.partition === p).map((x) => x.offset);
      const rewinds = offsets.filter((o, i) => i > 0 && o < offsets[i - 1]!);
      expect(rewinds, `partition ${p}: committed offset never moves back`).toEqual([]);
      expect(offsets.length, `partition ${p}: commits were sampled after the freeze`).toBeGreaterThan(0);
    }
    const afterThaw = await committedOffsets(s.kafka, s.groupId, s.topic);
    for (const p of frozenOwned) expect(afterThaw.get(p), `partition ${p}`).toBeGreaterThanOrEqual(beforeThaw.get(p) ?? 0);
    await s.check(WINDOW * Math.max(1, s.rebalances()));
  }, 180_000);

  it('S14: a rolling restart of three instances under steady load, one at a time after the new one is ready', async () => {
    const s = await scenario({ perKey: 0, partitions: 6 });
    s.sink.behaviour = () => ({ status: 200, delayMs: 5 });
    const perRestart: number[] = [];
    await underSteadyLoad(s, 200, async () => {
      const fleet = [await s.startBridge(), await s.startBridge(), await s.startBridge()];
      for (const p of fleet) await s.ready(p);
      await sleep(3000);
      for (const old of [...fleet]) {
        const duplicatesBefore = duplicateCount(s);
        // As Kubernetes does with maxSurge 1, maxUnavailable 0: the new pod first, then the old one.
        const fresh = await s.startBridge();
        await s.ready(fresh);
        await s.sigterm(old);
        await sleep(3000);
        perRestart.push(duplicateCount(s) - duplicatesBefore);
      }
    });
    await s.drained();
    for (const p of s.processes.slice(3)) await s.sigterm(p);
    s.notes['duplicatesPerRestart'] = perRestart;
    // A drained instance commits all it finished: what the others redeliver is what they had
    // in flight on partitions that moved at each rebalance.
    await s.check(WINDOW * Math.max(1, s.rebalances()));
  }, 180_000);

  it('S15: scaling from one instance to three and back to one under steady load', async () => {
    const s = await scenario({ perKey: 0, partitions: 6 });
    s.sink.behaviour = () => ({ status: 200, delayMs: 5 });
    await underSteadyLoad(s, 200, async () => {
      const first = await s.startBridge();
      await s.ready(first);
      await sleep(3000);
      const added = [await s.startBridge(), await s.startBridge()];
      for (const p of added) await s.ready(p);
      await waitFor('three instances share the partitions', () => s.processes.every((p) => owned(s, p).length === 2), 30_000, 100);
      await sleep(3000);
      for (const p of added) await s.sigterm(p);
      await waitFor('the first instance owns every partition again', () => owned(s, first).length === 6, 30_000, 100);
      await sleep(2000);
    });
    await s.drained();
    await s.sigterm(s.processes[0]!);
    s.notes['duplicates'] = duplicateCount(s);
    await s.check(WINDOW * Math.max(1, s.rebalances()));
  }, 180_000);
});

function duplicateCount(s: Scenario): number {
  const perId = new Map<string, number>();
  for (const a of s.sink.delivered()) perId.set(a.idempotencyKey, (perId.get(a.idempotencyKey) ?? 0) + 1);
  let n = 0;
  for (const c of perId.values()) n += c - 1;
  return n;
}
