/**
 * Resolves a pinned Apache Kafka release from Maven Central into a cache folder outside the
 * repository, once: `mvn dependency:copy-dependencies` over tools/kafka/pom.xml. Later calls
 * find the jars in place and start nothing but a directory listing, so tests never download.
 *
 *   ${XDG_CACHE_HOME:-~/.cache}/kafka-http-bridge/kafka/<version>/libs/*.jar
 *
 * Several vitest workers may ask at the same moment: each resolves into its own temporary
 * folder and renames it into place. The rename is atomic, so a reader sees either no folder
 * or a complete one.
 *
 * Run directly to resolve ahead of time (what the installer does):
 *   node tools/kafka/kafka-install.ts [--version <v>]...
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { BridgeError, ErrorCodes } from '../../src/errors.ts';

const run = promisify(execFile);

/**
 * The releases the tests run on. The newest 4.x is the default; the last 3.x line is the
 * second, for users who have not moved to 4 yet. README's "Kafka versions" table names them.
 */
export const KAFKA_VERSIONS = { default: '4.4.0', compat: '3.9.2' } as const;

/** Kafka 4.x brokers need Java 17; 3.9 runs on 11 but we ask for one floor. */
const MIN_JAVA = 17;

const POM = fileURLToPath(new URL('./pom.xml', import.meta.url));

export function kafkaCacheRoot(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'kafka-http-bridge', 'kafka');
}

function unavailable(message: string, cause?: unknown): BridgeError {
  return new BridgeError(ErrorCodes.KAFKA_BROKER_UNAVAILABLE, message, cause === undefined ? {} : { cause });
}

/** The java binary: $JAVA_HOME/bin/java when set, else the one on PATH. */
export function javaCommand(): string {
  const home = process.env['JAVA_HOME'];
  return home ? join(home, 'bin', 'java') : 'java';
}

/** The major version in what `java -version` prints (`1.8.0` is 8, `17.0.15` is 17); 0 when none. */
export function javaMajorOf(versionOutput: string): number {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  return m === null ? 0 : Number(m[1] === '1' ? m[2] : m[1]);
}

/** Checks that a Java runtime ≥ 17 is there; throws a message that says what to install. */
export async function checkJava(): Promise<void> {
  let text: string;
  try {
    // `java -version` prints on stderr, e.g. `openjdk version "17.0.15" 2025-04-15`.
    const { stderr, stdout } = await run(javaCommand(), ['-version']);
    text = stderr + stdout;
  } catch (error) {
    throw unavailable(
      `Apache Kafka needs a Java runtime ${MIN_JAVA} or newer, and "${javaCommand()}" could not be run. ` +
        'Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless (or set JAVA_HOME).',
      error,
    );
  }
  const major = javaMajorOf(text);
  if (major < MIN_JAVA) {
    throw unavailable(
      `Apache Kafka needs Java ${MIN_JAVA} or newer; "${javaCommand()}" is Java ${major || 'of an unknown version'}. ` +
        'Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless, or point JAVA_HOME at a newer JDK.',
    );
  }
}

function jarsIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.jar'));
  } catch {
    return [];
  }
}

/** The folder of jars for `version`, or undefined when it is not cached yet. */
export function cachedKafka(version: string): string | undefined {
  const libs = join(kafkaCacheRoot(), version, 'libs');
  return jarsIn(libs).some((f) => f.startsWith('kafka_2.13-')) ? libs : undefined;
}

/** Jars of `version`, resolved from Maven Central on first use. */
export async function ensureKafka(version: string = KAFKA_VERSIONS.default, log: (line: string) => void = () => undefined): Promise<string> {
  const cached = cachedKafka(version);
  if (cached !== undefined) return cached;
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw unavailable(`not a Kafka release version: "${version}" (expected e.g. ${KAFKA_VERSIONS.default})`);
  const target = join(kafkaCacheRoot(), version);
  const staging = `${target}.tmp-${randomBytes(4).toString('hex')}`;
  log(`resolving Apache Kafka ${version} from Maven Central into ${target} (once)`);
  try {
    await run('mvn', ['--version']);
  } catch (error) {
    throw unavailable(
      `resolving Apache Kafka ${version} needs Maven (mvn), which could not be run. Debian/Ubuntu: apt-get install -y maven.`,
      error,
    );
  }
  await mkdir(staging, { recursive: true });
  try {
    await run(
      'mvn',
      ['-q', '-B', '-f', POM, `-Dkafka.version=${version}`, 'dependency:copy-dependencies', `-DoutputDirectory=${join(staging, 'libs')}`],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const out = error as { stdout?: string; stderr?: string };
    const detail = `${out.stdout ?? ''}${out.stderr ?? ''}`.split('\n').filter((l) => l.includes('ERROR')).slice(0, 5).join('\n');
    throw unavailable(`Maven could not resolve org.apache.kafka:kafka_2.13:${version}${detail ? `:\n${detail}` : ''}`, error);
  }
  try {
    await rename(staging, target);
  } catch {
    // Another process put a complete copy there first: keep theirs.
    await rm(staging, { recursive: true, force: true });
  }
  const libs = cachedKafka(version);
  if (libs === undefined) throw unavailable(`Apache Kafka ${version} resolved, but ${target} holds no kafka_2.13 jar`);
  return libs;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { version: { type: 'string', multiple: true } } });
  const versions = values.version ?? [KAFKA_VERSIONS.default, KAFKA_VERSIONS.compat];
  for (const version of versions) {
    const libs = await ensureKafka(version, (line) => console.error(line));
    console.log(`kafka ${version}: ${libs}`);
  }
  await checkJava();
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1] && existsSync(POM)) {
  main().catch((error: unknown) => {
    console.error(`kafka-install: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
