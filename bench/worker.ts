/**
 * One benchmark case, in its own process, so that its CPU time and peak RSS are its own and
 * it never shares an event loop with the sink or the orchestrator:
 *
 *   consume-only  kafkajs consumer, eachBatch with a no-op handler: the Kafka-side ceiling.
 *   http-only     an undici Pool request loop at the route's concurrency: the HTTP ceiling.
 *   naive         what a user writes by hand: kafkajs eachMessage that awaits an undici
 *                 request, partitionsConsumedConcurrently = partitions.
 *   bridge        the real bridge (src/bridge.ts), started from a YAML configuration; a case
 *                 may set the route's concurrency mode and batch settings.
 *
 * Driven over IPC by bench/run.ts (lib/ipc.ts): start → (joined) → go/pace → mark → stop.
 * Each case imports only what it uses, so a baseline's RSS does not carry the bridge's modules.
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { Pool } from 'undici';
import { ArrivalCounter, type CounterReset } from './lib/counter.ts';
import { emit, serve } from './lib/ipc.ts';
import type { BatchSettings, CaseKind, ConcurrencyMode, Ordering } from './lib/report.ts';
import { ResourceSampler, type ResourceMark } from './lib/resources.ts';
import { RouteSampler, type RouteConcurrency } from './lib/route-sampler.ts';
import { PACE_TICK_MS, RecordFactory } from './lib/workload.ts';

export interface WorkerSpec {
  kind: CaseKind;
  ordering?: Ordering;
  /** throughput: drain the preloaded backlog; live: paced records, latency measured. */
  role: 'throughput' | 'live';
  bootstrap: string;
  topic: string;
  groupId: string;
  sinkUrl: string;
  partitions: number;
  /** http-only: requests in flight at once; bridge: the route's maxInFlight. */
  concurrency: number;
  /** Bridge: the route's concurrency.mode; absent = the key is not written (the bridge's default). */
  concurrencyMode?: ConcurrencyMode;
  /** Bridge: the route's batch settings; absent = one record per request. */
  batch?: BatchSettings;
  /** http-only throughput: how many requests to send. */
  records: number;
  /** Fetch wait for the kafkajs baselines (the bridge uses its own, 100 ms). */
  maxWaitTimeInMs: number;
}

export interface StartReply extends ResourceMark {
  pid: number;
}

export interface MarkReply extends ResourceMark {
  /** Bridge only: offset commits so far (0 for the baselines). */
  commits: number;
  route: RouteConcurrency | null;
}

const sampler = new ResourceSampler();
const counter = new ArrivalCounter();
let stopCase: () => Promise<void> = async () => {};
/** Bridge only: offset commits so far (its own kafka_http_bridge_offset_commits_total). */
let commitsSoFar: () => Promise<number> = async () => 0;
/** Bridge only: the route's concurrency limit and records in flight, sampled while records flow. */
let routeSampler: RouteSampler | undefined;
let spec: WorkerSpec | undefined;

async function kafkaClient(s: WorkerSpec): Promise<Kafka> {
  const { Kafka, logLevel } = await import('kafkajs');
  return new Kafka({ clientId: `bench-${s.kind}`, brokers: s.bootstrap.split(','), logLevel: logLevel.ERROR });
}

function onJoin(consumer: Consumer): void {
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const n = Object.values(payload.memberAssignment).reduce((a, p) => a + p.length, 0);
    emit('joined', { partitions: n });
  });
}

async function startConsumeOnly(s: WorkerSpec): Promise<void> {
  const consumer = (await kafkaClient(s)).consumer({ groupId: s.groupId, maxWaitTimeInMs: s.maxWaitTimeInMs });
  onJoin(consumer);
  await consumer.connect();
  await consumer.subscribe({ topics: [s.topic], fromBeginning: true });
  const live = s.role === 'live';
  await consumer.run({
    // A ceiling: no offset commits (kafkajs's autoCommit sends one after every batch).
    autoCommit: false,
    partitionsConsumedConcurrently: s.partitions,
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      if (!live) {
        counter.arrived(now, NaN, batch.messages.length);
        return;
      }
      for (const m of batch.messages) counter.arrived(now, Number(m.timestamp));
    },
  });
  stopCase = () => consumer.disconnect();
}

async function startNaive(s: WorkerSpec): Promise<void> {
  const { request } = await import('undici');
  const consumer = (await kafkaClient(s)).consumer({ groupId: s.groupId, maxWaitTimeInMs: s.maxWaitTimeInMs });
  onJoin(consumer);
  await consumer.connect();
  await consumer.subscribe({ topics: [s.topic], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: s.partitions,
    eachMessage: async ({ message }) => {
      const res = await request(s.sinkUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: message.value ?? '',
      });
      await res.body.dump();
      if (res.statusCode >= 300) throw new Error(`endpoint answered ${res.statusCode}`);
    },
  });
  stopCase = () => consumer.disconnect();
}

async function startBridge(s: WorkerSpec): Promise<void> {
  const [{ stringify }, { Bridge }, { parseConfig }, { createLogger }] = await Promise.all([
    import('yaml'),
    import('../src/bridge.ts'),
    import('../src/config/load-config.ts'),
    import('../src/ops/logger.ts'),
  ]);
  const yaml = stringify({
    kafka: { brokers: s.bootstrap.split(','), clientId: 'bench-bridge', groupId: s.groupId, commitInterval: '1s' },
    server: { port: 0, host: '127.0.0.1' },
    log: { level: 'warn' },
    shutdown: { timeout: '10s' },
    routes: [
      {
        name: 'bench',
        topics: [s.topic],
        // A batch's content-type (JSON array or NDJSON) is the bridge's to set.
        endpoint: { url: s.sinkUrl, timeout: '5s', headers: s.batch === undefined ? { 'content-type': 'application/json' } : {} },
        ordering: s.ordering ?? 'key',
        maxInFlight: s.concurrency,
        // Written only when a case names a mode, so the other cases keep the bridge's default;
        // min applies to adaptive mode only.
        ...(s.concurrencyMode === undefined ? {} : { concurrency: s.concurrencyMode === 'adaptive' ? { mode: 'adaptive', min: 1 } : { mode: 'fixed' } }),
        ...(s.batch === undefined ? {} : { batch: s.batch }),
        retry: { delays: [] },
      },
    ],
  });
  const bridge = await Bridge.start(parseConfig(yaml, {}, 'bench.yaml'), { logger: createLogger('warn') });
  stopCase = () => bridge.stop();
  commitsSoFar = async () => (await bridge.metrics.commits.get()).values.reduce((a, v) => a + v.value, 0);
  routeSampler = new RouteSampler(() => {
    const route = bridge.routeStatus()[0];
    if (route === undefined) return undefined;
    // Read loosely: a bridge without an adaptive limit reports none, and the bench still runs.
    const limit = (route as { concurrencyLimit?: unknown }).concurrencyLimit;
    return { inFlight: route.inFlight, limit: typeof limit === 'number' ? limit : undefined };
  });
  // The bridge has no join hook for outsiders; its readiness detail lists owned partitions.
  const poll = setInterval(() => {
    const owned = bridge.routeStatus().reduce((a, r) => a + r.partitions.length, 0);
    if (owned > 0) {
      clearInterval(poll);
      emit('joined', { partitions: owned });
    }
  }, 20);
}

let pool: Pool | undefined;
let path = '/';

async function startHttpOnly(s: WorkerSpec): Promise<void> {
  const { Pool } = await import('undici');
  const url = new URL(s.sinkUrl);
  path = url.pathname;
  // The same pool settings as the bridge's endpoint (src/delivery/http-endpoint.ts).
  pool = new Pool(url.origin, { connections: s.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const p = pool;
  stopCase = () => p.close();
}

async function post(value: Buffer): Promise<void> {
  const res = await pool!.request({ path, method: 'POST', headers: ['content-type', 'application/json'], body: value });
  await res.body.dump();
  if (res.statusCode >= 300) throw new Error(`endpoint answered ${res.statusCode}`);
}

/** http-only throughput: `records` requests, `concurrency` at a time. */
async function requestLoop(s: WorkerSpec): Promise<void> {
  const factory = new RecordFactory(s.partitions, 1);
  const values = Array.from({ length: 1024 }, () => factory.next(0).value);
  let next = 0;
  const loop = async () => {
    while (next < s.records) {
      const i = next++;
      await post(values[i % values.length]!);
    }
  };
  await Promise.all(Array.from({ length: s.concurrency }, loop));
}

/** http-only live phase: `count` requests spread evenly over `durationMs`, sent (and stamped) every PACE_TICK_MS. */
async function pace(p: { count: number; durationMs: number }): Promise<number> {
  const s = spec!;
  const factory = new RecordFactory(s.partitions, 2);
  const inflight = new Set<Promise<void>>();
  const started = performance.now();
  let sent = 0;
  let failed = 0;
  while (sent < p.count) {
    const due = Math.min(p.count, Math.floor((p.count * (performance.now() - started)) / p.durationMs) + 1);
    const now = Date.now();
    while (sent < due) {
      sent++;
      const req = post(factory.next(now).value).catch(() => {
        failed++;
      });
      inflight.add(req);
      void req.finally(() => inflight.delete(req));
    }
    await new Promise((r) => setTimeout(r, PACE_TICK_MS));
  }
  await Promise.all(inflight);
  if (failed > 0) throw new Error(`${failed} paced requests failed`);
  return sent;
}

serve({
  start: async (s: WorkerSpec): Promise<StartReply> => {
    spec = s;
    switch (s.kind) {
      case 'consume-only':
        await startConsumeOnly(s);
        break;
      case 'naive':
        await startNaive(s);
        break;
      case 'bridge':
        await startBridge(s);
        break;
      case 'http-only':
        await startHttpOnly(s);
        setImmediate(() => emit('joined', { partitions: 0 }));
        break;
    }
    return { pid: process.pid, ...sampler.mark() };
  },
  go: () => {
    const s = spec!;
    if (s.kind !== 'http-only') return;
    requestLoop(s).then(
      () => emit('done', {}),
      (e: unknown) => emit('failed', { error: e instanceof Error ? e.message : String(e) }),
    );
  },
  pace,
  reset: (r: CounterReset) => counter.reset(r),
  stats: () => counter.stats(),
  mark: async (): Promise<MarkReply> => ({ ...sampler.mark(), commits: await commitsSoFar(), route: routeSampler?.summary() ?? null }),
  stop: async () => {
    await stopCase();
    const mark = sampler.mark();
    sampler.stop();
    routeSampler?.stop();
    // Exit after the reply is on its way (a --cpu-prof profile is written on exit).
    setTimeout(() => process.exit(0), 50);
    return mark;
  },
});
