/**
 * What the demo reads from the running bridge, through its public endpoints only (as an
 * operator's dashboard would): record outcomes from /metrics, route state from /ready.
 */
export interface Outcomes {
  delivered: number;
  retry_scheduled: number;
  dead_lettered: number;
  discarded: number;
  filtered: number;
}

export interface RouteState {
  readonly name: string;
  readonly paused: boolean;
  readonly pausedReasons: readonly string[];
  readonly breaker?: string;
}

const DELIVERIES = /^kafka_http_bridge_deliveries_total\{([^}]*)\}\s+(\S+)$/;
const OUTCOME = /(?:^|,)outcome="([^"]*)"/;

export function emptyOutcomes(): Outcomes {
  return { delivered: 0, retry_scheduled: 0, dead_lettered: 0, discarded: 0, filtered: 0 };
}

/** Sums `kafka_http_bridge_deliveries_total` over routes, per outcome. */
export function parseOutcomes(metricsText: string): Outcomes {
  const out = emptyOutcomes();
  for (const line of metricsText.split('\n')) {
    const m = DELIVERIES.exec(line.trim());
    const outcome = m === null ? undefined : OUTCOME.exec(m[1]!)?.[1];
    if (outcome !== undefined && outcome in out) out[outcome as keyof Outcomes] += Number(m![2]);
  }
  return out;
}

export async function fetchOutcomes(opsUrl: string): Promise<Outcomes> {
  const res = await fetch(`${opsUrl}/metrics`, { signal: AbortSignal.timeout(2_000) });
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return parseOutcomes(await res.text());
}

export async function fetchReady(opsUrl: string): Promise<{ ready: boolean; state: string; routes: RouteState[] }> {
  const res = await fetch(`${opsUrl}/ready`, { signal: AbortSignal.timeout(2_000) });
  const body = (await res.json()) as { state?: string; routes?: RouteState[] };
  return { ready: res.status === 200, state: body.state ?? 'unknown', routes: body.routes ?? [] };
}
