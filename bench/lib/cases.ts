/**
 * The benchmark's cases: the baselines, the bridge in each ordering mode, the bridge as in a
 * 512 MiB container, the bridge batching, and the fixed-versus-adaptive sweep against the
 * fragile endpoint (lib/fragile.ts). Steady cases run once per sink latency; the fragile ones
 * bring their own latency curve and run once.
 */
import type { BatchSettings, CaseKind, ConcurrencyMode, Ordering, SinkMode } from './report.ts';
import { CONTAINER_FLAGS, CONTAINER_MIB, SHIPPED_BRIDGE_FLAGS } from './node-flags.ts';

export interface BenchCase {
  id: string;
  kind: CaseKind;
  ordering: Ordering | null;
  containerMemoryMiB?: number;
  sink: SinkMode;
  /** Bridge only: the route's maxInFlight; CONCURRENCY when absent. */
  maxInFlight?: number;
  /** Bridge only: written as the route's concurrency.mode; when absent the key is left out (the bridge's default). */
  concurrencyMode?: ConcurrencyMode;
  /** Bridge only: the route's batch settings; when absent, one record per request (the default). */
  batch?: BatchSettings;
}

/** http-only's request loops and the bridge's maxInFlight, unless a case sets its own. */
export const CONCURRENCY = 256;

export const BATCH: BatchSettings = { maxRecords: 500, maxBytes: 1_048_576, maxWait: '20ms', format: 'json-array' };

/**
 * maxInFlight values the fixed-mode sweep tries. The fragile endpoint peaks at 32 requests
 * being served, so the points are dense around it (24, 32, 40, 48) to find the best fixed
 * value; 16 shows the slope below, 64 the slow end just short of the 503s, 128 and 256 what
 * "as many as allowed" does. Quick mode keeps the peak, the edge and the worst.
 */
export const FRAGILE_SWEEP_FULL: readonly number[] = [16, 24, 32, 40, 48, 64, 128, 256];
export const FRAGILE_SWEEP_QUICK: readonly number[] = [32, 64, 256];
/** The adaptive case's ceiling: the same maxInFlight as the other bridge cases. */
export const ADAPTIVE_MAX_IN_FLIGHT = CONCURRENCY;

const fixedId = (n: number) => `bridge-fragile-fixed-${n}`;
export const ADAPTIVE_ID = `bridge-fragile-adaptive-${ADAPTIVE_MAX_IN_FLIGHT}`;

export const ALL_CASES: readonly BenchCase[] = [
  { id: 'consume-only', kind: 'consume-only', ordering: null, sink: 'steady' },
  { id: 'http-only', kind: 'http-only', ordering: null, sink: 'steady' },
  { id: 'naive', kind: 'naive', ordering: null, sink: 'steady' },
  { id: 'bridge-partition', kind: 'bridge', ordering: 'partition', sink: 'steady' },
  { id: 'bridge-key', kind: 'bridge', ordering: 'key', sink: 'steady' },
  { id: 'bridge-none', kind: 'bridge', ordering: 'none', sink: 'steady' },
  // The default concurrency mode is adaptive; this one keeps maxInFlight requests, as before.
  { id: 'bridge-key-fixed', kind: 'bridge', ordering: 'key', sink: 'steady', concurrencyMode: 'fixed' },
  { id: `bridge-partition-${CONTAINER_MIB}mib`, kind: 'bridge', ordering: 'partition', sink: 'steady', containerMemoryMiB: CONTAINER_MIB },
  { id: `bridge-key-${CONTAINER_MIB}mib`, kind: 'bridge', ordering: 'key', sink: 'steady', containerMemoryMiB: CONTAINER_MIB },
  { id: 'bridge-batch', kind: 'bridge', ordering: 'key', sink: 'steady', batch: BATCH },
  ...FRAGILE_SWEEP_FULL.map(
    (n): BenchCase => ({ id: fixedId(n), kind: 'bridge', ordering: 'key', sink: 'fragile', maxInFlight: n, concurrencyMode: 'fixed' }),
  ),
  { id: ADAPTIVE_ID, kind: 'bridge', ordering: 'key', sink: 'fragile', maxInFlight: ADAPTIVE_MAX_IN_FLIGHT, concurrencyMode: 'adaptive' },
];

/**
 * The cases a run makes when --cases is not given. Quick mode leaves out bridge-none (no
 * target depends on it), the container variants and most of the sweep, to stay near two
 * minutes; --profile profiles the bridge against the steady sink only.
 */
export function defaultCases(quick: boolean, profile: boolean): BenchCase[] {
  if (profile) return ALL_CASES.filter((c) => c.kind === 'bridge' && c.sink === 'steady' && c.containerMemoryMiB === undefined);
  if (!quick) return [...ALL_CASES];
  const quickSweep = new Set(FRAGILE_SWEEP_QUICK.map(fixedId));
  return ALL_CASES.filter(
    (c) => c.id !== 'bridge-none' && c.containerMemoryMiB === undefined && (c.sink === 'steady' || c.id === ADAPTIVE_ID || quickSweep.has(c.id)),
  );
}

export function nodeFlagsOf(c: BenchCase): string[] {
  if (c.kind !== 'bridge') return [];
  return [...SHIPPED_BRIDGE_FLAGS, ...(c.containerMemoryMiB === undefined ? [] : CONTAINER_FLAGS)];
}
