import { describe, expect, it } from 'vitest';
import { CommitPolicy, EARLY_GAP_MS, type Committable, type CommitOffsets } from '../../src/kafka/commit-policy.ts';
import { OffsetTracker } from '../../src/kafka/offset-tracker.ts';

function partition(topic: string, p: number, finished: number[], tracked: number[]): Committable {
  const tracker = new OffsetTracker();
  for (const o of tracked) tracker.track(BigInt(o));
  for (const o of finished) tracker.finish(BigInt(o));
  return { topic, partition: p, tracker, finishedSinceCommit: 0 };
}

function policy(owned: Committable[], behave: { fail?: boolean; gate?: Promise<void> } = {}) {
  const sent: CommitOffsets[] = [];
  const committed: string[] = [];
  const failures: string[] = [];
  let now = 1_000;
  const p = new CommitPolicy({
    intervalMs: 200,
    owned: () => owned,
    send: async (offsets) => {
      sent.push(offsets);
      await behave.gate;
      if (behave.fail) throw new Error('REBALANCE_IN_PROGRESS');
      return true;
    },
    committed: (c, offset) => committed.push(`${c.topic}/${c.partition}@${offset}`),
    failed: (e) => failures.push(e.message),
    now: () => now,
  });
  return { p, sent, committed, failures, advance: (ms: number) => (now += ms) };
}

describe('the commit policy', () => {
  it('commits the end of each unbroken run of finished records, per owned partition, and nothing that did not move', async () => {
    const a = partition('orders', 0, [0, 1, 3], [0, 1, 2, 3]);
    const b = partition('orders', 1, [], [5]);
    const c = partition('refunds', 2, [7], [7]);
    const { p, sent, committed } = policy([a, b, c]);
    await p.commit();
    // Partition 1 has nothing finished: its position is its first record, 5 (nothing before it
    // is pending).
    expect(sent).toEqual([
      [
        { topic: 'orders', partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '5' }] },
        { topic: 'refunds', partitions: [{ partition: 2, offset: '8' }] },
      ],
    ]);
    expect(committed).toEqual(['orders/0@2', 'orders/1@5', 'refunds/2@8']);
    await p.commit();
    expect(sent).toHaveLength(1);
  });

  it('one commit on the wire at a time; calls meanwhile queue exactly one more, which carries what finished since', async () => {
    const a = partition('t', 0, [], [0, 1, 2]);
    a.tracker.finish(0n);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const { p, sent } = policy([a], { gate });
    const first = p.commit();
    a.tracker.finish(1n);
    const second = p.commit();
    const third = p.commit();
    expect(second).toBe(third);
    expect(sent).toHaveLength(1);
    open();
    await Promise.all([first, second, third]);
    expect(sent.map((s) => s[0]!.partitions[0]!.offset)).toEqual(['1', '2']);
  });

  it('commits early once a partition finished its share since the last commit', async () => {
    const a = partition('t', 0, [], [0, 1, 2, 3]);
    const { p, sent } = policy([a]);
    a.tracker.finish(0n);
    p.finished(a, 2);
    expect(sent).toHaveLength(0);
    a.tracker.finish(1n);
    p.finished(a, 2);
    await p.commit();
    expect(sent[0]![0]!.partitions[0]!.offset).toBe('2');
    expect(a.finishedSinceCommit).toBe(0);
  });

  it('a partition blocked by its exposure asks for a commit only when one would move it', async () => {
    const a = partition('t', 0, [], [0, 1]);
    const { p, sent } = policy([a]);
    await p.commit();
    expect(sent).toHaveLength(1);
    p.blocked(a);
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(1);
    a.tracker.finish(0n);
    p.blocked(a);
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(2);
  });

  it('after a refused commit the early triggers wait for the next tick; the failure is reported and nothing counts as committed', async () => {
    const a = partition('t', 0, [0], [0, 1]);
    const { p, sent, failures, committed, advance } = policy([a], { fail: true });
    await p.commit();
    expect(failures).toEqual(['REBALANCE_IN_PROGRESS']);
    expect(committed).toEqual([]);
    expect(a.tracker.commitCandidate()).toBe('1');
    a.tracker.finish(1n);
    p.finished(a, 1);
    p.blocked(a);
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(1);
    advance(200);
    p.finished(a, 1);
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(2);
  });

  it('sends nothing while no consumer can commit, and keeps what was not sent', async () => {
    const a = partition('t', 0, [0], [0]);
    const p = new CommitPolicy({ intervalMs: 200, owned: () => [a], send: async () => false, committed: () => undefined, failed: () => undefined });
    await p.commit();
    expect(a.tracker.commitCandidate()).toBe('1');
  });
});

describe('early commits', () => {
  it('go out at once after a share finished, but not within EARLY_GAP_MS of the last commit: those wait for the gap, once', async () => {
    const a = partition('t', 0, [], [0, 1, 2, 3, 4, 5, 6, 7]);
    const { p, sent, advance } = policy([a]);
    a.tracker.finish(0n);
    a.tracker.finish(1n);
    p.finished(a, 2);
    p.finished(a, 2);
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(1);
    // Another share finishes 5 ms later: too soon, one commit is scheduled for the gap's end.
    advance(5);
    for (const o of [2n, 3n, 4n, 5n]) {
      a.tracker.finish(o);
      p.finished(a, 2);
    }
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(1);
    advance(EARLY_GAP_MS);
    await new Promise((r) => setTimeout(r, EARLY_GAP_MS + 10));
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual([{ topic: 't', partitions: [{ partition: 0, offset: '6' }] }]);
    p.stop();
  });

  it('a partition that reached its exposure bound does not wait for the gap', async () => {
    const a = partition('t', 0, [], [0, 1, 2, 3]);
    const { p, sent, advance } = policy([a]);
    a.tracker.finish(0n);
    await p.commit();
    advance(1);
    a.tracker.finish(1n);
    p.blocked(a);
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(2);
  });
});
