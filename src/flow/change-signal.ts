/**
 * "Something changed, look again": one promise shared by every waiter, replaced on each
 * wake. Records waiting for a paused route to resume, for the breaker to close, or for
 * evidence about the endpoint all wait on it; a wake costs one promise, however many wait.
 */
export class ChangeSignal {
  #change = Promise.withResolvers<void>();

  wake(): void {
    const current = this.#change;
    this.#change = Promise.withResolvers<void>();
    current.resolve();
  }

  /**
   * Resolves false on the next wake or when `signal` aborts, true when `timeoutMs` passed
   * first. The caller's signal outlives the wait: its listener is removed afterwards, or one
   * would pile up per wait for as long as the partition is owned.
   */
  async next(signal: AbortSignal, timeoutMs?: number): Promise<boolean> {
    if (signal.aborted) return false;
    let onAbort!: () => void;
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<boolean>((resolve) => {
      onAbort = () => resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(() => resolve(true), timeoutMs);
    });
    try {
      return await Promise.race([this.#change.promise.then(() => false), ended]);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
