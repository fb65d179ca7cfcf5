/** Time for the orchestrator: its log lines (seconds since it started), sleeps and deadlines. */

const t0 = performance.now();

/** Seconds since the run started. */
export function elapsedSeconds(): number {
  return (performance.now() - t0) / 1000;
}

export function log(message: string): void {
  console.log(`[${elapsedSeconds().toFixed(1).padStart(6)} s] ${message}`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Rejects after `ms` with `what`; the timer never keeps the process alive. */
export function deadline(ms: number, what: string): { promise: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${Math.round(ms / 1000)} s: ${what}`)), ms);
  });
  promise.catch(() => undefined);
  return { promise, cancel: () => clearTimeout(timer) };
}
