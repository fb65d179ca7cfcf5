/**
 * The chaos run: `node test/chaos/run-chaos.ts [--minutes 10] [--seed N] [--report docs/reliability.md]`
 *
 * One Apache Kafka broker (tools/kafka) with a topic of 3 partitions and its retry and dead-letter topics; a steady
 * workload of records with per-key sequence numbers; two bridge instances (the real CLI, one
 * consumer group); and for the whole run, at random:
 *
 * - every 10–40 s one instance is killed, with kill -9 or SIGTERM (a SIGTERM must drain and
 *   exit 0), and started again after 1–5 s;
 * - every 5–20 s the sink flaps for a few seconds: a burst of 503s, slow answers (a 504 after
 *   the endpoint timeout, so never a hidden success), a full outage (every request 503), or
 *   permanent 400s for a small share of records (they go to the dead-letter topic).
 *
 * Then it stops producing, heals the sink, makes sure both instances run, measures the time
 * until the group's lag is 0 (R: within 2 × the session timeout), SIGTERMs both, reads the
 * retry and dead-letter topics back and checks L, D, O and C (test/faults/support/workload.ts)
 * against Kafka and the sink, never against the bridge's own bookkeeping.
 *
 * The schedule of kills and flaps and every per-request decision of the sink come from the
 * seed (printed; --seed replays it). Process timing is not replayable: the same seed gives the
 * same faults at the same moments, not the same interleaving.
 *
 * Exit status: 0 when every check passed, 1 when one failed, 2 when the run itself failed,
 * 64 on a bad command line, 130/143 when interrupted. Every child (bridges, broker) is stopped
 * on every exit path. Not part of CI: it takes as long as it is told to.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Kafka } from 'kafkajs';
import type { KafkaCluster } from '../../tools/kafka/kafka-cluster.ts';
import { startCluster } from '../support/test-cluster.ts';
import { kafkaFor, uniqueTopic } from '../support/kafka-helpers.ts';
import { testConfigObject } from '../support/test-bridge.ts';
import { quietKnownWarnings } from '../../src/kafka/kafka-client.ts';
import { CommitSampler, FaultSink, checkInvariants, lagZero, readCopies, type CopyRecord } from '../faults/support/workload.ts';
import { checkCommits, countRebalances, duplicateOrigins, lingering, longestCommitStalls, strandedInRetry, type ChaosEvent } from './analysis.ts';
import { Fleet, type Instance } from './fleet.ts';
import { Prng, freshSeed } from './prng.ts';
import { renderSummary, thousands, writeBlock, type Verdict } from './report.ts';
import { AnswerCounts, BURST_SHARE, FLAP_KINDS, POISON_SHARE, SLOW_SHARE, flapBehaviour, healthy, type FlapKind } from './sink-flaps.ts';
import { SteadyProducer } from './steady-producer.ts';

// The fault suite's settings (test/faults/support/scenario.ts), so the bounds mean the same.
const SESSION_TIMEOUT_MS = 8000;
const MAX_IN_FLIGHT = 16;
/** Documented bound per crash or rebalance: what was in flight plus a commit interval's work. */
const WINDOW = 2 * MAX_IN_FLIGHT;
const ENDPOINT_TIMEOUT_MS = 1000;
const SHUTDOWN_TIMEOUT_MS = 10_000;
const SLOW_ANSWER_MS = ENDPOINT_TIMEOUT_MS + 500;
const PARTITIONS = 3;
const INSTANCES = 2;

const KILL_EVERY_MS: [number, number] = [10_000, 40_000];
const DOWN_FOR_MS: [number, number] = [1_000, 5_000];
const HEALTHY_FOR_MS: [number, number] = [5_000, 20_000];
const FLAP_FOR_MS: Record<FlapKind, [number, number]> = {
  '5xx-burst': [3_000, 8_000],
  slow: [3_000, 8_000],
  outage: [4_000, 12_000],
  'permanent-400': [5_000, 15_000],
};
const FLAP_WEIGHTS: [FlapKind, number][] = [
  ['5xx-burst', 3],
  ['slow', 2],
  ['outage', 2],
  ['permanent-400', 2],
];

/** Bounded waits of the final phase. */
const LAG_WAIT_MS = 180_000;
const RETRY_LAG_WAIT_MS = 90_000;
const READ_COPIES_MS = 90_000;

const USAGE = `usage: node test/chaos/run-chaos.ts [options]

  --minutes N      length of the chaos phase (default 10; fractions allowed)
  --seed N         seed of the fault schedule, 0..4294967295 (default: random, printed)
  --rate N         records produced per second (default 100)
  --keys N         distinct keys (default 100)
  --report FILE    write the summary into FILE between <!-- chaos:begin --> and <!-- chaos:end -->
  --logs DIR       where to write the evidence (bridge logs, sink attempts, commit samples,
                   copies, events); default: a new directory under the system temp directory
  --help`;

interface Options {
  readonly minutes: number;
  readonly seed: number;
  readonly rate: number;
  readonly keys: number;
  readonly report: string | undefined;
  readonly logs: string | undefined;
}

function usageError(message: string): never {
  process.stderr.write(`chaos: ${message}\n${USAGE}\n`);
  process.exit(64);
}

function readOptions(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        minutes: { type: 'string' },
        seed: { type: 'string' },
        rate: { type: 'string' },
        keys: { type: 'string' },
        report: { type: 'string' },
        logs: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    usageError((error as Error).message);
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const minutes = Number(values.minutes ?? '10');
  if (!(minutes > 0 && minutes <= 240)) usageError('--minutes must be a number above 0 and at most 240');
  const seed = values.seed === undefined ? freshSeed() : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) usageError('--seed must be an integer from 0 to 4294967295');
  const rate = Number(values.rate ?? '100');
  if (!(Number.isInteger(rate) && rate >= 1 && rate <= 2000)) usageError('--rate must be an integer from 1 to 2000');
  const keys = Number(values.keys ?? '100');
  if (!(Number.isInteger(keys) && keys >= 1 && keys <= 10_000)) usageError('--keys must be an integer from 1 to 10000');
  return { minutes, seed, rate, keys, report: values.report, logs: values.logs };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Sleeps, but wakes up at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]).finally(() => clearTimeout(timer));
}

/** Polls `check` (errors count as false) until true; the time it became true, or undefined. */
async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return Date.now();
    if (Date.now() > deadline) return undefined;
    await sleep(everyMs);
  }
}

async function logStartOffsets(kafka: Kafka, topics: string[]): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = new Map<string, number>();
    for (const t of topics) for (const p of await admin.fetchTopicOffsets(t)) out.set(`${t}/${p.partition}`, Number(p.low));
    return out;
  } finally {
    await admin.disconnect();
  }
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const fmtMin = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

// --- run state, reachable from the exit paths ---------------------------------------------

const opts = readOptions();
const runStart = Date.now();
const events: ChaosEvent[] = [];
const violations: string[] = [];
let broker: KafkaCluster | undefined;
let sink: FaultSink | undefined;
let sampler: CommitSampler | undefined;
let producer: SteadyProducer | undefined;
let fleet: Fleet | undefined;
let aborting = false;

function say(line: string): void {
  const t = ((Date.now() - runStart) / 1000).toFixed(1).padStart(7);
  process.stdout.write(`[${t}s] ${line}\n`);
}

function event(kind: ChaosEvent['kind'], detail: string): void {
  events.push({ at: Date.now(), kind, detail });
  say(`${kind}: ${detail}`);
}

/** Stops everything, bounded; used by every exit path. */
async function teardown(): Promise<void> {
  if (fleet !== undefined) {
    fleet.closing = true;
    fleet.killAll();
  }
  await within(Promise.allSettled([sampler?.stop(), producer?.stop()]), 5_000);
  await within(Promise.allSettled([sink?.stop()]), 3_000);
  await within(Promise.allSettled([broker?.close()]), 6_000);
}

function abort(reason: string, code: number): void {
  if (aborting) return;
  aborting = true;
  process.stderr.write(`chaos: ${reason}; stopping every child\n`);
  void teardown().finally(() => process.exit(code));
  // If the teardown itself hangs, exit anyway (the 'exit' hooks kill the children).
  setTimeout(() => process.exit(code), 15_000).unref();
}

// kafkajs's request queue schedules negative timeouts; the bridge silences the same warning.
quietKnownWarnings();
process.on('exit', () => fleet?.killAll());
process.on('SIGINT', () => abort('interrupted (SIGINT)', 130));
process.on('SIGTERM', () => abort('terminated (SIGTERM)', 143));
process.on('uncaughtException', (error) => abort(`uncaught exception: ${error.stack ?? String(error)}`, 2));
process.on('unhandledRejection', (reason) => abort(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`, 2));
// The whole run is bounded: the chaos phase plus generous time for the final phase.
setTimeout(() => abort('the run exceeded its deadline', 2), opts.minutes * 60_000 + 12 * 60_000).unref();

/** A moment of the run as "+12.3 s" from its start. */
function rel(at: number): string {
  return `+${((at - runStart) / 1000).toFixed(1)} s`;
}

/** Commit attempts the bridges logged as failed, by Kafka error. */
function commitRefusals(all: readonly Instance[]): string {
  const by = new Map<string, number>();
  for (const i of all) {
    for (const l of i.proc.logs) {
      if (l['msg'] !== 'offset commit failed; will retry') continue;
      const message = String((l['err'] as { message?: unknown } | undefined)?.message ?? '');
      const name = KAFKA_ERRORS.find(([re]) => re.test(message))?.[1] ?? message.slice(0, 60);
      const key = `${String(l['consumer'])} ${name}`;
      by.set(key, (by.get(key) ?? 0) + 1);
    }
  }
  const total = [...by.values()].reduce((a, b) => a + b, 0);
  return total === 0 ? '0' : `${thousands(total)} (${[...by].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${thousands(n)}`).join(', ')})`;
}

/** Kafka error names for the messages kafkajs logs instead of them (the ones seen in chaos runs). */
const KAFKA_ERRORS: [RegExp, string][] = [
  [/request being malformed/, 'INVALID_REQUEST'],
  [/group is rebalancing/, 'REBALANCE_IN_PROGRESS'],
  [/generation id is not valid/, 'ILLEGAL_GENERATION'],
  [/coordinator does not know this member/, 'UNKNOWN_MEMBER_ID'],
];

/** Why a bridge exited by itself: its fatal code, and the Kafka response that crashed its consumer. */
function exitCause(i: Instance): string {
  const logs = i.proc.logs;
  const fatal = [...logs].reverse().find((l) => Number(l['level']) >= 60);
  if (fatal === undefined) return `no fatal log line; stderr: ${i.proc.stderr.join('').slice(-200)}`;
  let cause = String(fatal['code'] ?? fatal['msg']);
  // The consumer crash that was not restarted, and the failed response just before it with the same error.
  const crashAt = logs.findIndex((l) => l['msg'] === 'kafka consumer crashed' && l['restart'] === false);
  if (crashAt >= 0) {
    const error = String((logs[crashAt]!['err'] as { message?: unknown } | undefined)?.message ?? '');
    const response = logs
      .slice(0, crashAt)
      .reverse()
      .find((l) => l['component'] === 'kafkajs' && String(l['msg']).startsWith('Response ') && l['error'] === error);
    const api = response === undefined ? 'a' : `a ${String(response['msg']).replace(/^Response (\w+).*$/, '$1')}`;
    cause += ` (${String(logs[crashAt]!['consumer'])} consumer) after ${api} response ${KAFKA_ERRORS.find(([re]) => re.test(error))?.[1] ?? `"${error.slice(0, 100)}"`}`;
  }
  return cause;
}

// --- the run ------------------------------------------------------------------------------

async function main(): Promise<number> {
  const chaosMs = Math.round(opts.minutes * 60_000);
  const logsDir = opts.logs ?? join(tmpdir(), `kafka-http-bridge-chaos-${opts.seed}-${runStart}`);
  mkdirSync(logsDir, { recursive: true });
  say(`seed ${opts.seed} · ${opts.minutes} min of chaos · ${opts.rate} records/s over ${opts.keys} keys · evidence in ${logsDir}`);

  const rngKills = new Prng(opts.seed);
  const rngFlaps = new Prng(opts.seed ^ 0x5bd1e995);

  broker = await startCluster();
  const topic = uniqueTopic('chaos');
  const retryTopic = `${topic}-retry`;
  const dltTopic = `${topic}-dlt`;
  const groupId = uniqueTopic('chaos-group');
  for (const name of [topic, retryTopic, dltTopic]) await broker.createTopic({ name, partitions: PARTITIONS });
  const kafka = kafkaFor(broker.bootstrap);
  const faultSink = (sink = await FaultSink.start());
  const counts = new AnswerCounts();
  faultSink.behaviour = healthy(counts);
  say(`broker ${broker.bootstrap} · topics ${topic}, ${retryTopic}, ${dltTopic} (${PARTITIONS} partitions) · group ${groupId}`);

  const url = `${faultSink.url}/deliver`;
  const config = () =>
    testConfigObject({
      bootstrap: broker!.bootstrap,
      groupId,
      logLevel: 'info',
      shutdownTimeout: `${SHUTDOWN_TIMEOUT_MS}ms`,
      kafka: { sessionTimeout: `${SESSION_TIMEOUT_MS}ms`, heartbeatInterval: '500ms', commitInterval: '200ms' },
      routes: [
        {
          name: 'chaos',
          topics: [topic],
          url,
          endpoint: { url, timeout: `${ENDPOINT_TIMEOUT_MS}ms` },
          ordering: 'key',
          maxInFlight: MAX_IN_FLIGHT,
          attempts: 3,
          backoff: { initial: '50ms', max: '200ms' },
          retry: { delays: ['1s'] },
          circuitBreaker: { resetTimeout: '2s' },
          recovery: { rampUp: '1s' },
        },
      ],
    });

  const stopChaos = new AbortController();
  const unexpected: { n: number; code: number | null; at: number; cause: string }[] = [];
  const bridges = (fleet = new Fleet(INSTANCES, {
    config,
    startTimeoutMs: 30_000,
    drainDeadlineMs: SHUTDOWN_TIMEOUT_MS + 15_000,
    onStart: (i) => event('start', `bridge #${i.n} (slot ${i.slot}, pid ${i.proc.child.pid})`),
    onUnexpectedExit: (i) => {
      const cause = exitCause(i);
      unexpected.push({ n: i.n, code: i.exit?.code ?? null, at: i.exit!.at, cause });
      event('unexpected-exit', `bridge #${i.n} exited by itself (code ${i.exit?.code}, signal ${i.exit?.signal}): ${cause}`);
      // Started again after a moment, as an orchestrator would, until the run stops them all.
      void bridges
        .withSlot(i.slot, async () => {
          await sleep(2_000);
          if (!bridges.closing) await bridges.start(i.slot);
        })
        .catch((error: unknown) => abort(`restarting slot ${i.slot} failed: ${String(error)}`, 2));
    },
  }));

  // Workload first (the group starts on a non-empty topic), then the instances.
  const workload = (producer = new SteadyProducer(kafka, topic, opts.keys, opts.rate));
  await workload.start();
  workload.failed.catch((error: unknown) => abort(`producer failed: ${String(error)}`, 2));
  for (let s = 0; s < INSTANCES; s++) await bridges.withSlot(s, () => bridges.start(s));
  const commitSampler = (sampler = new CommitSampler(kafka, groupId, topic, 250));
  const rss = setInterval(() => bridges.sampleRss(), 2_000);
  const chaosStart = Date.now();

  // --- kills ---
  let kill9 = 0;
  let sigterms = 0;
  let sigtermsClean = 0;
  const killLoop = (async () => {
    const signal = stopChaos.signal;
    while (!signal.aborted) {
      const wait = rngKills.between(...KILL_EVERY_MS);
      const pick = rngKills.int(0, INSTANCES - 1);
      const how = rngKills.chance(0.5) ? 'SIGKILL' : 'SIGTERM';
      const downFor = rngKills.between(...DOWN_FOR_MS);
      await pause(wait, signal);
      if (signal.aborted) break;
      const slot = bridges.running(pick) !== undefined ? pick : [...Array(INSTANCES).keys()].find((s) => bridges.running(s) !== undefined);
      if (slot === undefined) continue;
      await bridges.withSlot(slot, async () => {
        const inst = bridges.running(slot);
        if (inst === undefined) return;
        event(how === 'SIGKILL' ? 'kill-9' : 'sigterm', `bridge #${inst.n} (slot ${slot}); back in ${fmtS(downFor)}`);
        const r = await bridges.stop(inst, how);
        if (how === 'SIGKILL') kill9++;
        else {
          sigterms++;
          if (r.code === 0 && !r.hung) sigtermsClean++;
          else {
            const detail = r.hung ? `did not exit within ${fmtS(SHUTDOWN_TIMEOUT_MS + 15_000)} and was killed` : `exited with code ${r.code} / signal ${r.signal}`;
            say(`SIGTERM of bridge #${inst.n} ${detail}`);
            violations.push(`SIGTERM of bridge #${inst.n} at +${fmtS(Date.now() - runStart)}: ${detail}`);
          }
        }
        say(`bridge #${inst.n} exited (code ${r.code}, signal ${r.signal})`);
        await pause(downFor, signal);
        await bridges.start(slot);
      });
    }
  })();

  // --- sink flaps ---
  const flaps: Record<FlapKind, number> = { '5xx-burst': 0, slow: 0, outage: 0, 'permanent-400': 0 };
  const flapLoop = (async () => {
    const signal = stopChaos.signal;
    let flap = 0;
    while (!signal.aborted) {
      const calm = rngFlaps.between(...HEALTHY_FOR_MS);
      const kind = rngFlaps.weighted(FLAP_WEIGHTS);
      const duration = rngFlaps.between(...FLAP_FOR_MS[kind]);
      await pause(calm, signal);
      if (signal.aborted) break;
      flap++;
      flaps[kind]++;
      faultSink.behaviour = flapBehaviour(kind, opts.seed, flap, SLOW_ANSWER_MS, counts);
      event('flap', `sink ${kind} for ${fmtS(duration)}`);
      await pause(duration, signal);
      faultSink.behaviour = healthy(counts);
      if (!signal.aborted) say('sink healthy again');
    }
  })();

  // --- progress ---
  const progress = setInterval(() => {
    const delivered = new Set(faultSink.delivered().map((a) => a.idempotencyKey)).size;
    const live = bridges.slots.map((i) => (i?.exit === undefined && i !== undefined ? `#${i.n}` : '-')).join(' ');
    say(`progress: produced ${thousands(workload.produced.length)}, delivered ${thousands(delivered)} distinct, ${thousands(faultSink.attempts.length)} attempts; instances ${live}; kill -9 ${kill9}, SIGTERM ${sigterms}`);
  }, 30_000);

  await Promise.race([pause(chaosMs, stopChaos.signal), workload.failed]);
  stopChaos.abort();
  say('chaos phase over: waiting for the kill cycle in progress');
  const loopsDone = await within(Promise.all([killLoop, flapLoop]), 90_000);
  if (loopsDone === 'timeout') throw new Error('the kill cycle in progress did not end within 90 s');
  const chaosEnd = Date.now();

  // --- heal ---
  await workload.stop();
  faultSink.behaviour = healthy(counts);
  const healAt = Date.now();
  event('heal', `producing stopped at ${thousands(workload.produced.length)} records; sink healthy; starting any stopped instance`);
  for (let s = 0; s < INSTANCES; s++) await bridges.withSlot(s, () => bridges.start(s));
  const allRunningAt = Date.now();
  const lagZeroAt = await waitUntil(() => lagZero(kafka, groupId, topic), LAG_WAIT_MS);
  const lagMs = lagZeroAt === undefined ? undefined : lagZeroAt - healAt;
  say(lagMs === undefined ? `lag did not reach 0 within ${fmtS(LAG_WAIT_MS)}` : `lag 0 on ${topic} ${fmtS(lagMs)} after the heal`);
  const retryLagZeroAt = await waitUntil(() => lagZero(kafka, `${groupId}-retry`, retryTopic), RETRY_LAG_WAIT_MS);
  say(retryLagZeroAt === undefined ? `retry group lag did not reach 0 within ${fmtS(RETRY_LAG_WAIT_MS)}` : `lag 0 on ${retryTopic} ${fmtS(retryLagZeroAt - healAt)} after the heal`);
  clearInterval(progress);

  // --- stop both (graceful) ---
  bridges.sampleRss();
  clearInterval(rss);
  let finalStops = 0;
  let finalClean = 0;
  for (let s = 0; s < INSTANCES; s++) {
    await bridges.withSlot(s, async () => {
      const inst = bridges.running(s);
      if (inst === undefined) return;
      finalStops++;
      const r = await bridges.stop(inst, 'SIGTERM');
      say(`final SIGTERM: bridge #${inst.n} exited with ${r.code}${r.hung ? ' (hung, killed)' : ''}`);
      if (r.code === 0 && !r.hung) finalClean++;
      else violations.push(`final SIGTERM of bridge #${inst.n}: ${r.hung ? 'did not exit in time and was killed' : `exited with code ${r.code} / signal ${r.signal}`}`);
    });
  }
  bridges.closing = true;
  const stoppedAt = Date.now();

  // --- read back and check ---
  await within(commitSampler.stop(), 10_000);
  const samples = [...commitSampler.samples];
  say(`reading back ${retryTopic} and ${dltTopic}`);
  const copies: CopyRecord[] = await readCopies(kafka, [retryTopic, dltTopic], READ_COPIES_MS);
  const starts = await logStartOffsets(kafka, [topic, retryTopic, dltTopic]);
  const truncated = [...starts].filter(([, low]) => low > 0).map(([tp, low]) => `${tp} starts at ${low}`);

  const produced = workload.produced;
  const delivered = faultSink.delivered();
  const reb = countRebalances(bridges.all.map((i) => i.proc.logs));
  for (const at of reb.generations.slice(1)) events.push({ at, kind: 'rebalance', detail: 'group generation' });
  const allowed = WINDOW * (kill9 + reb.rebalances);
  const base = checkInvariants({ topic, produced, sink: faultSink, copies, samples: [], ordering: 'key' });
  const commits = checkCommits(topic, delivered, copies, samples);
  const stranded = strandedInRetry(produced, delivered, copies, dltTopic);
  const origins = duplicateOrigins(delivered, events);
  const stalls = longestCommitStalls(samples, chaosEnd);
  const linger = lingering(bridges.all.map((i) => ({ n: i.n, logs: i.proc.logs, exitAt: i.signal === undefined ? i.exit?.at : undefined })));
  const distinctDelivered = new Set(delivered.map((a) => `${a.key}#${a.seq}`)).size;
  const retryCopies = copies.filter((c) => c.topic === retryTopic).length;
  const dlt = copies.filter((c) => c.topic === dltTopic);
  const dltByReason = new Map<string, number>();
  for (const c of dlt) dltByReason.set(c.reason, (dltByReason.get(c.reason) ?? 0) + 1);
  const dltRecords = new Set(dlt.map((c) => c.value)).size;
  const peak = bridges.all.reduce<Instance | undefined>((best, i) => (best === undefined || i.peakRssKb > best.peakRssKb ? i : best), undefined);
  const rLimit = 2 * SESSION_TIMEOUT_MS;

  if (base.lost.length > 0) violations.push(`L: ${base.lost.length} records neither delivered nor copied, e.g. ${base.lost.slice(0, 10).join(', ')}`);
  if (stranded.length > 0) violations.push(`L: ${stranded.length} records only in the retry topic after the heal (never delivered, never dead-lettered), e.g. ${stranded.slice(0, 10).join(', ')}`);
  if (truncated.length > 0) violations.push(`L: Kafka no longer holds the oldest records (${truncated.join('; ')}): retention cut the run short`);
  if (base.duplicates > allowed) violations.push(`D: ${base.duplicates} duplicates > allowed ${allowed}`);
  for (const o of base.orderViolations) violations.push(`O: ${o}`);
  for (const c of commits.examples) violations.push(`C: ${c}`);
  if (commits.violatingSamples > commits.examples.length) violations.push(`C: … ${commits.violatingSamples} violating samples in all`);
  if (lagMs === undefined || lagMs > rLimit) violations.push(`R: lag reached 0 ${lagMs === undefined ? `not within ${fmtS(LAG_WAIT_MS)}` : `only ${fmtS(lagMs)}`} after the heal (limit ${fmtS(rLimit)})`);

  const sigtermTotal = sigterms + finalStops;
  const sigtermOk = sigtermsClean + finalClean;
  const verdicts: Verdict[] = [
    {
      name: 'L no loss',
      ok: base.lost.length === 0 && stranded.length === 0 && truncated.length === 0,
      detail: `${base.lost.length} lost; ${stranded.length} left in the retry topic; ${truncated.length === 0 ? 'no log truncation' : 'log truncated'}`,
    },
    { name: 'D bounded duplicates', ok: base.duplicates <= allowed, detail: `${base.duplicates} ≤ ${WINDOW} × (${kill9} kill -9 + ${reb.rebalances} rebalances) = ${allowed}` },
    { name: 'O per-key order of first attempts', ok: base.orderViolations.length === 0, detail: `${base.orderViolations.length} violations` },
    {
      name: 'C no commit past an unfinished record',
      ok: commits.violatingSamples === 0 && samples.length > 0,
      detail: `${commits.violatingSamples} of ${thousands(samples.length)} samples (every 250 ms, admin API)`,
    },
    { name: 'R lag 0 soon after the heal', ok: lagMs !== undefined && lagMs <= rLimit, detail: `${lagMs === undefined ? 'never' : fmtS(lagMs)} ≤ 2 × session timeout = ${fmtS(rLimit)}` },
    { name: 'SIGTERM exits 0', ok: sigtermOk === sigtermTotal, detail: `${sigtermOk} of ${sigtermTotal}` },
  ];

  const originText = Object.entries(origins.byPrecedingEvent)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const rows: [string, string][] = [
    ['duration', `${fmtMin(chaosEnd - chaosStart)} of chaos + ${fmtS(stoppedAt - chaosEnd)} heal, drain and stop (whole run ${fmtMin(Date.now() - runStart)})`],
    ['seed', String(opts.seed)],
    ['produced', `${thousands(produced.length)} records (${opts.keys} keys, ${opts.rate}/s, ${PARTITIONS} partitions)`],
    ['delivered (distinct)', `${thousands(distinctDelivered)} (${((100 * distinctDelivered) / Math.max(1, produced.length)).toFixed(2)} %); ${thousands(dltRecords)} others in the DLT only`],
    ['sink answers', `${thousands(counts.ok)} × 2xx, ${thousands(counts.http503)} × 503, ${thousands(counts.slow504)} × slow 504, ${thousands(counts.http400)} × 400`],
    ['retry copies', thousands(retryCopies)],
    ['DLT copies (by reason)', `${thousands(dlt.length)} (${[...dltByReason].map(([r, n]) => `${r}: ${thousands(n)}`).join(', ') || 'none'})`],
    ['kill -9', String(kill9)],
    ['SIGTERM', `${sigterms} during the chaos (${sigtermsClean} exited 0) + ${finalStops} at the end (${finalClean} exited 0)`],
    [
      'bridges that exited by themselves',
      unexpected.length === 0
        ? '0'
        : `${unexpected.length} (${[...new Set(unexpected.map((u) => `exit ${u.code}: ${u.cause}`))].map((c) => `${unexpected.filter((u) => `exit ${u.code}: ${u.cause}` === c).length} × ${c}`).join('; ')}); each was started again after 2 s`,
    ],
    ['sink flaps', FLAP_KINDS.map((k) => `${k} ${flaps[k]}`).join(', ')],
    ['rebalances', `${reb.rebalances} (group generations after the first; ${reb.joins} "partitions assigned" lines)`],
    ['duplicates vs allowed', `${base.duplicates} vs ${allowed} (${WINDOW} × (${kill9} + ${reb.rebalances}))`],
    [
      'duplicates came after',
      originText === ''
        ? 'no duplicates'
        : `${originText}; ${origins.refetched} were first attempts (fetched again from Kafka), ${origins.retried} later attempts; median ${fmtS(origins.medianGapMs)} after the first 2xx`,
    ],
    [
      'largest duplicate bursts',
      origins.bursts.length === 0
        ? 'none'
        : `${origins.bursts.filter((b) => b.count > WINDOW).length} of ${origins.bursts.length} bursts above one WINDOW (${WINDOW}); ` +
          origins.bursts
            .slice(0, 3)
            .map(
              (b) =>
                `${b.count} on partition ${b.partitions.join(', ')} (accepted ${rel(b.firstFrom)}–${rel(b.firstTo)}, again ${rel(b.againFrom)}–${rel(b.againTo)}; in between: ${b.events
                  .slice(-6)
                  .map((e) => `${e.kind} ${rel(e.at)}`)
                  .join(', ') || 'nothing'})`,
            )
            .join('; '),
    ],
    ['offset commits refused (bridge logs)', commitRefusals(bridges.all)],
    [
      'longest commit stall during the chaos',
      stalls.map((st) => `partition ${st.partition}: ${fmtS(st.ms)} (${rel(st.from)}–${rel(st.to)})`).join(', ') || 'no samples',
    ],
    [
      'failed bridges still in the group',
      linger.failed === 0
        ? 'none failed'
        : `${linger.failed} bridges reached the failed state; the longest took ${fmtS(linger.longestMs)} to exit (bridge #${linger.longestBridge}); ${linger.assignedAfterFailing} were assigned partitions after failing`,
    ],
    ['lost', String(base.lost.length + stranded.length)],
    ['order violations', String(base.orderViolations.length)],
    ['commit violations', `${commits.violatingSamples} (of ${thousands(samples.length)} samples)`],
    ['time to lag 0 after the heal', `${lagMs === undefined ? 'not reached' : fmtS(lagMs)} (all instances running ${fmtS(allRunningAt - healAt)} after the heal; retry group ${retryLagZeroAt === undefined ? 'not drained' : `drained after ${fmtS(retryLagZeroAt - healAt)}`})`],
    ['peak RSS of a bridge', peak === undefined || peak.peakRssKb === 0 ? 'not readable' : `${(peak.peakRssKb / 1024).toFixed(0)} MB (VmHWM, highest of ${bridges.all.length} processes)`],
  ];
  const notes = [
    `Settings: sessionTimeout ${fmtS(SESSION_TIMEOUT_MS)}, maxInFlight ${MAX_IN_FLIGHT} (WINDOW ${WINDOW}), ordering key, attempts 3, endpoint timeout ${fmtS(ENDPOINT_TIMEOUT_MS)}, one retry tier of 1 s, commitInterval 200 ms, shutdown timeout ${fmtS(SHUTDOWN_TIMEOUT_MS)}.`,
    `Faults: a kill every ${KILL_EVERY_MS[0] / 1000}–${KILL_EVERY_MS[1] / 1000} s (kill -9 or SIGTERM, even odds), back after ${DOWN_FOR_MS[0] / 1000}–${DOWN_FOR_MS[1] / 1000} s; a sink flap after ${HEALTHY_FOR_MS[0] / 1000}–${HEALTHY_FOR_MS[1] / 1000} s of health: 5xx bursts (${BURST_SHARE * 100} % of requests 503), slow (${SLOW_SHARE * 100} % answered 504 after ${fmtS(SLOW_ANSWER_MS)}), outages (every request 503), permanent 400s (${POISON_SHARE * 100} % of records).`,
  ];
  const command = `node test/chaos/run-chaos.ts --minutes ${opts.minutes} --seed ${opts.seed}${opts.rate !== 100 ? ` --rate ${opts.rate}` : ''}${opts.keys !== 100 ? ` --keys ${opts.keys}` : ''}`;
  const environment = `**Node** ${process.version} · **cores** ${cpus().length} · **memory** ${(totalmem() / 2 ** 30).toFixed(1)} GiB · ${process.platform}/${process.arch} · one Apache Kafka ${broker?.version ?? ''} broker, two bridge processes, the sink and this orchestrator on the same machine`;
  const summary = renderSummary({ command, date: new Date().toISOString().slice(0, 10), environment, rows, verdicts, notes, violations });

  // Evidence for whoever has to look into a violation.
  for (const i of bridges.all) writeFileSync(join(logsDir, `bridge-${i.n}.jsonl`), i.proc.logs.map((l) => JSON.stringify(l)).join('\n') + '\n');
  writeFileSync(join(logsDir, 'events.jsonl'), events.map((e) => JSON.stringify({ ...e, iso: new Date(e.at).toISOString() })).join('\n') + '\n');
  writeFileSync(join(logsDir, 'attempts.jsonl'), faultSink.attempts.map((a) => JSON.stringify(a)).join('\n') + '\n');
  writeFileSync(join(logsDir, 'commit-samples.jsonl'), samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
  writeFileSync(join(logsDir, 'copies.jsonl'), copies.map((c) => JSON.stringify(c)).join('\n') + '\n');
  writeFileSync(
    join(logsDir, 'processes.jsonl'),
    bridges.all
      .map((i) => JSON.stringify({ n: i.n, slot: i.slot, pid: i.proc.child.pid, startedAt: i.startedAt, signal: i.signal, exit: i.exit, peakRssKb: i.peakRssKb, stderr: i.proc.stderr.join('') }))
      .join('\n') + '\n',
  );
  writeFileSync(join(logsDir, 'summary.md'), `${summary}\n`);

  process.stdout.write(`\n${summary}\n\n`);
  say(`evidence written to ${logsDir}`);
  if (opts.report !== undefined) {
    writeBlock(opts.report, summary);
    say(`summary written to ${opts.report}`);
  }
  return verdicts.every((v) => v.ok) ? 0 : 1;
}

main().then(
  async (code) => {
    await teardown();
    process.exit(code);
  },
  (error: unknown) => abort(`the run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, 2),
);
