/**
 * Apicurio Registry, for tests and people: a real Schema Registry with the Confluent API
 * (`/apis/ccompat/v7`), resolved once from Maven Central into the cache
 * (${XDG_CACHE_HOME:-~/.cache}/kafka-http-bridge/registry/<version>). The runnable server is
 * the artifact io.apicurio:apicurio-registry-app:<version>:tar.gz:all, a Quarkus fast-jar
 * that needs Java 21 or newer.
 *
 * `node tools/registry/registry-install.ts` resolves it (tools/setup.sh test does).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { javaMajorOf } from '../kafka/kafka-install.ts';

export const REGISTRY_VERSION = '3.3.3';
const MIN_JAVA = 21;
const run = promisify(execFile);

export function registryCacheRoot(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'kafka-http-bridge', 'registry');
}

/** The unpacked server (the folder of quarkus-run.jar), resolving it on first use. */
export async function ensureRegistry(version = REGISTRY_VERSION, log: (line: string) => void = () => undefined): Promise<string> {
  const target = join(registryCacheRoot(), version);
  if (existsSync(join(target, 'quarkus-run.jar'))) return target;
  const staging = `${target}.tmp-${randomBytes(4).toString('hex')}`;
  log(`resolving Apicurio Registry ${version} from Maven Central into ${target} (once, about 160 MB)`);
  await mkdir(staging, { recursive: true });
  try {
    await run(
      'mvn',
      ['-q', '-B', 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy', `-Dartifact=io.apicurio:apicurio-registry-app:${version}:tar.gz:all`, `-DoutputDirectory=${staging}`],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const archive = readdirSync(staging).find((f) => f.endsWith('.tar.gz'));
    if (archive === undefined) throw new Error('Maven resolved no tar.gz');
    await run('tar', ['xzf', join(staging, archive), '-C', staging]);
    await rm(join(staging, archive));
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw new Error(`could not resolve io.apicurio:apicurio-registry-app:${version} from Maven Central: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  try {
    await rename(staging, target);
  } catch {
    // Another process put a complete copy there first: keep theirs.
    await rm(staging, { recursive: true, force: true });
  }
  return target;
}

async function javaMajor(java: string): Promise<number> {
  try {
    const { stderr, stdout } = await run(java, ['-version']);
    return javaMajorOf(stderr + stdout);
  } catch {
    return 0;
  }
}

/**
 * A Java 21+ to run it with: $REGISTRY_JAVA_HOME, $JAVA_HOME or `java` when new enough, else
 * the newest JDK under /usr/lib/jvm (Kafka's tests may keep running on an older default).
 */
export async function registryJava(): Promise<string> {
  const homes = [process.env['REGISTRY_JAVA_HOME'], process.env['JAVA_HOME']].filter((h): h is string => !!h);
  const jvms = existsSync('/usr/lib/jvm') ? readdirSync('/usr/lib/jvm').map((d) => join('/usr/lib/jvm', d)) : [];
  const candidates = [...homes.map((h) => join(h, 'bin', 'java')), 'java', ...jvms.map((h) => join(h, 'bin', 'java')).filter(existsSync)];
  for (const java of candidates) if ((await javaMajor(java)) >= MIN_JAVA) return java;
  throw new Error(`Apicurio Registry needs Java ${MIN_JAVA} or newer and none was found. Install a JDK ${MIN_JAVA}+, or set REGISTRY_JAVA_HOME.`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureRegistry(REGISTRY_VERSION, (line) => console.error(line))
    .then(async (dir) => console.log(`registry ${REGISTRY_VERSION}: ${dir} (java: ${await registryJava()})`))
    .catch((error: unknown) => {
      console.error(`registry-install: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
}
