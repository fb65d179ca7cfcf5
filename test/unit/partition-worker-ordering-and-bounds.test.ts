import { describe, expect, it } from 'vitest';
import { PartitionWorker } from '../../src/dispatch/partition-worker.ts';
import { hasRoom } from '../../src/dispatch/inflight-budget.ts';
import type { BridgeRecord } from '../../src/kafka/record.ts';
import type { Ordering } from '../../src/config/types.ts';

function rec(offset: number, key: string | null): BridgeRecord {
  const c = { topic: 't', partition: 0, offset: String(offset), timestamp: '0' };
  return { ...c, key: key === null ? null : Buffer.from(key), value: null, headers: {}, origin: c, priorAttempts: 0, firstFailureAt: undefined, tier: 0, dueAt: 0 };
}

/** A runner whose records finish only when the test says so. */
function harness(ordering: Ordering, capacity: number) {
  const started: string[] = [];
  const gates = new Map<string, () => void>();
  let running = 0;
  let maxRunning = 0;
  const worker = new PartitionWorker(
    ordering,
    capacity,
    (r) => {
      started.push(r.offset);
      running++;
      maxRunning = Math.max(maxRunning, running);
      return new Promise<void>((resolve) =>
        gates.set(r.offset, () => {
          running--;
          resolve();
        }),
      );
    },
    () => undefined,
  );
  const finish = async (offset: number) => {
    gates.get(String(offset))!();
    await new Promise((r) => setImmediate(r));
  };
  return { worker, started, finish, maxRunning: () => maxRunning };
}

describe('PartitionWorker', () => {
  it('partition mode runs one record at a time, in order', async () => {
    const h = harness('partition', 10);
    [0, 1, 2].forEach((o) => h.worker.offer(rec(o, `k${o}`)));
    expect(h.started).toEqual(['0']);
    await h.finish(0);
    expect(h.started).toEqual(['0', '1']);
    await h.finish(1);
    await h.finish(2);
    expect(h.started).toEqual(['0', '1', '2']);
    expect(h.maxRunning()).toBe(1);
  });

  it('key mode keeps one key in order and runs different keys together', async () => {
    const h = harness('key', 10);
    h.worker.offer(rec(0, 'a'));
    h.worker.offer(rec(1, 'b'));
    h.worker.offer(rec(2, 'a'));
    h.worker.offer(rec(3, null));
    expect(h.started).toEqual(['0', '1', '3']);
    await h.finish(0);
    expect(h.started).toEqual(['0', '1', '3', '2']);
  });

  it('none mode starts everything at once', () => {
    const h = harness('none', 10);
    [0, 1, 2].forEach((o) => h.worker.offer(rec(o, 'same')));
    expect(h.started).toEqual(['0', '1', '2']);
  });

  it('counts queued records against the bound', async () => {
    const h = harness('key', 2);
    h.worker.offer(rec(0, 'a'));
    expect(hasRoom(h.worker.held, h.worker.capacity)).toBe(true);
    h.worker.offer(rec(1, 'a'));
    expect(hasRoom(h.worker.held, h.worker.capacity)).toBe(false);
    expect(h.worker.held).toBe(2);
    expect(h.worker.running).toBe(1);
    await h.finish(0);
    expect(hasRoom(h.worker.held, h.worker.capacity)).toBe(true);
  });

  it('revoke drops queued records: only the running one is still held', async () => {
    const h = harness('partition', 5);
    [0, 1, 2].forEach((o) => h.worker.offer(rec(o, null)));
    h.worker.revoke();
    expect(h.worker.held).toBe(1);
    await h.finish(0);
    expect(h.started).toEqual(['0']);
    await h.worker.idle();
    expect(h.worker.held).toBe(0);
  });
});
