/**
 * Command line: `kafka-http-bridge [run] --config <file>` and `kafka-http-bridge check --config <file>`.
 *
 * Exit status: 0 after a clean shutdown or a passing check; 78 for invalid configuration
 * (EX_CONFIG); 64 for a bad command line; 1 for anything that stops a running bridge (missing
 * topics, a consumer that crashed for good). Never a stack trace for a user error.
 */
import { parseArgs } from 'node:util';
import { Bridge } from './bridge.ts';
import { loadConfig } from './config/load-config.ts';
import type { SchemaRegistryConfig } from './config/types.ts';
import { SchemaRegistry } from './decode/schema-registry.ts';
import { BridgeError, ConfigError, ErrorCodes, ExitStatus } from './errors.ts';
import { createKafka } from './kafka/kafka-client.ts';
import { missingTopicsError, preflight, routeNeeds, type Preflight } from './kafka/preflight.ts';
import { createLogger } from './ops/logger.ts';
import { isDltCommand, runDltCommand } from './dlt/dlt-command.ts';

const DEFAULT_CONFIG = '/etc/kafka-http-bridge/config.yaml';

const USAGE = `usage: kafka-http-bridge [run|check|replay|inspect] --config <file>

  run     consume and deliver until SIGTERM/SIGINT (default)
  check   validate the configuration and check that every topic exists, then exit
  replay  copy dead-lettered records back to their topic (replay --help)
  inspect summarise a dead-letter topic (inspect --help)

  --config <file>   YAML configuration (default: $BRIDGE_CONFIG or ${DEFAULT_CONFIG})`;

function fail(code: number, message: string): never {
  process.stderr.write(`kafka-http-bridge: ${message}\n`);
  process.exit(code);
}

function readArgs(argv: string[]): { command: string; config: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    fail(ExitStatus.usage, `${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (parsed.values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(ExitStatus.ok);
  }
  const command = parsed.positionals[0] ?? 'run';
  if (!['run', 'check'].includes(command) || parsed.positionals.length > 1) fail(ExitStatus.usage, `unknown command "${parsed.positionals.join(' ')}"\n${USAGE}`);
  return { command, config: parsed.values.config ?? process.env['BRIDGE_CONFIG'] ?? DEFAULT_CONFIG };
}

function load(file: string) {
  try {
    return loadConfig(file, process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(ExitStatus.config, error.message);
    throw error;
  }
}

/** `check` asks the registry for its subjects; `run` would start without it and pause the routes that need it. */
async function checkRegistry(settings: SchemaRegistryConfig): Promise<void> {
  const registry = new SchemaRegistry(settings);
  try {
    await registry.ping();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    fail(ExitStatus.failed, `the schema registry at ${settings.url} does not answer: ${why} (${ErrorCodes.SCHEMA_REGISTRY_UNREACHABLE})`);
  } finally {
    await registry.close();
  }
}

async function check(file: string): Promise<void> {
  const config = load(file);
  const logger = createLogger('warn');
  let found: Preflight;
  try {
    found = await preflight(createKafka(config.kafka, logger), config);
  } catch (error) {
    if (error instanceof BridgeError) fail(ExitStatus.failed, `${error.message} (${error.code})`);
    throw error;
  }
  if (found.missing.length > 0) {
    const error = missingTopicsError(found.missing, config);
    fail(ExitStatus.failed, `${error.message} (${error.code})`);
  }
  if (config.schemaRegistry !== undefined) await checkRegistry(config.schemaRegistry);
  process.stdout.write(`ok: configuration valid, ${config.routes.length} route(s), every topic exists${config.schemaRegistry === undefined ? '' : ', the schema registry answers'}\n`);
  for (const warning of found.warnings) process.stdout.write(`warning: ${warning}\n`);
  for (const line of routeNeeds(config)) process.stdout.write(`${line}\n`);
}

async function run(file: string): Promise<void> {
  const config = load(file);
  const logger = createLogger(config.log.level);
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting');
    process.exit(ExitStatus.failed);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection; exiting');
    process.exit(ExitStatus.failed);
  });
  // Signals are handled from the start: a SIGTERM that arrives while the bridge is still
  // joining the group must drain too, not kill the process with records half-handed.
  let bridge: Bridge | undefined;
  let stopRequested = false;
  let signals = 0;
  const stop = (b: Bridge): void => {
    b.stop().then(
      () => process.exit(ExitStatus.ok),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(ExitStatus.failed);
      },
    );
  };
  const onSignal = (signal: string): void => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now without waiting for the drain');
      process.exit(ExitStatus.failed);
    }
    logger.info({ signal }, 'shutting down: draining in-flight records');
    if (bridge === undefined) stopRequested = true;
    else stop(bridge);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    bridge = await Bridge.start(config, { logger });
  } catch (error) {
    if (error instanceof BridgeError) {
      logger.fatal({ code: error.code }, error.message);
      fail(ExitStatus.failed, `${error.message} (${error.code})`);
    }
    logger.fatal({ err: error }, 'bridge failed to start');
    process.exit(ExitStatus.failed);
  }
  if (stopRequested) stop(bridge);
  const error = await bridge.failure;
  // A consumer that will not restart must not leave an alive-but-idle process: /health is
  // red from now on, and the exit lets the orchestrator restart us.
  logger.fatal({ code: error instanceof BridgeError ? error.code : undefined }, error.message);
  const timer = setTimeout(() => process.exit(ExitStatus.failed), 5_000);
  timer.unref();
  await bridge.stop().catch(() => undefined);
  process.exit(ExitStatus.failed);
}

const [first, ...rest] = process.argv.slice(2);
if (isDltCommand(first)) {
  const defaultConfig = process.env['BRIDGE_CONFIG'] ?? DEFAULT_CONFIG;
  process.exit(await runDltCommand(first, rest, { defaultConfig, handleSignals: true }));
}
const { command, config } = readArgs(process.argv.slice(2));
await (command === 'check' ? check(config) : run(config));
