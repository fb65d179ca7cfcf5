/**
 * What the results are compared with: the ratios of every bridge run to the baselines of the
 * same run, and the targets (reported in the table, never asserted). Every target compares
 * runs of one invocation, on one machine, so the shared machine's noise falls on both sides.
 */
import type { RatioRow, RunResult, TargetRow } from './report.ts';
import { round } from './stats.ts';

function rps(runs: RunResult[], latencyMs: number, name: string): number | null {
  const r = runs.find((x) => x.latencyMs === latencyMs && x.case === name);
  const v = r?.throughput?.recordsPerSecond;
  return v !== undefined && Number.isFinite(v) ? v : null;
}

function ceilingOf(runs: RunResult[], latencyMs: number): number | null {
  const a = rps(runs, latencyMs, 'consume-only');
  const b = rps(runs, latencyMs, 'http-only');
  if (a === null || b === null) return null;
  return Math.min(a, b);
}

function fastest(rows: RunResult[]): RunResult | undefined {
  return rows
    .filter((r) => r.throughput !== null && Number.isFinite(r.throughput.recordsPerSecond))
    .reduce<RunResult | undefined>((b, r) => (b === undefined || r.throughput!.recordsPerSecond > b.throughput!.recordsPerSecond ? r : b), undefined);
}

/** The fastest fixed-mode run against the fragile endpoint: what a user tuning maxInFlight by hand could reach. */
export function bestFixed(runs: RunResult[]): RunResult | undefined {
  return fastest(runs.filter((r) => r.sink === 'fragile' && r.concurrencyMode === 'fixed'));
}

/** Where a run was measured, for notes: its sink latency, or the fragile endpoint. */
export function whereOf(r: RunResult): string {
  return r.sink === 'fragile' ? 'the fragile endpoint' : `${r.latencyMs} ms`;
}

/** The share of a run's requests the sink answered 503 (0..1), or null when the sink did not count. */
export function rejectedShare(r: RunResult): number | null {
  if (r.requests === null || r.requests.received === 0) return null;
  return r.requests.rejected / r.requests.received;
}

export function computeRatios(runs: RunResult[]): RatioRow[] {
  const out: RatioRow[] = [];
  for (const r of runs) {
    // The fragile endpoint is a different endpoint: the steady baselines say nothing about it.
    if (r.kind !== 'bridge' || r.throughput === null || r.sink !== 'steady') continue;
    const ceiling = ceilingOf(runs, r.latencyMs);
    const naive = rps(runs, r.latencyMs, 'naive');
    const v = r.throughput.recordsPerSecond;
    out.push({
      latencyMs: r.latencyMs,
      case: r.case,
      recordsPerSecond: round(v),
      vsCeiling: ceiling === null ? null : round(v / ceiling, 2),
      vsNaive: naive === null ? null : round(v / naive, 2),
    });
  }
  return out;
}

type Compare = 'atLeast' | 'atMost' | 'below';

/** A rate for a note: rounded, or "–" when that case was not run. */
const num = (v: number | null): string => (v === null ? '–' : String(round(v)));

export function computeTargets(runs: RunResult[], concurrency: number): TargetRow[] {
  const targets: TargetRow[] = [];
  const check = (target: string, required: number | null, measured: number | null, unit: string, note: string, compare: Compare = 'atLeast', digits = 0) => {
    const met =
      required === null || measured === null
        ? null
        : compare === 'atLeast'
          ? measured >= required
          : compare === 'atMost'
            ? measured <= required
            : measured < required;
    targets.push({
      target,
      required: required === null ? null : round(required, digits),
      measured: measured === null ? null : round(measured, digits),
      unit,
      met,
      note,
      ...(digits === 0 ? {} : { digits }),
    });
  };
  /** The larger of two requirements (both must hold), or null unless both are known. */
  const both = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.max(a, b));

  const c0 = ceilingOf(runs, 0);
  const naive0 = rps(runs, 0, 'naive');
  const consume0 = rps(runs, 0, 'consume-only');
  const key0 = rps(runs, 0, 'bridge-key');
  // The throughput targets compare like with like: the bridge on the same unconstrained
  // machine as the baselines, one record per request, not the container or batch variants.
  const best0 = fastest(runs.filter((r) => r.latencyMs === 0 && r.kind === 'bridge' && r.sink === 'steady' && r.containerMemoryMiB === null && r.batch === null));
  check(
    '0 ms sink, one record per request, best bridge mode ≥ 1.0 × naive and ≥ 0.8 × min(consume-only, http-only)',
    both(naive0, c0 === null ? null : 0.8 * c0),
    best0?.throughput?.recordsPerSecond ?? null,
    'records/s',
    best0 === undefined ? 'no bridge run' : `best mode: ${best0.case}; max(${num(naive0)}, 0.8 × ${num(c0)})`,
  );

  const c20 = ceilingOf(runs, 20);
  const key20 = rps(runs, 20, 'bridge-key');
  const naive20 = rps(runs, 20, 'naive');
  const theory = concurrency / 0.02;
  check(
    `20 ms sink, ordering key, maxInFlight ${concurrency}: ≥ 0.8 × min(${concurrency} / 0.020 s, consume-only, http-only)`,
    c20 === null ? null : 0.8 * Math.min(theory, c20),
    key20,
    'records/s',
    c20 === null ? '' : `min(${round(theory)}, ${num(rps(runs, 20, 'consume-only'))}, ${num(rps(runs, 20, 'http-only'))})`,
  );
  check('20 ms sink, ordering key: ≥ 20 × naive', naive20 === null ? null : 20 * naive20, key20, 'records/s', '');
  check('20 ms sink, ordering partition: ≥ 0.9 × naive', naive20 === null ? null : 0.9 * naive20, rps(runs, 20, 'bridge-partition'), 'records/s', '');

  const batch0 = runs.find((r) => r.latencyMs === 0 && r.sink === 'steady' && r.batch !== null && r.containerMemoryMiB === null);
  if (batch0 !== undefined) {
    const b = batch0.batch!;
    check(
      `0 ms sink, batch.maxRecords ${b.maxRecords} ${b.format}: ≥ 10 × the bridge's one-record rate (bridge-key) and ≥ 0.5 × consume-only`,
      both(key0 === null ? null : 10 * key0, consume0 === null ? null : 0.5 * consume0),
      rps(runs, 0, batch0.case),
      'records/s',
      `${batch0.case}; max(10 × ${num(key0)}, 0.5 × ${num(consume0)})`,
    );
  }

  const adaptive = runs.find((r) => r.sink === 'fragile' && r.concurrencyMode === 'adaptive');
  if (adaptive !== undefined) {
    const best = bestFixed(runs);
    const adaptiveRate = adaptive.throughput?.recordsPerSecond;
    check(
      `fragile endpoint: adaptive (maxInFlight ${adaptive.concurrency}) ≥ 0.9 × the best fixed maxInFlight of the sweep`,
      best === undefined ? null : 0.9 * best.throughput!.recordsPerSecond,
      adaptiveRate !== undefined && Number.isFinite(adaptiveRate) ? adaptiveRate : null,
      'records/s',
      best === undefined ? 'no fixed run' : `best fixed: ${best.case}`,
    );
    const share = rejectedShare(adaptive);
    check('fragile endpoint: adaptive, requests answered 503 < 1%', 1, share === null ? null : share * 100, '%', adaptive.case, 'below', 2);
  }

  const worstOf = (rows: RunResult[]) =>
    rows.filter((r) => r.peakRssMB !== null).reduce<RunResult | undefined>((w, r) => (w === undefined || r.peakRssMB! > w.peakRssMB! ? r : w), undefined);
  const rssCheck = (label: string, rows: RunResult[]) => {
    const worst = worstOf(rows);
    check(label, 200, worst?.peakRssMB ?? null, 'MB', worst === undefined ? '' : `highest: ${worst.case} at ${whereOf(worst)}`, 'atMost');
  };
  rssCheck('peak RSS ≤ 200 MB in every case, unconstrained machine', runs.filter((r) => r.containerMemoryMiB === null));
  const contained = runs.filter((r) => r.containerMemoryMiB !== null);
  if (contained.length > 0) rssCheck(`peak RSS ≤ 200 MB, bridge as in a ${contained[0]!.containerMemoryMiB} MiB container`, contained);
  return targets;
}
