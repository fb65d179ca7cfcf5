/**
 * `npm run dev-broker -- [--brokers N] [--topic name[:partitions[:replication]]]...`
 *
 * Starts a dev broker (librdkafka mock cluster) for manual runs of the bridge, creates
 * the requested topics, and lets you type broker commands (`help`, `down 1`,
 * `rtt 1 200`, `error Produce NOT_ENOUGH_REPLICAS 3`, ...) to inject faults while
 * the bridge runs. Ctrl-C (or `quit`) stops it. Everything lives in memory: nothing
 * survives a restart.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DevBroker } from './dev-broker-process.ts';

const USAGE = `usage: npm run dev-broker -- [--brokers N] [--topic name[:partitions[:replication]]]...
  --brokers N   brokers in the cluster, ids 1..N (default 1)
  --topic T     create topic T, e.g. orders:4 (partitions default 1, replication min(3, N));
                repeatable. Topics are also auto-created with 4 partitions on first use.`;

function parseTopic(spec: string): { name: string; partitions: number; replication?: number } {
  const m = /^([A-Za-z0-9._-]+)(?::(\d+))?(?::(\d+))?$/.exec(spec);
  if (!m?.[1]) throw new Error(`invalid --topic '${spec}', expected name[:partitions[:replication]]`);
  return {
    name: m[1],
    partitions: m[2] === undefined ? 1 : Number(m[2]),
    ...(m[3] === undefined ? {} : { replication: Number(m[3]) }),
  };
}

/** Returns an exit code for early failures; otherwise the process runs until shutdown(). */
async function main(): Promise<number | undefined> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        brokers: { type: 'string', default: '1' },
        topic: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const brokers = Number(values.brokers);
  let topics;
  try {
    topics = values.topic.map(parseTopic);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }

  const broker = await DevBroker.start({ brokers, onStderr: (line) => console.error(line) });
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await broker.stop();
    process.exit(code);
  };
  void broker.exited.then(() => {
    if (stopping) return;
    console.error(`dev broker exited unexpectedly${broker.stderr ? `:\n${broker.stderr}` : ''}`);
    process.exit(1);
  });
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    for (const t of topics) await broker.createTopic(t.name, t.partitions, t.replication);
  } catch (err) {
    console.error((err as Error).message);
    await shutdown(1);
    return 1;
  }

  console.log(`dev broker: ${brokers} broker(s), ids 1..${brokers}`);
  for (const t of topics) console.log(`  topic ${t.name}: ${t.partitions} partition(s)`);
  console.log(`\nBOOTSTRAP ${broker.bootstrap}\n`);
  console.log(`Run the bridge against it:\n  KAFKA_BROKERS=${broker.bootstrap} npm start -- --config config/bridge.example.yaml\n`);
  console.log('Type broker commands (help for the list, e.g. "down 1", "rtt 1 200"). Ctrl-C stops.');

  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  const prompt = () => {
    if (process.stdin.isTTY) rl.prompt();
  };
  rl.setPrompt('dev-broker> ');
  prompt();
  // Commands arrive one at a time and DevBroker serializes them, so answers print in order.
  rl.on('line', (line) => {
    const cmd = line.trim();
    if (cmd === '') return prompt();
    if (cmd === 'quit' || cmd === 'exit') return void shutdown(0);
    void broker
      .command(cmd)
      .then(
        (info) => console.log(info ? `OK ${info}` : 'OK'),
        (err: unknown) => console.log((err as Error).message),
      )
      .finally(prompt);
  });
  // readline turns Ctrl-C on a TTY into its own event instead of a process signal.
  rl.on('SIGINT', () => void shutdown(0));
  // Without stdin (e.g. started in the background) keep serving until a signal arrives.
  rl.on('close', () => {
    if (!stopping && !process.stdin.isTTY) console.log('(stdin closed: no more commands; still running)');
    if (process.stdin.isTTY) void shutdown(0); // Ctrl-D
  });
  return undefined; // the broker child and stdin keep the process alive
}

const code = await main();
if (code !== undefined) process.exitCode = code;
