/**
 * One fault scenario: a fresh dev broker, topics, the workload, a recording sink, bridge
 * processes (the real CLI, so kill -9 and SIGTERM are real), a commit sampler; then the
 * invariants once the fault healed and the backlog drained.
 */
import type { Kafka } from 'kafkajs';
import { expect } from 'vitest';
import { DevBroker } from '../../support/dev-broker.ts';
import { kafkaFor, uniqueTopic, waitFor } from '../../support/kafka-helpers.ts';
import { spawnBridge, testConfigObject, waitForPort, type BridgeProcess } from '../../support/test-bridge.ts';
import { CommitSampler, FaultSink, checkInvariants, lagZero, produceWorkload, readCopies, type InvariantReport, type Produced } from './workload.ts';

/** Session timeout of the scenarios: the dev broker needs sessionTimeout − 1 s per rebalance. */
export const SESSION_TIMEOUT_MS = 8000;
export const MAX_IN_FLIGHT = 16;
/** Documented bound: what was in flight plus what finished since the last commit. */
export const WINDOW = 2 * MAX_IN_FLIGHT;

export interface ScenarioOptions {
  readonly brokers?: number;
  readonly partitions?: number;
  readonly keys?: number;
  readonly perKey?: number;
  /** Route keys merged over the scenario defaults. */
  readonly route?: Record<string, unknown>;
  readonly kafka?: Record<string, unknown>;
  readonly ordering?: 'key' | 'partition' | 'none';
}

export class Scenario {
  readonly broker: DevBroker;
  readonly kafka: Kafka;
  readonly sink: FaultSink;
  readonly topic = uniqueTopic('faults');
  readonly groupId = uniqueTopic('group');
  readonly processes: BridgeProcess[] = [];
  readonly produced: Produced[] = [];
  options: ScenarioOptions;
  readonly sampler: CommitSampler;
  crashes = 0;

  private constructor(broker: DevBroker, sink: FaultSink, options: ScenarioOptions) {
    this.broker = broker;
    this.kafka = kafkaFor(broker.bootstrap);
    this.sink = sink;
    this.options = options;
    this.sampler = new CommitSampler(this.kafka, this.groupId, this.topic);
  }

  static async create(options: ScenarioOptions = {}): Promise<Scenario> {
    const broker = await DevBroker.start({ brokers: options.brokers ?? 1 });
    const sink = await FaultSink.start();
    const s = new Scenario(broker, sink, options);
    const partitions = options.partitions ?? 3;
    const replication = Math.min(3, options.brokers ?? 1);
    await broker.createTopic(s.topic, partitions, replication);
    await broker.createTopic(`${s.topic}-retry`, partitions, replication);
    await broker.createTopic(`${s.topic}-dlt`, partitions, replication);
    return s;
  }

  config(): Record<string, unknown> {
    const { endpoint, ...route } = (this.options.route ?? {}) as { endpoint?: Record<string, unknown> };
    const url = `${this.sink.url}/deliver`;
    return testConfigObject({
      bootstrap: this.broker.bootstrap,
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

  async sigterm(p: BridgeProcess): Promise<void> {
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
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

  /** R: lag reaches 0 within 2 × the session timeout (plus the dev broker's 3 s first join). */
  async drained(extraMs = 0): Promise<void> {
    await waitFor('lag 0 on the main topic', () => lagZero(this.kafka, this.groupId, this.topic), 2 * SESSION_TIMEOUT_MS + 3000 + extraMs, 200);
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
    expect(report.lost, 'L: every record delivered or in a retry/DLT topic').toEqual([]);
    expect(report.duplicates, `D: duplicates within ${allowedDuplicates}`).toBeLessThanOrEqual(allowedDuplicates);
    expect(report.orderViolations, 'O: per-key first attempts in sequence order').toEqual([]);
    expect(report.commitViolations, 'C: no commit past an unfinished record').toEqual([]);
    expect(this.sampler.samples.length, 'C: commits were sampled').toBeGreaterThan(0);
    return report;
  }

  async close(): Promise<void> {
    await this.sampler.stop();
    for (const p of this.processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(this.processes.map((p) => p.exited));
    await this.sink.stop();
    await this.broker.stop();
  }
}
