/**
 * Prometheus metrics, fed by listening to record events. Labels are kept low-cardinality on
 * purpose (route, outcome, topic/partition; never offsets, keys or URLs), and everything that
 * can be read from existing state (in-flight, lag) is computed at scrape time instead of on
 * the hot path.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RecordEvents } from '../record-events.ts';
import { ROUTE_PAUSE_REASONS } from '../flow/pause-reasons.ts';
import type { PartitionSnapshot } from '../kafka/group-consumer.ts';
import type { RouteStatus } from './ops-server.ts';

const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;

const PREFIX = 'kafka_http_bridge_';

export interface MetricSources {
  /** Per route: in-flight records, pause reasons, breaker state, health. */
  routes(): readonly RouteStatus[];
  /** Partitions owned right now, with committed offsets and high watermarks. */
  partitions(): readonly PartitionSnapshot[];
}

export class BridgeMetrics {
  readonly registry = new Registry();
  readonly deliveries: Counter<'route' | 'outcome'>;
  readonly httpDuration: Histogram<'route'>;
  readonly httpResponses: Counter<'route' | 'result'>;
  readonly retryPublished: Counter<'route' | 'tier'>;
  readonly dltPublished: Counter<'route' | 'reason'>;
  readonly copyFailures: Counter<'route'>;
  readonly commits: Counter<'consumer' | 'result'>;
  readonly offsetResets: Counter<'topic' | 'partition'>;
  readonly consumerRestarts: Counter<'consumer'>;
  readonly retryDueWait: Histogram;
  readonly rateLimited: Counter<'route'>;
  readonly failingAlone: Counter<'route' | 'reason'>;
  readonly filtered: Counter<'route'>;
  readonly batchSplits: Counter<'route'>;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
      new Counter({ name: `${PREFIX}${name}`, help, labelNames, registers });
    // Gauges read existing state at scrape time, never on the hot path.
    const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (set: (labels: Partial<Record<L, string>>, value: number) => void) => void): void => {
      new Gauge({
        name: `${PREFIX}${name}`,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          fill((labels, value) => this.set(labels, value));
        },
      });
    };
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    this.deliveries = counter('deliveries_total', 'Records that left the bridge, by outcome (delivered, retry_scheduled, dead_lettered, discarded, filtered).', ['route', 'outcome']);
    this.httpDuration = new Histogram({
      name: `${PREFIX}http_request_duration_seconds`,
      help: 'Duration of HTTP attempts to the endpoint, whatever their result.',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.httpResponses = counter('http_attempts_total', 'HTTP attempts by result: status class (2xx, 4xx, 5xx) or failure reason (timeout, connect-refused, …).', ['route', 'result']);
    this.retryPublished = counter('retry_published_total', 'Copies acknowledged on a retry topic, by tier (1 = first retry topic).', ['route', 'tier']);
    this.dltPublished = counter('dlt_published_total', 'Copies acknowledged on the dead-letter topic, by reason.', ['route', 'reason']);
    this.copyFailures = counter('copy_failures_total', 'Retry/dead-letter copies Kafka did not acknowledge (each is written again; the record is not finished).', ['route']);
    this.commits = counter('offset_commits_total', 'Offset commits by consumer: ok counts partition offsets committed (one commit moving 8 partitions counts 8), failed counts commits refused.', ['consumer', 'result']);
    this.offsetResets = counter('offset_resets_total', 'Times kafkajs reset an out-of-range offset (to the earliest record).', ['topic', 'partition']);
    this.consumerRestarts = counter('consumer_restarts_total', 'Times kafkajs restarted a crashed consumer.', ['consumer']);
    this.retryDueWait = new Histogram({
      name: `${PREFIX}retry_due_wait_seconds`,
      help: 'How late (positive) or early (negative) retry records were delivered against their due time.',
      buckets: [-1, 0, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    this.rateLimited = counter('rate_limited_total', 'Requests that waited for the route rate limit.', ['route']);
    this.failingAlone = counter('records_failing_alone_total', 'Records that ran out of attempts while the endpoint served other records (their failure is their own): each takes its next ladder step. By failure reason.', ['route', 'reason']);
    this.batchSplits = counter('batch_splits_total', 'Batches refused as a whole for good and split in halves (batch.splitOnFailure).', ['route']);
    this.filtered = counter('filtered_total', "Records the route's filter did not match: finished and committed without a request.", ['route']);
    gauge('inflight_records', 'Records held by the bridge (queued behind a key or being delivered), per route.', ['route'], (set) => {
      for (const r of sources.routes()) set({ route: r.name }, r.inFlight);
    });
    gauge('concurrency_limit', 'Requests the route may have at its endpoint at once right now: maxInFlight, the adaptive limit, or lower while ramping up after a resume.', ['route'], (set) => {
      for (const r of sources.routes()) set({ route: r.name }, r.concurrencyLimit);
    });
    gauge('route_paused', 'Whether the route is paused (1) for a reason: health-check, circuit-open, token-endpoint, schema-registry, shutdown.', ['route', 'reason'], (set) => {
      for (const r of sources.routes()) {
        for (const reason of ROUTE_PAUSE_REASONS) set({ route: r.name, reason }, r.pausedReasons.includes(reason) ? 1 : 0);
      }
    });
    gauge('circuit_state', 'Circuit breaker state of the route: 1 for the current state (closed, open, half-open).', ['route', 'state'], (set) => {
      for (const r of sources.routes()) {
        if (r.breaker === 'disabled') continue;
        for (const state of BREAKER_STATES) set({ route: r.name, state }, r.breaker === state ? 1 : 0);
      }
    });
    gauge('health_check_up', 'Result of the route health probe: 1 healthy, 0 unhealthy (only routes with a health check).', ['route'], (set) => {
      for (const r of sources.routes()) if (r.healthy !== null) set({ route: r.name }, r.healthy ? 1 : 0);
    });
    gauge('committed_offset', 'Last offset committed by this instance, per owned partition and consumer group.', ['topic', 'partition', 'group'], (set) => {
      for (const p of sources.partitions()) {
        if (p.committed !== undefined) set({ topic: p.topic, partition: String(p.partition), group: p.group }, Number(p.committed));
      }
    });
    gauge('partition_unreadable', 'Partitions whose next record batch cannot be read (1): paused, nothing committed past it, fetched again after a backoff. /ready says where and why.', ['topic', 'partition', 'group'], (set) => {
      for (const p of sources.partitions()) if (p.unreadable !== undefined) set({ topic: p.topic, partition: String(p.partition), group: p.group }, 1);
    });
    gauge('consumer_lag', 'High watermark minus committed offset, per owned partition and consumer group (records not yet finished and committed).', ['topic', 'partition', 'group'], (set) => {
      for (const p of sources.partitions()) {
        if (p.highWatermark === undefined) continue;
        const committed = p.committed === undefined ? 0 : Number(p.committed);
        set({ topic: p.topic, partition: String(p.partition), group: p.group }, Math.max(0, Number(p.highWatermark) - committed));
      }
    });
  }

  /** Subscribes the counters to record events. */
  listen(events: RecordEvents): void {
    // The per-record counters go through children resolved once per label set: prom-client
    // otherwise hashes a label object on every inc() and observe().
    const delivered = childrenOf((route, outcome) => this.deliveries.labels(route, outcome));
    const responses = childrenOf((route, result) => this.httpResponses.labels(route, result));
    const durations = childrenOf((route) => this.httpDuration.labels(route));
    events.on('finished', ({ route, outcome, result, record }) => {
      delivered(route, outcome).inc();
      if (outcome === 'retry_scheduled') this.retryPublished.inc({ route, tier: String(record.tier + 1) });
      if (outcome === 'dead_lettered') this.dltPublished.inc({ route, reason: result?.reason ?? 'unknown' });
      else if (outcome === 'filtered') this.filtered.inc({ route });
    });
    events.on('received', ({ record }) => {
      if (record.tier > 0 && record.dueAt > 0) this.retryDueWait.observe((Date.now() - record.dueAt) / 1000);
    });
    events.on('attempted', ({ route, result, durationMs }) => {
      if (durationMs > 0) durations(route, '').observe(durationMs / 1000);
      const status = result.status;
      responses(route, status === undefined ? result.reason : statusClass(status)).inc();
    });
    events.on('copyFailed', ({ route }) => this.copyFailures.inc({ route }));
    events.on('failingAlone', ({ route, result }) => this.failingAlone.inc({ route, reason: result.reason }));
    events.on('batchSplit', ({ route }) => this.batchSplits.inc({ route }));
  }
}

/** A memo of metric children by (up to) two label values; both sets are small and closed. */
function childrenOf<C>(make: (first: string, second: string) => C): (first: string, second: string) => C {
  const byFirst = new Map<string, Map<string, C>>();
  return (first, second) => {
    let bySecond = byFirst.get(first);
    if (bySecond === undefined) byFirst.set(first, (bySecond = new Map()));
    let child = bySecond.get(second);
    if (child === undefined) bySecond.set(second, (child = make(first, second)));
    return child;
  };
}

const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx', '6xx', '7xx', '8xx', '9xx'];

function statusClass(status: number): string {
  return STATUS_CLASSES[Math.floor(status / 100)] ?? `${Math.floor(status / 100)}xx`;
}
