/**
 * server.properties for each node of a local KRaft cluster. Pure, so the layout can be read
 * and tested without a JVM.
 *
 *   combined (default): nodes 1..N are brokers and controllers at once, voters 1..N.
 *   separate:           one controller, node 100, and brokers 1..N. Killing brokers never
 *                       costs the quorum, so "two of three brokers down" leaves a controller
 *                       that can shrink the ISR and answer NOT_ENOUGH_REPLICAS, as in a real
 *                       deployment, instead of stalling.
 *
 * The settings keep tests fast and small: no initial rebalance delay (a group is formed as soon
 * as its members joined), fast fencing of a dead broker, few internal partitions, small
 * segments, a small cleaner buffer.
 */

export type ControllerMode = 'combined' | 'separate';

/** Client listeners beyond PLAINTEXT, for the TLS and SASL tests. */
export interface SecurityListeners {
  /** PEM file holding the private key (PKCS#8, unencrypted) and the certificate chain. */
  readonly keystorePem?: string;
  /** SASL/PLAIN users over TLS (needs keystorePem). */
  readonly plainUsers?: Readonly<Record<string, string>>;
  /** SCRAM-SHA-512 users over plaintext; their credentials are written when storage is formatted. */
  readonly scramUsers?: Readonly<Record<string, string>>;
}

export interface NodePlan {
  readonly id: number;
  readonly roles: readonly ('broker' | 'controller')[];
  readonly ports: {
    readonly plaintext?: number;
    readonly controller?: number;
    readonly ssl?: number;
    readonly scram?: number;
    readonly plainSsl?: number;
  };
  readonly dataDir: string;
}

export interface ClusterPlan {
  readonly nodes: readonly NodePlan[];
  readonly brokers: number;
  readonly security: SecurityListeners;
  /** Extra broker settings, e.g. from a benchmark; they win over the defaults. */
  readonly overrides: Readonly<Record<string, string>>;
}

export const SEPARATE_CONTROLLER_ID = 100;

/** How many free ports each node needs. */
export function portsNeeded(roles: readonly string[], security: SecurityListeners): number {
  let n = 0;
  if (roles.includes('broker')) {
    n += 1;
    if (security.keystorePem !== undefined) n += 1;
    if (security.scramUsers !== undefined) n += 1;
    if (security.plainUsers !== undefined) n += 1;
  }
  if (roles.includes('controller')) n += 1;
  return n;
}

export function nodeRoles(mode: ControllerMode, brokers: number): { id: number; roles: ('broker' | 'controller')[] }[] {
  const out: { id: number; roles: ('broker' | 'controller')[] }[] = [];
  for (let id = 1; id <= brokers; id++) out.push({ id, roles: mode === 'combined' ? ['broker', 'controller'] : ['broker'] });
  if (mode === 'separate') out.push({ id: SEPARATE_CONTROLLER_ID, roles: ['controller'] });
  return out;
}

function quote(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

function jaasUsers(users: Readonly<Record<string, string>>): string {
  return Object.entries(users)
    .map(([name, password]) => `user_${name}="${quote(password)}"`)
    .join(' ');
}

/** The nodes with their ports (taken in order from `ports`) and data folders under `dir`. */
export function planNodes(roles: readonly { id: number; roles: ('broker' | 'controller')[] }[], security: SecurityListeners, ports: number[], dir: string): NodePlan[] {
  const free = [...ports];
  return roles.map(({ id, roles: r }) => {
    const isBroker = r.includes('broker');
    const take = (when: boolean) => (when ? free.shift() : undefined);
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
      dataDir: `${dir}/data-${id}`,
    };
  });
}

export function serverProperties(plan: ClusterPlan, node: NodePlan): string {
  const replication = Math.min(3, plan.brokers);
  const voters = plan.nodes
    .filter((n) => n.roles.includes('controller'))
    .map((n) => `${n.id}@127.0.0.1:${n.ports.controller}`)
    .join(',');
  const listeners: string[] = [];
  const advertised: string[] = [];
  const add = (name: string, port: number | undefined, advertise: boolean) => {
    if (port === undefined) return;
    listeners.push(`${name}://127.0.0.1:${port}`);
    if (advertise) advertised.push(`${name}://127.0.0.1:${port}`);
  };
  add('PLAINTEXT', node.ports.plaintext, true);
  add('CONTROLLER', node.ports.controller, false);
  add('SSL', node.ports.ssl, true);
  add('SCRAM', node.ports.scram, true);
  add('PLAINSSL', node.ports.plainSsl, true);

  const props: Record<string, string> = {
    'node.id': String(node.id),
    'process.roles': node.roles.join(','),
    'controller.quorum.voters': voters,
    'controller.listener.names': 'CONTROLLER',
    listeners: listeners.join(','),
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SCRAM:SASL_PLAINTEXT,PLAINSSL:SASL_SSL',
    'log.dirs': node.dataDir,
    // The bridge never creates topics; neither may the broker behind a typo.
    'auto.create.topics.enable': 'false',
    // Kafka waits 3 s for more members before forming a new group by default.
    'group.initial.rebalance.delay.ms': '0',
    'offsets.topic.replication.factor': String(replication),
    'offsets.topic.num.partitions': '10',
    'transaction.state.log.replication.factor': String(replication),
    'transaction.state.log.min.isr': String(Math.min(2, replication)),
    'transaction.state.log.num.partitions': '4',
    'share.coordinator.state.topic.replication.factor': String(replication),
    'share.coordinator.state.topic.min.isr': String(Math.min(2, replication)),
    'default.replication.factor': String(replication),
    // Three brokers: replication 3 with two in sync, as production clusters run.
    'min.insync.replicas': plan.brokers >= 3 ? '2' : '1',
    'unclean.leader.election.enable': 'false',
    // A killed broker is fenced, and its partitions move, within about 3 s instead of 9 s.
    'broker.heartbeat.interval.ms': '500',
    'broker.session.timeout.ms': '3000',
    'replica.lag.time.max.ms': '5000',
    'log.segment.bytes': String(16 * 1024 * 1024),
    'log.cleaner.dedupe.buffer.size': String(8 * 1024 * 1024),
    'num.network.threads': '2',
    'num.io.threads': '4',
    'num.recovery.threads.per.data.dir': '1',
    'background.threads': '4',
  };
  if (node.roles.includes('broker')) {
    props['advertised.listeners'] = advertised.join(',');
    props['inter.broker.listener.name'] = 'PLAINTEXT';
  }
  const sec = plan.security;
  if (sec.keystorePem !== undefined) {
    props['ssl.keystore.type'] = 'PEM';
    props['ssl.keystore.location'] = sec.keystorePem;
  }
  if (sec.scramUsers !== undefined) {
    props['listener.name.scram.sasl.enabled.mechanisms'] = 'SCRAM-SHA-512';
    props['listener.name.scram.scram-sha-512.sasl.jaas.config'] = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  }
  if (sec.plainUsers !== undefined) {
    props['listener.name.plainssl.sasl.enabled.mechanisms'] = 'PLAIN';
    props['listener.name.plainssl.plain.sasl.jaas.config'] = `org.apache.kafka.common.security.plain.PlainLoginModule required ${jaasUsers(sec.plainUsers)};`;
  }
  Object.assign(props, plan.overrides);
  return Object.entries(props)
    .map(([k, v]) => `${k}=${v.replace(/\\/g, '\\\\')}`)
    .join('\n')
    .concat('\n');
}

/** `--add-scram` arguments for the storage format of a KRaft node. */
export function scramFormatArgs(security: SecurityListeners): string[] {
  return Object.entries(security.scramUsers ?? {}).flatMap(([name, password]) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`]);
}

/**
 * The broker that coordinates `groupId`: the leader of its partition of __consumer_offsets.
 * Kafka picks the partition as abs(javaHashCode(groupId)) % offsets.topic.num.partitions.
 */
export function offsetsPartitionFor(groupId: string, partitions = 10): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(31, h) + groupId.charCodeAt(i)) | 0;
  const abs = h === -2147483648 ? 0 : Math.abs(h);
  return abs % partitions;
}
