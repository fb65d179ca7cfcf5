/**
 * A FIFO of callers waiting for something (a slot, a token), any of whom may give up when
 * their signal aborts. The abort listener is removed as soon as a waiter is served: the
 * signals are long-lived (one per partition), and a listener left behind per wait would pile
 * up for as long as the partition is owned.
 */
export class WaitQueue<T> {
  #waiters: { serve: (value: T) => void }[] = [];

  get length(): number {
    return this.#waiters.length;
  }

  /** Waits to be served; resolves with `onAbort` if `signal` aborts first. */
  wait(signal: AbortSignal | undefined, onAbort: T): Promise<T> {
    if (signal?.aborted) return Promise.resolve(onAbort);
    return new Promise<T>((resolve) => {
      const abort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(onAbort);
      };
      const waiter = {
        serve: (value: T): void => {
          signal?.removeEventListener('abort', abort);
          resolve(value);
        },
      };
      this.#waiters.push(waiter);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /** Serves the longest waiter with `value`; false when nobody waits. */
  serveNext(value: T): boolean {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return false;
    waiter.serve(value);
    return true;
  }

  /** Serves every waiter with `value` (closing). */
  serveAll(value: T): void {
    for (const w of this.#waiters.splice(0)) w.serve(value);
  }
}
