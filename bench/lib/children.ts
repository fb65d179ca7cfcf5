/**
 * Child processes of the benchmark, and the guarantee that none outlives it: every child is
 * registered, SIGKILLed by a synchronous 'exit' hook, and stopped gracefully (with a deadline,
 * then SIGKILL) when a case ends, whether it succeeded or not. Children also exit on their own
 * when the IPC channel closes (lib/ipc.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Peer } from './ipc.ts';

const live = new Set<ChildProcess>();
let hookInstalled = false;

function installHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/** Last lines a child printed, for error messages. */
export class Tail {
  readonly #lines: string[] = [];
  readonly #max: number;
  #partial = '';

  constructor(max = 30) {
    this.#max = max;
  }

  push(chunk: Buffer): void {
    const parts = (this.#partial + chunk.toString('utf8')).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const p of parts) {
      if (p.trim() === '') continue;
      this.#lines.push(p.length > 400 ? `${p.slice(0, 400)}…` : p);
      if (this.#lines.length > this.#max) this.#lines.shift();
    }
  }

  toString(): string {
    return [...this.#lines, this.#partial].filter((l) => l !== '').join('\n');
  }
}

export interface SpawnedChild {
  readonly peer: Peer;
  readonly output: Tail;
  readonly exited: Promise<void>;
}

export function spawnChild(name: string, modulePath: string, execArgv: string[] = []): SpawnedChild {
  installHook();
  const child = fork(modulePath, [], { execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  live.add(child);
  const output = new Tail();
  child.stdout?.on('data', (c: Buffer) => output.push(c));
  child.stderr?.on('data', (c: Buffer) => output.push(c));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
    child.once('error', () => {
      live.delete(child);
      resolve();
    });
  });
  return { peer: new Peer(name, child), output, exited };
}

function waitExit(c: SpawnedChild, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    c.exited.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Asks the child to stop (its "stop" method) and waits for it to exit; SIGKILL after
 * `graceMs`. Resolves with the stop method's answer, or undefined if it had to be killed.
 */
export async function stopChild<T>(c: SpawnedChild, graceMs: number): Promise<T | undefined> {
  if (c.peer.gone !== undefined) return undefined;
  let answer: T | undefined;
  try {
    answer = await c.peer.call<T>('stop', {}, graceMs);
  } catch {
    answer = undefined;
  }
  if (!(await waitExit(c, answer === undefined ? 100 : 5_000))) {
    c.peer.child.kill('SIGKILL');
    await waitExit(c, 5_000);
    return undefined;
  }
  return answer;
}

/** SIGKILLs every child still running (used on failure paths and signals). */
export function killAllChildren(): void {
  for (const c of live) c.kill('SIGKILL');
}
