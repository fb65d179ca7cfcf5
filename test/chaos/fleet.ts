/**
 * The bridge instances of the chaos run: the real CLI as child processes (spawnBridge), in a
 * fixed number of slots. Every process ever started is kept with its logs, how it was stopped,
 * how it exited and its peak RSS. No child outlives the run: killAll() is synchronous, for
 * the process 'exit' hook.
 */
import { readFileSync } from 'node:fs';
import { spawnBridge, waitForPort, type BridgeProcess } from '../support/test-bridge.ts';

export interface Instance {
  /** 1-based, in order of start over the whole run. */
  readonly n: number;
  readonly slot: number;
  readonly proc: BridgeProcess;
  readonly startedAt: number;
  /** The signal the run sent it, if any. */
  signal: 'SIGKILL' | 'SIGTERM' | undefined;
  exit: { readonly code: number | null; readonly signal: string | null; readonly at: number } | undefined;
  /** VmHWM in kB, as last read while the process ran. */
  peakRssKb: number;
}

export interface StopResult {
  readonly code: number | null;
  readonly signal: string | null;
  /** SIGTERM only: the process did not exit within the deadline and was killed. */
  readonly hung: boolean;
}

export interface FleetOptions {
  readonly config: () => Record<string, unknown>;
  readonly startTimeoutMs: number;
  /** How long a SIGTERMed instance may take to drain and exit. */
  readonly drainDeadlineMs: number;
  readonly onStart: (i: Instance) => void;
  /** A process exited without being signalled by the run. */
  readonly onUnexpectedExit: (i: Instance) => void;
}

/** Peak resident set size (VmHWM) of a live process in kB, if Linux tells. */
export function readPeakRssKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

function within<T>(p: Promise<T>, ms: number): Promise<{ ok: true; value: T } | { ok: false }> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then((value) => ({ ok: true as const, value })),
    new Promise<{ ok: false }>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false }), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export class Fleet {
  readonly all: Instance[] = [];
  readonly slots: (Instance | undefined)[];
  readonly #opts: FleetOptions;
  readonly #locks: Promise<unknown>[];
  closing = false;

  constructor(size: number, opts: FleetOptions) {
    this.slots = Array.from({ length: size }, () => undefined);
    this.#locks = Array.from({ length: size }, () => Promise.resolve());
    this.#opts = opts;
  }

  /** Runs `fn` with the slot to itself (a kill cycle and a restart never interleave). */
  withSlot<T>(slot: number, fn: () => Promise<T>): Promise<T> {
    const run = this.#locks[slot]!.then(fn, fn);
    this.#locks[slot] = run.catch(() => undefined);
    return run;
  }

  running(slot: number): Instance | undefined {
    const i = this.slots[slot];
    return i !== undefined && i.exit === undefined ? i : undefined;
  }

  /** Starts the slot's instance (when it has none running); up to three tries. */
  async start(slot: number): Promise<Instance> {
    const current = this.running(slot);
    if (current !== undefined) return current;
    let lastError: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const proc = spawnBridge(this.#opts.config());
      const inst: Instance = { n: this.all.length + 1, slot, proc, startedAt: Date.now(), signal: undefined, exit: undefined, peakRssKb: 0 };
      this.all.push(inst);
      this.slots[slot] = inst;
      proc.child.once('exit', (code, signal) => {
        inst.exit = { code, signal, at: Date.now() };
        if (inst.signal === undefined && !this.closing) this.#opts.onUnexpectedExit(inst);
      });
      try {
        await waitForPort(proc, this.#opts.startTimeoutMs);
        this.#opts.onStart(inst);
        return inst;
      } catch (error) {
        lastError = error;
        await this.stop(inst, 'SIGKILL');
      }
    }
    throw new Error(`bridge in slot ${slot} did not start three times: ${String(lastError)}`);
  }

  /** Signals the instance and waits for its exit (bounded); a SIGTERM that hangs gets kill -9. */
  async stop(inst: Instance, signal: 'SIGKILL' | 'SIGTERM'): Promise<StopResult> {
    this.sampleRss(inst);
    if (inst.exit === undefined) {
      inst.signal = signal;
      inst.proc.child.kill(signal);
    }
    const deadline = signal === 'SIGTERM' ? this.#opts.drainDeadlineMs : 10_000;
    let hung = false;
    if (!(await within(inst.proc.exited, deadline)).ok) {
      hung = true;
      inst.proc.child.kill('SIGKILL');
      await within(inst.proc.exited, 10_000);
    }
    return { code: inst.exit?.code ?? null, signal: inst.exit?.signal ?? null, hung };
  }

  /** Updates the peak RSS of one or all live instances. */
  sampleRss(only?: Instance): void {
    for (const inst of only === undefined ? this.all : [only]) {
      if (inst.exit !== undefined) continue;
      const kb = readPeakRssKb(inst.proc.child.pid);
      if (kb !== undefined) inst.peakRssKb = Math.max(inst.peakRssKb, kb);
    }
  }

  /** Synchronous: for exit paths. */
  killAll(): void {
    for (const inst of this.all) {
      if (inst.exit === undefined && inst.proc.child.exitCode === null && inst.proc.child.signalCode === null) {
        inst.signal ??= 'SIGKILL';
        inst.proc.child.kill('SIGKILL');
      }
    }
  }
}
