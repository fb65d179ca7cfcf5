/**
 * The batch worker, without a broker: which records go together, when a batch goes, and what
 * the ordering modes allow to run at once.
 */
import { describe, expect, it } from 'vitest';
import { BatchWorker } from '../../src/dispatch/batch-worker.ts';
import type { BatchConfig, Ordering } from '../../src/config/types.ts';
import type { BridgeRecord } from '../../src/kafka/record.ts';

function rec(offset: number, key: string | null, bytes = 10): BridgeRecord {
  const c = { topic: 't', partition: 0, offset: String(offset), timestamp: '0' };
  return { ...c, key: key === null ? null : Buffer.from(key), value: Buffer.alloc(bytes), headers: {}, origin: c, priorAttempts: 0, firstFailureAt: undefined, tier: 0, dueAt: 0 };
}

/** A runner whose batches finish only when the test says so. */
function harness(ordering: Ordering, batch: Partial<BatchConfig>, share = 4) {
  const config: BatchConfig = { maxRecords: 3, maxBytes: 1_000_000, maxWait: 1_000, format: 'json-array', splitOnFailure: false, ...batch };
  const batches: string[][] = [];
  const done: (() => void)[] = [];
  let slots = 0;
  const worker = new BatchWorker(
    ordering,
    config,
    (records) => {
      batches.push(records.map((r) => r.offset));
      return new Promise<void>((resolve) => done.push(resolve));
    },
    (r) => r.value!.length,
    () => slots++,
  );
  worker.setCapacity(share);
  const finish = async (i: number) => {
    done[i]!();
    await new Promise((r) => setImmediate(r));
  };
  return { worker, batches, finish, slots: () => slots };
}

describe('BatchWorker', () => {
  it('sends a full batch at once and holds a partial one until maxWait', async () => {
    const h = harness('none', { maxRecords: 3, maxWait: 30 });
    for (let i = 0; i < 4; i++) h.worker.offer(rec(i, `k${i}`));
    expect(h.batches).toEqual([['0', '1', '2']]);
    await new Promise((r) => setTimeout(r, 60));
    expect(h.batches).toEqual([['0', '1', '2'], ['3']]);
    expect(h.worker.held).toBe(4);
    await h.finish(0);
    expect(h.worker.held).toBe(1);
    expect(h.slots()).toBe(1);
  });

  it('closes a batch before maxBytes, but never leaves a large record behind', async () => {
    const w = harness('none', { maxRecords: 10, maxBytes: 25, maxWait: 10_000 }, 1);
    // Capacity 1 × 10 records: the tenth record fills the partition and everything goes.
    [10, 10, 10, 40, 5, 5, 5, 5, 5, 5].forEach((bytes, i) => w.worker.offer(rec(i, `k${i}`, bytes)));
    expect(w.batches).toEqual([['0', '1']]);
    await w.finish(0);
    expect(w.batches.slice(1)).toEqual([['2']]);
    await w.finish(1);
    expect(w.batches.slice(2)).toEqual([['3']]);
    await w.finish(2);
    expect(w.batches.slice(3)).toEqual([['4', '5', '6', '7', '8']]);
  });

  it('partition: one batch at a time, the next one when it settled', async () => {
    const h = harness('partition', { maxRecords: 2, maxWait: 0 });
    for (let i = 0; i < 5; i++) h.worker.offer(rec(i, `k${i}`));
    expect(h.batches).toEqual([['0', '1']]);
    await h.finish(0);
    expect(h.batches).toEqual([['0', '1'], ['2', '3']]);
  });

  it('key: never two running batches with a key in common, and a key never overtakes itself', async () => {
    const h = harness('key', { maxRecords: 3, maxWait: 0 });
    const keys = ['a', 'a', 'b', 'c', 'a', 'd', 'e', 'f', 'g'];
    keys.forEach((k, i) => h.worker.offer(rec(i, k)));
    await new Promise((r) => setImmediate(r));
    // The first batch holds a; while it runs, offset 4 (a) waits and nothing else holds a.
    expect(h.batches[0]).toEqual(['0', '1', '2']);
    const running = h.batches.flat();
    expect(running).not.toContain('4');
    expect(running.filter((o) => keys[Number(o)] === 'a')).toEqual(['0', '1']);
    expect(running).toEqual(expect.arrayContaining(['3', '5', '6', '7', '8']));
    await h.finish(0);
    expect(h.batches.at(-1)).toEqual(['4']);
  });

  it('key: records without a key have no order to keep', () => {
    const h = harness('key', { maxRecords: 2, maxWait: 0 });
    [null, null, null, null].forEach((k, i) => h.worker.offer(rec(i, k)));
    expect(h.batches).toEqual([['0', '1'], ['2', '3']]);
  });

  it('revoke drops the waiting records and settles idle once running batches end', async () => {
    const h = harness('partition', { maxRecords: 2, maxWait: 0 });
    for (let i = 0; i < 5; i++) h.worker.offer(rec(i, `k${i}`));
    h.worker.revoke();
    expect(h.worker.held).toBe(2);
    let idle = false;
    void h.worker.idle().then(() => (idle = true));
    await h.finish(0);
    expect(idle).toBe(true);
    expect(h.batches).toEqual([['0', '1']]);
  });
});
