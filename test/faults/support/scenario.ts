/**
 * One fault scenario: a fresh Kafka (a real Apache Kafka cluster, or the dev broker where only
 * its error injection can make the fault), topics, the workload, a recording sink, bridge
 * processes (the real CLI, so kill -9, SIGTERM and SIGSTOP are real), a commit sampler; then
 * the invariants once the fault healed and the backlog drained.
 */
import type { Kafka } from 'kafkajs';
import { appendFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { KafkaCluster } from '../../../tools/kafka/kafka-cluster.ts';
import { DevBroker } from '../../support/dev-broker.ts';
import { startCluster } from '../../support/test-cluster.ts';
import { kafkaFor, uniqueTopic, waitFor } from '../../support/kafka-helpers.ts';
import { spawnBridge, testConfigObject, waitForPort, type BridgeProcess } from '../../support/test-bridge.ts';
import { CommitSampler, FaultSink, checkInvariants, lagZero, produceWorkload, readCopies, type InvariantReport, type Produced } from './workload.ts';

export const SESSION_TIMEOUT_MS = 8000;
export const MAX_IN_FLIGHT = 16;
/** Documented bound: what was in flight plus what finished since the last commit. */
export const WINDOW = 2 * MAX_IN_FLIGHT;

export interface ScenarioOptions {
  readonly brokers?: number;
  readonly controller?: 'combined' | 'separate';
  /**
   * Run on the dev broker instead of Apache Kafka, for a fault only its error injection can
   * make (one error code on one request type, a round-trip time). The text says why.
   */
  readonly mockBecause?: string;
  readonly partitions?: number;
  readonly keys?: number;
  readonly perKey?: number;
  /** Route keys merged over the scenario defaults. */
  readonly route?: Record<string, unknown>;
  readonly kafka?: Record<string, unknown>;
  readonly ordering?: 'key' | 'partition' | 'none';
}

/** What a scenario measured, for the suite's report. */
export interface ScenarioFigures {
  readonly duplicates: number;
  /** Retry copies Kafka holds twice (written again after an unacknowledged append). */
  readonly repeatedCopies: number;
  readonly commitSamples: number;
  readonly lagRecoveryMs: number | undefined;
  readonly crashes: number;
  readonly rebalances: number;
}

export class Scenario {
  readonly #cluster: KafkaCluster | undefined;
  readonly #mock: DevBroker | undefined;
  readonly bootstrap: string;
  readonly kafka: Kafka;
  readonly sink: FaultSink;
  readonly topic = uniqueTopic('faults');
  readonly groupId = uniqueTopic('group');
  readonly processes: BridgeProcess[] = [];
  readonly produced: Produced[] = [];
  options: ScenarioOptions;
  readonly sampler: CommitSampler;
  crashes = 0;
  /** Time from the heal to lag 0, measured by drained(). */
  lagRecoveryMs: number | undefined;
  /** Scenario-specific figures for the report (e.g. duplicates per restart). */
  readonly notes: Record<string, unknown> = {};

  private constructor(substrate: KafkaCluster | DevBroker, sink: FaultSink, options: ScenarioOptions) {
    if (substrate instanceof DevBroker) this.#mock = substrate;
    else this.#cluster = substrate;
    this.bootstrap = substrate.bootstrap;
    this.kafka = kafkaFor(substrate.bootstrap);
    this.sink = sink;
    this.options = options;
    this.sampler = new CommitSampler(this.kafka, this.groupId, this.topic);
  }

  static async create(options: ScenarioOptions = {}): Promise<Scenario> {
    const brokers = options.brokers ?? 1;
    const partitions = options.partitions ?? 3;
    const replication = Math.min(3, brokers);
    const names = (topic: string) => [topic, `${topic}-retry`, `${topic}-dlt`];
    let s: Scenario;
    if (options.mockBecause !== undefined) {
      const broker = await DevBroker.start({ brokers });
      s = new Scenario(broker, await FaultSink.start(), options);
      for (const name of names(s.topic)) await broker.createTopic(name, partitions, replication);
    } else {
      const cluster = await startCluster({ brokers, ...(options.controller === undefined ? {} : { controller: options.controller }) });
      s = new Scenario(cluster, await FaultSink.start(), options);
      for (const name of names(s.topic)) await cluster.createTopic({ name, partitions, replication });
    }
    return s;
  }

  /** The real cluster (scenarios that kill, stop or freeze brokers). */
  get cluster(): KafkaCluster {
    if (this.#cluster === undefined) throw new Error('this scenario runs on the dev broker');
    return this.#cluster;
  }

  /** The dev broker (scenarios that inject request errors). */
  get mock(): DevBroker {
    if (this.#mock === undefined) throw new Error('this scenario runs on Apache Kafka');
    return this.#mock;
  }

  config(): Record<string, unknown> {
    const { endpoint, ...route } = (this.options.route ?? {}) as { endpoint?: Record<string, unknown> };
    const url = `${this.sink.url}/deliver`;
    return testConfigObject({
      bootstrap: this.bootstrap,
      groupId: this.groupId,
      logLevel: 'info',
      kafka: { sessionTimeout: `${SESSION_TIMEOUT_MS}ms`, heartbeatInterval: '500ms', commitInterval: '200ms', ...this.options.kafka },
      routes: [
        {
          name: 'faults',
          topics: [this.topic],
          url,
          endpoint: { url, timeout: '1s', ...endpoint },
          ordering: this.options.ordering ?? 'key',
          maxInFlight: MAX_IN_FLIGHT,
          attempts: 3,
          backoff: { initial: '50ms', max: '200ms' },
          retry: { delays: ['1s'] },
          circuitBreaker: { resetTimeout: '2s' },
          recovery: { rampUp: '1s' },
          ...route,
        },
      ],
    });
  }

  async produce(perKey = this.options.perKey ?? 10): Promise<void> {
    const startSeq = this.produced.length / (this.options.keys ?? 100);
    this.produced.push(...(await produceWorkload(this.kafka, this.topic, this.options.keys ?? 100, perKey, startSeq)));
  }

  async startBridge(): Promise<BridgeProcess> {
    const p = spawnBridge(this.config());
    this.processes.push(p);
    await waitForPort(p);
    return p;
  }

  /** Waits until the process answers /ready with 200, as an orchestrator's readiness probe does. */
  async ready(p: BridgeProcess, timeoutMs = 30_000): Promise<void> {
    await waitFor('the bridge is ready', async () => (await fetch(`http://127.0.0.1:${p.port}/ready`).catch(() => undefined))?.status === 200, timeoutMs, 100);
  }

  async sigterm(p: BridgeProcess): Promise<void> {
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }

  /**
   * The dev broker answers some SyncGroups of a join with INVALID_REQUEST, where Kafka answers
   * with the assignment. kafkajs takes that answer as fatal, so the bridge exits 1 with
   * CONSUMER_CRASHED (never alive but idle) and an orchestrator starts it again: so does this,
   * for that answer only, and counts it as a crash. Any other exit fails the scenario.
   */
  async restartIfRefusedByDevBroker(p: BridgeProcess): Promise<BridgeProcess> {
    if (p.child.exitCode === null && p.child.signalCode === null) return p;
    this.expectRefusedByDevBroker(p);
    this.crashes++;
    this.notes['restartsAfterInvalidRequest'] = Number(this.notes['restartsAfterInvalidRequest'] ?? 0) + 1;
    return this.startBridge();
  }

  expectRefusedByDevBroker(p: BridgeProcess): void {
    expect(this.#mock, 'only the dev broker answers a join with INVALID_REQUEST').toBeDefined();
    expect(p.child.exitCode, 'a crashed consumer exits 1').toBe(1);
    const refused = p.logs.some((l) => l['code'] === 'CONSUMER_CRASHED' && /request being malformed/.test(String(l['msg'])));
    expect(refused, 'the process ended on the dev broker\'s INVALID_REQUEST').toBe(true);
  }

  /** SIGTERM for a running process; one that ended on the dev broker's refusal is checked instead. */
  async stopOrExpectRefused(p: BridgeProcess): Promise<void> {
    if (p.child.exitCode === null && p.child.signalCode === null) await this.sigterm(p);
    else this.expectRefusedByDevBroker(p);
  }

  async kill9(p: BridgeProcess): Promise<void> {
    p.child.kill('SIGKILL');
    await p.exited;
    this.crashes++;
  }

  /** Group joins after the very first one, across every process: each is a rebalance. */
  rebalances(): number {
    const joins = this.processes.reduce((n, p) => n + p.logs.filter((l) => l['msg'] === 'partitions assigned' && l['consumer'] === 'main').length, 0);
    return Math.max(0, joins - 1);
  }

  /**
   * R: lag reaches 0 within 2 × the session timeout of the heal (plus `extraMs` where the
   * scenario itself says why). Records the time it took.
   */
  async drained(extraMs = 0): Promise<number> {
    const started = Date.now();
    // The dev broker waits 3 s before it forms a group at all; Apache Kafka does not.
    const joinDelay = this.#mock === undefined ? 0 : 3000;
    await waitFor('lag 0 on the main topic', () => lagZero(this.kafka, this.groupId, this.topic), 2 * SESSION_TIMEOUT_MS + joinDelay + extraMs, 200);
    this.lagRecoveryMs = Date.now() - started;
    return this.lagRecoveryMs;
  }

  /** Waits for the sink to have seen every record, then checks L, D, O, C. */
  async check(allowedDuplicates: number): Promise<InvariantReport> {
    await this.sampler.stop();
    const copies = await readCopies(this.kafka, [`${this.topic}-retry`, `${this.topic}-dlt`]);
    const report = checkInvariants({
      topic: this.topic,
      produced: this.produced,
      sink: this.sink,
      copies,
      samples: this.sampler.samples,
      ordering: this.options.ordering ?? 'key',
    });
    // A copy that Kafka appended but did not acknowledge (NOT_ENOUGH_REPLICAS_AFTER_APPEND, a
    // leader lost mid-write) is written again: it then sits twice in the retry topic and the
    // endpoint sees its idempotency key twice. Such repeats are counted apart from the window.
    const perOrigin = new Map<string, number>();
    for (const c of copies) if (c.topic.endsWith('-retry')) perOrigin.set(`${c.originalPartition}/${c.originalOffset}`, (perOrigin.get(`${c.originalPartition}/${c.originalOffset}`) ?? 0) + 1);
    const repeatedCopies = [...perOrigin.values()].reduce((n, c) => n + c - 1, 0);
    this.#figures = {
      duplicates: report.duplicates,
      repeatedCopies,
      commitSamples: this.sampler.samples.length,
      lagRecoveryMs: this.lagRecoveryMs,
      crashes: this.crashes,
      rebalances: this.rebalances(),
    };
    expect(report.lost, 'L: every record delivered or in a retry/DLT topic').toEqual([]);
    expect(report.duplicates, `D: duplicates within ${allowedDuplicates} + ${repeatedCopies} copies written twice`).toBeLessThanOrEqual(allowedDuplicates + repeatedCopies);
    expect(report.orderViolations, 'O: per-key first attempts in sequence order').toEqual([]);
    expect(report.commitViolations, 'C: no commit past an unfinished record').toEqual([]);
    expect(this.sampler.samples.length, 'C: commits were sampled').toBeGreaterThan(0);
    return report;
  }

  #figures: ScenarioFigures | undefined;

  /**
   * Appends what the scenario measured to $FAULT_REPORT (one JSON line per scenario), when
   * set: the figures the reliability document quotes.
   */
  record(name: string, passed: boolean): void {
    const file = process.env['FAULT_REPORT'];
    if (!file) return;
    const substrate = this.#mock === undefined ? `kafka ${this.cluster.version}` : 'dev broker';
    appendFileSync(file, `${JSON.stringify({ name, passed, substrate, ...this.#figures, ...this.notes })}\n`);
  }

  async close(): Promise<void> {
    await this.sampler.stop();
    for (const p of this.processes) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGCONT');
        p.child.kill('SIGKILL');
      }
    }
    await Promise.all(this.processes.map((p) => p.exited));
    await this.sink.stop();
    await (this.#cluster?.close() ?? this.#mock?.stop());
  }
}

/**
 * Registers the suite's afterEach: a failed scenario prints what its bridges said (warnings,
 * errors, lifecycle and assignment lines of every process), every scenario records its figures
 * and is closed. Returns the function that starts a scenario.
 */
export function faultSuite(afterEach: (fn: (ctx: { task: { name: string; result?: { state: string } } }) => Promise<void>) => void): (options?: ScenarioOptions) => Promise<Scenario> {
  let current: Scenario | undefined;
  afterEach(async (ctx) => {
    const s = current;
    current = undefined;
    if (s === undefined) return;
    const passed = ctx.task.result?.state === 'pass';
    if (!passed) {
      s.processes.forEach((p, i) => {
        const lines = p.logs.filter((l) => Number(l['level']) >= 40 || String(l['msg']).startsWith('lifecycle') || l['msg'] === 'partitions assigned');
        console.error(`--- bridge process ${i} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'})\n${lines.slice(-40).map((l) => JSON.stringify(l)).join('\n')}`);
      });
    }
    s.record(ctx.task.name, passed);
    await s.close();
  });
  return async (options = {}) => (current = await Scenario.create(options));
}
