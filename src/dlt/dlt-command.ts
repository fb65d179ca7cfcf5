/**
 * The `replay` and `inspect` commands: the command line around src/dlt/replay.ts and
 * src/dlt/inspect.ts.
 *
 * Standard output carries the results (dry-run lines, summaries) and nothing else, so they
 * can be piped; kafkajs logs and progress notes go to standard error.
 *
 * Exit status: 0 done (caught up, or --limit reached); 1 could not run or failed (missing
 * topics, Kafka, a record without target; the message says what was committed); 64 bad
 * command line; 78 invalid configuration, checked like `run` before anything else;
 * 128 + signal number (130 for SIGINT) when a signal stopped it after committing what was
 * acknowledged. A second signal exits at once with status 1.
 */
import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import { loadConfig } from '../config/load-config.ts';
import type { BridgeConfig } from '../config/types.ts';
import { BridgeError, ConfigError, ExitStatus } from '../errors.ts';
import { createKafka } from '../kafka/kafka-client.ts';
import { createLogger } from '../ops/logger.ts';
import { INSPECT_USAGE, parseInspectArgs, parseReplayArgs, REPLAY_USAGE, UsageError } from './dlt-args.ts';
import { formatInspectReport, inspect } from './inspect.ts';
import { formatReplaySummary, replay } from './replay.ts';

export const DLT_COMMANDS = ['replay', 'inspect'] as const;
export type DltCommand = (typeof DLT_COMMANDS)[number];


export function isDltCommand(name: string | undefined): name is DltCommand {
  return (DLT_COMMANDS as readonly (string | undefined)[]).includes(name);
}

export interface DltCommandIo {
  /** Used when --config is not given ($BRIDGE_CONFIG, then the default path). */
  readonly defaultConfig: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  /** Listen for SIGINT/SIGTERM (the real CLI); tests abort through `signal` instead. */
  readonly handleSignals?: boolean;
  readonly signal?: AbortSignal;
}

/** Runs `replay` or `inspect` with the arguments after the command name; returns the exit status. */
export async function runDltCommand(command: DltCommand, argv: readonly string[], io: DltCommandIo): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const say = (line: string): void => void stdout.write(`${line}\n`);
  const complain = (line: string): void => void stderr.write(`kafka-http-bridge ${command}: ${line}\n`);
  const usage = command === 'replay' ? REPLAY_USAGE : INSPECT_USAGE;

  let args;
  try {
    args = command === 'replay' ? parseReplayArgs(argv) : parseInspectArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    complain(`${error.message}\n${usage}`);
    return ExitStatus.usage;
  }
  if (args.help) {
    say(usage);
    return ExitStatus.ok;
  }

  let config: BridgeConfig;
  try {
    config = loadConfig(args.config ?? io.defaultConfig, io.env ?? process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    complain(error.message);
    return ExitStatus.config;
  }

  const logger = createLogger(config.log.level, stderr);
  const kafka = createKafka(config.kafka, logger);
  const controller = new AbortController();
  const forward = (): void => controller.abort();
  io.signal?.addEventListener('abort', forward, { once: true });
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stoppedBy !== undefined) {
      complain(`second ${signal}: exiting now; records produced since the last commit will be produced again by the next run`);
      process.exit(ExitStatus.failed);
    }
    stoppedBy = signal;
    complain(`${signal}: stopping once the records already taken are acknowledged and committed`);
    controller.abort();
  };
  if (io.handleSignals === true) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    if (command === 'replay' && 'from' in args) {
      const summary = await replay(
        { from: args.from, to: args.to, filter: args.filter, limit: args.limit, rate: args.rate, dryRun: args.dryRun },
        { kafka, config, out: say, note: (line) => void stderr.write(`${line}\n`), signal: controller.signal },
      );
      for (const line of formatReplaySummary(summary, args.limit)) say(line);
      return summary.stoppedBy === 'interrupted' ? interruptedStatus(stoppedBy) : 0;
    }
    if ('topic' in args) {
      const report = await inspect(args.topic, { kafka, config, signal: controller.signal });
      for (const line of formatInspectReport(report)) say(line);
      return report.interrupted ? interruptedStatus(stoppedBy) : 0;
    }
    throw new Error(`unhandled command ${command}`);
  } catch (error) {
    // BridgeErrors are the expected failures; anything else (Kafka unreachable) is reported
    // as a message too: a stack trace helps no operator here.
    complain(error instanceof BridgeError ? `${error.message} [${error.code}]` : `failed: ${error instanceof Error ? error.message : String(error)}`);
    return ExitStatus.failed;
  } finally {
    io.signal?.removeEventListener('abort', forward);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function interruptedStatus(signal: NodeJS.Signals | undefined): number {
  return 128 + constants.signals[signal ?? 'SIGINT'];
}
