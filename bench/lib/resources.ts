/**
 * What a measured process reports about itself: CPU time (process.cpuUsage), the resident set
 * sampled every 100 ms, and the kernel's own peak (VmHWM in /proc/self/status, Linux only),
 * which also catches peaks between two samples.
 */
import { readFileSync } from 'node:fs';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';

export interface ResourceMark {
  /** User + system CPU time since the process started, in microseconds. */
  cpuUs: number;
  /** process.hrtime in microseconds (same clock as a V8 .cpuprofile's timestamps). */
  hrUs: number;
  /** Date.now() when the mark was taken. */
  at: number;
  rssBytes: number;
  /** Highest sampled RSS so far. */
  peakRssSampledBytes: number;
  /** Kernel peak RSS (VmHWM) so far; 0 where /proc is not available. */
  vmHwmBytes: number;
  /** process.memoryUsage() when the highest RSS was sampled: what the peak was made of. */
  atPeak: NodeJS.MemoryUsage;
  /** Highest heapUsed seen right after a full (mark-compact) GC: roughly the live heap. */
  liveHeapAfterMajorGcBytes: number;
}

export function readVmHwm(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m?.[1] === undefined ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

export class ResourceSampler {
  #peak = 0;
  #atPeak: NodeJS.MemoryUsage = process.memoryUsage();
  #liveAfterGc = 0;
  readonly #timer: NodeJS.Timeout;
  readonly #gc: PerformanceObserver;

  constructor(everyMs = 100) {
    this.#sample();
    this.#gc = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
        if (kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
        const used = process.memoryUsage().heapUsed;
        if (used > this.#liveAfterGc) this.#liveAfterGc = used;
      }
    });
    this.#gc.observe({ entryTypes: ['gc'] });
    this.#timer = setInterval(() => this.#sample(), everyMs);
    this.#timer.unref();
  }

  #sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss <= this.#peak) return;
    this.#peak = rss;
    this.#atPeak = process.memoryUsage();
  }

  mark(): ResourceMark {
    this.#sample();
    const cpu = process.cpuUsage();
    return {
      cpuUs: cpu.user + cpu.system,
      hrUs: Number(process.hrtime.bigint() / 1000n),
      at: Date.now(),
      rssBytes: process.memoryUsage.rss(),
      peakRssSampledBytes: this.#peak,
      vmHwmBytes: readVmHwm(),
      atPeak: this.#atPeak,
      liveHeapAfterMajorGcBytes: this.#liveAfterGc,
    };
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#gc.disconnect();
  }
}
