/**
 * Faults that only the dev broker can make: one error code on one request type, on demand,
 * and a broker round-trip time. Apache Kafka answers these codes only in states a test cannot
 * steer it into at a chosen moment, so each scenario runs on the dev broker and says why.
 * Everything else (sink faults, crashes, broker kills, leader loss, replicas missing, frozen
 * members, rolling restarts) runs on Apache Kafka in the other files of this folder.
 *
 * Kafka error codes used: 1 OFFSET_OUT_OF_RANGE, 7 REQUEST_TIMED_OUT, 16 NOT_COORDINATOR,
 * 19 NOT_ENOUGH_REPLICAS, 22 ILLEGAL_GENERATION, 25 UNKNOWN_MEMBER_ID, 27 REBALANCE_IN_PROGRESS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../support/dev-broker.ts';
import { waitFor } from '../support/kafka-helpers.ts';
import type { BridgeProcess } from '../support/test-bridge.ts';
import { WINDOW, faultSuite } from './support/scenario.ts';

const scenario = faultSuite(afterEach);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('request errors injected by the dev broker', () => {
  it('S4: Produce errors while retry and DLT copies are written never lose a record', async () => {
    const s = await scenario({ perKey: 5, route: { attempts: 1 }, mockBecause: 'REQUEST_TIMED_OUT and NOT_ENOUGH_REPLICAS on exactly the next 15 Produce requests' });
    // Every tenth key fails: on the main topic (503 → retry copy) and, with 400, to the DLT.
    s.sink.behaviour = (req) => {
      const { key } = JSON.parse(req.body.toString()) as { key: string };
      const n = Number(key.split('-')[1]);
      if (n % 10 === 0 && req.headers['kafka-delivery-attempt'] === '1') return { status: 503 };
      if (n % 10 === 5) return { status: 400 };
      return { status: 200 };
    };
    await s.produce();
    await s.mock.pushRequestErrors(ApiKey.Produce, 19, 15);
    await s.mock.pushRequestErrors(ApiKey.Produce, 7, 15);
    const p = await s.startBridge();
    await s.drained(20_000);
    await waitFor('retried records delivered', () => s.sink.delivered().filter((a) => a.attempt === 2).length >= 50, 20_000, 200);
    await s.sigterm(p);
    await s.check(0);
    const failures = p.logs.filter((l) => l['msg'] === 'writing a copy failed; the record stays unfinished and the copy is written again');
    expect(failures.length).toBeGreaterThan(0);
  }, 120_000);

  it('S5: OffsetCommit errors are retried; nothing is committed past a gap', async () => {
    const s = await scenario({ perKey: 10, mockBecause: 'four coordinator error codes on the next OffsetCommit requests, while the group is stable' });
    s.sink.behaviour = () => ({ status: 200, delayMs: 5 });
    await s.produce();
    const p = await s.startBridge();
    for (const code of [27, 22, 16, 25]) await s.mock.pushRequestErrors(ApiKey.OffsetCommit, code, 3);
    await s.drained(10_000);
    await s.sigterm(p);
    await s.check(WINDOW * s.rebalances());
    expect(p.logs.some((l) => l['msg'] === 'offset commit failed; will retry')).toBe(true);
  }, 90_000);

  it('S6: heartbeat, JoinGroup and SyncGroup errors mid-batch with two instances', async () => {
    const s = await scenario({ perKey: 20, mockBecause: 'REBALANCE_IN_PROGRESS on chosen Heartbeat, JoinGroup and SyncGroup requests mid-batch' });
    s.sink.behaviour = () => ({ status: 200, delayMs: 10 });
    await s.produce();
    let a = await s.startBridge();
    let b = await s.startBridge();
    // Two instances are the point: one the dev broker refused at its join is started again.
    const joinedOrEnded = (p: BridgeProcess) => p.child.exitCode !== null || p.logs.some((l) => l['msg'] === 'partitions assigned' && l['consumer'] === 'main' && Object.keys(l['assignment'] ?? {}).length > 0);
    for (let round = 0; round < 3; round++) {
      await waitFor('both instances joined or ended', () => joinedOrEnded(a) && joinedOrEnded(b), 30_000, 100);
      [a, b] = [await s.restartIfRefusedByDevBroker(a), await s.restartIfRefusedByDevBroker(b)];
    }
    await waitFor('both instances consuming', () => s.sink.attempts.length > 200, 30_000, 100);
    await s.mock.pushRequestErrors(ApiKey.Heartbeat, 27, 2);
    await sleep(1000);
    await s.mock.pushRequestErrors(ApiKey.JoinGroup, 27, 1);
    await s.mock.pushRequestErrors(ApiKey.SyncGroup, 27, 1);
    await s.drained(30_000);
    await s.stopOrExpectRefused(a);
    await s.stopOrExpectRefused(b);
    await s.check(WINDOW * Math.max(1, s.rebalances() + s.crashes));
  }, 150_000);

  it('S7: fetch OFFSET_OUT_OF_RANGE never skips data', async () => {
    const s = await scenario({ perKey: 10, mockBecause: 'a spurious OFFSET_OUT_OF_RANGE on a Fetch whose offset is in range' });
    s.sink.behaviour = () => ({ status: 200, delayMs: 5 });
    await s.produce(5);
    const p = await s.startBridge();
    await waitFor('some delivered', () => s.sink.attempts.length > 100, 20_000, 50);
    await s.mock.pushRequestErrors(ApiKey.Fetch, 1, 2);
    await s.produce(5);
    await s.drained(10_000);
    const metrics = await (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text();
    await s.sigterm(p);
    // A reset rewinds to the earliest offset (fromBeginning): records seen again are
    // recognised and skipped, so no duplicates and nothing skipped.
    await s.check(0);
    expect(metrics).toMatch(/kafka_http_bridge_offset_resets_total\{[^}]*\} [1-9]/);
  }, 90_000);

  it('S9: a broker round trip of 5 s slows things down but loses nothing', async () => {
    const s = await scenario({ perKey: 5, mockBecause: 'a 5 s round-trip time on every broker connection' });
    await s.produce();
    const p = await s.startBridge();
    await waitFor('some delivered', () => s.sink.attempts.length > 50, 20_000, 50);
    await s.mock.setRtt(-1, 5000);
    await s.produce(3);
    await sleep(10_000);
    await s.mock.setRtt(-1, 0);
    await s.drained(30_000);
    await s.sigterm(p);
    await s.check(WINDOW * (s.rebalances() + 1));
  }, 120_000);
});
