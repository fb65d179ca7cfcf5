/**
 * Test records written by Apache Kafka's Java producer (java-producer/WriteRecords.java),
 * with the kafka-clients jars of the Kafka the tests run. The program is compiled once per
 * source and Kafka version into the cache, next to the Kafka it belongs to.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KAFKA_VERSIONS, ensureKafka, javaCommand, kafkaCacheRoot } from '../../tools/kafka/kafka-install.ts';

const SOURCE = fileURLToPath(new URL('./java-producer/WriteRecords.java', import.meta.url));

export interface JavaRecord {
  readonly topic: string;
  readonly partition?: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** In order; a name may appear twice. */
  readonly headers?: readonly (readonly [string, Buffer | null])[];
}

export type JavaStep = JavaRecord | 'BEGIN' | 'COMMIT' | 'ABORT' | 'FLUSH';

export interface Written {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

const hex = (b: Buffer | null): string => (b === null ? '~' : b.length === 0 ? '-' : b.toString('hex'));

function javac(): string {
  const home = process.env['JAVA_HOME'];
  return home ? join(home, 'bin', 'javac') : 'javac';
}

let compiled: Promise<{ classes: string; libs: string }> | undefined;

/** Compiles WriteRecords.java once (per source and Kafka version), into the cache. */
function compile(): Promise<{ classes: string; libs: string }> {
  compiled ??= (async () => {
    const libs = await ensureKafka(KAFKA_VERSIONS.default);
    const hash = createHash('sha256').update(readFileSync(SOURCE)).update(KAFKA_VERSIONS.default).digest('hex').slice(0, 16);
    const classes = join(dirname(kafkaCacheRoot()), 'java-producer', hash);
    if (existsSync(join(classes, 'WriteRecords.class'))) return { classes, libs };
    const staging = `${classes}.tmp-${randomBytes(4).toString('hex')}`;
    await mkdir(staging, { recursive: true });
    await promisify(execFile)(javac(), ['-nowarn', '-cp', join(libs, '*'), '-d', staging, SOURCE]);
    // Another test worker may have finished first: either copy is the same.
    await rename(staging, classes).catch(() => rm(staging, { recursive: true, force: true }));
    return { classes, libs };
  })();
  return compiled;
}

/**
 * Writes `steps` with the Java producer. `settings` are producer configs (compression.type,
 * enable.idempotence, transactional.id, …). Resolves with where each record landed.
 */
export async function javaProduce(bootstrap: string, settings: Readonly<Record<string, string>>, steps: readonly JavaStep[]): Promise<Written[]> {
  const { classes, libs } = await compile();
  const args = [
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-cp',
    `${classes}:${join(libs, '*')}`,
    'WriteRecords',
    `bootstrap.servers=${bootstrap}`,
    ...Object.entries(settings).map(([k, v]) => `${k}=${v}`),
  ];
  const child = spawn(javaCommand(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  for (const step of steps) {
    const line =
      typeof step === 'string'
        ? step
        : ['R', step.topic, String(step.partition ?? -1), hex(step.key), hex(step.value), ...(step.headers ?? []).map(([n, v]) => `${hex(Buffer.from(n))}:${hex(v)}`)].join(' ');
    if (!child.stdin.write(`${line}\n`)) await new Promise((resolve) => child.stdin.once('drain', resolve));
  }
  child.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`the Java producer exited ${code}: ${stderr.slice(-2000)}`);
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('OFFSET '))
    .map((l) => {
      const [, topic, partition, offset] = l.split(' ');
      return { topic: topic!, partition: Number(partition), offset: offset! };
    });
}
