/**
 * Child processes of the local brokers (the dev broker, Kafka's JVMs) must not outlive the
 * process that started them: an 'exit' hook SIGKILLs every one still running. 'exit' handlers
 * must be synchronous, and SIGKILL is the only thing left to do there.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let hookInstalled = false;

export function killOnExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (hookInstalled) return;
  hookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}
