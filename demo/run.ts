/**
 * `npm run demo [-- --duration 30s] [--rate 5] [--every 3s]`
 *
 * The whole pipeline on one machine, in one command: a dev broker with the topics of
 * config/demo.yaml, a downstream that fails some orders transiently and some for good (see
 * downstream.ts), the bridge itself, started through its real command line as in production,
 * and a producer of sample orders. Every few seconds it prints what the bridge reports on
 * /metrics: delivered, retry-scheduled and dead-lettered records.
 *
 * Keys (when stdin is a terminal): `o` toggles a downstream outage, `q` or Ctrl-C stops.
 * Stopping is orderly: the producer stops, the bridge drains on SIGTERM (its exit status is
 * checked), then the downstream and the broker go. With --duration it stops by itself and
 * exits 0 only if the bridge ran and exited cleanly and delivered something.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../src/config/duration.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { deadLetterTopicName, retryTopicNames } from '../src/config/topic-names.ts';
import type { BridgeConfig } from '../src/config/types.ts';
import { ConfigError } from '../src/errors.ts';
import { createKafka } from '../src/kafka/kafka-client.ts';
import { createLogger } from '../src/ops/logger.ts';
import { DevBroker, onLines } from '../tools/dev-broker/dev-broker-process.ts';
import { emptyOutcomes, fetchOutcomes, fetchReady, type Outcomes } from './bridge-status.ts';
import { Downstream } from './downstream.ts';
import { OrderProducer } from './producer.ts';
import { shipmentRecord, startDemoRegistry } from './shipments.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CONFIG = join(ROOT, 'config', 'demo.yaml');
const CLI = join(ROOT, 'bin', 'kafka-http-bridge.js');
const PARTITIONS = 4;
/** Bridge log lines echoed per summary interval; an outage would print one per record. */
const LOG_LINES_PER_INTERVAL = 6;

const USAGE = `usage: npm run demo -- [--duration 30s] [--rate 5] [--every 3s]

  --duration <d>   stop by itself after this long (e.g. 30s, 2m); default: run until Ctrl-C
  --rate <n>       orders produced per second (default 5)
  --every <d>      how often the live summary is printed (default 3s)`;

interface Options {
  readonly durationMs: number | undefined;
  readonly rate: number;
  readonly everyMs: number;
}

function fail(message: string, code = 1): never {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(code);
}

function durationArg(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const d = parseDuration(text);
  if (!d.ok || d.ms <= 0) fail(`--${name} ${d.ok ? 'must be more than 0' : d.reason}\n${USAGE}`, 64);
  return d.ms;
}

function readOptions(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: { duration: { type: 'string' }, rate: { type: 'string' }, every: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`, 64);
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const rate = Number(values.rate ?? '5');
  if (!(rate > 0 && rate <= 1000)) fail(`--rate must be a number of orders per second from 1 to 1000\n${USAGE}`, 64);
  return { durationMs: durationArg('duration', values.duration), rate, everyMs: durationArg('every', values.every) ?? 3_000 };
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** `preferred` if it is free on `host`, else any free port. */
function availablePort(host: string, preferred: number): Promise<number> {
  const attempt = (port: number): Promise<number> =>
    new Promise((resolvePort, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(port, host, () => {
        const address = probe.address();
        const got = typeof address === 'object' && address !== null ? address.port : port;
        probe.close(() => resolvePort(got));
      });
    });
  return attempt(preferred).catch(() => attempt(0));
}

/** Condenses the bridge's JSON log lines (warn and above) to one short line each. */
class BridgeLogEcho {
  #printed = 0;
  suppressed = 0;
  readonly last: string[] = [];

  line(raw: string): void {
    let text = raw;
    try {
      const entry = JSON.parse(raw) as Record<string, unknown>;
      const level = ({ 40: 'warn', 50: 'error', 60: 'fatal' } as Record<number, string>)[Number(entry['level'])] ?? 'info';
      const where = entry['topic'] === undefined ? '' : ` [${String(entry['topic'])}/${String(entry['partition'])}/${String(entry['offset'])}]`;
      const msg = String(entry['msg'] ?? '').slice(0, 110);
      text = `${level} ${msg}${where}`;
    } catch {
      // not JSON: echo as it is
    }
    this.last.push(text);
    if (this.last.length > 20) this.last.shift();
    if (this.#printed >= LOG_LINES_PER_INTERVAL) {
      this.suppressed++;
      return;
    }
    this.#printed++;
    say(`  bridge │ ${text}`);
  }

  /** Starts a new interval; returns how many lines were left out in the last one. */
  nextInterval(): number {
    const left = this.suppressed;
    this.#printed = 0;
    this.suppressed = 0;
    return left;
  }
}

function startBridge(bootstrap: string, opsPort: number, echo: BridgeLogEcho, stderrTail: string[]): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_BROKERS: bootstrap, PORT: String(opsPort) };
  // The file decides these; a value left in the shell must not change the demo.
  delete env['KAFKA_GROUP_ID'];
  delete env['LOG_LEVEL'];
  delete env['BRIDGE_CONFIG'];
  // detached: its own process group, so a Ctrl-C in the terminal reaches only the demo, which
  // then drains the bridge with SIGTERM (a second signal would make the bridge exit at once).
  const child = spawn(process.execPath, [CLI, 'run', '--config', CONFIG], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  onLines(child.stdout!, (line) => {
    if (line.trim() !== '') echo.line(line);
  });
  onLines(child.stderr!, (line) => {
    if (line.trim() === '') return;
    stderrTail.push(line);
    if (stderrTail.length > 30) stderrTail.shift();
    say(`  bridge │ ${line}`);
  });
  // Never leave a bridge behind, whatever happens to the demo.
  process.once('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitReady(opsUrl: string, bridge: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (bridge.exitCode !== null) throw new Error(`the bridge exited with status ${bridge.exitCode} while starting`);
    const ready = await fetchReady(opsUrl).catch(() => undefined);
    if (ready?.ready === true) return;
    await sleep(200);
  }
  throw new Error(`the bridge was not ready after ${timeoutMs / 1000} s`);
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)}s`.padStart(4);
}

function statusCounts(byStatus: ReadonlyMap<number, number>): string {
  return [...byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ') || 'no requests yet';
}

async function main(): Promise<number> {
  const options = readOptions();
  let config: BridgeConfig;
  try {
    config = loadConfig(CONFIG, {});
  } catch (error) {
    if (error instanceof ConfigError) fail(`config/demo.yaml: ${error.message}`, 78);
    throw error;
  }
  const route = config.routes[0]!;
  const topic = route.topics[0]!;
  const endpoint = new URL(route.endpoint.url);
  // Every route's topics: the second route reads `orders` too, with copy topics of its own.
  const topics = [...new Set(config.routes.flatMap((r) => r.topics.flatMap((t) => [t, ...retryTopicNames(t, r), deadLetterTopicName(t, r)])))];

  say('kafka-http-bridge demo: starting a dev broker (built on first use)…');
  const broker = await DevBroker.start();
  for (const t of topics) await broker.createTopic(t, PARTITIONS);

  let downstream: Downstream;
  try {
    downstream = await Downstream.start(endpoint.hostname, Number(endpoint.port), endpoint.pathname, (on) =>
      say(`>>> downstream outage ${on ? 'ON: every request gets 503; watch the bridge pause the route' : 'OFF: the bridge resumes and ramps up'}`),
    );
  } catch (error) {
    await broker.stop();
    const busy = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    fail(busy ? `${endpoint.host} is in use; stop what listens there or change routes[0].endpoint.url in config/demo.yaml` : String(error));
  }
  // The demo's Schema Registry, for the Avro route: one schema, served where config/demo.yaml says.
  const registryUrl = new URL(config.schemaRegistry!.url);
  let registry: Server;
  try {
    registry = await startDemoRegistry(registryUrl.hostname, Number(registryUrl.port));
  } catch (error) {
    await downstream.stop();
    await broker.stop();
    const busy = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    fail(busy ? `${registryUrl.host} is in use; stop what listens there or change schemaRegistry.url in config/demo.yaml` : String(error));
  }
  const opsPort = await availablePort(config.server.host, config.server.port);
  const opsUrl = `http://${config.server.host}:${opsPort}`;
  const echo = new BridgeLogEcho();
  const stderrTail: string[] = [];
  const bridge = startBridge(broker.bootstrap, opsPort, echo, stderrTail);
  const bridgeExit = exitOf(bridge);

  const cleanUp = async (): Promise<void> => {
    if (bridge.exitCode === null) bridge.kill('SIGKILL');
    await downstream.stop();
    registry.close();
    await broker.stop();
  };
  try {
    await waitReady(opsUrl, bridge, 30_000);
  } catch (error) {
    await cleanUp();
    fail(`${(error as Error).message}${stderrTail.length > 0 ? `\n${stderrTail.join('\n')}` : ''}`);
  }
  const kafka = createKafka({ ...config.kafka, brokers: broker.bootstrap.split(',') }, createLogger('silent'));
  const shipments = config.routes.find((r) => r.decode.value === 'schema-registry')?.topics[0];
  const producer = await OrderProducer.start(kafka, topic, options.rate, shipments === undefined ? undefined : { topic: shipments, encode: shipmentRecord });
  const startedAt = Date.now();

  say('');
  say(`  dev broker   ${broker.bootstrap}   topics: ${topics.map((t) => `${t} (${PARTITIONS} partitions)`).join(', ')}`);
  say(`  producer     ${options.rate} orders/s to ${topic}, keyed by customer id; every 25th order has an invalid currency (400)`);
  say(`  downstream   ${route.endpoint.url}   every 10th order fails twice with 503, every 50th four times; 3% random 503s`);
  for (const other of config.routes.slice(1)) {
    if (other.decode.value === 'schema-registry') {
      say(`  avro         route ${other.name}: ${other.topics.join(', ')} (Avro, a shipment per order) → ${other.endpoint.url} as JSON, schemas from ${registryUrl.origin}`);
    } else {
      say(`  fan-out      route ${other.name}: ${other.topics.join(', ')} → ${other.endpoint.url} as ${other.payload}, filtered (only euro orders), in a consumer group of its own`);
    }
  }
  say(`  bridge       metrics ${opsUrl}/metrics   readiness ${opsUrl}/ready   (config/demo.yaml, logs at warn)`);
  say(`  outage       ${process.stdin.isTTY ? 'press o, or ' : ''}curl -X POST ${endpoint.origin}/outage`);
  const dlt = deadLetterTopicName(topic, route);
  const cli = `KAFKA_BROKERS=${broker.bootstrap} node bin/kafka-http-bridge.js`;
  say(`  dead letters ${cli} inspect --config config/demo.yaml --topic ${dlt}`);
  say(`               ${cli} replay --config config/demo.yaml --from ${dlt} --dry-run`);
  say(`  stop         ${options.durationMs === undefined ? '' : `after ${Math.round(options.durationMs / 1000)} s, or `}${process.stdin.isTTY ? 'q or ' : ''}Ctrl-C`);
  say('');

  let last: Outcomes = emptyOutcomes();
  const summarise = async (): Promise<void> => {
    const outcomes = await fetchOutcomes(opsUrl).catch(() => undefined);
    if (outcomes !== undefined) last = outcomes;
    const ready = await fetchReady(opsUrl).catch(() => undefined);
    const routes = (ready?.routes ?? []).map((r) => `${r.name} ${r.paused ? `paused (${r.pausedReasons.join(', ')})` : 'running'}`).join(', ');
    const left = echo.nextInterval();
    say(
      `[${seconds(Date.now() - startedAt)}] delivered ${last.delivered} · retry-scheduled ${last.retry_scheduled} · dead-lettered ${last.dead_lettered} · filtered ${last.filtered}` +
        ` | produced ${producer.produced} | downstream ${downstream.outage ? 'OUTAGE' : 'up'}: ${statusCounts(downstream.stats.byStatus)}, ${downstream.stats.events} audit events, ${downstream.stats.shipments} shipments` +
        (routes === '' ? '' : ` | route ${routes}`) +
        (left > 0 ? ` | (${left} more bridge log lines)` : ''),
    );
  };

  // What ends the run: the duration, a key, a signal, or the bridge dying on its own.
  let endReason = '';
  const ended = new Promise<void>((resolveEnd) => {
    const end = (why: string): void => {
      if (endReason !== '') return;
      endReason = why;
      resolveEnd();
    };
    if (options.durationMs !== undefined) setTimeout(() => end(`--duration reached`), options.durationMs).unref();
    process.once('SIGINT', () => end('SIGINT'));
    process.once('SIGTERM', () => end('SIGTERM'));
    void bridgeExit.then(() => end('the bridge exited on its own'));
    if (process.stdin.isTTY) {
      process.stdin.setRawMode(true);
      process.stdin.resume();
      process.stdin.on('data', (key: Buffer) => {
        const k = key.toString('utf8');
        if (k === 'o' || k === 'O') downstream.toggleOutage();
        else if (k === 'q' || k === 'Q' || k === '\u0003') end(k === '\u0003' ? 'Ctrl-C' : 'q');
      });
    }
  });
  const ticker = setInterval(() => void summarise(), options.everyMs);
  await ended;
  clearInterval(ticker);
  if (process.stdin.isTTY) {
    process.stdin.setRawMode(false);
    process.stdin.pause();
  }
  // A second Ctrl-C while draining: give up on the drain.
  process.once('SIGINT', () => {
    say('second Ctrl-C: killing the bridge');
    bridge.kill('SIGKILL');
  });

  say(`stopping (${endReason}): producer…`);
  await producer.stop();
  const died = bridge.exitCode !== null || bridge.signalCode !== null;
  let bridgeStatus: { code: number | null; signal: NodeJS.Signals | null };
  if (died) {
    bridgeStatus = await bridgeExit;
  } else {
    // Records in flight finish before the final count; retry copies not yet due stay in
    // their topics (and go with the broker).
    await sleep(1_500);
    await summarise();
    say('bridge: SIGTERM, draining…');
    bridge.kill('SIGTERM');
    const killer = setTimeout(() => bridge.kill('SIGKILL'), config.shutdown.timeout + 10_000);
    bridgeStatus = await bridgeExit;
    clearTimeout(killer);
  }
  await downstream.stop();
  registry.close();
  await broker.stop();

  const elapsed = Math.round((Date.now() - startedAt) / 1000);
  say('');
  say(
    `final summary (${elapsed}s): produced ${producer.produced}, delivered ${last.delivered}, retry-scheduled ${last.retry_scheduled}, ` +
      `dead-lettered ${last.dead_lettered}, discarded ${last.discarded}, filtered ${last.filtered}; downstream accepted ${downstream.stats.accepted} orders ` +
      `(${downstream.stats.duplicates} duplicates) and ${downstream.stats.events} audit events (CloudEvents of euro orders) and ${downstream.stats.shipments} shipments (Avro decoded to JSON)`,
  );
  const clean = !died && bridgeStatus.code === 0;
  say(
    `bridge ${clean ? 'drained and exited with status 0' : `ended badly: ${bridgeStatus.signal ?? `status ${bridgeStatus.code}`}${died ? ' (it exited on its own)' : ''}`}; dev broker stopped`,
  );
  if (!clean) {
    if (echo.last.length > 0) say(`last bridge log lines:\n  ${echo.last.slice(-10).join('\n  ')}`);
    if (stderrTail.length > 0) say(`bridge stderr:\n  ${stderrTail.join('\n  ')}`);
    return 1;
  }
  if (last.delivered === 0) {
    say('nothing was delivered: something is wrong');
    return 1;
  }
  return 0;
}

process.exit(await main());
