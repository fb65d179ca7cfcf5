import { describe, expect, it } from 'vitest';
import { PauseBook } from '../../src/kafka/pause-book.ts';

describe('pause book after a consumer crash', () => {
  it('forgets applied pauses without calling the crashed consumer, and re-applies topic reasons at the next join', () => {
    const book = new PauseBook();
    const calls: string[] = [];
    let crashed = false;
    book.attach({
      pause: (t, p) => {
        if (crashed) throw new Error('Consumer group was not initialized, consumer#run must be called first');
        calls.push(`pause ${t}/${p}`);
      },
      resume: (t, p) => {
        if (crashed) throw new Error('Consumer group was not initialized, consumer#run must be called first');
        calls.push(`resume ${t}/${p}`);
      },
    });
    book.assign([
      { topic: 'orders', partition: 0 },
      { topic: 'orders', partition: 1 },
    ]);
    book.addPartition('orders', 0, 'backlog');
    book.addTopic('orders', 'circuit-open');
    expect(book.isPaused('orders', 1)).toBe(true);

    crashed = true;
    book.detachPartitions();
    // What the consumer does on a crash: an empty assignment. It must not reach kafkajs.
    expect(() => book.assign([])).not.toThrow();
    expect(book.hasPartitionReason('orders', 0, 'backlog')).toBe(false);

    crashed = false;
    calls.length = 0;
    book.assign([{ topic: 'orders', partition: 0 }]);
    // The partition's backlog reason went with the crash; the route's pause did not.
    expect(calls).toEqual(['pause orders/0']);
    book.removeTopic('orders', 'circuit-open');
    expect(calls).toEqual(['pause orders/0', 'resume orders/0']);
  });
});
