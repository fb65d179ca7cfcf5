/**
 * Benchmark harness: the bridge and its baselines, side by side, in one run on Apache Kafka.
 *
 *   node bench/run.ts            full mode: writes bench/results.json and the generated block
 *                                of docs/benchmarks.md
 *   node bench/run.ts --quick    quick mode for iteration (< 2 minutes): fewer records, shorter
 *                                phases; writes bench/results.quick.json only
 *   node bench/run.ts --help     every option
 *
 * Processes: this orchestrator (broker control, producing), one Apache Kafka broker (a JVM,
 * tools/kafka), one HTTP sink
 * (bench/sink.ts) for the whole run, and per case two workers (bench/worker.ts): one drains
 * the preloaded backlog (throughput, CPU, RSS), one gets paced records on a fresh topic
 * (latency). Every child is stopped at the end of its case, killed if it does not stop, and
 * killed on any exit of this process.
 */
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { KafkaCluster } from '../tools/kafka/kafka-cluster.ts';
import { quietKnownWarnings } from '../src/kafka/kafka-client.ts';
import type { CounterReset, CounterStats } from './lib/counter.ts';
import { killAllChildren, spawnChild, stopChild, type SpawnedChild } from './lib/children.ts';
import type { Peer } from './lib/ipc.ts';
import type { ResourceMark } from './lib/resources.ts';
import {
  computeRatios,
  computeTargets,
  renderMarkdown,
  writeGeneratedBlock,
  type BenchResults,
  type CaseKind,
  type Ordering,
  type RunResult,
} from './lib/report.ts';
import { percentile, ratePerSecond, round } from './lib/stats.ts';
import { CONTAINER_FLAGS, CONTAINER_MIB, SHIPPED_BRIDGE_FLAGS } from './lib/node-flags.ts';
import { KEYS, PACE_TICK_MS, RecordFactory, VALUE_BYTES } from './lib/workload.ts';
import { summarizeProfile, formatSummary } from './profile-summary.ts';
import type { StartReply, WorkerSpec } from './worker.ts';

const HELP = `usage: node bench/run.ts [--quick] [options]

  --quick                 fewer records and shorter phases (finishes in under 2 minutes)
  --records N             records preloaded (default 160000 full, 20000 quick)
  --cases a,b,...         subset of: consume-only,http-only,naive,bridge-partition,bridge-key,bridge-none,
                          bridge-partition-512mib,bridge-key-512mib (the bridge as in a 512 MiB container)
  --latencies 0,20        sink latencies in ms (default 0,20)
  --window S              cap on a case's throughput phase, seconds (default 40 full, 6 quick)
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

interface BenchCase {
  id: string;
  kind: CaseKind;
  ordering: Ordering | null;
  containerMemoryMiB?: number;
}

const ALL_CASES: BenchCase[] = [
  { id: 'consume-only', kind: 'consume-only', ordering: null },
  { id: 'http-only', kind: 'http-only', ordering: null },
  { id: 'naive', kind: 'naive', ordering: null },
  { id: 'bridge-partition', kind: 'bridge', ordering: 'partition' },
  { id: 'bridge-key', kind: 'bridge', ordering: 'key' },
  { id: 'bridge-none', kind: 'bridge', ordering: 'none' },
  { id: `bridge-partition-${CONTAINER_MIB}mib`, kind: 'bridge', ordering: 'partition', containerMemoryMiB: CONTAINER_MIB },
  { id: `bridge-key-${CONTAINER_MIB}mib`, kind: 'bridge', ordering: 'key', containerMemoryMiB: CONTAINER_MIB },
];

function nodeFlagsOf(c: BenchCase): string[] {
  if (c.kind !== 'bridge') return [];
  return [...SHIPPED_BRIDGE_FLAGS, ...(c.containerMemoryMiB === undefined ? [] : CONTAINER_FLAGS)];
}

const PARTITIONS = 8;
const CONCURRENCY = 256;
/** The bridge's fetch wait (src/kafka/group-consumer.ts); the kafkajs baselines use the same. */
const BASELINE_MAX_WAIT_MS = 100;
/** Records per partition in one produce request while preloading (throughput of the preload only). */
const BATCH_PER_PARTITION = 2_000;
/** Enough for a 40 s window of the fastest case; the same count as the earlier dev-broker runs. */
const RECORDS_FULL = 160_000;
const RECORDS_QUICK = 20_000;
const BACKLOG_TOPIC = 'bench-backlog';


const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    records: { type: 'string' },
    cases: { type: 'string' },
    latencies: { type: 'string', default: '0,20' },
    window: { type: 'string' },
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

function intOption(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer >= ${min}, got ${raw}`);
    process.exit(64);
  }
  return n;
}

const quick = opts.quick;
const records = intOption('records', opts.records, quick ? RECORDS_QUICK : RECORDS_FULL, 1_000);
const windowMs = intOption('window', opts.window, quick ? 6 : 40, 1) * 1000;
const liveRate = intOption('live-rate', opts['live-rate'], 1000, 1);
const liveMs = intOption('live-seconds', opts['live-seconds'], quick ? 2 : 5, 0) * 1000;
const warmupMs = quick ? 500 : 1000;
const latencies = opts.latencies.split(',').map((s) => intOption('latencies', s.trim(), 0, 0));
/** Quick mode leaves out bridge-none (no target depends on it) to stay under two minutes. */
const defaultCases = opts.profile
  ? ALL_CASES.filter((c) => c.kind === 'bridge' && c.containerMemoryMiB === undefined)
  : quick
    ? ALL_CASES.filter((c) => c.id !== 'bridge-none' && c.containerMemoryMiB === undefined)
    : ALL_CASES;
const caseIds = opts.cases?.split(',').map((s) => s.trim()) ?? defaultCases.map((c) => c.id);
for (const id of caseIds) {
  if (!ALL_CASES.some((c) => c.id === id)) {
    console.error(`unknown case ${id}; known: ${ALL_CASES.map((c) => c.id).join(', ')}`);
    process.exit(64);
  }
}
const cases = ALL_CASES.filter((c) => caseIds.includes(c.id));
const bridgeNodeFlags = opts['bridge-node-flags']?.split(' ').filter((f) => f !== '') ?? [];
const customized =
  opts.records !== undefined ||
  opts.cases !== undefined ||
  opts.latencies !== '0,20' ||
  opts.window !== undefined ||
  opts['live-seconds'] !== undefined ||
  opts['live-rate'] !== '1000' ||
  opts.profile ||
  bridgeNodeFlags.length > 0;
const mode: BenchResults['mode'] = customized ? 'custom' : quick ? 'quick' : 'full';
const writeFiles = !opts['no-write'] && !opts.profile;

const WORKER = new URL('./worker.ts', import.meta.url).pathname;
const SINK = new URL('./sink.ts', import.meta.url).pathname;
const RESULTS_FILE = new URL(mode === 'full' ? './results.json' : `./results.${mode}.json`, import.meta.url).pathname;
const DOCS_FILE = new URL('../docs/benchmarks.md', import.meta.url).pathname;

const log = (message: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${message}`);
const t0 = performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Rejects after `ms` with `what`; the timer never keeps the process alive. */
function deadline(ms: number, what: string): { promise: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${Math.round(ms / 1000)} s: ${what}`)), ms);
  });
  promise.catch(() => undefined);
  return { promise, cancel: () => clearTimeout(timer) };
}

interface Context {
  broker: KafkaCluster;
  kafka: Kafka;
  producer: Producer;
  sink: SpawnedChild;
  sinkUrl: string;
  profileDir: string | undefined;
}

/**
 * Produces `count` records to `topic` spread evenly over `durationMs`, each stamped when sent,
 * one produce request per PACE_TICK_MS, as an application producing with linger would.
 */
async function producePaced(ctx: Context, topic: string, factory: RecordFactory, count: number, durationMs: number): Promise<void> {
  const started = performance.now();
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor((count * (performance.now() - started)) / durationMs) + 1);
    if (due > sent) {
      const batch = factory.batch(due - sent, Date.now());
      sent = due;
      await ctx.producer.send({ topic, acks: -1, messages: batch });
    }
    await sleep(PACE_TICK_MS);
  }
}

async function preload(ctx: Context): Promise<void> {
  await ctx.broker.createTopic({ name: BACKLOG_TOPIC, partitions: PARTITIONS });
  await ctx.broker.createTopic({ name: `${BACKLOG_TOPIC}-dlt`, partitions: PARTITIONS });
  const factory = new RecordFactory(PARTITIONS, 42);
  const per = BATCH_PER_PARTITION * PARTITIONS;
  for (let i = 0; i < records; i += per) {
    await ctx.producer.send({ topic: BACKLOG_TOPIC, acks: -1, messages: factory.batch(Math.min(per, records - i)) });
  }
  // Prove the broker holds everything the cases will read (no retention or segment deletion).
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(BACKLOG_TOPIC);
    const kept = offsets.reduce((a, p) => a + Number(p.high) - Number(p.low), 0);
    const dropped = offsets.filter((p) => Number(p.low) > 0);
    if (kept !== records || dropped.length > 0) {
      throw new Error(
        `the broker kept ${kept} of ${records} records (partitions with dropped data: ${dropped.map((p) => p.partition).join(', ') || 'none'})`,
      );
    }
  } finally {
    await admin.disconnect();
  }
}

async function committedAll(ctx: Context, groupId: string, topic: string): Promise<boolean> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    const [committed, ends] = await Promise.all([admin.fetchOffsets({ groupId, topics: [topic] }), admin.fetchTopicOffsets(topic)]);
    const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return ends.every((e) => byPartition.get(e.partition) === Number(e.high));
  } finally {
    await admin.disconnect();
  }
}

let runIndex = 0;

async function runCase(ctx: Context, c: BenchCase, latencyMs: number): Promise<RunResult> {
  const index = ++runIndex;
  const started = performance.now();
  const result: RunResult = {
    case: c.id,
    kind: c.kind,
    ordering: c.ordering,
    latencyMs,
    concurrency: c.kind === 'http-only' || c.kind === 'bridge' ? CONCURRENCY : PARTITIONS,
    status: 'ok',
    errors: [],
    throughput: null,
    latency: null,
    peakRssMB: null,
    cpuSeconds: null,
    cpuSecondsPer10k: null,
    memory: null,
    reusedFromLatencyMs: null,
    wallSeconds: 0,
    loadAverageBefore: round(loadavg()[0] ?? NaN, 2),
    offsetCommits: null,
    nodeFlags: [...nodeFlagsOf(c), ...(c.kind === 'bridge' ? bridgeNodeFlags : [])],
    containerMemoryMiB: c.containerMemoryMiB ?? null,
  };
  const usesKafka = c.kind !== 'http-only';
  const liveTopic = `bench-live-${index}`;
  if (usesKafka) {
    await ctx.broker.createTopic({ name: liveTopic, partitions: PARTITIONS });
    await ctx.broker.createTopic({ name: `${liveTopic}-dlt`, partitions: PARTITIONS });
  }
  const base = {
    kind: c.kind,
    ...(c.ordering === null ? {} : { ordering: c.ordering }),
    bootstrap: ctx.broker.bootstrap,
    sinkUrl: ctx.sinkUrl,
    partitions: PARTITIONS,
    concurrency: CONCURRENCY,
    records,
    maxWaitTimeInMs: BASELINE_MAX_WAIT_MS,
  } as const;
  const specA: WorkerSpec = { ...base, role: 'throughput', topic: BACKLOG_TOPIC, groupId: `bench-${index}-throughput` };
  const specB: WorkerSpec = { ...base, role: 'live', topic: liveTopic, groupId: `bench-${index}-live` };

  const profileArgs =
    ctx.profileDir !== undefined && c.kind === 'bridge'
      ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${c.id}-${latencyMs}ms.cpuprofile`]
      : [];
  const extra = result.nodeFlags;
  const a = spawnChild(`${c.id} worker (throughput)`, WORKER, [...extra, ...profileArgs]);
  const b = liveMs > 0 ? spawnChild(`${c.id} worker (latency)`, WORKER, extra) : undefined;
  const sink = ctx.sink.peer;
  const counterA: Peer = c.kind === 'consume-only' ? a.peer : sink;
  const counterB: Peer | undefined = c.kind === 'consume-only' ? b?.peer : sink;
  const reset = (peer: Peer, r: CounterReset) => peer.call('reset', peer === sink ? { ...r, delayMs: latencyMs } : r);
  // Both workers start (and join their groups) together; the latency worker then idles on its
  // empty topic until the throughput phase is over.
  const overall = deadline(windowMs + liveMs + warmupMs + 180_000, `${c.id} at ${latencyMs} ms`);
  let startA: StartReply | undefined;
  let profileWindow: { fromUs: number; toUs: number } | undefined;
  try {
    await Promise.race([
      (async () => {
        // ---- throughput ----
        await reset(counterA, { target: records, recordLatency: false });
        const joinedA = a.peer.next('joined', 60_000);
        const joinedB = b?.peer.next('joined', 60_000);
        const firstA = counterA.next<{ at: number }>('first', 60_000);
        const reachedA = counterA.next<{ at: number }>('reached', 60_000 + windowMs + 60_000);
        // The counter (the sink, or the consume-only worker itself) was armed above, before
        // the worker could receive anything.
        startA = await a.peer.call<StartReply>('start', specA, 60_000);
        const startB = b?.peer.call<StartReply>('start', specB, 60_000);
        await joinedA;
        if (c.kind === 'http-only') await a.peer.call('go');
        const first = await firstA;
        const capped = sleep(Math.max(0, first.at + windowMs - Date.now())).then(() => 'capped' as const);
        const ended = await Promise.race([reachedA.then(() => 'complete' as const), capped]);
        const [stats, mark] = await Promise.all([counterA.call<CounterStats>('stats'), a.peer.call<ResourceMark & { commits: number }>('mark')]);
        const rate = ratePerSecond(stats.count, stats.firstCount, stats.firstAt, stats.lastAt);
        result.throughput = {
          records: stats.count,
          seconds: round((stats.lastAt - stats.firstAt) / 1000, 2),
          recordsPerSecond: round(rate),
          complete: ended === 'complete',
          committedAll: null,
        };
        const cpu = (mark.cpuUs - startA.cpuUs) / 1e6;
        if (c.kind === 'bridge') result.offsetCommits = mark.commits;
        result.cpuSeconds = round(cpu, 2);
        result.cpuSecondsPer10k = stats.count > 0 ? round((cpu / stats.count) * 10_000, 3) : null;
        result.peakRssMB = round(Math.max(mark.vmHwmBytes, mark.peakRssSampledBytes) / 2 ** 20, 1);
        const mb = (bytes: number) => round(bytes / 2 ** 20, 1);
        result.memory = {
          startupRssMB: mb(startA.rssBytes),
          startupPeakRssMB: mb(startA.vmHwmBytes),
          atPeak: { rssMB: mb(mark.atPeak.rss), heapUsedMB: mb(mark.atPeak.heapUsed), heapTotalMB: mb(mark.atPeak.heapTotal), externalMB: mb(mark.atPeak.external) },
          liveHeapAfterMajorGcMB: mb(mark.liveHeapAfterMajorGcBytes),
        };
        profileWindow = { fromUs: startA.hrUs + (first.at - startA.at) * 1000, toUs: mark.hrUs };
        log(
          `${c.id} @ ${latencyMs} ms: ${fmtRate(rate)} records/s over ${stats.count} records${ended === 'capped' ? ' (capped)' : ''}, ` +
            `cpu ${result.cpuSecondsPer10k} s/10k${result.offsetCommits === null ? '' : `, ${result.offsetCommits} offset commits`}, peak RSS ${result.peakRssMB} MB ` +
            `(after start-up ${result.memory.startupRssMB} MB; at peak heap used ${result.memory.atPeak.heapUsedMB} of ${result.memory.atPeak.heapTotalMB} MB; ` +
            `live heap after full GC ≤ ${result.memory.liveHeapAfterMajorGcMB} MB)`,
        );
        const stopped = await stopChild<ResourceMark>(a, 20_000);
        if (stopped !== undefined) result.peakRssMB = Math.max(result.peakRssMB, round(stopped.vmHwmBytes / 2 ** 20, 1));
        else result.errors.push('throughput worker did not stop within 20 s and was killed');
        if (c.kind === 'bridge' && ended === 'complete' && stopped !== undefined) {
          result.throughput.committedAll = await committedAll(ctx, specA.groupId, BACKLOG_TOPIC);
          if (!result.throughput.committedAll) result.errors.push('committed offsets did not reach the end offsets after a complete run');
        }

        // ---- latency ----
        if (b === undefined || counterB === undefined) return;
        await startB;
        await joinedB;
        const paceRate = Math.max(1, Math.min(liveRate, Math.floor(rate / 2)));
        const warmCount = Math.max(1, Math.round((paceRate * warmupMs) / 1000));
        const liveCount = Math.max(1, Math.round((paceRate * liveMs) / 1000));
        const factory = new RecordFactory(PARTITIONS, 7 + index);
        const phase = async (count: number, durationMs: number, recordLatency: boolean): Promise<CounterStats> => {
          await reset(counterB, { target: count, recordLatency });
          const reached = counterB.next('reached', durationMs + 30_000);
          if (c.kind === 'http-only') await b.peer.call('pace', { count, durationMs }, durationMs + 30_000);
          else await producePaced(ctx, liveTopic, factory, count, durationMs);
          try {
            await reached;
          } catch (error) {
            const st = await counterB.call<CounterStats>('stats');
            throw new Error(`${error instanceof Error ? error.message : String(error)} (${st.count} of ${count} arrived)`);
          }
          return counterB.call<CounterStats>('stats');
        };
        await phase(warmCount, warmupMs, false);
        const live = await phase(liveCount, liveMs, true);
        result.latency = {
          ratePerSecond: paceRate,
          samples: live.latencies.length,
          p50Ms: percentile(live.latencies, 50),
          p99Ms: percentile(live.latencies, 99),
          maxMs: live.latencies.length === 0 ? NaN : Math.max(...live.latencies),
        };
        if (live.noTimestamp > 0) result.errors.push(`${live.noTimestamp} records without a readable timestamp`);
        log(`${c.id} @ ${latencyMs} ms: latency p50 ${result.latency.p50Ms} ms, p99 ${result.latency.p99Ms} ms at ${paceRate} records/s`);
      })(),
      overall.promise,
    ]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const output = [a, b].map((x) => x?.output.toString() ?? '').filter((s) => s !== '').join('\n');
    result.errors.push(message);
    result.status = result.throughput === null ? 'failed' : 'partial';
    log(`${c.id} @ ${latencyMs} ms FAILED: ${message}${output ? `\n  worker output:\n    ${output.split('\n').slice(-10).join('\n    ')}` : ''}`);
  } finally {
    overall.cancel();
    await Promise.all([stopChild(a, 15_000), b === undefined ? undefined : stopChild(b, 15_000)]);
  }
  if (result.status === 'ok' && result.errors.length > 0) result.status = 'partial';
  result.wallSeconds = round((performance.now() - started) / 1000, 1);

  if (ctx.profileDir !== undefined && c.kind === 'bridge' && profileWindow !== undefined) {
    const file = join(ctx.profileDir, `${c.id}-${latencyMs}ms.cpuprofile`);
    try {
      console.log(formatSummary(`${c.id} at ${latencyMs} ms (measurement window only)`, summarizeProfile(file, profileWindow)));
    } catch (error) {
      log(`profile of ${c.id} unreadable: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return result;
}

/** Which code was measured: the commit, and the files under src/ that differed from it (read-only git calls). */
function sourceState(): BenchResults['source'] {
  const git = (...args: string[]) =>
    execFileSync('git', ['--no-optional-locks', ...args], { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    // Porcelain lines are "XY path": two status columns and a space (never trim the first one away).
    const changed = git('status', '--porcelain', '--', 'src', 'bin', 'package.json').split('\n').filter((l) => l.length > 3);
    return { commit: git('rev-parse', '--short=12', 'HEAD').trim(), changedFiles: changed.map((l) => l.slice(3)) };
  } catch {
    return { commit: 'unknown', changedFiles: [] };
  }
}

const fmtRate = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');

async function main(): Promise<void> {
  quietKnownWarnings();
  log(`mode ${mode}: ${records} records, cases ${cases.map((c) => c.id).join(', ')}, sink latencies ${latencies.join(', ')} ms`);
  let broker: KafkaCluster | undefined;
  let sink: SpawnedChild | undefined;
  let producer: Producer | undefined;
  let profileDir: string | undefined;
  const runs: RunResult[] = [];
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${signal}: stopping every child process`);
    killAllChildren();
    void (broker?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (opts.profile) profileDir = mkdtempSync(join(tmpdir(), 'bridge-bench-prof-'));
    // A heap big enough that the broker's GC is not what is measured (1 GiB, as a small
    // production broker would have at least).
    broker = await KafkaCluster.start({ heapMb: 1024, log });
    const kafka = new Kafka({ clientId: 'bench', brokers: broker.bootstrap.split(','), logLevel: logLevel.ERROR });
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    sink = spawnChild('sink', SINK);
    const listening = await sink.peer.next<{ url: string }>('listening', 30_000);
    const ctx: Context = { broker, kafka, producer, sink, sinkUrl: listening.url, profileDir };
    const preloadStarted = performance.now();
    await preload(ctx);
    log(`preloaded ${records} records in ${((performance.now() - preloadStarted) / 1000).toFixed(1)} s; the broker kept all of them`);
    for (const latencyMs of latencies) {
      for (const c of cases) {
        if (interrupted) return;
        if (sink.peer.gone !== undefined) throw new Error(`the sink ${sink.peer.gone}:\n${sink.output.toString()}`);
        // consume-only never talks to the sink: quick mode measures it once.
        const earlier = runs.find((r) => r.case === c.id && r.reusedFromLatencyMs === null);
        if (quick && c.kind === 'consume-only' && earlier !== undefined) {
          runs.push({ ...earlier, latencyMs, reusedFromLatencyMs: earlier.latencyMs });
          continue;
        }
        runs.push(await runCase(ctx, c, latencyMs));
      }
    }
  } finally {
    await producer?.disconnect().catch(() => undefined);
    if (sink !== undefined) await stopChild(sink, 5_000);
    killAllChildren();
    await broker?.close();
    if (profileDir !== undefined) {
      if (opts['keep-profiles'] !== undefined) {
        for (const f of readdirSync(profileDir)) copyFileSync(join(profileDir, f), join(opts['keep-profiles'], f));
      }
      rmSync(profileDir, { recursive: true, force: true });
    }
  }
  if (interrupted) return;

  const results: BenchResults = {
    schema: 1,
    mode,
    date: new Date().toISOString(),
    durationSeconds: round((performance.now() - t0) / 1000, 1),
    source: sourceState(),
    broker: `Apache Kafka ${broker.version} (one broker, KRaft, 1 GiB heap)`,
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      platform: platform(),
      arch: arch(),
      node: process.version,
      loadAverageAtEnd: loadavg().map((l) => round(l, 2)),
    },
    workload: {
      records,
      partitions: PARTITIONS,
      keys: KEYS,
      valueBytes: VALUE_BYTES,
      producerBatchPerPartition: BATCH_PER_PARTITION,
      windowCapSeconds: windowMs / 1000,
      concurrency: CONCURRENCY,
      sinkLatenciesMs: latencies,
      live: { maxRatePerSecond: liveRate, warmupSeconds: warmupMs / 1000, seconds: liveMs / 1000 },
      baselineMaxWaitTimeInMs: BASELINE_MAX_WAIT_MS,
    },
    runs,
    ratios: computeRatios(runs),
    targets: computeTargets(runs, CONCURRENCY),
  };
  const markdown = renderMarkdown(results);
  console.log(`\n${markdown}\n`);
  if (writeFiles) {
    writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${new URL(RESULTS_FILE, 'file:').pathname.split('/').slice(-2).join('/')}`);
    if (mode === 'full') {
      writeGeneratedBlock(DOCS_FILE, markdown);
      log('wrote the generated block of docs/benchmarks.md');
    }
  }
  log(`done in ${((performance.now() - t0) / 60_000).toFixed(1)} min`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    killAllChildren();
    process.exit(1);
  },
);
