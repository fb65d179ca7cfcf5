import { describe, expect, it } from 'vitest';
import { getEventListeners } from 'node:events';
import { WaitQueue } from '../../src/flow/wait-queue.ts';
import { RampGate } from '../../src/flow/ramp-gate.ts';
import { TokenBucket } from '../../src/flow/token-bucket.ts';

describe('WaitQueue', () => {
  it('serves in arrival order and removes the abort listener of a served waiter', async () => {
    const q = new WaitQueue<number>();
    const controller = new AbortController();
    const first = q.wait(controller.signal, -1);
    const second = q.wait(controller.signal, -1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(2);
    q.serveNext(1);
    q.serveNext(2);
    expect(await first).toBe(1);
    expect(await second).toBe(2);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('lets an aborted waiter leave the queue', async () => {
    const q = new WaitQueue<string>();
    const controller = new AbortController();
    const waiting = q.wait(controller.signal, 'gave up');
    controller.abort();
    expect(await waiting).toBe('gave up');
    expect(q.length).toBe(0);
    expect(q.serveNext('late')).toBe(false);
  });
});

describe('flow waits on a long-lived partition signal', () => {
  it('leave no listener behind after many waits for a ramp slot or a token', async () => {
    const controller = new AbortController();
    const gate = new RampGate(1, 0);
    const bucket = new TokenBucket(100); // 5 tokens of burst: most takes below wait
    for (let i = 0; i < 50; i++) {
      const release = await gate.acquire(controller.signal);
      const next = gate.acquire(controller.signal);
      release!();
      (await next)!();
      expect(await bucket.take(controller.signal)).toBe(true);
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    gate.close();
    bucket.close();
  });
});
