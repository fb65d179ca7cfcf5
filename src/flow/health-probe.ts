/**
 * Probes an endpoint's health URL with GET on a fixed interval and reports a change only
 * after `unhealthyAfter` failures or `healthyAfter` successes in a row, so one slow probe does
 * not pause a route and one lucky probe does not resume it. Redirects are not followed.
 */
import { request } from 'undici';
import type { HealthCheckConfig } from '../config/types.ts';

export interface ProbeListener {
  (healthy: boolean, detail: string): void;
}

export class HealthProbe {
  readonly #config: HealthCheckConfig & { url: string };
  readonly #onChange: ProbeListener;
  #healthy = true;
  #streak = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #onDemand: Promise<boolean> | undefined;

  constructor(config: HealthCheckConfig & { url: string }, onChange: ProbeListener) {
    this.#config = config;
    this.#onChange = onChange;
  }

  get healthy(): boolean {
    return this.#healthy;
  }

  /**
   * Probes once before the route takes any record, and reports an endpoint that is down
   * right away: a fresh instance (a restart, a rolling deploy) knows nothing yet, and must not
   * deliver a burst to an endpoint the previous instance had paused for. Later changes need
   * the usual streaks. Periodic probing starts after this.
   */
  async start(): Promise<void> {
    const { ok, detail } = await this.#once();
    if (!ok) {
      this.#healthy = false;
      this.#onChange(false, detail);
    }
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#probe(), this.#config.interval);
  }

  async #probe(): Promise<void> {
    if (this.#stopped) return;
    const started = performance.now();
    const { ok, detail } = await this.#once();
    this.#count(ok, detail);
    if (this.#stopped) return;
    // Fixed rate, not fixed delay: a slow probe does not stretch the detection time.
    const wait = Math.max(0, this.#config.interval - (performance.now() - started));
    this.#timer = setTimeout(() => void this.#probe(), wait);
  }

  /**
   * Probes now, outside the schedule, and reports an endpoint that is down right away (a
   * record is about to climb the failure ladder: was that its failure or the endpoint's?).
   * Concurrent callers share one probe. Resolves true when the endpoint is unhealthy.
   */
  checkNow(): Promise<boolean> {
    if (!this.#healthy) return Promise.resolve(true);
    this.#onDemand ??= this.#once().then(({ ok, detail }) => {
      this.#onDemand = undefined;
      if (!ok && this.#healthy && !this.#stopped) {
        this.#healthy = false;
        this.#streak = 0;
        this.#onChange(false, detail);
      }
      return !this.#healthy;
    });
    return this.#onDemand;
  }

  async #once(): Promise<{ ok: boolean; detail: string }> {
    try {
      const response = await request(this.#config.url, {
        method: 'GET',
        headersTimeout: this.#config.timeout,
        bodyTimeout: this.#config.timeout,
        signal: AbortSignal.timeout(this.#config.timeout),
      });
      await response.body.dump({ limit: 64 * 1024 });
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      return { ok, detail: `status ${response.statusCode}` };
    } catch (error) {
      const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
      return { ok: false, detail: code === '' ? 'request failed' : code };
    }
  }

  #count(ok: boolean, detail: string): void {
    if (ok === this.#healthy) {
      this.#streak = 0;
      return;
    }
    this.#streak++;
    const needed = this.#healthy ? this.#config.unhealthyAfter : this.#config.healthyAfter;
    if (this.#streak < needed) return;
    this.#streak = 0;
    this.#healthy = ok;
    this.#onChange(ok, detail);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
