/**
 * The Helm chart, linted and rendered by helm (test/support/helm.ts finds it: PATH first, else
 * the cache tools/setup.sh installs it into). `helm lint --strict` passes with the default
 * values and with each documented option turned on. `helm template` output is parsed and
 * checked field by field for the defaults and for every option of values.yaml and of the
 * README's "Deploy with Helm": the rendered ConfigMap goes through the bridge's own loader,
 * and every render must hang together (selectors, names, ports, grace period, checksum). The
 * chart refuses the values the README and the templates rule out.
 *
 * Without helm the helm tests are skipped and say why; on CI (CI set) they fail instead,
 * asking for `tools/setup.sh test`. The static checks at the end need no helm.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, type ExpectStatic } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../src/config/load-config.ts';
import { Secret } from '../../src/config/secret.ts';
import type { BridgeConfig } from '../../src/config/types.ts';
import { readProjectFile, readYaml, topicsNeeded } from '../support/deploy-files.ts';
import {
  cachedHelmPath,
  CHART,
  findHelm,
  Helm,
  onCi,
  sha256,
  type HpaSpec,
  type PdbSpec,
  type Rendered,
  type ScaledObjectSpec,
  type ServiceMonitorSpec,
  type ServiceSpec,
  type Values,
} from '../support/helm.ts';

const lookup = findHelm();
const skipping = lookup.missing !== undefined && !onCi();
if (lookup.missing !== undefined) console.log(`helm tests ${skipping ? 'skipped' : 'failing (CI)'}: ${lookup.missing}`);
/** Appended to the names of the helm tests when they are skipped. */
const SKIPPED = skipping ? ' (skipped: helm is not installed; tools/setup.sh test installs it)' : '';
const helmIt = skipping ? it.skip : it;

let runner: Helm | undefined;
/** The helm runner; on CI without helm every helm test fails here, saying how to install it. */
function helm(): Helm {
  if (lookup.bin === undefined) throw new Error(lookup.missing);
  runner ??= new Helm(lookup.bin);
  return runner;
}
afterAll(() => runner?.dispose());

// --- Values ----------------------------------------------------------------------------------

interface ChartValues {
  image: { repository: string; tag: string; digest: string; pullPolicy: string };
  partitions: number;
  replicaCount: number;
  shutdownGraceMarginSeconds: number;
  config: Record<string, unknown>;
  serviceAccount: { create: boolean; name: string; annotations: Record<string, string> };
  service: { type: string; port: number; annotations: Record<string, string> };
  serviceMonitor: { enabled: boolean; interval: string; scrapeTimeout: string; labels: Record<string, string> };
  pdb: { enabled: boolean; maxUnavailable: number | string };
  hpa: { enabled: boolean; minReplicas: number; maxReplicas: number; targetCPUUtilizationPercentage: number };
  keda: {
    enabled: boolean;
    minReplicas: number;
    maxReplicas: number;
    lagThreshold: number;
    topic: string;
    pollingInterval: number;
    cooldownPeriod: number;
    bootstrapServers: string;
    authenticationRef: string;
    extraMetadata: Record<string, string>;
  };
  secretMounts: Array<{ name: string; secretName: string; mountPath: string; items?: Array<{ key: string; path: string }>; defaultMode?: number }>;
  envFromSecrets: string[];
  [key: string]: unknown;
}

const defaults = readYaml<ChartValues>(`${CHART}/values.yaml`);
const appVersion = readYaml<{ appVersion: string }>(`${CHART}/Chart.yaml`).appVersion;

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `over` layered on `base` the way helm layers a values file: maps merge, lists and scalars replace, null deletes. */
function layered(base: unknown, over: unknown): unknown {
  if (!isMapping(base) || !isMapping(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null) delete out[key];
    else out[key] = layered(base[key], value);
  }
  return out;
}

/** The values the chart sees when a user passes `values` with -f. */
function effective(values: Values = {}): ChartValues {
  return layered(structuredClone(defaults), values) as ChartValues;
}

/** The rendered ConfigMap read by the bridge's real loader. */
function bridgeConfig(rendered: Rendered, env: NodeJS.ProcessEnv = {}): BridgeConfig {
  return parseConfig(rendered.configYaml, env, 'rendered ConfigMap');
}

function selectorLabels(release = 'demo', name = 'kafka-http-bridge'): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': release };
}

/** Routes of the default shape, enough for the bridge's loader. */
function route(name: string, topics: string[], more: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, topics, endpoint: { url: `http://${name}-api:8080/events` }, ...more };
}

// --- What every render must satisfy ----------------------------------------------------------

/**
 * Checks that hold for every set of values: the objects refer to each other correctly, the
 * pod is locked down, the ConfigMap is `config` as given and the bridge accepts it, and the
 * derived numbers (replicas, grace period, checksum) follow the documented rules.
 */
function expectCoherent(rendered: Rendered, values: ChartValues, expect: ExpectStatic, env: NodeJS.ProcessEnv = {}): void {
  const deployment = rendered.deployment;
  const pod = rendered.pod;
  const container = rendered.container;
  const podLabels = deployment.spec.template.metadata.labels;
  const name = deployment.metadata.name;

  // The ConfigMap holds `config` unchanged, the bridge accepts it, and the pod mounts it.
  expect(parseYaml(rendered.configYaml)).toEqual(values.config);
  const config = bridgeConfig(rendered, env);
  const configMap = rendered.one('ConfigMap');
  const configVolume = pod.volumes.find((volume) => volume.name === 'config');
  expect(configVolume?.configMap).toEqual({ name: configMap.metadata.name, items: [{ key: 'config.yaml', path: 'config.yaml' }] });
  expect(container.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/kafka-http-bridge', readOnly: true });
  expect(container.args).toEqual(['run', '--config', '/etc/kafka-http-bridge/config.yaml']);
  // The image's ENTRYPOINT (node with its flags) stays; only its CMD is replaced.
  expect(container.command).toBeUndefined();
  for (const mount of container.volumeMounts) {
    expect(pod.volumes.map((volume) => volume.name)).toContain(mount.name);
    expect(mount.readOnly, mount.name).toBe(true);
  }

  // Pods are selected by labels they carry.
  expect(podLabels).toMatchObject(deployment.spec.selector.matchLabels);
  const service = rendered.one<ServiceSpec>('Service');
  expect(podLabels).toMatchObject(service.spec.selector);
  for (const port of service.spec.ports) expect(container.ports.map((p) => p.name)).toContain(port.targetPort);
  const pdbs = rendered.all<PdbSpec>('PodDisruptionBudget');
  expect(pdbs).toHaveLength(values.pdb.enabled ? 1 : 0);
  for (const pdb of pdbs) expect(podLabels).toMatchObject(pdb.spec.selector.matchLabels);

  // The port of /health, /ready and /metrics is config.server.port.
  expect(container.ports).toEqual([{ name: 'http', containerPort: config.server.port, protocol: 'TCP' }]);
  expect(container.startupProbe.httpGet).toEqual({ path: '/health', port: 'http' });
  expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
  expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });

  // Locked down whatever the values.
  expect(pod.automountServiceAccountToken).toBe(false);
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  expect(container.securityContext).toMatchObject({
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });

  // The service account the pod runs as is the one created, if any.
  const accounts = rendered.all('ServiceAccount');
  expect(accounts).toHaveLength(values.serviceAccount.create ? 1 : 0);
  for (const account of accounts) {
    expect(pod.serviceAccountName).toBe(account.metadata.name);
    expect(account.automountServiceAccountToken).toBe(false);
  }

  // Grace period: config.shutdown.timeout rounded up to seconds, plus the margin.
  expect(pod.terminationGracePeriodSeconds).toBe(Math.ceil(config.shutdown.timeout / 1000) + values.shutdownGraceMarginSeconds);
  expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(config.shutdown.timeout / 1000);

  // The checksum annotation is the hash of the rendered ConfigMap.
  expect(deployment.spec.template.metadata.annotations['checksum/config']).toBe(sha256(rendered.source('templates/configmap.yaml')));

  // Replicas: fixed, or owned by exactly one autoscaler; never more than the partitions.
  const hpas = rendered.all<HpaSpec>('HorizontalPodAutoscaler');
  const scaledObjects = rendered.all<ScaledObjectSpec>('ScaledObject');
  expect(hpas).toHaveLength(values.hpa.enabled ? 1 : 0);
  expect(scaledObjects).toHaveLength(values.keda.enabled ? 1 : 0);
  if (values.hpa.enabled || values.keda.enabled) {
    expect(deployment.spec.replicas).toBeUndefined();
  } else {
    expect(deployment.spec.replicas).toBe(values.replicaCount);
    expect(deployment.spec.replicas).toBeLessThanOrEqual(values.partitions);
  }
  for (const hpa of hpas) {
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
    expect(hpa.spec.maxReplicas).toBeLessThanOrEqual(values.partitions);
  }
  for (const scaled of scaledObjects) {
    expect(scaled.spec.scaleTargetRef.name).toBe(name);
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    expect(scaled.spec.maxReplicaCount).toBeLessThanOrEqual(values.partitions);
    expect(scaled.spec.triggers.map((trigger) => trigger.type)).toEqual(['kafka']);
    expect(scaled.spec.triggers[0]!.metadata['consumerGroup']).toBe(config.kafka.groupId);
  }

  // A ServiceMonitor selects the Service by its labels and scrapes one of its ports.
  const monitors = rendered.all<ServiceMonitorSpec>('ServiceMonitor');
  expect(monitors).toHaveLength(values.serviceMonitor.enabled ? 1 : 0);
  for (const monitor of monitors) {
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    for (const endpoint of monitor.spec.endpoints) expect(service.spec.ports.map((port) => port.name)).toContain(endpoint.port);
  }
}

// --- Documented options ----------------------------------------------------------------------

interface OptionCase {
  /** The values it sets, as values.yaml names them. */
  option: string;
  /** What the chart renders then. */
  renders: string;
  values: Values;
  /** Environment of the bridge when it loads the rendered config (fromEnv secrets). */
  env?: NodeJS.ProcessEnv;
  check: (rendered: Rendered, expect: ExpectStatic) => void;
}

const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;

const OPTIONS: OptionCase[] = [
  {
    option: 'image.repository, image.tag, image.pullPolicy',
    renders: 'the container image <repository>:<tag> with that pull policy',
    values: { image: { repository: 'registry.example.com/team/kafka-http-bridge', tag: '1.2.3', pullPolicy: 'Always' } },
    check: (r, expect) => {
      expect(r.container.image).toBe('registry.example.com/team/kafka-http-bridge:1.2.3');
      expect(r.container.imagePullPolicy).toBe('Always');
    },
  },
  {
    option: 'image.digest',
    renders: 'the image by digest, which wins over the tag',
    values: { image: { repository: 'registry.example.com/kafka-http-bridge', tag: '1.2.3', digest } },
    check: (r, expect) => expect(r.container.image).toBe(`registry.example.com/kafka-http-bridge@${digest}`),
  },
  {
    option: 'imagePullSecrets',
    renders: 'the pull secrets on the pod',
    values: { imagePullSecrets: [{ name: 'registry-credentials' }] },
    check: (r, expect) => expect(r.pod.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]),
  },
  {
    option: 'fullnameOverride',
    renders: 'every object under that name',
    values: { fullnameOverride: 'orders' },
    check: (r, expect) => {
      expect(r.objects.map((object) => object.metadata.name)).toEqual(r.objects.map(() => 'orders'));
      expect(r.pod.serviceAccountName).toBe('orders');
    },
  },
  {
    option: 'nameOverride',
    renders: 'objects named <release>-<nameOverride>, labelled with it',
    values: { nameOverride: 'bridge' },
    check: (r, expect) => {
      for (const object of r.objects) {
        expect(object.metadata.name).toBe('demo-bridge');
        expect(object.metadata.labels).toMatchObject(selectorLabels('demo', 'bridge'));
      }
      expect(r.deployment.spec.selector.matchLabels).toEqual(selectorLabels('demo', 'bridge'));
    },
  },
  {
    option: 'replicaCount equal to partitions',
    renders: 'that many replicas (the limit is inclusive)',
    values: { partitions: 4, replicaCount: 4 },
    check: (r, expect) => expect(r.deployment.spec.replicas).toBe(4),
  },
  {
    option: 'strategy, minReadySeconds',
    renders: 'the rolling update with those settings',
    values: { strategy: { maxSurge: '25%', maxUnavailable: 1 }, minReadySeconds: 30 },
    check: (r, expect) => {
      expect(r.deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } });
      expect(r.deployment.spec.minReadySeconds).toBe(30);
    },
  },
  {
    option: 'config (kafka and routes)',
    renders: 'a ConfigMap the bridge loads as given: routes replaced, kafka keys merged',
    values: {
      config: {
        kafka: { brokers: ['kafka-0.kafka:9092', 'kafka-1.kafka:9092'], groupId: 'orders-bridge' },
        routes: [
          route('orders', ['orders', 'orders-eu'], { retry: { delays: ['10s', '5m'], topicSuffix: '.retry' }, deadLetter: { topicSuffix: '.dlt' } }),
          route('invoices', ['invoices'], { retry: { delays: [] } }),
        ],
      },
    },
    check: (r, expect) => {
      const config = bridgeConfig(r);
      expect(config.kafka.brokers).toEqual(['kafka-0.kafka:9092', 'kafka-1.kafka:9092']);
      expect(config.kafka.groupId).toBe('orders-bridge');
      expect(config.kafka.clientId).toBe('kafka-http-bridge');
      expect(config.routes.map((r) => r.name)).toEqual(['orders', 'invoices']);
      expect(topicsNeeded(config).map((t) => t.topic)).toEqual([
        'orders', 'orders.retry-1', 'orders.retry-2', 'orders.dlt',
        'orders-eu', 'orders-eu.retry-1', 'orders-eu.retry-2', 'orders-eu.dlt',
        'invoices', 'invoices-dlt',
      ]);
    },
  },
  {
    option: 'config.server.port',
    renders: 'the container port and the probes on that port, the Service forwarding to it by name',
    values: { config: { server: { port: 9090 } } },
    check: (r, expect) => {
      expect(r.container.ports).toEqual([{ name: 'http', containerPort: 9090, protocol: 'TCP' }]);
      const service = r.one<ServiceSpec>('Service');
      expect(service.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    },
  },
  {
    option: 'config.shutdown.timeout, shutdownGraceMarginSeconds',
    renders: 'terminationGracePeriodSeconds = timeout + margin (1m30s + 20 = 110)',
    values: { config: { shutdown: { timeout: '1m30s' } }, shutdownGraceMarginSeconds: 20 },
    check: (r, expect) => expect(r.pod.terminationGracePeriodSeconds).toBe(110),
  },
  {
    option: 'config.shutdown.timeout in milliseconds',
    renders: 'the grace period rounded up to whole seconds (1500ms + 15 = 17)',
    values: { config: { shutdown: { timeout: '1500ms' } } },
    check: (r, expect) => expect(r.pod.terminationGracePeriodSeconds).toBe(17),
  },
  {
    option: 'secretMounts',
    renders: 'each existing Secret as a read-only volume at its mountPath, with items and defaultMode',
    values: {
      secretMounts: [
        { name: 'orders-api', secretName: 'orders-api-token', mountPath: '/var/run/secrets/kafka-http-bridge/orders-api' },
        { name: 'signing', secretName: 'webhook-signing', mountPath: '/var/run/secrets/kafka-http-bridge/signing', items: [{ key: 'hmac-key', path: 'key' }], defaultMode: 288 },
      ],
    },
    check: (r, expect) => {
      expect(r.pod.volumes.filter((volume) => volume.secret !== undefined)).toEqual([
        { name: 'secret-orders-api', secret: { secretName: 'orders-api-token' } },
        { name: 'secret-signing', secret: { secretName: 'webhook-signing', defaultMode: 288, items: [{ key: 'hmac-key', path: 'key' }] } },
      ]);
      expect(r.container.volumeMounts).toEqual([
        { name: 'config', mountPath: '/etc/kafka-http-bridge', readOnly: true },
        { name: 'secret-orders-api', mountPath: '/var/run/secrets/kafka-http-bridge/orders-api', readOnly: true },
        { name: 'secret-signing', mountPath: '/var/run/secrets/kafka-http-bridge/signing', readOnly: true },
      ]);
    },
  },
  {
    option: 'envFromSecrets (with fromEnv in config)',
    renders: 'an envFrom secretRef per Secret; the config refers to their keys with fromEnv',
    values: {
      envFromSecrets: ['kafka-credentials', 'orders-api-env'],
      config: { routes: [route('orders', ['orders'], { endpoint: { url: 'https://orders.internal/api/events', headers: { authorization: { fromEnv: 'ORDERS_API_TOKEN' } } } })] },
    },
    env: { ORDERS_API_TOKEN: 'Bearer from-the-secret' },
    check: (r, expect) => {
      expect(r.container.envFrom).toEqual([{ secretRef: { name: 'kafka-credentials' } }, { secretRef: { name: 'orders-api-env' } }]);
      expect(r.container.env).toBeUndefined();
      const header = bridgeConfig(r, { ORDERS_API_TOKEN: 'Bearer from-the-secret' }).routes[0]!.endpoint.headers['authorization'];
      expect(header).toBeInstanceOf(Secret);
      expect((header as Secret).reveal()).toBe('Bearer from-the-secret');
    },
  },
  {
    option: 'env',
    renders: 'the EnvVar objects as given (NODE_OPTIONS for node flags, valueFrom kept)',
    values: {
      env: [
        { name: 'NODE_OPTIONS', value: '--max-old-space-size=400' },
        { name: 'ORDERS_API_TOKEN', valueFrom: { secretKeyRef: { name: 'orders-api', key: 'token' } } },
      ],
    },
    check: (r, expect) => {
      expect(r.container.env).toEqual([
        { name: 'NODE_OPTIONS', value: '--max-old-space-size=400' },
        { name: 'ORDERS_API_TOKEN', valueFrom: { secretKeyRef: { name: 'orders-api', key: 'token' } } },
      ]);
      expect(r.container.envFrom).toBeUndefined();
    },
  },
  {
    option: 'serviceAccount.name, serviceAccount.annotations',
    renders: 'a ServiceAccount of that name with those annotations, used by the pod',
    values: { serviceAccount: { name: 'orders-bridge', annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/bridge' } } },
    check: (r, expect) => {
      const account = r.one('ServiceAccount');
      expect(account.metadata.name).toBe('orders-bridge');
      expect(account.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/bridge' });
      expect(r.pod.serviceAccountName).toBe('orders-bridge');
    },
  },
  {
    option: 'serviceAccount.create=false with a name',
    renders: 'no ServiceAccount; the pod uses the named one',
    values: { serviceAccount: { create: false, name: 'platform-bridge' } },
    check: (r, expect) => expect(r.pod.serviceAccountName).toBe('platform-bridge'),
  },
  {
    option: 'serviceAccount.create=false without a name',
    renders: 'no ServiceAccount; the pod uses "default"',
    values: { serviceAccount: { create: false } },
    check: (r, expect) => expect(r.pod.serviceAccountName).toBe('default'),
  },
  {
    option: 'podAnnotations, podLabels',
    renders: 'them on the pod next to the checksum and selector labels, the selector unchanged',
    values: { podAnnotations: { 'example.com/team': 'payments' }, podLabels: { 'example.com/tier': 'backend' } },
    check: (r, expect) => {
      const metadata = r.deployment.spec.template.metadata;
      expect(Object.keys(metadata.annotations).sort()).toEqual(['checksum/config', 'example.com/team']);
      expect(metadata.annotations['example.com/team']).toBe('payments');
      expect(metadata.labels).toEqual({ ...selectorLabels(), 'example.com/tier': 'backend' });
      expect(r.deployment.spec.selector.matchLabels).toEqual(selectorLabels());
    },
  },
  {
    option: 'securityContext ids set to null',
    renders: 'no runAsUser, runAsGroup or fsGroup (the platform assigns them), still non-root',
    values: { securityContext: { runAsUser: null, runAsGroup: null, fsGroup: null } },
    check: (r, expect) => {
      expect(r.pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const key of ['runAsUser', 'runAsGroup', 'fsGroup']) expect(r.container.securityContext).not.toHaveProperty(key);
    },
  },
  {
    option: 'securityContext ids',
    renders: 'those ids on the pod and the container',
    values: { securityContext: { runAsUser: 2000, runAsGroup: 3000, fsGroup: 4000 } },
    check: (r, expect) => {
      expect(r.pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 2000, runAsGroup: 3000, fsGroup: 4000, seccompProfile: { type: 'RuntimeDefault' } });
      expect(r.container.securityContext).toMatchObject({ runAsUser: 2000, runAsGroup: 3000 });
    },
  },
  {
    option: 'resources',
    renders: 'the container resources, merged over the defaults',
    values: { resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi', cpu: 2 } } },
    check: (r, expect) => expect(r.container.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi', cpu: 2 } }),
  },
  {
    option: 'probes',
    renders: 'the probe timings as given',
    values: {
      probes: {
        startup: { periodSeconds: 5, timeoutSeconds: 4, failureThreshold: 60 },
        liveness: { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
        readiness: { periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
      },
    },
    check: (r, expect) => {
      expect(r.container.startupProbe).toEqual({ httpGet: { path: '/health', port: 'http' }, periodSeconds: 5, timeoutSeconds: 4, failureThreshold: 60 });
      expect(r.container.livenessProbe).toEqual({ httpGet: { path: '/health', port: 'http' }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 });
      expect(r.container.readinessProbe).toEqual({ httpGet: { path: '/ready', port: 'http' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 });
    },
  },
  {
    option: 'nodeSelector, tolerations, affinity, topologySpreadConstraints, priorityClassName',
    renders: 'them on the pod as given',
    values: {
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'streaming', effect: 'NoSchedule' }],
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selectorLabels() } } }] } },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels() } }],
      priorityClassName: 'streaming-high',
    },
    check: (r, expect) => {
      expect(r.pod.nodeSelector).toEqual({ 'kubernetes.io/arch': 'amd64' });
      expect(r.pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'streaming', effect: 'NoSchedule' }]);
      expect(r.pod.affinity).toEqual({ podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selectorLabels() } } }] } });
      expect(r.pod.topologySpreadConstraints).toEqual([{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels() } }]);
      expect(r.pod.priorityClassName).toBe('streaming-high');
    },
  },
  {
    option: 'service.type, service.port, service.annotations',
    renders: 'the Service of that type on that port, forwarding to the container port by name',
    values: { service: { type: 'NodePort', port: 9100, annotations: { 'example.com/scrape': 'true' } } },
    check: (r, expect) => {
      const service = r.one<ServiceSpec>('Service');
      expect(service.spec.type).toBe('NodePort');
      expect(service.spec.ports).toEqual([{ name: 'http', port: 9100, targetPort: 'http', protocol: 'TCP' }]);
      expect(service.metadata.annotations).toEqual({ 'example.com/scrape': 'true' });
    },
  },
  {
    option: 'serviceMonitor.enabled (README example), interval, scrapeTimeout',
    renders: 'a ServiceMonitor scraping /metrics on the Service port http, in the release namespace, with the extra labels',
    values: { serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' }, interval: '15s', scrapeTimeout: '5s' } },
    check: (r, expect) => {
      const monitor = r.one<ServiceMonitorSpec>('ServiceMonitor');
      expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(monitor.metadata.name).toBe(r.deployment.metadata.name);
      expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack', ...selectorLabels() });
      expect(monitor.spec.selector.matchLabels).toEqual(selectorLabels());
      expect(monitor.spec.namespaceSelector).toEqual({ matchNames: ['bridges'] });
      expect(monitor.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '15s', scrapeTimeout: '5s' }]);
    },
  },
  {
    option: 'pdb.enabled=false',
    renders: 'no PodDisruptionBudget',
    values: { pdb: { enabled: false } },
    check: (r, expect) => expect(r.kinds()).not.toContain('PodDisruptionBudget'),
  },
  {
    option: 'pdb.maxUnavailable',
    renders: 'the PodDisruptionBudget with that maxUnavailable',
    values: { pdb: { maxUnavailable: '50%' } },
    check: (r, expect) => expect(r.one<PdbSpec>('PodDisruptionBudget').spec).toEqual({ maxUnavailable: '50%', selector: { matchLabels: selectorLabels() } }),
  },
  {
    option: 'hpa.enabled, minReplicas, maxReplicas, targetCPUUtilizationPercentage',
    renders: 'a CPU HorizontalPodAutoscaler on the Deployment that scales down one pod at a time',
    values: { hpa: { enabled: true, minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 80 } },
    check: (r, expect) => {
      const hpa = r.one<HpaSpec>('HorizontalPodAutoscaler');
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.minReplicas).toBe(2);
      expect(hpa.spec.maxReplicas).toBe(6);
      expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
      expect(hpa.spec.behavior.scaleDown.policies).toEqual([{ type: 'Pods', value: 1, periodSeconds: 120 }]);
      expect(r.deployment.spec.replicas).toBeUndefined();
    },
  },
  {
    option: 'hpa.enabled with replicaCount above partitions',
    renders: 'the HorizontalPodAutoscaler: replicaCount is ignored while an autoscaler owns the replicas',
    values: { hpa: { enabled: true }, replicaCount: 10, partitions: 6 },
    check: (r, expect) => {
      expect(r.one<HpaSpec>('HorizontalPodAutoscaler').spec.maxReplicas).toBe(6);
      expect(r.deployment.spec.replicas).toBeUndefined();
    },
  },
  {
    option: 'keda.enabled',
    renders: 'a ScaledObject with a kafka trigger on the lag of config.kafka.groupId over all its topics',
    values: { keda: { enabled: true } },
    check: (r, expect) => {
      const scaled = r.one<ScaledObjectSpec>('ScaledObject');
      expect(scaled.apiVersion).toBe('keda.sh/v1alpha1');
      expect(scaled.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 6, pollingInterval: 30, cooldownPeriod: 300 });
      expect(scaled.spec.triggers).toEqual([
        {
          type: 'kafka',
          metadata: {
            bootstrapServers: 'kafka:9092',
            consumerGroup: bridgeConfig(r).kafka.groupId,
            lagThreshold: '100',
            offsetResetPolicy: 'earliest',
            allowIdleConsumers: 'false',
          },
        },
      ]);
      expect(scaled.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.policies).toEqual([{ type: 'Pods', value: 1, periodSeconds: 120 }]);
      expect(r.kinds()).not.toContain('HorizontalPodAutoscaler');
      expect(r.deployment.spec.replicas).toBeUndefined();
    },
  },
  {
    option: 'keda.* (every option) with config.kafka.groupId and brokers',
    renders: 'the trigger with that group, brokers, lagThreshold, topic, authenticationRef and extra metadata',
    values: {
      config: { kafka: { groupId: 'orders-bridge', brokers: ['kafka-0.kafka:9093', 'kafka-1.kafka:9093'] } },
      keda: {
        enabled: true,
        minReplicas: 2,
        maxReplicas: 4,
        lagThreshold: 250,
        topic: 'orders',
        pollingInterval: 15,
        cooldownPeriod: 600,
        authenticationRef: 'kafka-sasl',
        extraMetadata: { sasl: 'scram_sha512', tls: 'enable' },
      },
    },
    check: (r, expect) => {
      const scaled = r.one<ScaledObjectSpec>('ScaledObject');
      expect(scaled.spec).toMatchObject({ minReplicaCount: 2, maxReplicaCount: 4, pollingInterval: 15, cooldownPeriod: 600 });
      expect(bridgeConfig(r).kafka.groupId).toBe('orders-bridge');
      expect(scaled.spec.triggers).toEqual([
        {
          type: 'kafka',
          metadata: {
            bootstrapServers: 'kafka-0.kafka:9093,kafka-1.kafka:9093',
            consumerGroup: 'orders-bridge',
            topic: 'orders',
            lagThreshold: '250',
            offsetResetPolicy: 'earliest',
            allowIdleConsumers: 'false',
            sasl: 'scram_sha512',
            tls: 'enable',
          },
          authenticationRef: { name: 'kafka-sasl' },
        },
      ]);
    },
  },
  {
    option: 'keda.bootstrapServers',
    renders: 'the trigger on those brokers instead of config.kafka.brokers',
    values: { keda: { enabled: true, bootstrapServers: 'kafka-external:9094' } },
    check: (r, expect) => expect(r.one<ScaledObjectSpec>('ScaledObject').spec.triggers[0]!.metadata['bootstrapServers']).toBe('kafka-external:9094'),
  },
  {
    option: 'keda.enabled with config.kafka.brokers as one comma-separated string',
    renders: 'the trigger on the same brokers the bridge uses',
    values: { keda: { enabled: true }, config: { kafka: { brokers: 'kafka-0:9092, kafka-1:9092' } } },
    check: (r, expect) => {
      const brokers = bridgeConfig(r).kafka.brokers;
      expect(brokers).toEqual(['kafka-0:9092', 'kafka-1:9092']);
      expect(r.one<ScaledObjectSpec>('ScaledObject').spec.triggers[0]!.metadata['bootstrapServers']).toBe(brokers.join(','));
    },
  },
];

/** Values that must not render, with the message that says why. */
const REFUSALS: Array<{ refuses: string; values: Values; message: string }> = [
  { refuses: 'replicaCount above partitions', values: { replicaCount: 7, partitions: 6 }, message: 'replicaCount (7) must not exceed partitions (6)' },
  { refuses: 'hpa.maxReplicas above partitions', values: { hpa: { enabled: true, maxReplicas: 7 }, partitions: 6 }, message: 'hpa.maxReplicas (7) must not exceed partitions (6)' },
  { refuses: 'keda.maxReplicas above partitions', values: { keda: { enabled: true, maxReplicas: 12 }, partitions: 6 }, message: 'keda.maxReplicas (12) must not exceed partitions (6)' },
  { refuses: 'keda together with hpa', values: { keda: { enabled: true }, hpa: { enabled: true } }, message: 'hpa.enabled and keda.enabled are exclusive' },
  { refuses: 'hpa.minReplicas above hpa.maxReplicas', values: { hpa: { enabled: true, minReplicas: 5, maxReplicas: 3 } }, message: 'hpa.minReplicas must not exceed hpa.maxReplicas' },
  { refuses: 'keda.minReplicas above keda.maxReplicas', values: { keda: { enabled: true, minReplicas: 5, maxReplicas: 3 } }, message: 'keda.minReplicas must not exceed keda.maxReplicas' },
  { refuses: 'keda.minReplicas 0 (retry topics need a running bridge)', values: { keda: { enabled: true, minReplicas: 0 } }, message: "at '/keda/minReplicas'" },
  { refuses: 'a grace margin under 5 seconds', values: { shutdownGraceMarginSeconds: 4 }, message: "at '/shutdownGraceMarginSeconds'" },
  { refuses: 'partitions 0', values: { partitions: 0 }, message: "at '/partitions'" },
  { refuses: 'a shutdown timeout the bridge cannot read', values: { config: { shutdown: { timeout: '30 seconds' } } }, message: "at '/config/shutdown/timeout'" },
  {
    refuses: 'a secret mounted over the configuration directory',
    values: { secretMounts: [{ name: 'api', secretName: 'api', mountPath: '/etc/kafka-http-bridge/api' }] },
    message: 'secretMounts api: mountPath /etc/kafka-http-bridge/api would hide the configuration',
  },
];

// --- helm lint -------------------------------------------------------------------------------

describe.concurrent('the Helm chart, helm lint --strict', () => {
  helmIt(`passes with the default values${SKIPPED}`, async ({ expect }) => {
    const result = await helm().lint();
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  for (const { option, values } of OPTIONS) {
    helmIt(`passes with ${option}${SKIPPED}`, async ({ expect }) => {
      const result = await helm().lint(values);
      expect(result.status, result.stdout + result.stderr).toBe(0);
    });
  }
});

// --- helm template -----------------------------------------------------------------------------

describe.concurrent('the Helm chart, helm template', () => {
  helmIt(`renders with helm template into objects the cluster and the bridge accept${SKIPPED}`, async ({ expect }) => {
    const rendered = await helm().render();
    expect(rendered.kinds()).toEqual(['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
    expectCoherent(rendered, effective(), expect);

    const config = bridgeConfig(rendered);
    expect(config.kafka.groupId).toBe('kafka-http-bridge');
    expect(config.routes.map((r) => r.name)).toEqual(['orders']);

    const pod = rendered.pod;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(config.shutdown.timeout / 1000);
    expect(pod.terminationGracePeriodSeconds).toBe(45);
    const container = rendered.container;
    expect(container.image).toBe(`kafka-http-bridge:${appVersion}`);
    expect(container.imagePullPolicy).toBe('IfNotPresent');
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/health' });
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/ready' });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.env).toBeUndefined();
    expect(container.envFrom).toBeUndefined();
    expect(container.volumeMounts).toEqual([{ name: 'config', mountPath: '/etc/kafka-http-bridge', readOnly: true }]);
    // README "Memory": the default limit is 512Mi.
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } });
    for (const object of rendered.objects) expect(object.metadata.name).toBe('demo-kafka-http-bridge');
  });

  helmIt(`rolls out and drains one pod at a time, as "Upgrades and rolling restarts" says${SKIPPED}`, async ({ expect }) => {
    const rendered = await helm().render();
    const deployment = rendered.deployment;
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(deployment.spec.minReadySeconds).toBe(10);
    const pdb = rendered.one<PdbSpec>('PodDisruptionBudget');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: selectorLabels() } });
  });

  for (const { option, renders, values, env, check } of OPTIONS) {
    helmIt(`with ${option}: renders ${renders}${SKIPPED}`, async ({ expect }) => {
      const rendered = await helm().render(values);
      expectCoherent(rendered, effective(values), expect, env);
      check(rendered, expect);
    });
  }

  helmIt(`renders the optional ServiceMonitor and KEDA ScaledObject together${SKIPPED}`, async ({ expect }) => {
    const values = { serviceMonitor: { enabled: true }, keda: { enabled: true } };
    const rendered = await helm().render(values);
    expectCoherent(rendered, effective(values), expect);
    expect(rendered.kinds()).toEqual(['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'ScaledObject', 'Service', 'ServiceAccount', 'ServiceMonitor']);
  });

  helmIt(`changes the checksum annotation, and so rolls the pods, exactly when the config changes${SKIPPED}`, async ({ expect }) => {
    const checksum = (rendered: Rendered): string | undefined => rendered.deployment.spec.template.metadata.annotations['checksum/config'];
    const [base, newConfig, newRoute, otherValue] = await Promise.all([
      helm().render(),
      helm().render({ config: { log: { level: 'debug' } } }),
      helm().render({ config: { routes: [route('orders', ['orders'])] } }),
      helm().render({ replicaCount: 3, podAnnotations: { 'example.com/team': 'payments' } }),
    ]);
    expect(checksum(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(base)).toBe(sha256(base.source('templates/configmap.yaml')));
    expect(checksum(newConfig)).not.toBe(checksum(base));
    expect(checksum(newRoute)).not.toBe(checksum(base));
    expect(checksum(newRoute)).not.toBe(checksum(newConfig));
    expect(checksum(otherValue)).toBe(checksum(base));
  });

  for (const { refuses, values, message } of REFUSALS) {
    helmIt(`refuses ${refuses}${SKIPPED}`, async ({ expect }) => {
      const result = await helm().template(values);
      expect(result.status).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(message);
    });
  }

  helmIt(`refuses more replicas than partitions${SKIPPED}`, async ({ expect }) => {
    const result = await helm().run(['template', 'demo', CHART, '--set', 'replicaCount=7', '--set', 'partitions=6']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('must not exceed partitions');
  });

  helmIt(`renders the README's "Secrets as files" example into a mount the bridge reads the header from${SKIPPED}`, async ({ expect }) => {
    const readme = readProjectFile('README.md');
    const section = readme.slice(readme.indexOf('## Deploy with Helm'));
    const example = /\*\*Secrets as files\.\*\*[\s\S]*?```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example, 'the README shows a secretMounts example').toBeDefined();
    const readmeValues = parseYaml(example!) as ChartValues;
    const mountPath = readmeValues.secretMounts[0]!.mountPath;
    expect(mountPath).toBe('/var/run/secrets/kafka-http-bridge/orders-api');

    // Play the kubelet: the Secret's keys become files under the mount path (here a scratch
    // directory in place of /var/run/secrets/...), and the bridge loads the rendered config.
    const scratch = mkdtempSync(join(tmpdir(), 'kafka-http-bridge-secrets-'));
    try {
      const values = JSON.parse(JSON.stringify(readmeValues).replaceAll(mountPath, join(scratch, 'orders-api'))) as Values;
      const rendered = await helm().render(values, { release: 'orders-bridge', namespace: 'bridges' });
      const secrets: Record<string, Record<string, string>> = { 'orders-api-token': { token: 'Bearer s3cret\n' } };
      for (const mount of rendered.container.volumeMounts) {
        const secret = rendered.pod.volumes.find((volume) => volume.name === mount.name)?.secret;
        if (secret === undefined) continue;
        expect(mount.readOnly).toBe(true);
        const data = secrets[secret.secretName];
        expect(data, `Secret ${secret.secretName}`).toBeDefined();
        mkdirSync(mount.mountPath, { recursive: true });
        for (const { key, path } of secret.items ?? Object.keys(data!).map((key) => ({ key, path: key }))) {
          writeFileSync(join(mount.mountPath, path), data![key]!);
        }
      }
      expectCoherent(rendered, effective(values), expect);
      const header = bridgeConfig(rendered).routes[0]!.endpoint.headers['authorization'];
      expect(header).toBeInstanceOf(Secret);
      expect((header as Secret).reveal()).toBe('Bearer s3cret');

      // The README's rollout command names the Deployment: deployment/<release>-kafka-http-bridge.
      const restart = /kubectl rollout restart deployment\/<release>(-kafka-http-bridge)/.exec(section);
      expect(restart).not.toBeNull();
      expect(rendered.deployment.metadata.name).toBe(`orders-bridge${restart![1]}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

// --- What helm install prints ----------------------------------------------------------------

describe.concurrent('the Helm chart, the notes helm install prints', () => {
  /** "  <topic> (<role ...>)" lines of the notes, as [topic, role]. */
  function printedTopics(notes: string): Array<[string, string]> {
    return [...notes.matchAll(/^ {2}(\S+) \(([^)]*)\)$/gm)].map(([, topic, what]) => [
      topic!,
      what!.endsWith(', source') ? 'source' : what!.startsWith('retry') ? 'retry' : what!,
    ]);
  }

  const configs: Array<{ config: string; values: Values }> = [
    { config: 'the default config', values: {} },
    {
      config: 'several routes, retry tiers, custom suffixes and no retries',
      values: {
        config: {
          kafka: { groupId: 'orders-bridge' },
          routes: [
            route('orders', ['orders', 'orders-eu'], { retry: { delays: ['10s', '5m', '1h'], topicSuffix: '.retry' }, deadLetter: { topicSuffix: '.dead' } }),
            route('invoices', ['invoices'], { retry: { delays: [] } }),
            route('audit', ['audit'], { retry: { topicSuffix: '-again' } }),
          ],
        },
      },
    },
  ];

  for (const { config: which, values } of configs) {
    helmIt(`list every topic the bridge needs for ${which}, with the grace period and consumer groups${SKIPPED}`, async ({ expect }) => {
      const [notes, rendered] = await Promise.all([helm().notes(values), helm().render(values)]);
      const config = bridgeConfig(rendered);
      expect(printedTopics(notes)).toEqual(topicsNeeded(config).map(({ topic, role }) => [topic, role]));
      expect(/^Grace period: (\d+)s /m.exec(notes)?.[1]).toBe(String(rendered.pod.terminationGracePeriodSeconds));
      expect(notes).toContain(`Read on the consumer groups ${config.kafka.groupId} and ${config.kafka.groupId}-retry.`);
    });
  }
});

describe('the Helm chart, static checks (no helm needed)', () => {
  const templates = ['_helpers.tpl', 'deployment.yaml', 'configmap.yaml', 'service.yaml', 'serviceaccount.yaml', 'servicemonitor.yaml', 'pdb.yaml', 'hpa.yaml', 'keda-scaledobject.yaml', 'NOTES.txt'];

  it('has a v2 Chart.yaml named after its folder', () => {
    const chart = readYaml<{ apiVersion: string; name: string; version: string; appVersion: string }>(`${CHART}/Chart.yaml`);
    expect(chart.apiVersion).toBe('v2');
    expect(chart.name).toBe('kafka-http-bridge');
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(chart.appVersion).toBe((JSON.parse(readProjectFile('package.json')) as { version: string }).version);
  });

  it.each(templates)('%s opens and closes its template blocks in pairs', (file) => {
    const text = readProjectFile(`${CHART}/templates/${file}`);
    const actions = [...text.matchAll(/\{\{-?\s*(\/\*[\s\S]*?\*\/)?\s*([a-z]+)?/g)].map((match) => match[2]);
    const opened = actions.filter((word) => word !== undefined && ['if', 'range', 'with', 'define', 'block'].includes(word)).length;
    const closed = actions.filter((word) => word === 'end').length;
    expect(closed).toBe(opened);
    expect(text.split('{{').length).toBe(text.split('}}').length);
  });

  it('runs the pod locked down, probed, and with a grace period derived from the drain timeout', () => {
    const deployment = readProjectFile(`${CHART}/templates/deployment.yaml`);
    for (const needed of [
      'runAsNonRoot: true',
      'readOnlyRootFilesystem: true',
      'allowPrivilegeEscalation: false',
      'drop: ["ALL"]',
      'type: RuntimeDefault',
      'path: /health',
      'path: /ready',
      'mountPath: /etc/kafka-http-bridge',
      'checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}',
      'terminationGracePeriodSeconds: {{ include "kafka-http-bridge.terminationGracePeriodSeconds" . }}',
      'include "kafka-http-bridge.validate"',
    ]) {
      expect(deployment).toContain(needed);
    }
    const helpers = readProjectFile(`${CHART}/templates/_helpers.tpl`);
    expect(helpers).toContain('must not exceed partitions');
    expect(helpers).toMatch(/\$shutdown\.timeout \| default "30s"/);
  });

  it('turns the optional objects on only by value', () => {
    expect(readProjectFile(`${CHART}/templates/servicemonitor.yaml`)).toMatch(/^\{\{- if \.Values\.serviceMonitor\.enabled \}\}/);
    expect(readProjectFile(`${CHART}/templates/hpa.yaml`)).toMatch(/^\{\{- if \.Values\.hpa\.enabled \}\}/);
    expect(readProjectFile(`${CHART}/templates/keda-scaledobject.yaml`)).toMatch(/^\{\{- if \.Values\.keda\.enabled \}\}/);
    expect(readProjectFile(`${CHART}/templates/pdb.yaml`)).toMatch(/^\{\{- if \.Values\.pdb\.enabled \}\}/);
  });

  it('looks for helm in the cache folder of the version tools/env.sh pins', () => {
    const env = readProjectFile('tools/env.sh');
    expect(env).toContain('BRIDGE_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/kafka-http-bridge"');
    expect(env).toContain('BRIDGE_HELM_BIN="$BRIDGE_CACHE/helm/$BRIDGE_HELM_VERSION/bin"');
    const version = /^BRIDGE_HELM_VERSION=(\S+)$/m.exec(env)?.[1];
    expect(version).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(cachedHelmPath({ XDG_CACHE_HOME: '/cache', HOME: '/home/someone' })).toBe(`/cache/kafka-http-bridge/helm/${version}/bin/helm`);
    expect(cachedHelmPath({ HOME: '/home/someone' })).toBe(`/home/someone/.cache/kafka-http-bridge/helm/${version}/bin/helm`);
  });
});
