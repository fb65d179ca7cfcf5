/**
 * Fault injection: each scenario breaks something (the sink, the broker, the group), heals
 * it, lets the backlog drain, and then checks the invariants L, D, O, C and R (see
 * support/workload.ts). Faults come from the dev broker's error injection (request errors
 * per API key, brokers down/up, RTT, leader moves) and from the recording sink.
 *
 * Kafka error codes used: 1 OFFSET_OUT_OF_RANGE, 7 REQUEST_TIMED_OUT, 16 NOT_COORDINATOR,
 * 19 NOT_ENOUGH_REPLICAS, 22 ILLEGAL_GENERATION, 25 UNKNOWN_MEMBER_ID, 27 REBALANCE_IN_PROGRESS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../support/dev-broker.ts';
import { readAll, waitFor } from '../support/kafka-helpers.ts';
import { SESSION_TIMEOUT_MS, Scenario, WINDOW } from './support/scenario.ts';

let current: Scenario | undefined;
afterEach(async (ctx) => {
  // A failed scenario shows what the bridges said: warnings and errors of every process.
  if (ctx.task.result?.state === 'fail' && current !== undefined) {
    current.processes.forEach((p, i) => {
      const lines = p.logs.filter((l) => Number(l['level']) >= 40 || String(l['msg']).startsWith('lifecycle') || l['msg'] === 'partitions assigned');
      console.error(`--- bridge process ${i} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'})\n${lines.slice(-40).map((l) => JSON.stringify(l)).join('\n')}`);
    });
  }
  await current?.close();
  current = undefined;
});

async function scenario(options: Parameters<typeof Scenario.create>[0] = {}): Promise<Scenario> {
  current = await Scenario.create(options);
  return current;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault injection', () => {
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

  it('S4: produce errors while writing retry and DLT copies never lose a record', async () => {
    const s = await scenario({ perKey: 5, route: { attempts: 1 } });
    // Every tenth key fails: on the main topic (503 → retry copy) and, with 400, to the DLT.
    s.sink.behaviour = (req) => {
      const { key } = JSON.parse(req.body.toString()) as { key: string };
      const n = Number(key.split('-')[1]);
      if (n % 10 === 0 && req.headers['kafka-delivery-attempt'] === '1') return { status: 503 };
      if (n % 10 === 5) return { status: 400 };
      return { status: 200 };
    };
    await s.produce();
    await s.broker.pushRequestErrors(ApiKey.Produce, 19, 15);
    await s.broker.pushRequestErrors(ApiKey.Produce, 7, 15);
    const p = await s.startBridge();
    await s.drained(20_000);
    await waitFor('retried records delivered', () => s.sink.delivered().filter((a) => a.attempt === 2).length >= 50, 20_000, 200);
    await s.sigterm(p);
    await s.check(0);
    const failures = p.logs.filter((l) => l['msg'] === 'writing a copy failed; the record stays unfinished and the copy is written again');
    expect(failures.length).toBeGreaterThan(0);
  }, 120_000);

  it('S5: OffsetCommit errors are retried; nothing is committed past a gap', async () => {
    const s = await scenario({ perKey: 10 });
    s.sink.behaviour = () => ({ status: 200, delayMs: 5 });
    await s.produce();
    const p = await s.startBridge();
    for (const code of [27, 22, 16, 25]) await s.broker.pushRequestErrors(ApiKey.OffsetCommit, code, 3);
    await s.drained(10_000);
    await s.sigterm(p);
    await s.check(WINDOW * s.rebalances());
    expect(p.logs.some((l) => l['msg'] === 'offset commit failed; will retry')).toBe(true);
  }, 90_000);

  it('S6: heartbeat, JoinGroup and SyncGroup errors mid-batch with two instances', async () => {
    const s = await scenario({ perKey: 20 });
    s.sink.behaviour = () => ({ status: 200, delayMs: 10 });
    await s.produce();
    const a = await s.startBridge();
    const b = await s.startBridge();
    await waitFor('both instances consuming', () => s.sink.attempts.length > 200, 30_000, 100);
    await s.broker.pushRequestErrors(ApiKey.Heartbeat, 27, 2);
    await sleep(1000);
    await s.broker.pushRequestErrors(ApiKey.JoinGroup, 27, 1);
    await s.broker.pushRequestErrors(ApiKey.SyncGroup, 27, 1);
    await s.drained(30_000);
    await s.sigterm(a);
    await s.sigterm(b);
    await s.check(WINDOW * Math.max(1, s.rebalances()));
  }, 150_000);

  it('S7: fetch OFFSET_OUT_OF_RANGE never skips data', async () => {
    const s = await scenario({ perKey: 10 });
    s.sink.behaviour = () => ({ status: 200, delayMs: 5 });
    await s.produce(5);
    const p = await s.startBridge();
    await waitFor('some delivered', () => s.sink.attempts.length > 100, 20_000, 50);
    await s.broker.pushRequestErrors(ApiKey.Fetch, 1, 2);
    await s.produce(5);
    await s.drained(10_000);
    const metrics = await (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text();
    await s.sigterm(p);
    // A reset rewinds to the earliest offset (fromBeginning): records seen again are
    // recognised and skipped, so no duplicates and nothing skipped.
    await s.check(0);
    expect(metrics).toMatch(/kafka_http_bridge_offset_resets_total\{[^}]*\} [1-9]/);
  }, 90_000);

  it('S8: all brokers down for longer than the session timeout: recovers, or exits non-zero with a red /health', async () => {
    const s = await scenario({ perKey: 10 });
    s.sink.behaviour = () => ({ status: 200, delayMs: 5 });
    await s.produce(5);
    let p = await s.startBridge();
    await waitFor('some delivered', () => s.sink.attempts.length > 100, 20_000, 50);
    await s.broker.command('down -1');
    const healthDuringOutage: number[] = [];
    const watch = setInterval(() => {
      void fetch(`http://127.0.0.1:${p.port}/health`).then(
        (r) => healthDuringOutage.push(r.status),
        () => healthDuringOutage.push(0),
      );
    }, 500);
    await sleep(SESSION_TIMEOUT_MS + 4000);
    await s.broker.command('up -1');
    await s.produce(5);
    const recovered = await waitFor('drained after the brokers came back', () => s.drained(20_000).then(() => true), 60_000).then(
      () => true,
      () => false,
    );
    clearInterval(watch);
    if (!recovered || p.child.exitCode !== null) {
      // Not recovered in place: then it must have said so and exited non-zero (never a zombie).
      expect(p.child.exitCode === null ? 'alive but idle' : p.child.exitCode).not.toBe(0);
      expect(healthDuringOutage).toContain(503);
      p = await s.startBridge();
      await s.drained(10_000);
    }
    await s.sigterm(p);
    await s.check(WINDOW * (s.rebalances() + 1));
  }, 150_000);

  it('S9: a broker round trip of 5 s slows things down but loses nothing', async () => {
    const s = await scenario({ perKey: 5 });
    await s.produce();
    const p = await s.startBridge();
    await waitFor('some delivered', () => s.sink.attempts.length > 50, 20_000, 50);
    await s.broker.setRtt(-1, 5000);
    await s.produce(3);
    await sleep(10_000);
    await s.broker.setRtt(-1, 0);
    await s.drained(30_000);
    await s.sigterm(p);
    await s.check(WINDOW * (s.rebalances() + 1));
  }, 120_000);

  it('S10: partition leaders move during consume and during DLT produce', async () => {
    const s = await scenario({ brokers: 3, perKey: 10, route: { attempts: 1 } });
    s.sink.behaviour = (req) => {
      const { key } = JSON.parse(req.body.toString()) as { key: string };
      return { status: Number(key.split('-')[1]) % 7 === 0 ? 400 : 200, delayMs: 5 };
    };
    await s.produce(5);
    const p = await s.startBridge();
    await waitFor('some delivered', () => s.sink.attempts.length > 100, 20_000, 50);
    for (let part = 0; part < 3; part++) {
      await s.broker.setLeader(s.topic, part, ((part + 1) % 3) + 1);
      await s.broker.setLeader(`${s.topic}-dlt`, part, ((part + 2) % 3) + 1);
    }
    await s.produce(5);
    await sleep(1000);
    for (let part = 0; part < 3; part++) await s.broker.setLeader(`${s.topic}-dlt`, part, (part % 3) + 1);
    await s.drained(20_000);
    await s.sigterm(p);
    await s.check(WINDOW * (s.rebalances() + 1));
  }, 120_000);

  it('S11: three SIGTERM restarts deliver no duplicate; then three kill -9 stay within the window', async () => {
    const s = await scenario({ perKey: 40 });
    s.sink.behaviour = () => ({ status: 200, delayMs: 10 });
    await s.produce();
    // Each round lets the instance make progress, then stops it mid-stream.
    const round = async (stop: (p: Awaited<ReturnType<Scenario['startBridge']>>) => Promise<void>) => {
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
    // After a kill -9 the dead member stays in the group for a session timeout, and the dev
    // broker then spends another session timeout − 1 s in the join phase (a real broker
    // completes it in milliseconds): that join phase comes on top of R's budget here.
    await s.drained(SESSION_TIMEOUT_MS - 1000);
    await s.sigterm(last);
    await s.check(WINDOW * s.crashes);
  }, 240_000);

  it('S12: a rolling restart while the route is paused keeps it paused', async () => {
    const s = await scenario({ perKey: 5 });
    let down = true;
    const { createServer } = await import('node:http');
    const healthServer = createServer((_req, res) => {
      res.writeHead(down ? 503 : 200);
      res.end();
    });
    await new Promise<void>((resolve) => healthServer.listen(0, '127.0.0.1', resolve));
    const { port } = healthServer.address() as import('node:net').AddressInfo;
    s.options = {
      ...s.options,
      route: { healthCheck: { url: `http://127.0.0.1:${port}/health`, interval: '200ms', timeout: '100ms', unhealthyAfter: 1, healthyAfter: 1 } },
    };
    await s.produce();
    // The dev broker sometimes answers a SyncGroup with INVALID_REQUEST when rebalances
    // overlap (a real broker answers REBALANCE_IN_PROGRESS). The bridge replaces its consumer
    // then; should it still exit 1 (restart budget spent), restart it as an orchestrator would.
    const supervise = async () => {
      for (const p of [...s.processes]) {
        if (p.child.exitCode === 1 && p.logs.some((l) => l['code'] === 'CONSUMER_CRASHED') && !restarted.has(p)) {
          restarted.add(p);
          await s.startBridge();
        }
      }
    };
    const restarted = new Set<(typeof s.processes)[number]>();
    try {
      const a = await s.startBridge();
      const b = await s.startBridge();
      await sleep(SESSION_TIMEOUT_MS);
      for (const old of [a, b]) {
        await s.sigterm(old);
        await s.startBridge();
        await sleep(SESSION_TIMEOUT_MS);
        await supervise();
      }
      await sleep(SESSION_TIMEOUT_MS);
      await supervise();
      expect(s.sink.attempts).toEqual([]);
      down = false;
      await s.drained(10_000);
      for (const p of s.processes.slice(2)) if (p.child.exitCode === null) await s.sigterm(p);
      // Records flow only after the heal; a consumer replaced or restarted after that is a
      // rebalance like any other.
      await s.check(WINDOW * s.rebalances());
    } finally {
      healthServer.close();
    }
  }, 180_000);
});
