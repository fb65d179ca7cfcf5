/**
 * Benchmark harness: the bridge and its baselines, side by side, in one run on Apache Kafka.
 *
 *   node bench/run.ts            full mode: writes bench/results.json and the generated block
 *                                of docs/benchmarks.md
 *   node bench/run.ts --quick    quick mode for iteration (about 2½ minutes): fewer records,
 *                                shorter phases, fewer sweep points; writes bench/results.quick.json only
 *   node bench/run.ts --help     every option (lib/options.ts)
 *
 * Processes: this orchestrator (broker control, producing), one Apache Kafka broker (a JVM,
 * tools/kafka), one HTTP sink (bench/sink.ts) for the whole run, and per case up to two
 * workers (bench/worker.ts, driven by lib/run-case.ts). Every child is stopped at the end of
 * its case, killed if it does not stop, and killed on any exit of this process.
 *
 * Order: every steady case (lib/cases.ts) at each sink latency, then the fragile-endpoint
 * cases once, since they bring their own latency curve (lib/fragile.ts).
 */
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { KafkaCluster } from '../tools/kafka/kafka-cluster.ts';
import { quietKnownWarnings } from '../src/kafka/kafka-client.ts';
import { BASELINE_MAX_WAIT_MS, BATCH_PER_PARTITION, PARTITIONS, preload } from './lib/backlog.ts';
import { CONCURRENCY } from './lib/cases.ts';
import { killAllChildren, spawnChild, stopChild, type SpawnedChild } from './lib/children.ts';
import { elapsedSeconds, log } from './lib/clock.ts';
import { FRAGILE } from './lib/fragile.ts';
import { readSettings } from './lib/options.ts';
import { renderMarkdown, writeGeneratedBlock, type BenchResults, type RunResult } from './lib/report.ts';
import { runCase, type Context } from './lib/run-case.ts';
import { round } from './lib/stats.ts';
import { computeRatios, computeTargets } from './lib/targets.ts';
import { KEYS, VALUE_BYTES } from './lib/workload.ts';

const settings = readSettings();
const { mode, quick, records, cases, latencies } = settings;

const SINK = new URL('./sink.ts', import.meta.url).pathname;
const RESULTS_FILE = new URL(mode === 'full' ? './results.json' : `./results.${mode}.json`, import.meta.url).pathname;
const DOCS_FILE = new URL('../docs/benchmarks.md', import.meta.url).pathname;

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
    if (settings.profile) profileDir = mkdtempSync(join(tmpdir(), 'bridge-bench-prof-'));
    // A heap big enough that the broker's GC is not what is measured (1 GiB, as a small
    // production broker would have at least).
    broker = await KafkaCluster.start({ heapMb: 1024, log });
    const kafka = new Kafka({ clientId: 'bench', brokers: broker.bootstrap.split(','), logLevel: logLevel.ERROR });
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    sink = spawnChild('sink', SINK);
    const listening = await sink.peer.next<{ url: string }>('listening', 30_000);
    const ctx: Context = { settings, broker, kafka, producer, sink, sinkUrl: listening.url, profileDir };
    const preloadStarted = performance.now();
    await preload(ctx, records);
    log(`preloaded ${records} records in ${((performance.now() - preloadStarted) / 1000).toFixed(1)} s; the broker kept all of them`);
    const plan = [
      ...latencies.flatMap((latencyMs) => cases.filter((c) => c.sink === 'steady').map((c) => ({ c, latencyMs }))),
      // The fragile endpoint sets its own latency: its cases are recorded at its base latency.
      ...cases.filter((c) => c.sink === 'fragile').map((c) => ({ c, latencyMs: FRAGILE.baseMs })),
    ];
    for (const { c, latencyMs } of plan) {
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
  } finally {
    await producer?.disconnect().catch(() => undefined);
    if (sink !== undefined) await stopChild(sink, 5_000);
    killAllChildren();
    await broker?.close();
    if (profileDir !== undefined) {
      if (settings.keepProfiles !== undefined) {
        for (const f of readdirSync(profileDir)) copyFileSync(join(profileDir, f), join(settings.keepProfiles, f));
      }
      rmSync(profileDir, { recursive: true, force: true });
    }
  }
  if (interrupted) return;

  const results: BenchResults = {
    schema: 1,
    mode,
    date: new Date().toISOString(),
    durationSeconds: round(elapsedSeconds(), 1),
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
      windowCapSeconds: settings.windowMs / 1000,
      concurrency: CONCURRENCY,
      sinkLatenciesMs: latencies,
      live: { maxRatePerSecond: settings.liveRate, warmupSeconds: settings.warmupMs / 1000, seconds: settings.liveMs / 1000 },
      baselineMaxWaitTimeInMs: BASELINE_MAX_WAIT_MS,
      ...(cases.some((c) => c.sink === 'fragile') ? { fragile: { ...FRAGILE, windowCapSeconds: settings.fragileWindowMs / 1000 } } : {}),
    },
    runs,
    ratios: computeRatios(runs),
    targets: computeTargets(runs, CONCURRENCY),
  };
  const markdown = renderMarkdown(results);
  console.log(`\n${markdown}\n`);
  if (settings.writeFiles) {
    writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${new URL(RESULTS_FILE, 'file:').pathname.split('/').slice(-2).join('/')}`);
    if (mode === 'full') {
      writeGeneratedBlock(DOCS_FILE, markdown);
      log('wrote the generated block of docs/benchmarks.md');
    }
  }
  log(`done in ${(elapsedSeconds() / 60).toFixed(1)} min`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    killAllChildren();
    process.exit(1);
  },
);
