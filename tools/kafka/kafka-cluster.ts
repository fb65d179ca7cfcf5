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
 * killed on timeout included), and an 'exit' hook kills whatever close() was not awaited for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { BridgeError, ErrorCodes } from '../../src/errors.ts';
import { KAFKA_VERSIONS, checkJava, ensureKafka, javaCommand } from './kafka-install.ts';
import {
  nodeRoles,
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

interface RunningNode {
  readonly plan: NodePlan;
  readonly propsFile: string;
  readonly logFile: string;
  child: ChildProcess | undefined;
  exited: Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

function unavailable(message: string): BridgeError {
  return new BridgeError(ErrorCodes.KAFKA_BROKER_UNAVAILABLE, message);
}

/** Ports the kernel hands out now; all are held open together so none is given twice. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<import('node:net').Server>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A KRaft cluster id: 16 random bytes, base64url; one starting with '-' would read as an option. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class KafkaCluster {
  readonly version: string;
  /** PLAINTEXT bootstrap list, host:port per broker. */
  readonly bootstrap: string;
  /** Bootstrap lists of the security listeners that were asked for. */
  readonly listeners: { readonly ssl?: string; readonly scram?: string; readonly plainSsl?: string };
  readonly dir: string;
  readonly #nodes = new Map<number, RunningNode>();
  readonly #libs: string;
  readonly #opts: KafkaClusterOptions;
  readonly #kafka: Kafka;
  #admin: Admin | undefined;
  #closed = false;

  private constructor(version: string, libs: string, dir: string, plan: ClusterPlan, opts: KafkaClusterOptions) {
    this.version = version;
    this.#libs = libs;
    this.dir = dir;
    this.#opts = opts;
    const brokers = plan.nodes.filter((n) => n.roles.includes('broker'));
    const list = (pick: (n: NodePlan) => number | undefined) => {
      const ports = brokers.map(pick).filter((p) => p !== undefined);
      return ports.length === 0 ? undefined : ports.map((p) => `127.0.0.1:${p}`).join(',');
    };
    this.bootstrap = list((n) => n.ports.plaintext)!;
    this.listeners = Object.fromEntries(
      Object.entries({ ssl: list((n) => n.ports.ssl), scram: list((n) => n.ports.scram), plainSsl: list((n) => n.ports.plainSsl) }).filter(([, v]) => v !== undefined),
    );
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
    const nodes: NodePlan[] = roles.map(({ id, roles: r }) => {
      const isBroker = r.includes('broker');
      const take = (when: boolean) => (when ? ports.shift() : undefined);
      return {
        id,
        roles: r,
        ports: {
          plaintext: take(isBroker),
          controller: take(r.includes('controller')),
          ssl: take(isBroker && security.keystorePem !== undefined),
          scram: take(isBroker && security.scramUsers !== undefined),
          plainSsl: take(isBroker && security.plainUsers !== undefined),
        },
        dataDir: join(dir, `data-${id}`),
      };
    });
    const plan: ClusterPlan = { nodes, brokers, security, overrides: opts.brokerConfig ?? {} };
    const cluster = new KafkaCluster(version, libs, dir, plan, opts);
    try {
      await cluster.#format(clusterId(), scramFormatArgs(security));
      await Promise.all([...cluster.#nodes.values()].map((n) => cluster.#launch(n)));
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

  #java(args: string[], extra: string[] = []): string[] {
    const heap = this.#opts.heapMb ?? 384;
    return [
      '--pdeathsig', 'SIGKILL', '--',
      javaCommand(),
      `-Xmx${heap}m`, '-Xms64m', '-XX:+UseG1GC', '-Xss512k', '-Djava.awt.headless=true',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-Dorg.slf4j.simpleLogger.showDateTime=true',
      ...extra,
      '-cp', join(this.#libs, '*'),
      ...args,
    ];
  }

  async #format(id: string, scram: string[]): Promise<void> {
    await Promise.all(
      [...this.#nodes.values()].map(
        (n) =>
          new Promise<void>((resolve, reject) => {
            const args = this.#java(['kafka.tools.StorageTool', 'format', '-t', id, '-c', n.propsFile, '--ignore-formatted', ...(n.plan.roles.includes('broker') ? scram : [])]);
            const child = spawn('setpriv', args, { stdio: ['ignore', 'pipe', 'pipe'] });
            let output = '';
            child.stdout.on('data', (c: Buffer) => (output += c.toString()));
            child.stderr.on('data', (c: Buffer) => (output += c.toString()));
            child.once('error', (e) => reject(unavailable(`could not run java through setpriv: ${e.message}`)));
            child.once('exit', (code) =>
              code === 0 ? resolve() : reject(unavailable(`formatting node ${n.plan.id} failed (exit ${code}):\n${output.trim().split('\n').slice(-8).join('\n')}`)),
            );
          }),
      ),
    );
  }

  async #launch(node: RunningNode): Promise<void> {
    const out = createWriteStream(node.logFile, { flags: 'a' });
    await new Promise((r) => out.once('open', r));
    const child = spawn('setpriv', this.#java(['kafka.Kafka', node.propsFile]), { stdio: ['ignore', out, out] });
    track(child);
    node.child = child;
    node.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        if (node.child === child) node.child = undefined;
        out.end();
        resolve();
      });
    });
  }

  #logTail(node: RunningNode): string {
    try {
      return readFileSync(node.logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
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
    const timeout = this.#opts.startTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeout;
    for (;;) {
      for (const node of this.#nodes.values()) {
        if (node.child === undefined && (include === undefined || node.plan.id === include)) {
          throw unavailable(`Kafka node ${node.plan.id} exited while starting:\n${this.#logTail(node)}`);
        }
      }
      const live = await this.liveBrokers();
      if (live.length >= count && (include === undefined || live.includes(include))) return;
      if (Date.now() > deadline) {
        const tails = [...this.#nodes.values()].map((n) => `--- node ${n.plan.id}\n${this.#logTail(n)}`).join('\n');
        throw unavailable(`Kafka did not list ${count} broker(s) within ${timeout} ms (saw ${live.join(',') || 'none'}):\n${tails}`);
      }
      await sleep(200);
    }
  }

  #node(id: number): RunningNode {
    const node = this.#nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id} (nodes: ${[...this.#nodes.keys()].join(', ')})`);
    return node;
  }

  /** SIGKILL: no controlled shutdown, no flush. */
  async kill(id: number): Promise<void> {
    const node = this.#node(id);
    if (node.child === undefined) throw new Error(`node ${id} is not running`);
    node.child.kill('SIGCONT');
    node.child.kill('SIGKILL');
    await node.exited;
    await this.#resetAdmin();
  }

  /** SIGTERM: a controlled shutdown (leadership moves away first). */
  async stop(id: number): Promise<void> {
    const node = this.#node(id);
    if (node.child === undefined) throw new Error(`node ${id} is not running`);
    node.child.kill('SIGCONT');
    node.child.kill('SIGTERM');
    await node.exited;
    await this.#resetAdmin();
  }

  /** Starts a stopped or killed node again, on its own data and ports, and waits until it is listed. */
  async startNode(id: number): Promise<void> {
    const node = this.#node(id);
    if (node.child !== undefined) throw new Error(`node ${id} is running`);
    await this.#launch(node);
    if (node.plan.roles.includes('broker')) await this.#waitForBrokers(0, id);
  }

  /** SIGSTOP: the process stays, answers nothing, and its sessions time out. */
  freeze(id: number): void {
    const node = this.#node(id);
    if (node.child === undefined) throw new Error(`node ${id} is not running`);
    node.child.kill('SIGSTOP');
  }

  thaw(id: number): void {
    const node = this.#node(id);
    if (node.child === undefined) throw new Error(`node ${id} is not running`);
    node.child.kill('SIGCONT');
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
    // describeGroups looks the coordinator up, which creates __consumer_offsets on first use;
    // while its partitions are being created or move, brokers answer NOT_COORDINATOR for a
    // moment.
    const deadline = Date.now() + (this.#opts.startTimeoutMs ?? 60_000);
    for (;;) {
      try {
        await (await this.#admin_()).describeGroups([groupId]);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await this.#resetAdmin();
        await sleep(250);
      }
    }
    const partitions = Number(this.#opts.brokerConfig?.['offsets.topic.num.partitions'] ?? 10);
    return this.leader('__consumer_offsets', offsetsPartitionFor(groupId, partitions));
  }

  async createTopic(t: TopicSpec): Promise<void> {
    const admin = await this.#admin_();
    // Leaders are waited for below: kafkajs's own wait gives up when a broker's metadata has
    // not heard of the new topic yet (UNKNOWN_TOPIC_OR_PARTITION), which a separate
    // controller makes likely.
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
    const deadline = Date.now() + (this.#opts.startTimeoutMs ?? 60_000);
    for (;;) {
      try {
        const { topics } = await (await this.#admin_()).fetchTopicMetadata({ topics: [t.name] });
        const partitions = topics[0]?.partitions ?? [];
        if (partitions.length === t.partitions && partitions.every((p) => p.leader >= 0)) return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      if (Date.now() > deadline) throw new Error(`topic ${t.name} has no leader for every partition after ${this.#opts.startTimeoutMs ?? 60_000} ms`);
      await sleep(100);
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
