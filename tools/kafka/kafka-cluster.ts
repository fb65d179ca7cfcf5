/**
 * A local Apache Kafka cluster in KRaft mode, one JVM per node, on free loopback ports, for
 * tests, benchmarks and `npm run kafka`. Its data lives in a temporary folder that close()
 * deletes.
 *
 * Faults are real: kill() is SIGKILL, stop() is SIGTERM (controlled shutdown), freeze() and
 * thaw() are SIGSTOP and SIGCONT, and start() brings a node back on its old data and ports.
 *
 * No JVM outlives its owner: each is started through `setpriv --pdeathsig SIGKILL`, so the
 * kernel kills it when the Node process that spawned it dies, however it dies (a vitest worker
 * killed on timeout included), and an 'exit' hook kills whatever close() was not awaited for
 * (kafka-node.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { KAFKA_VERSIONS, checkJava, ensureKafka } from './kafka-install.ts';
import { clusterId, formatStorage, freePorts, launchNode, logTail, unavailable, type Jvm, type RunningNode } from './kafka-node.ts';
import {
  nodeRoles,
  planNodes,
  offsetsPartitionFor,
  portsNeeded,
  scramFormatArgs,
  serverProperties,
  type ClusterPlan,
  type ControllerMode,
  type NodePlan,
  type SecurityListeners,
} from './node-config.ts';

export interface KafkaClusterOptions {
  /** Brokers, ids 1..N. Default 1. */
  readonly brokers?: number;
  /** Default: KAFKA_VERSIONS.default. */
  readonly version?: string;
  /** Default 'combined'. */
  readonly controller?: ControllerMode;
  /** Topics to create before start() resolves. */
  readonly topics?: readonly TopicSpec[];
  /** Max heap per node, MiB. Default 384. */
  readonly heapMb?: number;
  readonly security?: SecurityListeners;
  /** Broker settings over the defaults of node-config.ts. */
  readonly brokerConfig?: Readonly<Record<string, string>>;
  /** How long start() and startNode() wait. Default 60 s (a loaded CI machine starts JVMs slowly). */
  readonly startTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replication?: number;
  readonly config?: Readonly<Record<string, string>>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class NodeExited extends Error {
  constructor(id: number) {
    super(`node ${id} exited`);
  }
}

export class KafkaCluster {
  readonly version: string;
  /** PLAINTEXT bootstrap list, host:port per broker. */
  readonly bootstrap: string;
  /** Bootstrap lists of the security listeners that were asked for. */
  readonly listeners: { readonly ssl?: string; readonly scram?: string; readonly plainSsl?: string };
  readonly dir: string;
  readonly #nodes = new Map<number, RunningNode>();
  readonly #jvm: Jvm;
  readonly #opts: KafkaClusterOptions;
  readonly #kafka: Kafka;
  #admin: Admin | undefined;
  #closed = false;

  private constructor(version: string, libs: string, dir: string, plan: ClusterPlan, opts: KafkaClusterOptions) {
    this.version = version;
    this.#jvm = { libs, heapMb: opts.heapMb ?? 384 };
    this.dir = dir;
    this.#opts = opts;
    const list = (pick: (n: NodePlan) => number | undefined) =>
      plan.nodes.flatMap((n) => (n.roles.includes('broker') && pick(n) !== undefined ? [`127.0.0.1:${pick(n)}`] : [])).join(',') || undefined;
    this.bootstrap = list((n) => n.ports.plaintext)!;
    const { ssl, scram, plainSsl } = { ssl: list((n) => n.ports.ssl), scram: list((n) => n.ports.scram), plainSsl: list((n) => n.ports.plainSsl) };
    this.listeners = { ...(ssl && { ssl }), ...(scram && { scram }), ...(plainSsl && { plainSsl }) };
    for (const node of plan.nodes) {
      const propsFile = join(dir, `node-${node.id}.properties`);
      writeFileSync(propsFile, serverProperties(plan, node));
      this.#nodes.set(node.id, { plan: node, propsFile, logFile: join(dir, `node-${node.id}.log`), child: undefined, exited: Promise.resolve() });
    }
    this.#kafka = new Kafka({ clientId: 'kafka-cluster', brokers: this.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  }

  static async start(opts: KafkaClusterOptions = {}): Promise<KafkaCluster> {
    const brokers = opts.brokers ?? 1;
    if (!Number.isInteger(brokers) || brokers < 1 || brokers > 9) throw unavailable(`brokers must be an integer 1..9, got ${brokers}`);
    const version = opts.version ?? KAFKA_VERSIONS.default;
    const [libs] = await Promise.all([ensureKafka(version, opts.log), checkJava()]);
    const security = opts.security ?? {};
    const roles = nodeRoles(opts.controller ?? 'combined', brokers);
    const ports = await freePorts(roles.reduce((n, r) => n + portsNeeded(r.roles, security), 0));
    const dir = mkdtempSync(join(tmpdir(), 'kafka-cluster-'));
    const nodes = planNodes(roles, security, ports, dir);
    const plan: ClusterPlan = { nodes, brokers, security, overrides: opts.brokerConfig ?? {} };
    const cluster = new KafkaCluster(version, libs, dir, plan, opts);
    try {
      await formatStorage([...cluster.#nodes.values()], cluster.#jvm, clusterId(), scramFormatArgs(security));
      for (const n of cluster.#nodes.values()) await launchNode(n, cluster.#jvm);
      await cluster.#waitForBrokers(brokers);
      // The offsets topic is created on the first FindCoordinator; make that happen now, so a
      // test's first consumer group does not pay for it.
      await cluster.coordinator('warm-up');
      for (const t of opts.topics ?? []) await cluster.createTopic(t);
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  async #admin_(): Promise<Admin> {
    if (this.#admin === undefined) {
      const admin = this.#kafka.admin();
      await admin.connect();
      this.#admin = admin;
    }
    return this.#admin;
  }

  /** Drops the admin client: its connections may point at a broker that just died. */
  async #resetAdmin(): Promise<void> {
    const admin = this.#admin;
    this.#admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  /** Brokers that the cluster metadata lists now (alive and registered). */
  async liveBrokers(): Promise<number[]> {
    try {
      const { brokers } = await (await this.#admin_()).describeCluster();
      return brokers.map((b) => b.nodeId).sort((a, b) => a - b);
    } catch {
      await this.#resetAdmin();
      return [];
    }
  }

  async #waitForBrokers(count: number, include?: number): Promise<void> {
    try {
      await this.#until(`listing of ${count} broker(s)${include === undefined ? '' : ` with ${include}`}`, async () => {
        const exited = [...this.#nodes.values()].find((n) => n.child === undefined && (include === undefined || n.plan.id === include));
        // A node that died while starting will not come: say why at once (its log).
        if (exited !== undefined) throw new NodeExited(exited.plan.id);
        const live = await this.liveBrokers();
        return live.length >= count && (include === undefined || live.includes(include));
      });
    } catch (error) {
      const tails = [...this.#nodes.values()].map((n) => `--- node ${n.plan.id}\n${logTail(n)}`).join('\n');
      throw unavailable(`Kafka did not start: ${error instanceof Error ? error.message : String(error)}\n${tails}`);
    }
  }

  #node(id: number): RunningNode {
    const node = this.#nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id} (nodes: ${[...this.#nodes.keys()].join(', ')})`);
    return node;
  }

  /** The process of a running node (a stopped one is an error: the caller's script is wrong). */
  #process(id: number): ChildProcess {
    const child = this.#node(id).child;
    if (child === undefined) throw new Error(`node ${id} is not running`);
    return child;
  }

  async #end(id: number, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const child = this.#process(id);
    // A frozen JVM handles no SIGTERM: thaw it first.
    child.kill('SIGCONT');
    child.kill(signal);
    await this.#node(id).exited;
    await this.#resetAdmin();
  }

  /** SIGKILL: no controlled shutdown, no flush. */
  kill(id: number): Promise<void> {
    return this.#end(id, 'SIGKILL');
  }

  /** SIGTERM: a controlled shutdown (leadership moves away first). */
  stop(id: number): Promise<void> {
    return this.#end(id, 'SIGTERM');
  }

  /** Starts a stopped or killed node again, on its own data and ports, and waits until it is listed. */
  async startNode(id: number): Promise<void> {
    const node = this.#node(id);
    if (node.child !== undefined) throw new Error(`node ${id} is running`);
    await launchNode(node, this.#jvm);
    if (node.plan.roles.includes('broker')) await this.#waitForBrokers(0, id);
  }

  /** SIGSTOP: the process stays, answers nothing, and its sessions time out. */
  freeze(id: number): void {
    this.#process(id).kill('SIGSTOP');
  }

  thaw(id: number): void {
    this.#process(id).kill('SIGCONT');
  }

  /** The broker leading `topic`/`partition` now (-1 while it has none). */
  async leader(topic: string, partition: number): Promise<number> {
    const admin = await this.#admin_();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const p = topics[0]?.partitions.find((x) => x.partitionId === partition);
    if (p === undefined) throw new Error(`no partition ${topic}/${partition}`);
    return p.leader;
  }

  /** The broker that coordinates `groupId` (the leader of its __consumer_offsets partition). */
  async coordinator(groupId: string): Promise<number> {
    // describeGroups looks the coordinator up, which creates __consumer_offsets on first use.
    await this.#until(`a coordinator for ${groupId}`, async () => {
      await (await this.#admin_()).describeGroups([groupId]);
      return true;
    });
    const partitions = Number(this.#opts.brokerConfig?.['offsets.topic.num.partitions'] ?? 10);
    return this.leader('__consumer_offsets', offsetsPartitionFor(groupId, partitions));
  }

  async createTopic(t: TopicSpec): Promise<void> {
    const admin = await this.#admin_();
    // Leaders are waited for below: kafkajs's own wait gives up when a broker has not heard of
    // the new topic yet, which a separate controller makes likely.
    const created = await admin.createTopics({
      waitForLeaders: false,
      topics: [
        {
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replication ?? Math.min(3, [...this.#nodes.values()].filter((n) => n.plan.roles.includes('broker')).length),
          configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
        },
      ],
    });
    if (!created) throw new Error(`topic ${t.name} already exists`);
    await this.#until(`a leader for every partition of ${t.name}`, async () => {
      const { topics } = await (await this.#admin_()).fetchTopicMetadata({ topics: [t.name] });
      const partitions = topics[0]?.partitions ?? [];
      return partitions.length === t.partitions && partitions.every((p) => p.leader >= 0);
    });
  }

  /**
   * Polls `check` until it holds, for at most the start timeout. A failing check counts as not
   * yet (the admin connection is made anew): brokers answer NOT_COORDINATOR or
   * UNKNOWN_TOPIC_OR_PARTITION for a moment while metadata settles.
   */
  async #until(what: string, check: () => Promise<boolean>): Promise<void> {
    const timeout = this.#opts.startTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeout;
    let last: unknown;
    for (;;) {
      try {
        if (await check()) return;
      } catch (error) {
        last = error;
        if (error instanceof NodeExited) throw error;
        await this.#resetAdmin();
      }
      if (Date.now() > deadline) throw unavailable(`no ${what} within ${timeout} ms${last instanceof Error ? ` (${last.message})` : ''}`);
      await sleep(200);
    }
  }

  /** A kafkajs client for this cluster (PLAINTEXT), for tests and tools. */
  client(clientId = 'test'): Kafka {
    return new Kafka({ clientId, brokers: this.bootstrap.split(','), logLevel: logLevel.NOTHING });
  }

  /** Stops every node and deletes the data. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#resetAdmin();
    for (const node of this.#nodes.values()) {
      node.child?.kill('SIGCONT');
      node.child?.kill('SIGKILL');
    }
    await Promise.all([...this.#nodes.values()].map((n) => n.exited));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
