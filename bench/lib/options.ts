/**
 * The command line of bench/run.ts and what it settles: the mode (a run with any option that
 * changes what is measured is reported as "custom", never as a full or quick run), the cases,
 * the sizes and the phases' lengths.
 */
import { parseArgs } from 'node:util';
import type { BenchResults } from './report.ts';
import { ADAPTIVE_ID, ALL_CASES, FRAGILE_SWEEP_FULL, FRAGILE_SWEEP_QUICK, defaultCases, type BenchCase } from './cases.ts';
import { CONTAINER_MIB } from './node-flags.ts';

const HELP = `usage: node bench/run.ts [--quick] [options]

  --quick                 fewer records, shorter phases and fewer sweep points (about 2½ minutes)
  --records N             records preloaded (default 160000 full, 20000 quick)
  --cases a,b,...         subset of: consume-only, http-only, naive, bridge-partition, bridge-key, bridge-none,
                          bridge-key-fixed (concurrency.mode fixed, where the others use the default, adaptive),
                          bridge-partition-${CONTAINER_MIB}mib, bridge-key-${CONTAINER_MIB}mib (the bridge as in a ${CONTAINER_MIB} MiB container),
                          bridge-batch (batch.maxRecords 500, json-array);
                          against the fragile endpoint, run once (concurrency.mode fixed, then adaptive):
                          bridge-fragile-fixed-N for N in ${FRAGILE_SWEEP_FULL.join(', ')} (quick default: ${FRAGILE_SWEEP_QUICK.join(', ')}),
                          ${ADAPTIVE_ID}
  --latencies 0,20        sink latencies in ms (default 0,20); the fragile cases bring their own curve
  --window S              cap on a case's throughput phase, seconds (default 40 full, 6 quick)
  --fragile-window S      throughput phase of each fragile case, seconds (default 10 full, 5 quick)
  --live-rate R           max paced rate of the latency phase, records/s (default 1000)
  --live-seconds S        measured part of the latency phase (default 5 full, 2 quick; 0 = no
                          latency phase, for quick A/B runs of throughput, CPU and RSS)
  --profile               CPU-profile the bridge workers (node --cpu-prof) and print where the
                          time went; profiles go to a temporary directory and are deleted
  --keep-profiles DIR     with --profile: copy the .cpuprofile files to DIR (outside the repo!)
  --bridge-node-flags F   extra node flags for the bridge workers only, e.g. "--max-semi-space-size=32"
                          (for experiments; such a run is reported as mode "custom")
  --no-write              write no result files (print only)
  --help`;

/** Enough for a 40 s window of the fastest case; the same count as the earlier dev-broker runs. */
const RECORDS_FULL = 160_000;
const RECORDS_QUICK = 20_000;

export interface Settings {
  mode: BenchResults['mode'];
  quick: boolean;
  records: number;
  windowMs: number;
  /** Throughput phase of a fragile case: always capped, since 503s keep some records from ever arriving. */
  fragileWindowMs: number;
  liveRate: number;
  liveMs: number;
  warmupMs: number;
  latencies: number[];
  cases: BenchCase[];
  bridgeNodeFlags: string[];
  profile: boolean;
  keepProfiles: string | undefined;
  writeFiles: boolean;
}

function intOption(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer >= ${min}, got ${raw}`);
    process.exit(64);
  }
  return n;
}

/** Reads the command line; prints the help or a usage error and exits where it must. */
export function readSettings(): Settings {
  const { values: opts } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      records: { type: 'string' },
      cases: { type: 'string' },
      latencies: { type: 'string', default: '0,20' },
      window: { type: 'string' },
      'fragile-window': { type: 'string' },
      'live-rate': { type: 'string', default: '1000' },
      'live-seconds': { type: 'string' },
      profile: { type: 'boolean', default: false },
      'keep-profiles': { type: 'string' },
      'bridge-node-flags': { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (opts.help) {
    console.log(HELP);
    process.exit(0);
  }
  const quick = opts.quick;
  const caseIds = opts.cases?.split(',').map((s) => s.trim()) ?? defaultCases(quick, opts.profile).map((c) => c.id);
  for (const id of caseIds) {
    if (!ALL_CASES.some((c) => c.id === id)) {
      console.error(`unknown case ${id}; known: ${ALL_CASES.map((c) => c.id).join(', ')}`);
      process.exit(64);
    }
  }
  const bridgeNodeFlags = opts['bridge-node-flags']?.split(' ').filter((f) => f !== '') ?? [];
  const customized =
    opts.records !== undefined ||
    opts.cases !== undefined ||
    opts.latencies !== '0,20' ||
    opts.window !== undefined ||
    opts['fragile-window'] !== undefined ||
    opts['live-seconds'] !== undefined ||
    opts['live-rate'] !== '1000' ||
    opts.profile ||
    bridgeNodeFlags.length > 0;
  return {
    mode: customized ? 'custom' : quick ? 'quick' : 'full',
    quick,
    records: intOption('records', opts.records, quick ? RECORDS_QUICK : RECORDS_FULL, 1_000),
    windowMs: intOption('window', opts.window, quick ? 6 : 40, 1) * 1000,
    fragileWindowMs: intOption('fragile-window', opts['fragile-window'], quick ? 5 : 10, 1) * 1000,
    liveRate: intOption('live-rate', opts['live-rate'], 1000, 1),
    liveMs: intOption('live-seconds', opts['live-seconds'], quick ? 2 : 5, 0) * 1000,
    warmupMs: quick ? 500 : 1000,
    latencies: opts.latencies.split(',').map((s) => intOption('latencies', s.trim(), 0, 0)),
    cases: ALL_CASES.filter((c) => caseIds.includes(c.id)),
    bridgeNodeFlags,
    profile: opts.profile,
    keepProfiles: opts['keep-profiles'],
    writeFiles: !opts['no-write'] && !opts.profile,
  };
}
