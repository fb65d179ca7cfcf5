/**
 * Compiles dev-broker.c into build/dev-broker (gitignored) on demand.
 *
 * Built lazily instead of at install time so `npm ci` never needs a compiler: only
 * the tests, demo and benchmarks that actually start a dev broker do. Several vitest
 * workers may call this at the same moment, so each compiles into its own temp file
 * and renames it into place: rename is atomic, so nobody ever executes a half-written
 * binary, and the last writer simply wins with an identical file.
 *
 * Run directly (`node tools/dev-broker/build.ts`) to build and print the binary path.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BridgeError, ErrorCodes } from '../../src/errors.ts';

const run = promisify(execFile);

export const DEV_BROKER_SOURCE = fileURLToPath(new URL('./dev-broker.c', import.meta.url));
export const DEV_BROKER_BINARY = fileURLToPath(new URL('./build/dev-broker', import.meta.url));
const BUILD_SCRIPT = fileURLToPath(import.meta.url);

const INSTALL_HINT =
  'The dev broker is compiled from tools/dev-broker/dev-broker.c and needs a C compiler and ' +
  "librdkafka's development headers (rdkafka_mock.h). On Debian/Ubuntu: " +
  'apt-get install -y gcc librdkafka-dev  (or build-essential librdkafka-dev).';

/** One build per process: concurrent callers in the same process share it. */
let pending: Promise<string> | undefined;

/** Returns the path of an up-to-date dev broker binary, compiling it first if needed. */
export function ensureDevBrokerBinary(): Promise<string> {
  pending ??= buildIfStale().catch((err: unknown) => {
    pending = undefined; // let a later call retry, e.g. after installing the packages
    throw err;
  });
  return pending;
}

async function mtimeMs(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function buildIfStale(): Promise<string> {
  const [binary, source, script] = await Promise.all([
    mtimeMs(DEV_BROKER_BINARY),
    mtimeMs(DEV_BROKER_SOURCE),
    mtimeMs(BUILD_SCRIPT),
  ]);
  if (source === undefined) {
    throw new BridgeError(ErrorCodes.DEV_BROKER_UNAVAILABLE, `dev broker source not found: ${DEV_BROKER_SOURCE}`);
  }
  // The build script counts as an input too: changed compiler flags must rebuild.
  if (binary !== undefined && binary >= Math.max(source, script ?? 0)) return DEV_BROKER_BINARY;

  await mkdir(fileURLToPath(new URL('./build/', import.meta.url)), { recursive: true });
  const tmp = `${DEV_BROKER_BINARY}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const cc = process.env['CC'] ?? 'cc';
  const args = ['-std=c11', '-O2', '-Wall', '-Wextra', '-o', tmp, DEV_BROKER_SOURCE, ...(await rdkafkaFlags())];
  try {
    await run(cc, args, { timeout: 120_000 });
    await rename(tmp, DEV_BROKER_BINARY);
  } catch (err) {
    await rm(tmp, { force: true });
    throw compileError(cc, err);
  }
  return DEV_BROKER_BINARY;
}

/** pkg-config finds non-default prefixes (e.g. Homebrew); plain -lrdkafka covers Debian without it. */
async function rdkafkaFlags(): Promise<string[]> {
  try {
    const { stdout } = await run('pkg-config', ['--cflags', '--libs', 'rdkafka'], { timeout: 10_000 });
    const flags = stdout.trim().split(/\s+/).filter(Boolean);
    if (flags.length > 0) return flags;
  } catch {
    // no pkg-config or no rdkafka.pc: fall through
  }
  return ['-lrdkafka'];
}

function compileError(cc: string, err: unknown): BridgeError {
  const e = err as NodeJS.ErrnoException & { stderr?: string };
  if (e.code === 'ENOENT') {
    return new BridgeError(ErrorCodes.DEV_BROKER_UNAVAILABLE, `C compiler '${cc}' not found. ${INSTALL_HINT}`, {
      cause: err,
    });
  }
  const stderr = (e.stderr ?? '').trim();
  const missingLib = /rdkafka(_mock)?\.h|-lrdkafka|rd_kafka_mock_/.test(stderr);
  return new BridgeError(
    ErrorCodes.DEV_BROKER_UNAVAILABLE,
    `could not compile the dev broker${missingLib ? ' (librdkafka headers or library missing)' : ''}. ` +
      `${INSTALL_HINT}\n${cc} said:\n${stderr || e.message}`,
    { cause: err },
  );
}

if (import.meta.main) {
  console.log(await ensureDevBrokerBinary());
}
