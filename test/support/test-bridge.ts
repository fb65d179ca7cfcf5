/**
 * Builds bridge configurations for tests through the real loader (so every test config is
 * also a valid user config) and starts bridges in-process or as child processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { Writable } from 'node:stream';
import { Bridge } from '../../src/bridge.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import type { BridgeConfig } from '../../src/config/types.ts';
import { createLogger } from '../../src/ops/logger.ts';

export interface RouteOptions {
  name?: string;
  topics: string[];
  url: string;
  [key: string]: unknown;
}

export interface TestConfigOptions {
  bootstrap: string;
  groupId: string;
  routes: RouteOptions[];
  kafka?: Record<string, unknown>;
  shutdownTimeout?: string;
  logLevel?: string;
  /** More top-level sections, e.g. schemaRegistry. */
  sections?: Record<string, unknown>;
}

/** Plain config object, as a user would write it in YAML. */
export function testConfigObject(o: TestConfigOptions): Record<string, unknown> {
  return {
    kafka: {
      brokers: o.bootstrap.split(','),
      clientId: 'bridge-test',
      groupId: o.groupId,
      sessionTimeout: '10s',
      heartbeatInterval: '1s',
      commitInterval: '200ms',
      ...o.kafka,
    },
    server: { port: 0, host: '127.0.0.1' },
    log: { level: o.logLevel ?? 'warn' },
    shutdown: { timeout: o.shutdownTimeout ?? '10s' },
    ...o.sections,
    routes: o.routes.map((r, i) => {
      const { url, name, ...rest } = r;
      return {
        name: name ?? `route-${i}`,
        endpoint: { url, timeout: '1s' },
        attempts: 3,
        backoff: { initial: '20ms', max: '200ms' },
        retry: { delays: [] },
        ...rest,
      };
    }),
  };
}

export function testConfig(o: TestConfigOptions): BridgeConfig {
  return parseConfig(stringify(testConfigObject(o)), {}, 'test-config.yaml');
}

/** Parsed JSON log lines, for assertions on logs (never on strings). */
export class LogSink {
  readonly lines: Record<string, unknown>[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ raw: line });
        }
      }
      done();
    },
  });
}

export async function startInProcess(config: BridgeConfig, logs = new LogSink()): Promise<{ bridge: Bridge; logs: LogSink }> {
  const bridge = await Bridge.start(config, { logger: createLogger(config.log.level, logs.stream) });
  return { bridge, logs };
}

const CLI = resolve(import.meta.dirname, '../../bin/kafka-http-bridge.js');

export interface BridgeProcess {
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
  /** The ops port, once the process logged it (see waitForPort). */
  port?: number;
}

/** Writes `config` to a temp file and runs the real CLI on it. */
export function spawnBridge(config: Record<string, unknown> | string, args: string[] = ['run']): BridgeProcess {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-test-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, typeof config === 'string' ? config : stringify(config));
  const env = { ...process.env };
  for (const name of ['PORT', 'KAFKA_BROKERS', 'KAFKA_GROUP_ID', 'LOG_LEVEL']) delete env[name];
  const argv = args.includes('--config') ? args : [...args, '--config', file];
  const child = spawn(process.execPath, [CLI, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let buffered = '';
  child.stdout!.on('data', (c: Buffer) => {
    buffered += c.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ raw: line });
      }
    }
  });
  child.stderr!.on('data', (c: Buffer) => stderr.push(c.toString('utf8')));
  // 'close', not 'exit': only then are stdout and stderr read to the end, and the last lines
  // a process writes (the lifecycle, a replay summary, a config error) are what tests check.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, logs, stderr, exited };
}

/** Waits for the "ops server listening" log line and returns the port. */
export async function waitForPort(p: BridgeProcess, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = p.logs.find((l) => l['msg'] === 'ops server listening');
    if (line !== undefined) return (p.port = Number(line['port']));
    if (p.child.exitCode !== null) throw new Error(`bridge exited with ${p.child.exitCode}: ${p.stderr.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`bridge did not start: ${p.stderr.join('')}`);
}
