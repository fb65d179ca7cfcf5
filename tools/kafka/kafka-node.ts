/**
 * One Kafka node as a process: free ports, the storage format, the JVM command line, the
 * launch with its log file. The JVM runs through `setpriv --pdeathsig SIGKILL`, which execs
 * java in place (so signals reach the JVM itself) and makes the kernel kill it when the Node
 * process that spawned it dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { BridgeError, ErrorCodes } from '../../src/errors.ts';
import { killOnExit } from '../kill-on-exit.ts';
import { javaCommand } from './kafka-install.ts';
import type { NodePlan } from './node-config.ts';

export interface RunningNode {
  readonly plan: NodePlan;
  readonly propsFile: string;
  readonly logFile: string;
  child: ChildProcess | undefined;
  exited: Promise<void>;
}

/** How JVMs of a cluster run: its jars and heap. */
export interface Jvm {
  readonly libs: string;
  readonly heapMb: number;
}

export function unavailable(message: string): BridgeError {
  return new BridgeError(ErrorCodes.KAFKA_BROKER_UNAVAILABLE, message);
}

/** Ports the kernel hands out now; all are held open together so none is given twice. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<Server>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A KRaft cluster id: 16 random bytes, base64url; one starting with '-' would read as an option. */
export function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

function javaArgs(jvm: Jvm, args: string[]): string[] {
  return [
    '--pdeathsig', 'SIGKILL', '--',
    javaCommand(),
    `-Xmx${jvm.heapMb}m`, '-Xms64m', '-XX:+UseG1GC', '-Xss512k', '-Djava.awt.headless=true',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-Dorg.slf4j.simpleLogger.showDateTime=true',
    '-cp', join(jvm.libs, '*'),
    ...args,
  ];
}

/** Formats every node's KRaft storage, in parallel; SCRAM users are written into brokers. */
export async function formatStorage(nodes: readonly RunningNode[], jvm: Jvm, id: string, scram: readonly string[]): Promise<void> {
  await Promise.all(
    nodes.map(
      (n) =>
        new Promise<void>((resolve, reject) => {
          const args = javaArgs(jvm, ['kafka.tools.StorageTool', 'format', '-t', id, '-c', n.propsFile, '--ignore-formatted', ...(n.plan.roles.includes('broker') ? scram : [])]);
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

/** Starts the node's JVM, its output appended to its log file. */
export async function launchNode(node: RunningNode, jvm: Jvm): Promise<void> {
  const out = createWriteStream(node.logFile, { flags: 'a' });
  await new Promise((r) => out.once('open', r));
  const child = spawn('setpriv', javaArgs(jvm, ['kafka.Kafka', node.propsFile]), { stdio: ['ignore', out, out] });
  killOnExit(child);
  node.child = child;
  node.exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      if (node.child === child) node.child = undefined;
      out.end();
      resolve();
    });
  });
}

export function logTail(node: RunningNode): string {
  try {
    return readFileSync(node.logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
