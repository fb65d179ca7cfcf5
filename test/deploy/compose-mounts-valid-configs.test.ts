/**
 * docker-compose.yml: the services exist and are wired in the right order, every
 * configuration file mounted into the bridge passes the bridge's own validation, and the
 * one-shot "init" service creates every topic that configuration needs.
 */
import { describe, expect, it } from 'vitest';
import { KAFKA_VERSIONS } from '../../tools/kafka/kafka-install.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { parseDuration } from '../../src/config/duration.ts';
import type { BridgeConfig } from '../../src/config/types.ts';
import {
  commandList,
  dependsOn,
  parseTopicSpecs,
  projectPath,
  readCompose,
  serviceEnv,
  serviceMounts,
  stringsIn,
  topicsNeeded,
} from '../support/deploy-files.ts';

const CONFIG_DIR = '/etc/kafka-http-bridge';

const compose = readCompose();
const services = compose.services;
const bridge = services['bridge']!;
const init = services['init']!;

/** The configuration files mounted into the bridge, loaded with the bridge service's environment. */
function mountedConfigs(): Array<{ source: string; target: string; readOnly: boolean; config: BridgeConfig }> {
  return serviceMounts(bridge)
    .filter((mount) => mount.target.startsWith(`${CONFIG_DIR}/`) && /\.ya?ml$/.test(mount.target))
    .map((mount) => ({ ...mount, config: loadConfig(projectPath(mount.source.replace(/^\.\//, '')), serviceEnv(bridge)) }));
}

describe('docker-compose.yml', () => {
  it('has the kafka, init, bridge, downstream, prometheus and grafana services', () => {
    for (const name of ['kafka', 'init', 'bridge', 'downstream', 'prometheus', 'grafana']) {
      expect(services, `service ${name}`).toHaveProperty(name);
    }
  });

  it('runs Apache Kafka in KRaft mode from a pinned official image, without auto topic creation', () => {
    const kafka = services['kafka']!;
    expect(kafka.image).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
    // A version the tests run on: the default of tools/kafka.
    expect(kafka.image).toBe(`apache/kafka:${KAFKA_VERSIONS.default}`);
    const env = serviceEnv(kafka);
    expect(env['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    expect(env['KAFKA_CONTROLLER_QUORUM_VOTERS']).toMatch(/^1@kafka:\d+$/);
    expect(env['KAFKA_NODE_ID']).toBe('1');
    expect(env['KAFKA_CONTROLLER_LISTENER_NAMES']).toBeTruthy();
    expect(env['CLUSTER_ID']).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(env['KAFKA_AUTO_CREATE_TOPICS_ENABLE']).toBe('false');
    expect(env['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR']).toBe('1');
    expect(init.image).toBe(kafka.image);
  });

  it('starts the bridge only after init created the topics, and init only once Kafka is healthy', () => {
    expect(dependsOn(init)['kafka']).toBe('service_healthy');
    expect(services['kafka']!.healthcheck?.test).toBeDefined();
    expect(dependsOn(bridge)['init']).toBe('service_completed_successfully');
    expect(dependsOn(bridge)).toHaveProperty('downstream');
  });

  it('builds the bridge from the Dockerfile and runs it read-only, with its config mounted read-only', () => {
    expect(bridge.build).toBeDefined();
    expect(bridge.read_only).toBe(true);
    const configs = mountedConfigs();
    expect(configs.length).toBeGreaterThan(0);
    for (const mount of configs) expect(mount.readOnly, mount.source).toBe(true);
    const args = commandList(bridge.command);
    const configArg = args[args.indexOf('--config') + 1];
    expect(args).toContain('run');
    expect(configs.map((mount) => mount.target)).toContain(configArg);
  });

  it('mounts only configurations that pass the bridge’s own validation', () => {
    // loadConfig throws a ConfigError listing every problem; reaching the expect means valid.
    for (const { source, config } of mountedConfigs()) {
      expect(config.routes.length, source).toBeGreaterThan(0);
    }
  });

  it('points the mounted configuration at compose services: Kafka’s internal listener and the downstream', () => {
    const kafkaEnv = serviceEnv(services['kafka']!);
    const advertised = kafkaEnv['KAFKA_ADVERTISED_LISTENERS']!.split(',').map((listener) => listener.replace(/^[A-Z_]+:\/\//, ''));
    for (const { config } of mountedConfigs()) {
      for (const broker of config.kafka.brokers) expect(advertised).toContain(broker);
      for (const route of config.routes) {
        const url = new URL(route.endpoint.url);
        expect(services, `endpoint host ${url.hostname}`).toHaveProperty(url.hostname);
        expect(url.port).toBe(serviceEnv(services[url.hostname]!)['PORT']);
      }
    }
  });

  it('gives the bridge a stop grace period longer than the drain (shutdown.timeout)', () => {
    const grace = parseDuration(bridge.stop_grace_period);
    expect(grace.ok).toBe(true);
    for (const { config } of mountedConfigs()) {
      if (grace.ok) expect(grace.ms).toBeGreaterThan(config.shutdown.timeout + 2_000);
    }
  });

  it('creates every main, retry and dead-letter topic the configuration needs, with equal partition counts', () => {
    const created = parseTopicSpecs(serviceEnv(init)['TOPICS'] ?? '');
    for (const { config } of mountedConfigs()) {
      const needed = topicsNeeded(config);
      expect(needed.some((t) => t.role === 'retry')).toBe(true);
      for (const { topic, source, role } of needed) {
        expect(created.has(topic), `init creates ${role} topic ${topic}`).toBe(true);
        expect(created.get(topic), `${topic} has as many partitions as ${source}`).toBe(created.get(source));
      }
    }
  });

  it('has init actually create the TOPICS list, idempotently, and fail on a partition mismatch', () => {
    const script = commandList(init.command).join('\n');
    expect(script).toContain('$$TOPICS');
    expect(script).toContain('kafka-topics.sh');
    expect(script).toContain('--create --if-not-exists');
    expect(script).toContain('--partitions');
    expect(script).toContain('kafka-broker-api-versions.sh');
    expect(script).toMatch(/exit 1/);
  });

  it('escapes every shell "$" so compose does not substitute it from the host', () => {
    // In compose files "$name" and "${name}" are replaced from the host environment; "$$" is a
    // literal "$". Only ${VAR} / ${VAR:-default} (deliberate host settings) may stay single.
    const unescaped = stringsIn(compose).filter(({ text }) => /(^|[^$])\$(?![${])/.test(text.replace(/\$\$/g, '')));
    expect(unescaped.map(({ path }) => path)).toEqual([]);
  });

  it('keeps the demo producer behind a profile', () => {
    const producer = services['producer'];
    if (producer !== undefined) expect(producer.profiles).toContain('demo');
  });

  it('mounts the downstream script read-only into a Node image', () => {
    const downstream = services['downstream']!;
    expect(downstream.image).toMatch(/^node:24/);
    const script = serviceMounts(downstream).find((mount) => mount.source.endsWith('downstream.mjs'));
    expect(script?.readOnly).toBe(true);
    expect(commandList(downstream.command)).toContain(script?.target);
  });
});
