/**
 * The deadlines of the attempts in flight at one endpoint, kept by one timer.
 *
 * Every attempt must end within `endpoint.timeout`, response body included. An
 * AbortController plus a setTimeout per attempt did that, and the profile showed it: timers,
 * abort listeners and their garbage were 8–28% of the bridge's CPU per record (see
 * docs/benchmarks.md). All attempts at one endpoint have the same timeout, so their
 * deadlines fall due in the order the attempts started: a Set, which iterates in insertion
 * order, is then a queue sorted by due time, one timer armed for the oldest entry is
 * enough, and an attempt that finishes is a single delete.
 *
 * A deadline is handed to undici as the request's `signal`. undici accepts any object with
 * `addEventListener`/`removeEventListener` there; it reads `reason` when the listener fires.
 * The object deliberately has no `aborted` property: with one, undici would treat it as a
 * real AbortSignal and hand it to Node's own listener helper, which refuses anything else.
 */

/** The reason an overdue attempt is aborted with, so it is told apart from other errors. */
export class DeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

type AbortListener = () => void;

/** One attempt's deadline, in the shape undici accepts as a request `signal`. */
export class Deadline {
  readonly due: number;
  reason: DeadlineExceeded | undefined;
  // Usually one listener (undici's) at a time; an array only when a second one comes.
  #listener: AbortListener | undefined;
  #more: AbortListener[] | undefined;

  constructor(due: number) {
    this.due = due;
  }

  get expired(): boolean {
    return this.reason !== undefined;
  }

  addEventListener(_type: 'abort', listener: AbortListener): void {
    if (this.#listener === undefined) this.#listener = listener;
    else (this.#more ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: AbortListener): void {
    if (this.#listener === listener) this.#listener = undefined;
    else if (this.#more !== undefined) this.#more = this.#more.filter((l) => l !== listener);
  }

  expire(reason: DeadlineExceeded): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    const listeners = [this.#listener, ...(this.#more ?? [])];
    this.#listener = undefined;
    this.#more = undefined;
    for (const listener of listeners) listener?.();
  }
}

export class AttemptDeadlines {
  readonly #timeout: number;
  readonly #pending = new Set<Deadline>();
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.#timeout = timeoutMs;
  }

  /** Starts the clock of one attempt; pass the result to `finish` when it ended. */
  start(): Deadline {
    const deadline = new Deadline(performance.now() + this.#timeout);
    this.#pending.add(deadline);
    // A timer armed for an older deadline fires first and re-arms for this one.
    if (this.#timer === undefined) this.#arm(this.#timeout);
    return deadline;
  }

  finish(deadline: Deadline): void {
    // The timer is left armed: when it fires with nothing due, it re-arms or stops. That is
    // cheaper than clearing and re-arming it for every attempt.
    this.#pending.delete(deadline);
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(this.#sweep, Math.max(1, Math.ceil(ms)));
    // In-flight requests keep the process alive on their own; this timer must not.
    this.#timer.unref();
  }

  readonly #sweep = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    let reason: DeadlineExceeded | undefined;
    for (const deadline of this.#pending) {
      if (deadline.due > now) {
        this.#arm(deadline.due - now);
        return;
      }
      this.#pending.delete(deadline);
      reason ??= new DeadlineExceeded(this.#timeout);
      deadline.expire(reason);
    }
  };
}
