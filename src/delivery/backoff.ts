/**
 * Exponential backoff with full jitter: the wait is uniform in [0, min(max, initial·2^(n-1))].
 * Full jitter spreads a crowd of failing records over the whole window, so a recovering
 * endpoint is not hit by every retry at the same instant.
 */
export interface BackoffPolicy {
  readonly initial: number;
  readonly max: number;
}

export function backoffDelay(policy: BackoffPolicy, failedAttempts: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.max, policy.initial * 2 ** Math.max(0, failedAttempts - 1));
  return Math.floor(random() * exp);
}

/**
 * The endpoint may ask for more time with Retry-After; we honour it, but never beyond the
 * backoff max, because an in-process wait holds an in-flight slot (the retry topics are
 * where long waits belong).
 */
export function retryDelay(policy: BackoffPolicy, failedAttempts: number, retryAfterMs: number | undefined): number {
  const jittered = backoffDelay(policy, failedAttempts);
  if (retryAfterMs === undefined) return jittered;
  return Math.min(policy.max, Math.max(jittered, retryAfterMs));
}

/** Resolves after `ms`, or early (without rejecting) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
