/**
 * Reading the configuration, in three stages:
 *   1. every value on its own: YAML syntax, the convict schemas (unknown keys, types, formats,
 *      bounds, env overrides), then the files and secrets the values refer to (header
 *      secrets, TLS certificates and keys, SASL, endpoint auth and signing secrets);
 *   2. the rules between keys and between routes (cross-checks.ts);
 *   3. the result: a deep-frozen BridgeConfig (milliseconds, bytes, Secret instances).
 * Each stage reports all of its problems in one ConfigError; the next stage runs only on a
 * clean result. Nothing but a ConfigError ever leaves parseConfig or loadConfig.
 */
import { readFileSync, statSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../errors.ts';
import { normalizeHostPattern } from './allowed-hosts.ts';
import { validateSection } from './convict-section.ts';
import { readEndpointAuth, readKafkaSasl, readSigning } from './credentials.ts';
import { checkRelations } from './cross-checks.ts';
import { deepFreeze } from './deep-freeze.ts';
import { durationMs } from './duration.ts';
import { isPlainObject, joinIndex, joinKey, Problems, show, truncate } from './problems.ts';
import { routeSchema, type RouteInput } from './route-schema.ts';
import { bridgeSchema, type BridgeInput, type SchemaRegistryInput } from './schema.ts';
import { resolveHeaderValue } from './secrets.ts';
import type { Secret } from './secret.ts';
import { readTlsFiles } from './tls-files.ts';
import { defaultConnections } from '../dispatch/inflight-budget.ts';
import type { BridgeConfig, EndpointAuthConfig, KafkaConfig, RouteConfig, SchemaRegistryConfig, SigningConfig, TlsFiles } from './types.ts';

/** Deeper than this is not a bridge configuration (the schema is 3 levels deep). */
const MAX_DEPTH = 32;
const MAX_YAML_PROBLEMS = 10;
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Reads and validates the configuration file. `env` supplies the overrides (KAFKA_BROKERS,
 * KAFKA_GROUP_ID, PORT, LOG_LEVEL) and the `fromEnv` secrets.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  let text: string;
  try {
    if (statSync(file).size > MAX_FILE_BYTES) throw new ConfigError([`${file}: is larger than 1 MiB; this is not a bridge configuration`]);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'unknown error'})`;
    throw new ConfigError([`${file}: the configuration file ${reason}`]);
  }
  return parseConfig(text, env, file);
}

/** Validates configuration text; `sourceName` names it in YAML syntax errors. */
export function parseConfig(yamlText: string, env: NodeJS.ProcessEnv = process.env, sourceName = '<config>'): BridgeConfig {
  try {
    return parse(yamlText, env, sourceName);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // A bug, not a configuration problem; the message and stack stay out of the output
    // because they could quote parts of the file.
    const kind = error instanceof Error ? error.name : typeof error;
    throw new ConfigError([`${sourceName}: internal error while reading the configuration (${kind}); please report this`]);
  }
}

function parse(yamlText: string, env: NodeJS.ProcessEnv, sourceName: string): BridgeConfig {
  const problems = new Problems();

  // Stage 1: each value on its own.
  const document = readYaml(yamlText, sourceName, problems);
  problems.throwIfAny();
  const input = document ?? {};
  if (!isPlainObject(input)) {
    throw new ConfigError([`${sourceName}: must be a mapping of settings such as kafka and routes (got ${show(input)})`]);
  }

  const top = validateSection(bridgeSchema, input, { prefix: '', problems, env });
  const kafkaSecurity = top === undefined ? undefined : readKafkaSecurity(top.kafka, env, problems);
  const registry = top === undefined ? undefined : readSchemaRegistry(top.schemaRegistry, env, problems);
  const routes: Array<RouteConfig | undefined> = [];
  const rawRoutes = input['routes'];
  if (Array.isArray(rawRoutes)) {
    rawRoutes.forEach((rawRoute: unknown, index) => {
      routes.push(readRoute(rawRoute, joinIndex('routes', index), env, problems));
    });
  }
  problems.throwIfAny();
  if (top === undefined || kafkaSecurity === undefined) throw new Error('validation failed without a problem');

  const config = toBridgeConfig(top, kafkaSecurity, registry, routes.filter((route) => route !== undefined));

  // Stage 2: rules between keys.
  checkRelations(config, problems);
  problems.throwIfAny();

  // Stage 3: the result.
  return deepFreeze(config);
}

function readYaml(text: string, sourceName: string, problems: Problems): unknown {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, logLevel: 'error', uniqueKeys: true });
  const found = [...document.errors, ...document.warnings];
  // One line per distinct message, at its first position: a pathological document can
  // produce hundreds of identical errors.
  const messages = new Map<string, number>();
  for (const error of found) {
    const message =
      error.code === 'RESOURCE_EXHAUSTION'
        ? 'the document is nested too deeply'
        : (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    if (!messages.has(message)) messages.set(message, error.pos[0]);
  }
  for (const [message, offset] of [...messages].slice(0, MAX_YAML_PROBLEMS)) {
    const { line, col } = lineCounter.linePos(offset);
    problems.add(`${sourceName}:${line}:${col}`, `YAML syntax error: ${truncate(message, 160)}`);
  }
  if (messages.size > MAX_YAML_PROBLEMS) {
    problems.add(sourceName, `${messages.size - MAX_YAML_PROBLEMS} more YAML syntax errors`);
  }
  if (found.length > 0) return undefined;

  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Too many aliases (a "billion laughs" document) or a structure too deep to convert.
    const reason = error instanceof ReferenceError ? 'uses too many aliases (*name)' : 'cannot be converted';
    problems.add(sourceName, `YAML ${reason}`);
    return undefined;
  }
  const shapeProblem = structureProblem(value);
  if (shapeProblem !== undefined) problems.add(sourceName, shapeProblem);
  return value;
}

/** Rejects documents deeper than MAX_DEPTH and aliases that contain themselves. */
function structureProblem(root: unknown): string | undefined {
  const ancestors = new Set<object>();
  const visit = (node: unknown, depth: number): string | undefined => {
    if (typeof node !== 'object' || node === null) return undefined;
    if (depth > MAX_DEPTH) return `is nested more than ${MAX_DEPTH} levels deep`;
    if (ancestors.has(node)) return 'contains an alias (*name) that refers to a node containing it';
    ancestors.add(node);
    for (const child of Object.values(node)) {
      const found = visit(child, depth + 1);
      if (found !== undefined) return found;
    }
    ancestors.delete(node);
    return undefined;
  };
  return visit(root, 0);
}

function readRoute(raw: unknown, path: string, env: NodeJS.ProcessEnv, problems: Problems): RouteConfig | undefined {
  if (!isPlainObject(raw)) {
    problems.add(path, `must be a mapping with at least name, topics and endpoint.url (got ${show(raw)})`);
    return undefined;
  }
  const route = validateSection(routeSchema, raw, { prefix: path, problems });
  if (route === undefined) return undefined;

  const before = problems.added;
  const headers: Array<[string, Secret | string]> = [];
  for (const [name, value] of Object.entries(route.endpoint.headers)) {
    const resolved = resolveHeaderValue(value, joinKey(`${path}.endpoint.headers`, name), env, problems);
    if (resolved !== undefined) headers.push([name.toLowerCase(), resolved]);
  }
  const security: EndpointSecurity = {
    tls: readTlsFiles(route.endpoint.tls, `${path}.endpoint.tls`, problems),
    auth: readEndpointAuth(route.endpoint.auth, `${path}.endpoint.auth`, env, problems),
    signing: readSigning(route.endpoint.signing, `${path}.endpoint.signing`, problems),
  };
  return problems.added === before ? toRouteConfig(route, Object.fromEntries(headers), security) : undefined;
}

interface EndpointSecurity {
  readonly tls: TlsFiles | undefined;
  readonly auth: EndpointAuthConfig | undefined;
  readonly signing: SigningConfig | undefined;
}

const NO_TLS_FILES: TlsFiles = { ca: undefined, cert: undefined, key: undefined, servername: undefined };

function readKafkaSecurity(kafka: BridgeInput['kafka'], env: NodeJS.ProcessEnv, problems: Problems): Pick<KafkaConfig, 'tls' | 'sasl'> {
  const { enabled, ...files } = kafka.tls;
  return {
    tls: enabled ? readTlsFiles(files, 'kafka.tls', problems) : undefined,
    sasl: readKafkaSasl(kafka.sasl, env, problems),
  };
}

function toRouteConfig(route: RouteInput, headers: Record<string, Secret | string>, security: EndpointSecurity): RouteConfig {
  const { endpoint } = route;
  return {
    name: route.name,
    topics: route.topics,
    groupId: route.groupId ?? undefined,
    endpoint: {
      url: endpoint.url,
      method: endpoint.method,
      timeout: durationMs(endpoint.timeout),
      headers,
      connections: endpoint.connections ?? defaultConnections(route.maxInFlight),
      maxBodyBytes: endpoint.maxBodyBytes,
      maxResponseBytes: endpoint.maxResponseBytes,
      tls: security.tls ?? NO_TLS_FILES,
      auth: security.auth,
      signing: security.signing,
    },
    attempts: route.attempts,
    backoff: { initial: durationMs(route.backoff.initial), max: durationMs(route.backoff.max) },
    ordering: route.ordering,
    maxInFlight: route.maxInFlight,
    concurrency: { mode: route.concurrency.mode, min: route.concurrency.min },
    filter: {
      key: route.filter.key ?? undefined,
      headers: Object.fromEntries(Object.entries(route.filter.headers).map(([name, pattern]) => [name.toLowerCase(), pattern])),
      value: route.filter.value,
    },
    payload: route.payload,
    cloudEvents: {
      source: route.cloudEvents.source ?? undefined,
      type: route.cloudEvents.type,
      typeHeader: route.cloudEvents.typeHeader?.toLowerCase() ?? undefined,
      dataContentType: route.cloudEvents.dataContentType ?? undefined,
    },
    batch: { maxRecords: route.batch.maxRecords, maxBytes: route.batch.maxBytes, maxWait: durationMs(route.batch.maxWait), format: route.batch.format, splitOnFailure: route.batch.splitOnFailure },
    statuses: { delivered: route.statuses.delivered, retry: route.statuses.retry },
    forwardHeaders: route.forwardHeaders.map((name) => name.toLowerCase()),
    nullValue: route.nullValue,
    decode: { key: route.decode.key, value: route.decode.value },
    retry: { delays: route.retry.delays.map(durationMs), topicSuffix: route.retry.topicSuffix },
    deadLetter: { topicSuffix: route.deadLetter.topicSuffix },
    onFailure: route.onFailure,
    headers: { strip: route.headers.strip, maxValueBytes: route.headers.maxValueBytes },
    healthCheck: {
      url: route.healthCheck.url ?? undefined,
      interval: durationMs(route.healthCheck.interval),
      timeout: durationMs(route.healthCheck.timeout),
      unhealthyAfter: route.healthCheck.unhealthyAfter,
      healthyAfter: route.healthCheck.healthyAfter,
    },
    circuitBreaker: {
      enabled: route.circuitBreaker.enabled,
      errorThresholdPercentage: route.circuitBreaker.errorThresholdPercentage,
      volumeThreshold: route.circuitBreaker.volumeThreshold,
      resetTimeout: durationMs(route.circuitBreaker.resetTimeout),
    },
    recovery: { rampUp: durationMs(route.recovery.rampUp) },
    rateLimit: route.rateLimit,
    maxRecordAge: route.maxRecordAge === null ? undefined : durationMs(route.maxRecordAge),
  };
}

function readSchemaRegistry(input: SchemaRegistryInput, env: NodeJS.ProcessEnv, problems: Problems): SchemaRegistryConfig | undefined {
  const tls = readTlsFiles(input.tls, 'schemaRegistry.tls', problems);
  const auth = readEndpointAuth(input.auth, 'schemaRegistry.auth', env, problems);
  if (input.url === null) return undefined;
  return { url: input.url, timeout: durationMs(input.timeout), tls: tls ?? NO_TLS_FILES, auth };
}

function toBridgeConfig(top: BridgeInput, kafkaSecurity: Pick<KafkaConfig, 'tls' | 'sasl'>, schemaRegistry: SchemaRegistryConfig | undefined, routes: RouteConfig[]): BridgeConfig {
  const { kafka } = top;
  return {
    kafka: {
      brokers: kafka.brokers,
      clientId: kafka.clientId,
      groupId: kafka.groupId,
      sessionTimeout: durationMs(kafka.sessionTimeout),
      heartbeatInterval: durationMs(kafka.heartbeatInterval),
      commitInterval: durationMs(kafka.commitInterval),
      connectionTimeout: durationMs(kafka.connectionTimeout),
      requestTimeout: durationMs(kafka.requestTimeout),
      idempotentProducer: kafka.idempotentProducer,
      producer: { compression: kafka.producer.compression },
      isolationLevel: kafka.isolationLevel,
      maxConsumerRestarts: kafka.maxConsumerRestarts,
      tls: kafkaSecurity.tls,
      sasl: kafkaSecurity.sasl,
    },
    schemaRegistry,
    server: { port: top.server.port, host: top.server.host },
    log: { level: top.log.level },
    shutdown: { timeout: durationMs(top.shutdown.timeout) },
    security: { allowedHosts: top.security.allowedHosts.map(normalizeHostPattern) },
    routes,
  };
}
