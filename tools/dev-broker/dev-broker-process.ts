/**
 * DevBroker: runs the dev broker (librdkafka's mock Kafka cluster, see dev-broker.c)
 * as a child process and drives it over its line protocol.
 *
 * One implementation shared by tests (via test/support/dev-broker.ts), the demo,
 * benchmarks and `npm run dev-broker`. The child never outlives us: stdin EOF makes it
 * exit, it asks the kernel for SIGTERM when we die (PR_SET_PDEATHSIG), and a
 * process 'exit' hook SIGKILLs any broker that stop() was not awaited for.
 *
 * Errors: a broker that cannot be built, started, or has died rejects with BridgeError
 * DEV_BROKER_UNAVAILABLE; a command the broker refuses ("ERR ...") rejects with a plain
 * Error carrying the broker's reason.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BridgeError, ErrorCodes } from '../../src/errors.ts';
import { ensureDevBrokerBinary } from './build.ts';
import { killOnExit } from '../kill-on-exit.ts';

/** Kafka API keys, for pushRequestErrors() / clearRequestErrors(). */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  ApiVersions: 18,
  InitProducerId: 22,
} as const;

export interface DevBrokerOptions {
  /** Number of brokers in the cluster (ids 1..brokers). Default 1. */
  brokers?: number;
  /** How long to wait for the broker to come up. Default 10 s (the first start may compile it). */
  startTimeoutMs?: number;
  /** Receives the broker's stderr lines (librdkafka warnings/errors). Default: kept for error messages only. */
  onStderr?: (line: string) => void;
}

/** Splits a stream into lines (the launcher's protocol is strictly one line per message). */
export function onLines(stream: NodeJS.ReadableStream, handler: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      handler(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
}

export class DevBroker {
  /** Comma-separated bootstrap list, ready for kafkajs `brokers: bootstrap.split(',')` or KAFKA_BROKERS. */
  readonly bootstrap: string;
  /** host:port per broker; index i is broker id i + 1. */
  readonly brokers: string[];

  readonly #child: ChildProcessWithoutNullStreams;
  readonly #stderrTail: string[];
  readonly #exited: Promise<void>;
  /** Answers are matched to commands by order; commands are serialized so at most one waits. */
  #waiter: ((line: string | Error) => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #exitInfo: string | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(
    child: ChildProcessWithoutNullStreams,
    bootstrap: string,
    stderrTail: string[],
    stdout: { onLine: (line: string) => void },
  ) {
    this.#child = child;
    this.#stderrTail = stderrTail;
    this.bootstrap = bootstrap;
    this.brokers = bootstrap.split(',');
    this.#exited = new Promise((resolve) => {
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        this.#exitInfo = signal ? `killed by ${signal}` : `exited with code ${code}`;
        this.#waiter?.(this.#unavailable(`dev broker ${this.#exitInfo} while a command was pending`));
        this.#waiter = undefined;
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
      else child.once('exit', onExit);
    });
    stdout.onLine = (line) => {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter?.(line);
    };
  }

  /** Builds the binary if needed, starts a broker and waits until it listens. */
  static async start(opts: DevBrokerOptions = {}): Promise<DevBroker> {
    const brokers = opts.brokers ?? 1;
    if (!Number.isInteger(brokers) || brokers < 1 || brokers > 64) {
      throw new BridgeError(ErrorCodes.DEV_BROKER_UNAVAILABLE, `brokers must be an integer 1..64, got ${brokers}`);
    }
    const binary = await ensureDevBrokerBinary();
    // detached: its own process group, so a terminal Ctrl-C reaches only us and the owner
    // decides when the broker goes (a demo draining on SIGINT still needs it). It still
    // dies with us: stdin EOF, PR_SET_PDEATHSIG and the exit hook of killOnExit().
    const child = spawn(binary, ['--brokers', String(brokers)], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    killOnExit(child);

    // One stdout reader for the whole life of the child; start() and then the instance
    // take turns handling its lines, so no line can fall between two listeners.
    const stdout = { onLine: (_line: string): void => {} };
    onLines(child.stdout, (line) => stdout.onLine(line));
    const stderrTail: string[] = [];
    onLines(child.stderr, (line) => {
      stderrTail.push(line);
      if (stderrTail.length > 50) stderrTail.shift();
      opts.onStderr?.(line);
    });
    // A broker that died must surface as an error on the next command, not an EPIPE crash.
    child.stdin.on('error', () => {});

    const timeoutMs = opts.startTimeoutMs ?? 10_000;
    const fail = (why: string, cause?: unknown) => {
      child.kill('SIGKILL');
      const tail = stderrTail.length > 0 ? `\nstderr:\n${stderrTail.join('\n')}` : '';
      return new BridgeError(ErrorCodes.DEV_BROKER_UNAVAILABLE, `dev broker ${why}${tail}`, { cause });
    };

    const bootstrap = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(fail(`did not start within ${timeoutMs} ms`)), timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('error', onError);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        cleanup();
        // stderr may still be draining: give it a tick so the message carries the reason.
        setImmediate(() => reject(fail(`exited during startup (${signal ?? `code ${code}`})`)));
      };
      const onError = (err: Error) => {
        cleanup();
        reject(fail(`could not be spawned: ${err.message}`, err));
      };
      child.once('exit', onExit);
      child.once('error', onError);
      stdout.onLine = (line) => {
        stdout.onLine = () => {};
        cleanup();
        const m = /^BOOTSTRAP (\S+)$/.exec(line);
        if (m?.[1]) resolve(m[1]);
        else reject(fail(`sent an unexpected first line: ${JSON.stringify(line)}`));
      };
    });
    return new DevBroker(child, bootstrap, stderrTail, stdout);
  }

  /** Operating-system process id of the broker. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /**
   * Sends one raw command line (see `help`) and resolves with the text after "OK"
   * (usually empty); rejects with the broker's reason on "ERR". Commands run one at a time.
   */
  command(line: string): Promise<string> {
    const result = this.#queue.then(() => this.#send(line));
    this.#queue = result.catch(() => {});
    return result;
  }

  #send(line: string): Promise<string> {
    const shown = line.length > 80 ? `${line.slice(0, 80)}...` : line;
    if (/[\r\n]/.test(line)) {
      return Promise.reject(new Error(`dev broker: command must be a single line: ${JSON.stringify(shown)}`));
    }
    if (this.#exitInfo !== undefined || this.#stopping) {
      return Promise.reject(this.#unavailable(`dev broker is ${this.#exitInfo ?? 'stopping'}; cannot run "${shown}"`));
    }
    return new Promise<string>((resolve, reject) => {
      this.#waiter = (answer) => {
        if (answer instanceof Error) reject(answer);
        else if (answer === 'OK' || answer.startsWith('OK ')) resolve(answer.slice(3));
        else if (answer.startsWith('ERR')) reject(new Error(`dev broker: "${shown}" failed: ${answer.slice(4)}`));
        else reject(this.#unavailable(`dev broker: unexpected answer to "${shown}": ${JSON.stringify(answer)}`));
      };
      this.#child.stdin.write(`${line}\n`);
    });
  }

  /** Arguments are whitespace-separated on the wire, so a stray space would shift them. */
  #args(...parts: (string | number)[]): string {
    for (const p of parts) {
      if (typeof p === 'string' ? !/^\S{1,1000}$/.test(p) : !Number.isInteger(p)) {
        throw new Error(`dev broker: invalid argument ${JSON.stringify(p)}`);
      }
    }
    return parts.join(' ');
  }

  /** The broker itself is gone or broken (as opposed to refusing one command). */
  #unavailable(message: string): BridgeError {
    return new BridgeError(ErrorCodes.DEV_BROKER_UNAVAILABLE, message);
  }

  async ping(): Promise<void> {
    await this.command('ping');
  }

  /** Creates a topic. replication defaults to min(3, brokers), like the mock's auto-create. */
  async createTopic(name: string, partitions: number, replication?: number): Promise<void> {
    await this.command(
      `create ${replication === undefined ? this.#args(name, partitions) : this.#args(name, partitions, replication)}`,
    );
  }

  /** Closes the broker's listener and connections; clients see it as unreachable. id -1 = all brokers. */
  async setBrokerDown(id: number): Promise<void> {
    await this.command(`down ${this.#args(id)}`);
  }

  async setBrokerUp(id: number): Promise<void> {
    await this.command(`up ${this.#args(id)}`);
  }

  /** Adds ms of round-trip latency to every response from broker id (-1 = all). */
  async setRtt(id: number, ms: number): Promise<void> {
    await this.command(`rtt ${this.#args(id, ms)}`);
  }

  /**
   * The next `count` requests with this API key (on any broker, any client) fail with
   * errorCode (a Kafka error number such as 19, or a librdkafka name like
   * 'NOT_ENOUGH_REPLICAS'). Errors queue up: later pushes add to earlier ones.
   */
  async pushRequestErrors(apiKey: number, errorCode: number | string, count = 1): Promise<void> {
    await this.command(`error ${this.#args(apiKey, errorCode, count)}`);
  }

  /** Drops queued errors for this API key that have not been consumed yet. */
  async clearRequestErrors(apiKey: number): Promise<void> {
    await this.command(`clear ${this.#args(apiKey)}`);
  }

  /** Moves partition leadership (-1 = no leader). Note: creates the topic if it does not exist. */
  async setLeader(topic: string, partition: number, brokerId: number): Promise<void> {
    await this.command(`leader ${this.#args(topic, partition, brokerId)}`);
  }

  /** Pins the coordinator for a group id or transactional id to a broker. */
  async setCoordinator(type: 'group' | 'transaction', key: string, brokerId: number): Promise<void> {
    await this.command(`coordinator ${this.#args(type, key, brokerId)}`);
  }

  /** Every Metadata response reports this error for the topic (0 clears it). Creates the topic if missing. */
  async setTopicError(topic: string, errorCode: number | string): Promise<void> {
    await this.command(`topic-error ${this.#args(topic, errorCode)}`);
  }

  /**
   * Stops the broker: closes stdin (it exits on EOF) and waits; SIGKILL after
   * killAfterMs. Safe to call more than once.
   */
  stop(killAfterMs = 3_000): Promise<void> {
    this.#stopping ??= (async () => {
      // A pending command is not awaited (the broker might hang): it is answered or
      // rejected by the exit handler.
      if (this.#exitInfo !== undefined) return;
      this.#child.stdin.end();
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), killAfterMs);
      try {
        await this.#exited;
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.#stopping;
  }

  /** Resolves when the broker process has exited (for whatever reason). */
  get exited(): Promise<void> {
    return this.#exited;
  }

  /** Last stderr lines of the broker, for diagnostics. */
  get stderr(): string {
    return this.#stderrTail.join('\n');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
