/**
 * One case at one sink latency: two fresh workers (bench/worker.ts), one draining the
 * preloaded backlog (throughput, CPU, RSS), one getting paced records on a fresh topic
 * (latency), each stopped at the end, killed if it does not stop. A fragile case has only the
 * first: its latency is the fragile endpoint's own curve, and a paced phase of 1,000 records/s
 * would stay below the curve's knee and show nothing.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { MarkReply, StartReply, WorkerSpec } from '../worker.ts';
import type { SinkReset, SinkStats } from '../sink.ts';
import { formatSummary, summarizeProfile } from '../profile-summary.ts';
import { BACKLOG_TOPIC, BASELINE_MAX_WAIT_MS, PARTITIONS, committedAll, producePaced, type KafkaSide } from './backlog.ts';
import { CONCURRENCY, nodeFlagsOf, type BenchCase } from './cases.ts';
import { spawnChild, stopChild, type SpawnedChild } from './children.ts';
import { deadline, log, sleep } from './clock.ts';
import type { CounterReset, CounterStats } from './counter.ts';
import type { Peer } from './ipc.ts';
import type { Settings } from './options.ts';
import type { RunResult } from './report.ts';
import type { ResourceMark } from './resources.ts';
import { percentile, ratePerSecond, round } from './stats.ts';
import { RecordFactory } from './workload.ts';

export interface Context extends KafkaSide {
  settings: Settings;
  sink: SpawnedChild;
  sinkUrl: string;
  profileDir: string | undefined;
}

const WORKER = new URL('../worker.ts', import.meta.url).pathname;

export const fmtRate = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');

let runIndex = 0;

/** What the counters answer: the sink adds its request counts, the consume-only worker does not. */
type Stats = CounterStats & Partial<Pick<SinkStats, 'requests' | 'rejected' | 'malformed'>>;

export async function runCase(ctx: Context, c: BenchCase, latencyMs: number): Promise<RunResult> {
  const s = ctx.settings;
  const index = ++runIndex;
  const started = performance.now();
  const fragile = c.sink === 'fragile';
  const windowMs = fragile ? s.fragileWindowMs : s.windowMs;
  const liveMs = fragile ? 0 : s.liveMs;
  const maxInFlight = c.maxInFlight ?? CONCURRENCY;
  const result: RunResult = {
    case: c.id,
    kind: c.kind,
    ordering: c.ordering,
    latencyMs,
    concurrency: c.kind === 'http-only' ? CONCURRENCY : c.kind === 'bridge' ? maxInFlight : PARTITIONS,
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
    nodeFlags: [...nodeFlagsOf(c), ...(c.kind === 'bridge' ? s.bridgeNodeFlags : [])],
    containerMemoryMiB: c.containerMemoryMiB ?? null,
    sink: c.sink,
    concurrencyMode: c.concurrencyMode ?? null,
    batch: c.batch ?? null,
    requests: null,
    routeConcurrency: null,
  };
  const usesKafka = c.kind !== 'http-only';
  const liveTopic = `bench-live-${index}`;
  if (usesKafka && liveMs > 0) {
    await ctx.broker.createTopic({ name: liveTopic, partitions: PARTITIONS });
    await ctx.broker.createTopic({ name: `${liveTopic}-dlt`, partitions: PARTITIONS });
  }
  const base = {
    kind: c.kind,
    ...(c.ordering === null ? {} : { ordering: c.ordering }),
    ...(c.concurrencyMode === undefined ? {} : { concurrencyMode: c.concurrencyMode }),
    ...(c.batch === undefined ? {} : { batch: c.batch }),
    bootstrap: ctx.broker.bootstrap,
    sinkUrl: ctx.sinkUrl,
    partitions: PARTITIONS,
    concurrency: c.kind === 'bridge' ? maxInFlight : CONCURRENCY,
    records: s.records,
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
  const reset = (peer: Peer, r: CounterReset) => peer.call('reset', peer === sink ? ({ ...r, delayMs: latencyMs, mode: c.sink } satisfies SinkReset) : r);
  // Both workers start (and join their groups) together; the latency worker then idles on its
  // empty topic until the throughput phase is over.
  const overall = deadline(windowMs + liveMs + s.warmupMs + 180_000, `${c.id} at ${latencyMs} ms`);
  let startA: StartReply | undefined;
  let profileWindow: { fromUs: number; toUs: number } | undefined;
  try {
    await Promise.race([
      (async () => {
        // ---- throughput ----
        await reset(counterA, { target: s.records, recordLatency: false });
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
        const [stats, mark] = await Promise.all([counterA.call<Stats>('stats'), a.peer.call<MarkReply>('mark')]);
        // A capped phase lasted the whole window even when records stopped arriving before its
        // end (a route paused by its circuit breaker): the silence counts.
        const endAt = ended === 'capped' ? Math.max(stats.lastAt, first.at + windowMs) : stats.lastAt;
        const rate = ratePerSecond(stats.count, stats.firstCount, stats.firstAt, endAt);
        result.throughput = {
          records: stats.count,
          seconds: round((endAt - stats.firstAt) / 1000, 2),
          recordsPerSecond: round(rate),
          complete: ended === 'complete',
          committedAll: null,
        };
        if (stats.requests !== undefined) result.requests = { received: stats.requests, rejected: stats.rejected ?? 0 };
        const cpu = (mark.cpuUs - startA.cpuUs) / 1e6;
        if (c.kind === 'bridge') {
          result.offsetCommits = mark.commits;
          const r = mark.route;
          result.routeConcurrency =
            r === null ? null : { limitMean: r.limitMean === null ? null : round(r.limitMean, 1), limitLast: r.limitLast, inFlightMean: round(r.inFlightMean, 1) };
        }
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
        const rejected = result.requests !== null && result.requests.rejected > 0 ? `, ${result.requests.rejected} of ${result.requests.received} requests answered 503` : '';
        const rc = result.routeConcurrency;
        const held = rc === null ? '' : `, in flight ${rc.inFlightMean} on average${rc.limitMean === null ? '' : ` (limit ${rc.limitMean} on average, ${rc.limitLast} at the end)`}`;
        log(
          `${c.id} @ ${fragile ? 'fragile endpoint' : `${latencyMs} ms`}: ${fmtRate(rate)} records/s over ${stats.count} records${ended === 'capped' ? ' (capped)' : ''}${rejected}${held}, ` +
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
        const paceRate = Math.max(1, Math.min(s.liveRate, Math.floor(rate / 2)));
        const warmCount = Math.max(1, Math.round((paceRate * s.warmupMs) / 1000));
        const liveCount = Math.max(1, Math.round((paceRate * liveMs) / 1000));
        const factory = new RecordFactory(PARTITIONS, 7 + index);
        const phase = async (count: number, durationMs: number, recordLatency: boolean): Promise<Stats> => {
          await reset(counterB, { target: count, recordLatency });
          const reached = counterB.next('reached', durationMs + 30_000);
          if (c.kind === 'http-only') await b.peer.call('pace', { count, durationMs }, durationMs + 30_000);
          else await producePaced(ctx, liveTopic, factory, count, durationMs);
          try {
            await reached;
          } catch (error) {
            const st = await counterB.call<Stats>('stats');
            throw new Error(`${error instanceof Error ? error.message : String(error)} (${st.count} of ${count} arrived)`);
          }
          return counterB.call<Stats>('stats');
        };
        await phase(warmCount, s.warmupMs, false);
        const live = await phase(liveCount, liveMs, true);
        result.latency = {
          ratePerSecond: paceRate,
          samples: live.latencies.length,
          p50Ms: percentile(live.latencies, 50),
          p99Ms: percentile(live.latencies, 99),
          maxMs: live.latencies.length === 0 ? NaN : Math.max(...live.latencies),
        };
        if (live.noTimestamp > 0) result.errors.push(`${live.noTimestamp} records without a readable timestamp`);
        if ((live.malformed ?? 0) > 0) result.errors.push(`${live.malformed} batched requests did not parse or disagreed with kafka-batch-size`);
        log(`${c.id} @ ${latencyMs} ms: latency p50 ${result.latency.p50Ms} ms, p99 ${result.latency.p99Ms} ms at ${paceRate} records/s`);
      })(),
      overall.promise,
    ]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const output = [a, b].map((x) => x?.output.toString() ?? '').filter((o) => o !== '').join('\n');
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
