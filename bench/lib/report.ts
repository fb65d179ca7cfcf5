/**
 * The benchmark's results: the machine-readable shape (bench/results.json) and the markdown
 * block the script writes into docs/benchmarks.md between the BEGIN/END markers (everything
 * outside the markers is hand-written and kept). The ratios and targets are computed in
 * lib/targets.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FRAGILE } from './fragile.ts';
import { bestFixed, rejectedShare, whereOf } from './targets.ts';

export type CaseKind = 'consume-only' | 'http-only' | 'naive' | 'bridge';
export type Ordering = 'partition' | 'key' | 'none';
/** steady: answers 200 after the run's fixed latency; fragile: see lib/fragile.ts. */
export type SinkMode = 'steady' | 'fragile';
export type ConcurrencyMode = 'fixed' | 'adaptive';

/** A route's `batch` settings, as written into the bridge's YAML. */
export interface BatchSettings {
  maxRecords: number;
  maxBytes: number;
  maxWait: string;
  format: 'json-array' | 'ndjson';
}

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
  /** The endpoint the case delivered to; a fragile run's latencyMs is the fragile endpoint's base latency. */
  sink: SinkMode;
  /** Bridge only: the route's concurrency.mode when the case sets one (null: the key is left out). */
  concurrencyMode: ConcurrencyMode | null;
  /** Bridge only: the route's batch settings (null: one record per request). */
  batch: BatchSettings | null;
  /** Cases that deliver over HTTP: requests the sink received in the throughput phase, and how many it answered 503. */
  requests: { received: number; rejected: number } | null;
  /** Bridge only: its route's concurrency limit (mean, last) and records in flight (mean), sampled while records flowed. */
  routeConcurrency: { limitMean: number | null; limitLast: number | null; inFlightMean: number } | null;
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
  /** Decimals shown (0 unless the unit needs them, e.g. a percentage below 1). */
  digits?: number;
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
    /** The fragile endpoint's curve (lib/fragile.ts) and the throughput window of its cases. */
    fragile?: { baseMs: number; knee: number; stepMs: number; limit: number; windowCapSeconds: number };
  };
  runs: RunResult[];
  ratios: RatioRow[];
  targets: TargetRow[];
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
  const batched = res.runs.find((r) => r.batch !== null);
  const b = batched?.batch ?? null;
  lines.push(
    `**Workload** ${fmt(w.records)} records preloaded on ${res.broker ?? 'the dev broker'} (${w.partitions} partitions, ${fmt(w.keys)} keys, ` +
      `${w.valueBytes}-byte JSON values, produced in batches of ${fmt(w.producerBatchPerPartition)} records per partition). ` +
      `Throughput: first record received to last, each case capped at ${w.windowCapSeconds} s. ` +
      `Latency: a separate paced phase on an idle consumer (${w.live.seconds} s at min(${fmt(w.live.maxRatePerSecond)} records/s, ` +
      `half the case's throughput) after ${w.live.warmupSeconds} s of warm-up); sink receive time minus record timestamp. ` +
      `Concurrency ${w.concurrency} (http-only loops, bridge maxInFlight); naive and consume-only: one partition per worker slot ` +
      `(partitionsConsumedConcurrently ${w.partitions}), fetch wait ${w.baselineMaxWaitTimeInMs} ms like the bridge.` +
      (b === null
        ? ''
        : ` ${batched!.case}: batch.maxRecords ${fmt(b.maxRecords)}, maxBytes ${fmt(b.maxBytes)}, maxWait ${b.maxWait}, ${b.format}; ` +
          `the sink counts a request as its kafka-batch-size records and, in the latency phase only, reads each envelope's timestamp.`),
  );
  // One entry per set of flags: the sweep cases would otherwise repeat the same flags a dozen times.
  const byFlags = new Map<string, Set<string>>();
  for (const r of res.runs) {
    if (r.nodeFlags.length === 0) continue;
    const key = r.nodeFlags.join(' ');
    byFlags.set(key, (byFlags.get(key) ?? new Set()).add(r.case));
  }
  if (byFlags.size > 0) {
    lines.push('');
    lines.push(`**Node flags** ${[...byFlags].map(([flags, names]) => `\`${flags}\`: ${[...names].join(', ')}`).join(' · ')}`);
  }
  for (const latency of w.sinkLatenciesMs) lines.push(...steadyTable(res, latency));
  lines.push(...fragileTable(res));
  const failed = res.runs.filter((r) => r.errors.length > 0);
  if (failed.length > 0) {
    lines.push('');
    for (const r of failed) lines.push(`- ${r.case} at ${whereOf(r)} (${r.status}): ${r.errors.join('; ').replaceAll('\n', ' ').slice(0, 300)}`);
  }
  lines.push('');
  lines.push('#### Targets (reported, not asserted)');
  lines.push('');
  lines.push('| target | required | measured | met |');
  lines.push('| --- | ---: | ---: | :---: |');
  for (const t of res.targets) {
    const met = t.met === null ? 'n/a' : t.met ? 'yes' : '**no**';
    lines.push(`| ${t.target}${t.note ? ` (${t.note})` : ''} | ${fmt(t.required, t.digits)} ${t.unit} | ${fmt(t.measured, t.digits)} ${t.unit} | ${met} |`);
  }
  return lines.join('\n');
}

const statusOf = (r: RunResult): string =>
  (r.status === 'ok' ? '' : ` **${r.status}**`) + (r.reusedFromLatencyMs === null ? '' : ` (the ${r.reusedFromLatencyMs} ms run)`);

function overOf(r: RunResult): string {
  const t = r.throughput;
  return t === null ? '–' : `${fmt(t.records)} in ${fmt(t.seconds, 1)} s${t.complete ? '' : ' (capped)'}`;
}

function steadyTable(res: BenchResults, latency: number): string[] {
  const runs = res.runs.filter((r) => r.latencyMs === latency && r.sink === 'steady');
  if (runs.length === 0) return [];
  const lines = ['', `#### Sink latency ${latency} ms`, ''];
  lines.push('| case | records/s | measured over | ÷ min(consume-only, http-only) | ÷ naive | latency p50 / p99 ms (at records/s) | peak RSS MB | CPU s / 10k records |');
  lines.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of runs) {
    const ratio = res.ratios.find((x) => x.latencyMs === latency && x.case === r.case);
    const lat = r.latency === null ? '–' : `${fmt(r.latency.p50Ms)} / ${fmt(r.latency.p99Ms)} (${fmt(r.latency.ratePerSecond)})`;
    lines.push(
      `| ${r.case}${statusOf(r)} | ${fmt(r.throughput?.recordsPerSecond)} | ${overOf(r)} | ${ratio ? fmt(ratio.vsCeiling, 2) : ''} | ${ratio ? fmt(ratio.vsNaive, 2) : ''} | ${lat} | ${fmt(r.peakRssMB)} | ${fmt(r.cpuSecondsPer10k, 2)} |`,
    );
  }
  return lines;
}

function fragileTable(res: BenchResults): string[] {
  const runs = res.runs.filter((r) => r.sink === 'fragile');
  if (runs.length === 0) return [];
  const f = res.workload.fragile ?? { ...FRAGILE, windowCapSeconds: res.workload.windowCapSeconds };
  const best = bestFixed(runs);
  const lines = ['', '#### Fragile endpoint', ''];
  lines.push(
    `${f.baseMs} ms per request while at most ${f.knee} are served at once, ${f.stepMs} ms more per request beyond ${f.knee}, ` +
      `503 at once beyond ${f.limit}. Each case drains the backlog for ${f.windowCapSeconds} s from its first record; records/s counts only records answered 2xx, ` +
      `over the whole window (a route paused by its circuit breaker counts as the silence it is). No latency phase.`,
  );
  lines.push('');
  lines.push('| case | concurrency | records/s | measured over | ÷ best fixed | requests answered 503 | limit / in flight, means | peak RSS MB | CPU s / 10k records |');
  lines.push('| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of runs) {
    const v = r.throughput?.recordsPerSecond;
    const vsBest = best === undefined || v === undefined ? null : v / best.throughput!.recordsPerSecond;
    const share = rejectedShare(r);
    lines.push(
      `| ${r.case}${statusOf(r)} | ${r.concurrencyMode ?? 'default'}, maxInFlight ${r.concurrency} | ${fmt(v)} | ${overOf(r)} | ${fmt(vsBest, 2)} | ` +
        `${share === null ? '–' : `${fmt(share * 100, 2)}%`} | ${fmt(r.routeConcurrency?.limitMean)} / ${fmt(r.routeConcurrency?.inFlightMean)} | ${fmt(r.peakRssMB)} | ${fmt(r.cpuSecondsPer10k, 2)} |`,
    );
  }
  return lines;
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
