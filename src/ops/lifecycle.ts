/**
 * The bridge's lifecycle, one state at a time. /health and /ready read it; every
 * transition is logged.
 *
 *   starting ──▶ running ──▶ draining ──▶ stopped
 *       │           │            │
 *       └───────────┴────────────┴──▶ failed   (the process then exits non-zero)
 */
import type { Logger } from 'pino';

export const LifecycleState = {
  starting: 'starting',
  running: 'running',
  draining: 'draining',
  stopped: 'stopped',
  failed: 'failed',
} as const;

export type LifecycleState = (typeof LifecycleState)[keyof typeof LifecycleState];

const ALLOWED: Record<LifecycleState, readonly LifecycleState[]> = {
  starting: ['running', 'draining', 'failed'],
  running: ['draining', 'failed'],
  draining: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

export class Lifecycle {
  #state: LifecycleState = LifecycleState.starting;
  #reason: string | undefined;
  readonly #log: Logger;

  constructor(logger: Logger) {
    this.#log = logger;
    this.#log.info({ state: this.#state }, 'lifecycle: starting');
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /** Why the bridge failed, when it did. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** Moves to `next` if the transition is allowed; returns whether it moved. */
  to(next: LifecycleState, reason?: string): boolean {
    if (!ALLOWED[this.#state].includes(next)) return false;
    const from = this.#state;
    this.#state = next;
    if (reason !== undefined) this.#reason = reason;
    const level = next === 'failed' ? 'error' : 'info';
    this.#log[level]({ from, state: next, ...(reason === undefined ? {} : { reason }) }, `lifecycle: ${from} -> ${next}`);
    return true;
  }
}
