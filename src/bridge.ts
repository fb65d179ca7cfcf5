/**
 * Wires the pipeline together and owns the lifecycle:
 *
 *   config ─▶ kafka (consume) ─▶ dispatch (ordering, in-flight bound) ─▶ delivery (HTTP)
 *                  ▲                                                        │ failed
 *                  └── retry consumer ◀── retry topics ◀── retry (ladder) ◀─┘──▶ DLT
 *
 * Shutdown order matters for zero loss and zero duplicates: stop fetching, let in-flight
 * records finish (bounded by shutdown.timeout), commit, and only then disconnect. kafkajs's
 * commit is a silent no-op once its consumer stopped running.
 */
import type { Kafka } from 'kafkajs';
import type { FastifyInstance } from 'fastify';
import type { BridgeConfig, RouteConfig } from './config/types.ts';
import { RouteDispatcher, type Runner } from './dispatch/route-dispatcher.ts';
import { BatchDelivery } from './delivery/batch-delivery.ts';
import { compileFilter } from './delivery/route-filter.ts';
import { HttpEndpoint } from './delivery/http-endpoint.ts';
import { RecordDelivery } from './delivery/record-delivery.ts';
import { BridgeError, ErrorCodes } from './errors.ts';
import type { GroupConsumer } from './kafka/group-consumer.ts';
import { consumerGroups } from './kafka/consumer-groups.ts';
import { consumersFor, type ConsumerWiring, type GroupConsumers, type RouteDispatchers } from './kafka/route-consumers.ts';
import { seedGroups, type Seed } from './kafka/seed-offsets.ts';
import { createKafka } from './kafka/kafka-client.ts';
import { missingTopicsError, preflight } from './kafka/preflight.ts';
import { RecordDecoder } from './decode/record-decoder.ts';
import { SchemaRegistry } from './decode/schema-registry.ts';
import { Lifecycle } from './ops/lifecycle.ts';
import { createLogger, type Logger } from './ops/logger.ts';
import { BridgeMetrics } from './ops/metrics.ts';
import { startOpsServer, type RouteStatus } from './ops/ops-server.ts';
import { routeStatuses } from './ops/route-status.ts';
import { logRecordEvents } from './ops/record-log.ts';
import { RecordEvents } from './record-events.ts';
import { RouteFlow } from './flow/route-flow.ts';
import { KafkaCopyProducer } from './retry/copy-producer.ts';
import { FailureLadder } from './retry/failure-ladder.ts';
import { RetryTopology } from './retry/retry-topology.ts';

export interface BridgeOptions {
  readonly logger?: Logger;
}

interface RouteParts extends RouteDispatchers {
  readonly endpoint: HttpEndpoint;
  readonly flow: RouteFlow;
}

export class Bridge {
  readonly config: BridgeConfig;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
  readonly metrics: BridgeMetrics;
  readonly events = new RecordEvents();
  readonly #kafka: Kafka;
  readonly #producer: KafkaCopyProducer;
  readonly #routes: RouteParts[] = [];
  /** The consumers of each consumer group (kafka/consumer-groups.ts). */
  readonly #groups: GroupConsumers[] = [];
  #server: FastifyInstance | undefined;
  #stopping: Promise<void> | undefined;
  readonly #registry: SchemaRegistry | undefined;
  #failed: (error: Error) => void = () => undefined;
  /** Resolves with an error when the bridge failed for good and the process should exit. */
  readonly failure: Promise<Error>;

  private constructor(config: BridgeConfig, options: BridgeOptions) {
    this.config = config;
    this.logger = options.logger ?? createLogger(config.log.level);
    this.lifecycle = new Lifecycle(this.logger);
    this.failure = new Promise((resolve) => {
      this.#failed = resolve;
    });
    this.metrics = new BridgeMetrics({
      routes: () => this.routeStatus(),
      partitions: () => this.#consumers().flatMap((c) => c.snapshot()),
    });
    this.metrics.listen(this.events);
    logRecordEvents(this.events, this.logger);
    this.#kafka = createKafka(config.kafka, this.logger, {
      onOffsetReset: (topic, partition) => {
        this.metrics.offsetResets.inc({ topic, partition: String(partition) });
        this.logger.error({ topic, partition }, 'offset out of range: kafkajs reset the partition to its earliest offset');
      },
    });
    this.#producer = new KafkaCopyProducer(this.#kafka, config.kafka.idempotentProducer, config.kafka.producer.compression);
    // One client for every route: schemas are cached by id, and one probe watches an outage.
    this.#registry = config.schemaRegistry === undefined ? undefined : new SchemaRegistry(config.schemaRegistry);
  }

  static async start(config: BridgeConfig, options: BridgeOptions = {}): Promise<Bridge> {
    const bridge = new Bridge(config, options);
    try {
      await bridge.#start();
    } catch (error) {
      bridge.lifecycle.to('failed', error instanceof Error ? error.message : String(error));
      await bridge.#close();
      throw error;
    }
    return bridge;
  }

  async #start(): Promise<void> {
    const { missing, warnings } = await preflight(this.#kafka, this.config);
    if (missing.length > 0) throw missingTopicsError(missing, this.config);
    for (const warning of warnings) this.logger.warn({ check: 'max.message.bytes' }, warning);
    await this.#producer.connect();

    for (const route of this.config.routes) {
      const topology = new RetryTopology(route);
      const endpoint = new HttpEndpoint(route, this.config.kafka.brokers[0]);
      const flow = this.#flowFor(route, topology.retryTopics);
      const ladder = new FailureLadder(route, topology, this.#producer);
      const decoder = new RecordDecoder(route.decode, this.#registry);
      const delivery = { route, endpoint, flow, ladder, events: this.events, filter: compileFilter(route.filter), decoder };
      const batches = route.batch.maxRecords > 1 ? new BatchDelivery(delivery) : undefined;
      const runner: Runner = batches !== undefined ? { runBatch: batches.run, measure: batches.measure } : { run: new RecordDelivery(delivery).run };
      this.#routes.push({ route, topology, endpoint, flow, main: new RouteDispatcher(route, runner), retry: new RouteDispatcher(route, runner) });
    }

    this.#server = await startOpsServer(
      { lifecycle: this.lifecycle, registry: this.metrics.registry, routes: () => this.routeStatus() },
      this.config.server.host,
      this.config.server.port,
    );
    this.logger.info({ port: this.port }, 'ops server listening');

    const wiring: ConsumerWiring = {
      kafka: this.#kafka,
      config: this.config.kafka,
      events: this.events,
      logger: this.logger,
      onFatal: (error: Error) => this.#fail(new BridgeError(ErrorCodes.CONSUMER_CRASHED, `kafka consumer crashed and will not restart: ${error.message}`, { cause: error })),
      observe: (name: string) => ({
        onCommitted: () => this.metrics.commits.inc({ consumer: name, result: 'ok' }),
        onCommitFailed: () => this.metrics.commits.inc({ consumer: name, result: 'failed' }),
        onRestart: () => this.metrics.consumerRestarts.inc({ consumer: name }),
      }),
    };
    const seeds: Seed[] = [];
    const main = this.config.kafka.groupId;
    for (const group of consumerGroups(this.config)) {
      const parts = this.#routes.filter((p) => group.routes.includes(p.route));
      this.#groups.push(consumersFor(group, parts, wiring));
      if (group.isDefault) continue;
      seeds.push({ groupId: group.groupId, fromGroupId: main, topics: [...new Set(group.routes.flatMap((r) => r.topics))] });
      const retryTopics = parts.flatMap((p) => p.topology.retryTopics);
      if (retryTopics.length > 0) seeds.push({ groupId: group.retryGroupId, fromGroupId: `${main}-retry`, topics: retryTopics });
    }
    await seedGroups(this.#kafka, seeds, this.logger);
    // Flow first: a route whose endpoint is down at start is paused before its consumer
    // joins the group, so a restarted instance never bursts into an outage.
    await Promise.all(this.#routes.map((p) => p.flow.start()));
    // A consumer that crashes for good while the other one is still joining must stop the
    // start at once: waiting would leave a member in the group that takes partitions and
    // then exits, stalling them for a whole rebalance.
    const crashed = this.failure.then((error) => Promise.reject(error));
    crashed.catch(() => undefined);
    await Promise.race([Promise.all(this.#consumers().map((c) => c.start())), crashed]);
    this.lifecycle.to('running');
  }

  #consumers(): GroupConsumer[] {
    return this.#groups.flatMap((g) => (g.retry === undefined ? [g.main] : [g.main, g.retry]));
  }

  /** The consumers of the group that reads `route`'s topics. */
  #groupOf(route: RouteConfig): GroupConsumers | undefined {
    return this.#groups.find((group) => group.group.routes.includes(route));
  }

  /** The consumers that read `route`'s topics, by name. */
  #consumersOf(route: RouteConfig): { name: string; consumer: GroupConsumer }[] {
    const g = this.#groupOf(route);
    if (g === undefined) return [];
    return [{ name: g.group.name, consumer: g.main }, ...(g.retry === undefined ? [] : [{ name: g.group.retryName, consumer: g.retry }])];
  }

  /**
   * The route's flow controller pauses and resumes its topics on both consumers: fetching
   * stops for the main topics and the retry topics alike, and the pause outlives rebalances
   * because each consumer's pause book re-applies it on every group join.
   */
  #flowFor(route: RouteConfig, retryTopics: readonly string[]): RouteFlow {
    const apply = (fn: (consumer: GroupConsumer, topics: readonly string[]) => void): void => {
      const g = this.#groupOf(route);
      if (g === undefined) return;
      fn(g.main, route.topics);
      if (g.retry !== undefined) fn(g.retry, retryTopics);
    };
    return new RouteFlow(
      route,
      {
        pause: (reason) => apply((c, topics) => c.pauseTopics(topics, reason)),
        resume: (reason) => apply((c, topics) => c.resumeTopics(topics, reason)),
        rateLimited: () => this.metrics.rateLimited.inc({ route: route.name }),
      },
      this.logger,
    );
  }

  /** The port the ops server listens on (useful with `server.port: 0`). */
  get port(): number {
    const address = this.#server?.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  routeStatus(): RouteStatus[] {
    return routeStatuses(
      this.#routes.map((p) => ({
        name: p.route.name,
        consumers: this.#consumersOf(p.route),
        topics: [...p.route.topics, ...p.topology.retryTopics],
        inFlight: () => p.main.inFlight + p.retry.inFlight,
        concurrencyLimit: () => p.flow.concurrency.limit,
        breaker: () => p.flow.breakerState,
        healthy: () => p.flow.healthy,
      })),
    );
  }

  #fail(error: Error): void {
    if (!this.lifecycle.to('failed', error.message)) return;
    this.#failed(error);
  }

  /** Graceful stop: drain, commit, disconnect. Safe to call more than once. */
  stop(): Promise<void> {
    this.#stopping ??= this.#drainAndClose();
    return this.#stopping;
  }

  async #drainAndClose(): Promise<void> {
    this.lifecycle.to('draining');
    for (const c of this.#consumers()) c.stopFetching();
    const drained = await this.#drain(this.config.shutdown.timeout);
    if (!drained) {
      this.logger.warn({ timeoutMs: this.config.shutdown.timeout }, 'shutdown timeout: unfinished records are left uncommitted and will be redelivered');
      for (const p of this.#routes) {
        p.main.abortAll();
        p.retry.abortAll();
      }
      // Aborted records stop at their next backoff; an HTTP attempt in progress still ends
      // by its own timeout. Wait briefly so their outcomes can still be committed.
      await this.#drain(2_000);
    }
    for (const c of this.#consumers()) await c.commit();
    await this.#close();
    this.lifecycle.to('stopped');
  }

  async #drain(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const idle = Promise.all(this.#routes.flatMap((p) => [p.main.idle(), p.retry.idle()])).then(() => true as const);
    try {
      return await Promise.race([idle, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #close(): Promise<void> {
    for (const p of this.#routes) p.flow.stop();
    await Promise.allSettled(this.#consumers().map((c) => c.disconnect()));
    await Promise.allSettled([this.#producer.disconnect(), ...this.#routes.map((p) => p.endpoint.close()), this.#registry?.close()]);
    await this.#server?.close();
  }
}
