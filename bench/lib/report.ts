/**
 * The benchmark's results: the machine-readable shape (bench/results.json), the ratios and
 * targets computed from it, and the markdown block the script writes into docs/benchmarks.md
 * between the BEGIN/END markers (everything outside the markers is hand-written and kept).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { round } from './stats.ts';

export type CaseKind = 'consume-only' | 'http-only' | 'naive' | 'bridge';
export type Ordering = 'partition' | 'key' | 'none';

export interface ThroughputResult {
  /** Records counted in the measurement window. */
  records: number;
  /** First record received to last, seconds. */
  seconds: number;
  recordsPerSecond: number;
  /** false: the window cap ended the phase before the whole backlog was delivered. */
  complete: boolean;
  /** Bridge only: the group's committed offsets reached the end offsets after a complete run. */
  committedAll: boolean | null;
}

export interface LatencyResult {
  /** Paced rate of the live phase, records/s. */
  ratePerSecond: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface RunResult {
  case: string;
  kind: CaseKind;
  ordering: Ordering | null;
  latencyMs: number;
  concurrency: number;
  status: 'ok' | 'partial' | 'failed';
  errors: string[];
  throughput: ThroughputResult | null;
  latency: LatencyResult | null;
  /** Peak RSS of the process that consumed/delivered (kernel VmHWM), MB. */
  peakRssMB: number | null;
  /** CPU time of that process from its start of work to the end of the window. */
  cpuSeconds: number | null;
  cpuSecondsPer10k: number | null;
  /** Memory detail of the measured process, MB: after start-up, and at the sampled RSS peak. */
  memory: { startupRssMB: number; startupPeakRssMB: number; atPeak: { rssMB: number; heapUsedMB: number; heapTotalMB: number; externalMB: number }; liveHeapAfterMajorGcMB: number } | null;
  /** Set when this row repeats the run at another sink latency (consume-only ignores the sink). */
  reusedFromLatencyMs: number | null;
  wallSeconds: number;
  /** 1-minute load average of the machine when the case started: other work on a shared machine shows here. */
  loadAverageBefore: number;
  /** Bridge only: offset commits the bridge made during the throughput phase. */
  offsetCommits: number | null;
  /** Node flags the measured process ran with beyond the defaults (the bridge's shipped flags, a container's heap). */
  nodeFlags: string[];
  /** Set for the bridge measured as in a container with this memory limit (Node sizes its heap from it). */
  containerMemoryMiB: number | null;
}

export interface RatioRow {
  latencyMs: number;
  case: string;
  recordsPerSecond: number;
  /** bridge ÷ min(consume-only, http-only) */
  vsCeiling: number | null;
  vsNaive: number | null;
}

export interface TargetRow {
  target: string;
  required: number | null;
  measured: number | null;
  unit: string;
  met: boolean | null;
  note: string;
}

export interface BenchResults {
  schema: 1;
  mode: 'full' | 'quick' | 'custom';
  date: string;
  durationSeconds: number;
  /** The commit measured, and files under src/, bin/ and package.json that differed from it. */
  source: { commit: string; changedFiles: string[] };
  machine: { cores: number; cpuModel: string; memoryGiB: number; platform: string; arch: string; node: string; loadAverageAtEnd: number[] };
  /** The broker the run used: Apache Kafka and its version. */
  broker?: string;
  workload: {
    records: number;
    partitions: number;
    keys: number;
    valueBytes: number;
    producerBatchPerPartition: number;
    windowCapSeconds: number;
    concurrency: number;
    sinkLatenciesMs: number[];
    live: { maxRatePerSecond: number; warmupSeconds: number; seconds: number };
    baselineMaxWaitTimeInMs: number;
  };
  runs: RunResult[];
  ratios: RatioRow[];
  targets: TargetRow[];
}

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

export function computeRatios(runs: RunResult[]): RatioRow[] {
  const out: RatioRow[] = [];
  for (const r of runs) {
    if (r.kind !== 'bridge' || r.throughput === null) continue;
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

export function computeTargets(runs: RunResult[], concurrency: number): TargetRow[] {
  const targets: TargetRow[] = [];
  const check = (target: string, required: number | null, measured: number | null, unit: string, note: string, atMost = false) =>
    targets.push({
      target,
      required: required === null ? null : round(required),
      measured: measured === null ? null : round(measured),
      unit,
      met: required === null || measured === null ? null : atMost ? measured <= required : measured >= required,
      note,
    });

  const c0 = ceilingOf(runs, 0);
  // The throughput targets compare like with like: the bridge on the same unconstrained
  // machine as the baselines, not the container variants.
  const bridge0 = runs.filter((r) => r.latencyMs === 0 && r.kind === 'bridge' && r.containerMemoryMiB === null && r.throughput !== null);
  const best0 = bridge0.reduce<RunResult | undefined>((b, r) => (b === undefined || r.throughput!.recordsPerSecond > b.throughput!.recordsPerSecond ? r : b), undefined);
  check(
    '0 ms sink, best bridge mode ≥ 0.8 × min(consume-only, http-only)',
    c0 === null ? null : 0.8 * c0,
    best0?.throughput?.recordsPerSecond ?? null,
    'records/s',
    best0 === undefined ? 'no bridge run' : `best mode: ${best0.case}`,
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
    c20 === null ? '' : `min(${round(theory)}, ${round(rps(runs, 20, 'consume-only') ?? NaN)}, ${round(rps(runs, 20, 'http-only') ?? NaN)})`,
  );
  check('20 ms sink, ordering key: ≥ 20 × naive', naive20 === null ? null : 20 * naive20, key20, 'records/s', '');
  check('20 ms sink, ordering partition: ≥ 0.9 × naive', naive20 === null ? null : 0.9 * naive20, rps(runs, 20, 'bridge-partition'), 'records/s', '');

  const worstOf = (rows: RunResult[]) =>
    rows.filter((r) => r.peakRssMB !== null).reduce<RunResult | undefined>((w, r) => (w === undefined || r.peakRssMB! > w.peakRssMB! ? r : w), undefined);
  const rssCheck = (label: string, rows: RunResult[]) => {
    const worst = worstOf(rows);
    check(label, 200, worst?.peakRssMB ?? null, 'MB', worst === undefined ? '' : `highest: ${worst.case} at ${worst.latencyMs} ms`, true);
  };
  rssCheck('peak RSS ≤ 200 MB in every case, unconstrained machine', runs.filter((r) => r.containerMemoryMiB === null));
  const contained = runs.filter((r) => r.containerMemoryMiB !== null);
  if (contained.length > 0) rssCheck(`peak RSS ≤ 200 MB, bridge as in a ${contained[0]!.containerMemoryMiB} MiB container`, contained);
  return targets;
}

const fmt = (v: number | null | undefined, digits = 0): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const BEGIN = '<!-- bench:begin -->';
export const END = '<!-- bench:end -->';

export function renderMarkdown(res: BenchResults): string {
  const w = res.workload;
  const lines: string[] = [];
  lines.push(`_Generated by \`node bench/run.ts${res.mode === 'quick' ? ' --quick' : ''}\` on ${res.date.slice(0, 10)}; re-run it to refresh this block, edit nothing inside it by hand._`);
  lines.push('');
  lines.push(
    `**Mode** ${res.mode} · **Node** ${res.machine.node} · **cores** ${res.machine.cores} (${res.machine.cpuModel}) · ` +
      `**memory** ${res.machine.memoryGiB} GiB · ${res.machine.platform}/${res.machine.arch} · **run time** ${fmt(res.durationSeconds / 60, 1)} min`,
  );
  const changed = res.source.changedFiles.length;
  lines.push('');
  lines.push(`**Code measured** commit \`${res.source.commit}\`${changed > 0 ? ` plus uncommitted changes to ${changed} file${changed === 1 ? '' : 's'} (listed in bench/results.json)` : ''}`);
  lines.push('');
  lines.push(
    `**Workload** ${fmt(w.records)} records preloaded on ${res.broker ?? 'the dev broker'} (${w.partitions} partitions, ${fmt(w.keys)} keys, ` +
      `${w.valueBytes}-byte JSON values, produced in batches of ${fmt(w.producerBatchPerPartition)} records per partition). ` +
      `Throughput: first record received to last, each case capped at ${w.windowCapSeconds} s. ` +
      `Latency: a separate paced phase on an idle consumer (${w.live.seconds} s at min(${fmt(w.live.maxRatePerSecond)} records/s, ` +
      `half the case's throughput) after ${w.live.warmupSeconds} s of warm-up); sink receive time minus record timestamp. ` +
      `Concurrency ${w.concurrency} (http-only loops, bridge maxInFlight); naive and consume-only: one partition per worker slot ` +
      `(partitionsConsumedConcurrently ${w.partitions}), fetch wait ${w.baselineMaxWaitTimeInMs} ms like the bridge.`,
  );
  const flagged = res.runs.filter((r) => r.nodeFlags.length > 0);
  if (flagged.length > 0) {
    lines.push('');
    lines.push(
      `**Node flags** ${[...new Set(flagged.map((r) => `${r.case}: \`${r.nodeFlags.join(' ')}\``))].join(' · ')}`,
    );
  }
  for (const latency of w.sinkLatenciesMs) {
    const runs = res.runs.filter((r) => r.latencyMs === latency);
    if (runs.length === 0) continue;
    lines.push('');
    lines.push(`#### Sink latency ${latency} ms`);
    lines.push('');
    lines.push('| case | records/s | measured over | ÷ min(consume-only, http-only) | ÷ naive | latency p50 / p99 ms (at records/s) | peak RSS MB | CPU s / 10k records |');
    lines.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of runs) {
      const ratio = res.ratios.find((x) => x.latencyMs === latency && x.case === r.case);
      const t = r.throughput;
      const over = t === null ? '–' : `${fmt(t.records)} in ${fmt(t.seconds, 1)} s${t.complete ? '' : ' (capped)'}`;
      const lat = r.latency === null ? '–' : `${fmt(r.latency.p50Ms)} / ${fmt(r.latency.p99Ms)} (${fmt(r.latency.ratePerSecond)})`;
      const status = (r.status === 'ok' ? '' : ` **${r.status}**`) + (r.reusedFromLatencyMs === null ? '' : ` (the ${r.reusedFromLatencyMs} ms run)`);
      lines.push(
        `| ${r.case}${status} | ${fmt(t?.recordsPerSecond)} | ${over} | ${ratio ? fmt(ratio.vsCeiling, 2) : ''} | ${ratio ? fmt(ratio.vsNaive, 2) : ''} | ${lat} | ${fmt(r.peakRssMB)} | ${fmt(r.cpuSecondsPer10k, 2)} |`,
      );
    }
  }
  const failed = res.runs.filter((r) => r.errors.length > 0);
  if (failed.length > 0) {
    lines.push('');
    for (const r of failed) lines.push(`- ${r.case} at ${r.latencyMs} ms (${r.status}): ${r.errors.join('; ').replaceAll('\n', ' ').slice(0, 300)}`);
  }
  lines.push('');
  lines.push('#### Targets (reported, not asserted)');
  lines.push('');
  lines.push('| target | required | measured | met |');
  lines.push('| --- | ---: | ---: | :---: |');
  for (const t of res.targets) {
    const met = t.met === null ? 'n/a' : t.met ? 'yes' : '**no**';
    lines.push(`| ${t.target}${t.note ? ` (${t.note})` : ''} | ${fmt(t.required)} ${t.unit} | ${fmt(t.measured)} ${t.unit} | ${met} |`);
  }
  return lines.join('\n');
}

const SKELETON = `# Benchmarks

${BEGIN}
${END}
`;

/** Replaces the generated block of `file` (creating the file if needed), keeping everything around it. */
export function writeGeneratedBlock(file: string, block: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : SKELETON;
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  let next: string;
  if (start < 0 || end < start) next = `${text.trimEnd()}\n\n${BEGIN}\n${block}\n${END}\n`;
  else next = `${text.slice(0, start + BEGIN.length)}\n${block}\n${text.slice(end)}`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, next);
}
