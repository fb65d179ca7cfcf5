/**
 * `npm run kafka -- [--brokers 1|3] [--version <v>] [--controller combined|separate]
 *                   [--topic name:partitions[:replication]]...`
 *
 * Starts a local Apache Kafka cluster, prints one line `BOOTSTRAP host:port[,host:port...]`,
 * then reads commands on stdin, one per line, and answers each with one line, `ok ...` or
 * `error <why>` (`help` lists them). EOF on stdin, SIGTERM or SIGINT stops the whole cluster
 * and deletes its data. Tests, benchmarks and people use this same contract.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { quietKnownWarnings } from '../../src/kafka/kafka-client.ts';
import { KAFKA_VERSIONS } from './kafka-install.ts';
import { KafkaCluster, type TopicSpec } from './kafka-cluster.ts';

const USAGE = `usage: npm run kafka -- [--brokers N] [--version V] [--controller combined|separate] [--topic name:partitions[:replication]]...
  --brokers N      brokers, ids 1..N (default 1)
  --version V      Apache Kafka release (default ${KAFKA_VERSIONS.default}; also tested: ${KAFKA_VERSIONS.compat})
  --controller M   combined: every node is broker and controller (default);
                   separate: one controller node (id 100) besides the brokers
  --topic T        create topic T, e.g. orders:4 or orders:4:3; repeatable`;

const COMMANDS = `commands (one per line, each answered with "ok ..." or "error <why>"):
  topic <name> <partitions> [replication]   create a topic
  kill <id>      SIGKILL that node              start <id>    start it again on the same data
  stop <id>      SIGTERM (controlled shutdown)
  freeze <id>    SIGSTOP                        thaw <id>     SIGCONT
  leader <topic> <partition>                    answers "ok <broker id>"
  coordinator <group>                           answers "ok <broker id>"
  brokers                                       answers "ok <live broker ids>"
  help, quit`;

export function parseTopic(spec: string): TopicSpec {
  const m = /^([A-Za-z0-9._-]+)(?::(\d+))?(?::(\d+))?$/.exec(spec);
  if (!m?.[1]) throw new Error(`invalid topic "${spec}", expected name[:partitions[:replication]]`);
  return { name: m[1], partitions: m[2] === undefined ? 1 : Number(m[2]), ...(m[3] === undefined ? {} : { replication: Number(m[3]) }) };
}

const int = (s: string | undefined, what: string): number => {
  if (s === undefined || !/^-?\d+$/.test(s)) throw new Error(`${what} must be an integer`);
  return Number(s);
};

/** Runs one command line; resolves with the answer's text after "ok". */
async function command(cluster: KafkaCluster, line: string): Promise<string> {
  const [verb, ...args] = line.trim().split(/\s+/);
  switch (verb) {
    case 'topic': {
      const [name, partitions, replication] = args;
      if (name === undefined) throw new Error('usage: topic <name> <partitions> [replication]');
      await cluster.createTopic({ name, partitions: int(partitions, 'partitions'), ...(replication === undefined ? {} : { replication: int(replication, 'replication') }) });
      return name;
    }
    case 'kill':
      await cluster.kill(int(args[0], 'id'));
      return args[0]!;
    case 'stop':
      await cluster.stop(int(args[0], 'id'));
      return args[0]!;
    case 'start':
      await cluster.startNode(int(args[0], 'id'));
      return args[0]!;
    case 'freeze':
      cluster.freeze(int(args[0], 'id'));
      return args[0]!;
    case 'thaw':
      cluster.thaw(int(args[0], 'id'));
      return args[0]!;
    case 'leader':
      if (args[0] === undefined) throw new Error('usage: leader <topic> <partition>');
      return String(await cluster.leader(args[0], int(args[1], 'partition')));
    case 'coordinator':
      if (args[0] === undefined) throw new Error('usage: coordinator <group>');
      return String(await cluster.coordinator(args[0]));
    case 'brokers':
      return (await cluster.liveBrokers()).join(',');
    case 'help':
      return COMMANDS.replace(/\n/g, ' | ');
    default:
      throw new Error(`unknown command "${verb}" (try help)`);
  }
}

async function main(): Promise<number | undefined> {
  quietKnownWarnings();
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        brokers: { type: 'string', default: '1' },
        version: { type: 'string', default: KAFKA_VERSIONS.default },
        controller: { type: 'string', default: 'combined' },
        topic: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
    if (values.help) {
      console.log(`${USAGE}\n\n${COMMANDS}`);
      return 0;
    }
    if (values.controller !== 'combined' && values.controller !== 'separate') throw new Error('--controller must be combined or separate');
    values.topic.forEach(parseTopic);
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 64;
  }
  const cluster = await KafkaCluster.start({
    brokers: Number(values.brokers),
    version: values.version,
    controller: values.controller as 'combined' | 'separate',
    topics: values.topic.map(parseTopic),
    log: (line) => console.error(line),
  });
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await cluster.close();
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));
  console.log(`BOOTSTRAP ${cluster.bootstrap}`);
  console.error(`Apache Kafka ${cluster.version}, data in ${cluster.dir}; type "help" for commands, Ctrl-D to stop`);

  // Commands run one at a time, in order: each answer follows its own command.
  let queue = Promise.resolve();
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    queue = queue.then(async () => {
      if (line.trim() === 'quit') return shutdown(0);
      try {
        console.log(`ok ${await command(cluster, line)}`.trimEnd());
      } catch (error) {
        console.log(`error ${(error as Error).message.split('\n')[0]}`);
      }
    });
  });
  rl.on('close', () => void queue.then(() => shutdown(0)));
  return undefined;
}

main().then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error: unknown) => {
    console.error(`kafka: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
