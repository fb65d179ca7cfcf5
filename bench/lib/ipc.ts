/**
 * A tiny request/response protocol over Node's IPC channel (child_process.fork), used between
 * the benchmark orchestrator and its child processes (the HTTP sink and the case workers).
 *
 *   parent ─ { kind: 'req', id, method, params } ─▶ child
 *   parent ◀─ { kind: 'res', id, ok, result | error } ─ child
 *   parent ◀─ { kind: 'event', name, data } ─ child        (pushed, e.g. "first", "reached")
 *
 * Every call has a timeout, and a child that exits fails every pending call at once: the
 * orchestrator never waits on a process that is gone.
 */
import type { ChildProcess } from 'node:child_process';

interface RequestMessage {
  kind: 'req';
  id: number;
  method: string;
  params: unknown;
}

interface ReplyMessage {
  kind: 'res';
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

interface EventMessage {
  kind: 'event';
  name: string;
  data: unknown;
}

type Message = RequestMessage | ReplyMessage | EventMessage;

function isMessage(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

/** The parent's handle on one child: calls with timeouts, and pushed events. */
export class Peer {
  readonly name: string;
  readonly child: ChildProcess;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  readonly #listeners = new Map<string, ((data: unknown) => void)[]>();
  #gone: string | undefined;

  constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    child.on('message', (raw: unknown) => {
      if (!isMessage(raw)) return;
      if (raw.kind === 'res') {
        const p = this.#pending.get(raw.id);
        if (p === undefined) return;
        this.#pending.delete(raw.id);
        clearTimeout(p.timer);
        if (raw.ok) p.resolve(raw.result);
        else p.reject(new Error(`${name}: ${raw.error ?? 'failed'}`));
      } else if (raw.kind === 'event') {
        // A copy: a listener may remove itself (next() does) while the list is walked.
        for (const l of [...(this.#listeners.get(raw.name) ?? [])]) l(raw.data);
      }
    });
    const onGone = (why: string) => {
      this.#gone ??= why;
      for (const [id, p] of this.#pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`${name} ${why}`));
        this.#pending.delete(id);
      }
      for (const l of [...(this.#listeners.get('gone') ?? [])]) l(why);
    };
    child.once('exit', (code, signal) => onGone(signal !== null ? `was killed by ${signal}` : `exited with code ${code}`));
    child.once('error', (err) => onGone(`failed: ${err.message}`));
  }

  /** Why the child is gone, or undefined while it runs. */
  get gone(): string | undefined {
    return this.#gone;
  }

  call<T>(method: string, params: unknown = {}, timeoutMs = 30_000): Promise<T> {
    if (this.#gone !== undefined) return Promise.reject(new Error(`${this.name} ${this.#gone}`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: "${method}" did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const message: RequestMessage = { kind: 'req', id, method, params };
      this.child.send(message, (err) => {
        if (err === null) return;
        const p = this.#pending.get(id);
        if (p === undefined) return;
        this.#pending.delete(id);
        clearTimeout(p.timer);
        reject(new Error(`${this.name}: cannot send "${method}": ${err.message}`));
      });
    });
  }

  on(name: string, listener: (data: unknown) => void): () => void {
    const list = this.#listeners.get(name) ?? [];
    list.push(listener);
    this.#listeners.set(name, list);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /**
   * Resolves with the event's data the next time it is pushed; rejects on timeout or exit.
   * A wait nobody awaits any more (its case already failed) never becomes an unhandled rejection.
   */
  next<T>(name: string, timeoutMs: number): Promise<T> {
    const waiting = new Promise<T>((resolve, reject) => {
      if (this.#gone !== undefined) {
        reject(new Error(`${this.name} ${this.#gone}`));
        return;
      }
      const timer = setTimeout(() => {
        off();
        offGone();
        reject(new Error(`${this.name}: no "${name}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on(name, (data) => {
        clearTimeout(timer);
        off();
        offGone();
        resolve(data as T);
      });
      const offGone = this.on('gone', (why) => {
        clearTimeout(timer);
        off();
        offGone();
        reject(new Error(`${this.name} ${String(why)}`));
      });
    });
    waiting.catch(() => undefined);
    return waiting;
  }
}

export type Handler = (params: never) => unknown;

/**
 * The child's side: answers requests with `handlers`, and exits when the parent goes away
 * (the IPC channel closes), so a crashed orchestrator never leaves a sink or a bridge behind.
 */
export function serve(handlers: Record<string, Handler>): void {
  if (process.send === undefined) throw new Error('this module runs as a child process of bench/run.ts');
  process.on('disconnect', () => process.exit(1));
  process.on('message', (raw: unknown) => {
    if (!isMessage(raw) || raw.kind !== 'req') return;
    const handler = handlers[raw.method];
    const reply = (m: ReplyMessage) => {
      if (process.connected) process.send!(m);
    };
    if (handler === undefined) {
      reply({ kind: 'res', id: raw.id, ok: false, error: `unknown method ${raw.method}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(raw.params as never))
      .then(
        (result) => reply({ kind: 'res', id: raw.id, ok: true, result }),
        (error: unknown) => reply({ kind: 'res', id: raw.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
      );
  });
}

/** Pushes an event to the parent (no answer expected). */
export function emit(name: string, data: unknown = {}): void {
  const message: EventMessage = { kind: 'event', name, data };
  if (process.connected) process.send!(message);
}
