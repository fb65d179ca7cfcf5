/**
 * Schema Registry test records written by Confluent's own Python serializers
 * (schema-records/write_records.py), in the virtual environment that tools/setup.sh test
 * makes in the cache. The records and schemas it writes are listed in that file; the tests
 * hold what the bridge must make of them.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const HERE = fileURLToPath(new URL('./schema-records/', import.meta.url));
const run = promisify(execFile);

export interface Written {
  /** Topic by name: avro, protobuf, protobuf-text, json. */
  readonly topics: Record<'avro' | 'protobuf' | 'protobuf-text' | 'json', string>;
  readonly ids: { avro: [number, number]; protobuf: number; 'protobuf-text': number };
}

function python(): string {
  const hash = createHash('sha256').update(readFileSync(join(HERE, 'requirements.txt'))).digest('hex').slice(0, 12);
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  const bin = join(base, 'kafka-http-bridge', 'python', `venv-${hash}`, 'bin', 'python');
  if (!existsSync(bin)) throw new Error(`no Python environment with Confluent's serializers at ${bin}: run tools/setup.sh test`);
  return bin;
}

/** Writes every scenario's records to topics named `<prefix>-<scenario>` (which must exist). */
export async function writeSchemaRecords(bootstrap: string, registryUrl: string, prefix: string): Promise<Written> {
  const py = python();
  const out = mkdtempSync(join(tmpdir(), 'proto-'));
  await run(py, ['-m', 'grpc_tools.protoc', `-I${HERE}`, `--python_out=${out}`, join(HERE, 'events.proto')]);
  const { stdout } = await run(py, [join(HERE, 'write_records.py'), bootstrap, registryUrl, prefix, out], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Written;
}
