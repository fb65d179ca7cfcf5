/**
 * One Apicurio Registry process on loopback, in-memory storage: started, waited for until it
 * answers, frozen and thawed (SIGSTOP/SIGCONT, an outage that keeps its schemas), stopped.
 * Both ports are chosen free and bound to 127.0.0.1: the management interface otherwise binds
 * 0.0.0.0:9000, and two registries would clash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePorts } from '../kafka/kafka-node.ts';
import { killOnExit } from '../kill-on-exit.ts';
import { ensureRegistry, registryJava } from './registry-install.ts';

const START_TIMEOUT_MS = 120_000;

export class RegistryServer {
  /** The Confluent-compatible API, e.g. http://127.0.0.1:41234/apis/ccompat/v7. */
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;

  private constructor(child: ChildProcess, url: string) {
    this.#child = child;
    this.url = url;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(log: (line: string) => void = () => undefined): Promise<RegistryServer> {
    const dir = await ensureRegistry(undefined, log);
    const java = await registryJava();
    const [http, management] = await freePorts(2);
    const args = [
      `-Dquarkus.http.host=127.0.0.1`,
      `-Dquarkus.http.port=${http}`,
      `-Dquarkus.management.host=127.0.0.1`,
      `-Dquarkus.management.port=${management}`,
      '-Dquarkus.log.level=WARN',
      '-Xmx512m',
      '-jar',
      join(dir, 'quarkus-run.jar'),
    ];
    const child = spawn(java, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    killOnExit(child);
    const tail: string[] = [];
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      tail.push(d);
      if (tail.length > 20) tail.shift();
    });
    const server = new RegistryServer(child, `http://127.0.0.1:${http}/apis/ccompat/v7`);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Apicurio Registry exited during start (${child.exitCode}): ${tail.join('').slice(-1000)}`);
      if (await server.answers()) return server;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Apicurio Registry did not answer within ${START_TIMEOUT_MS / 1000} s`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async answers(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/subjects`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    } catch {
      return false;
    }
  }

  freeze(): void {
    this.#child.kill('SIGSTOP');
  }

  thaw(): void {
    this.#child.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGCONT');
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }
}
