/**
 * Reading the deployment files (docker-compose.yml, Prometheus, Grafana, Helm) for the tests
 * in test/deploy/. Only reading and small pure helpers: the assertions live in the tests.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { BridgeConfig } from '../../src/config/types.ts';
import { deadLetterTopicName, retryTopicNames } from '../../src/config/topic-names.ts';

/** Absolute path of a file of the project, from a path relative to its root. */
export function projectPath(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}

export function readProjectFile(relative: string): string {
  return readFileSync(projectPath(relative), 'utf8');
}

export function readYaml<T = unknown>(relative: string): T {
  return parse(readProjectFile(relative)) as T;
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, unknown> | string[];
  volumes?: Array<string | { type?: string; source?: string; target?: string; read_only?: boolean }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: Array<string | number | { target?: number; published?: number | string }>;
  read_only?: boolean;
  tmpfs?: unknown;
  stop_grace_period?: string;
  profiles?: string[];
  healthcheck?: { test?: string | string[] };
  user?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
}

export function readCompose(): ComposeFile {
  return readYaml<ComposeFile>('docker-compose.yml');
}

/** A service's environment as strings (compose allows a mapping or a list of NAME=value). */
export function serviceEnv(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value === null ? '' : String(value)]));
}

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** Bind mounts and volumes of a service, short ("src:dst[:ro]") or long syntax. */
export function serviceMounts(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume === 'string') {
      const [source = '', target = '', mode = ''] = volume.split(':');
      return { source, target, readOnly: mode.split(',').includes('ro') };
    }
    return { source: volume.source ?? '', target: volume.target ?? '', readOnly: volume.read_only === true };
  });
}

export function dependsOn(service: ComposeService): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, dep]) => [name, dep.condition]));
}

export function commandList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(/\s+/).filter((part) => part !== '');
}

/** Every topic a configuration needs, with the source topic whose partition count it must match. */
export function topicsNeeded(config: BridgeConfig): Array<{ topic: string; source: string; role: 'source' | 'retry' | 'dead-letter' }> {
  const needed: Array<{ topic: string; source: string; role: 'source' | 'retry' | 'dead-letter' }> = [];
  for (const route of config.routes) {
    for (const source of route.topics) {
      needed.push({ topic: source, source, role: 'source' });
      for (const topic of retryTopicNames(source, route)) needed.push({ topic, source, role: 'retry' });
      needed.push({ topic: deadLetterTopicName(source, route), source, role: 'dead-letter' });
    }
  }
  return needed;
}

/** "orders:3 orders-dlt:3" -> Map { orders => 3, orders-dlt => 3 }. */
export function parseTopicSpecs(specs: string): Map<string, number> {
  const topics = new Map<string, number>();
  for (const spec of specs.split(/\s+/).filter((part) => part !== '')) {
    const match = /^([a-zA-Z0-9._-]+):(\d+)$/.exec(spec);
    if (match === null) throw new Error(`not a <topic>:<partitions> spec: ${spec}`);
    topics.set(match[1]!, Number(match[2]));
  }
  return topics;
}

/** Every string inside a parsed YAML/JSON value, with its path. */
export function stringsIn(value: unknown, path = ''): Array<{ path: string; text: string }> {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringsIn(item, `${path}[${index}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => stringsIn(item, path === '' ? key : `${path}.${key}`));
  }
  return [];
}
