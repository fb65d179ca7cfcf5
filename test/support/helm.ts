/**
 * Finding and running helm for the chart tests in test/deploy/, and reading what
 * `helm template` renders.
 *
 * helm is the one on PATH, else the one tools/setup.sh installs into
 * ${XDG_CACHE_HOME:-$HOME/.cache}/kafka-http-bridge/helm/<BRIDGE_HELM_VERSION>/bin, with the
 * version read from tools/env.sh (its single source).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { projectPath, readProjectFile } from './deploy-files.ts';

export const CHART = 'helm/kafka-http-bridge';

// --- Finding helm ------------------------------------------------------------------------

export interface HelmLookup {
  /** The command to run (`helm`, or the cached binary's path); undefined when none works. */
  readonly bin: string | undefined;
  /** `helm version --short` of that binary. */
  readonly version: string | undefined;
  /** Why there is no helm, for a skip reason or a failure message. */
  readonly missing: string | undefined;
}

/** The helm release tools/setup.sh installs (BRIDGE_HELM_VERSION in tools/env.sh). */
export function pinnedHelmVersion(): string {
  const match = /^BRIDGE_HELM_VERSION=["']?([^"'\s]+)["']?\s*$/m.exec(readProjectFile('tools/env.sh'));
  if (match === null) throw new Error('tools/env.sh does not set BRIDGE_HELM_VERSION');
  return match[1]!;
}

/** Where tools/setup.sh puts helm: ${XDG_CACHE_HOME:-$HOME/.cache}/kafka-http-bridge/helm/<version>/bin/helm. */
export function cachedHelmPath(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env['XDG_CACHE_HOME'] || join(env['HOME'] || homedir(), '.cache');
  return join(cache, 'kafka-http-bridge', 'helm', pinnedHelmVersion(), 'bin', 'helm');
}

function versionOf(bin: string, env: NodeJS.ProcessEnv): string | undefined {
  const result = spawnSync(bin, ['version', '--short'], { encoding: 'utf8', env, timeout: 30_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** helm on PATH first, else the cached one; `missing` says what was tried when neither runs. */
export function findHelm(env: NodeJS.ProcessEnv = process.env): HelmLookup {
  const onPath = versionOf('helm', env);
  if (onPath !== undefined) return { bin: 'helm', version: onPath, missing: undefined };
  const cached = cachedHelmPath(env);
  const version = versionOf(cached, env);
  if (version !== undefined) return { bin: cached, version, missing: undefined };
  return {
    bin: undefined,
    version: undefined,
    missing: `helm ${pinnedHelmVersion()} is neither on PATH nor in the cache (${cached}); run \`tools/setup.sh test\` (./dev setup) to install it`,
  };
}

/** True on a CI machine (CI set, and not to "false" or "0"): there a missing tool is a failure. */
export function onCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env['CI'];
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

// --- Running helm --------------------------------------------------------------------------

export interface HelmResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Values to layer over the chart's values.yaml, as `-f` would (maps merge, lists replace, null deletes). */
export type Values = Record<string, unknown>;

export interface RenderOptions {
  release?: string;
  namespace?: string;
}

export class Helm {
  readonly #bin: string;
  readonly #renders = new Map<string, Promise<Rendered>>();
  #notesChart: string | undefined;

  constructor(bin: string) {
    this.#bin = bin;
  }

  /** Runs helm in the project root; `values` go in as JSON on stdin (`-f -`). */
  run(args: readonly string[], values?: Values): Promise<HelmResult> {
    const withValues = values === undefined ? [...args] : [...args, '-f', '-'];
    return new Promise((resolve, reject) => {
      const child = spawn(this.#bin, withValues, { cwd: projectPath('.'), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
      child.stdin.end(values === undefined ? '' : JSON.stringify(values));
    });
  }

  lint(values?: Values): Promise<HelmResult> {
    return this.run(['lint', '--strict', CHART], values);
  }

  template(values?: Values, options: RenderOptions = {}): Promise<HelmResult> {
    return this.run(['template', options.release ?? 'demo', CHART, '--namespace', options.namespace ?? 'bridges'], values);
  }

  /** `helm template`, parsed; rejects with helm's message when rendering fails. Memoised. */
  render(values?: Values, options: RenderOptions = {}): Promise<Rendered> {
    const key = JSON.stringify([values ?? null, options.release ?? 'demo', options.namespace ?? 'bridges']);
    let rendered = this.#renders.get(key);
    if (rendered === undefined) {
      rendered = this.template(values, options).then((result) => {
        if (result.status !== 0) throw new Error(`helm template failed (${result.status}):\n${result.stderr}`);
        return new Rendered(result.stdout);
      });
      this.#renders.set(key, rendered);
    }
    return rendered;
  }

  /**
   * What `helm install` prints after installing (templates/NOTES.txt). `helm template` leaves
   * the notes out and `helm install --dry-run` wants a cluster, so a scratch copy of the chart
   * gets one more template that renders NOTES.txt's text into a YAML document.
   */
  async notes(values?: Values): Promise<string> {
    if (this.#notesChart === undefined) {
      const dir = mkdtempSync(join(tmpdir(), 'kafka-http-bridge-chart-'));
      const chart = join(dir, 'kafka-http-bridge');
      cpSync(projectPath(CHART), chart, { recursive: true });
      const notes = readFileSync(join(chart, 'templates', 'NOTES.txt'), 'utf8');
      writeFileSync(join(chart, 'templates', '_test-notes.tpl'), `{{- define "test.notes" -}}\n${notes}{{- end }}\n`);
      writeFileSync(join(chart, 'templates', 'test-notes.yaml'), 'kind: RenderedNotes\ntext: {{ include "test.notes" . | toJson }}\n');
      this.#notesChart = chart;
    }
    const args = ['template', 'demo', this.#notesChart, '--namespace', 'bridges', '--show-only', 'templates/test-notes.yaml'];
    const result = await this.run(args, values);
    if (result.status !== 0) throw new Error(`helm template (notes) failed (${result.status}):\n${result.stderr}`);
    const rendered = new Rendered(result.stdout);
    return (rendered.one('RenderedNotes') as unknown as { text: string }).text;
  }

  /** Removes the scratch chart copy, if any. */
  dispose(): void {
    if (this.#notesChart !== undefined) rmSync(join(this.#notesChart, '..'), { recursive: true, force: true });
    this.#notesChart = undefined;
  }
}

// --- Rendered manifests ----------------------------------------------------------------------

export interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Manifest<Spec = Record<string, unknown>> {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  spec: Spec;
  data?: Record<string, string>;
  automountServiceAccountToken?: boolean;
}

export interface Probe {
  httpGet: { path: string; port: string | number };
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[] };
  seccompProfile?: { type: string };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}

export interface Volume {
  name: string;
  configMap?: { name: string; items?: Array<{ key: string; path: string }> };
  secret?: { secretName: string; defaultMode?: number; items?: Array<{ key: string; path: string }> };
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy: string;
  command?: string[];
  args?: string[];
  ports: Array<{ name: string; containerPort: number; protocol: string }>;
  env?: Array<Record<string, unknown>>;
  envFrom?: Array<{ secretRef?: { name: string }; configMapRef?: { name: string } }>;
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
  resources?: Record<string, Record<string, string | number>>;
  securityContext: SecurityContext;
  volumeMounts: VolumeMount[];
}

export interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken?: boolean;
  imagePullSecrets?: Array<{ name: string }>;
  priorityClassName?: string;
  terminationGracePeriodSeconds: number;
  securityContext: SecurityContext;
  containers: Container[];
  volumes: Volume[];
  nodeSelector?: Record<string, string>;
  affinity?: Record<string, unknown>;
  tolerations?: Array<Record<string, unknown>>;
  topologySpreadConstraints?: Array<Record<string, unknown>>;
}

export interface DeploymentSpec {
  replicas?: number;
  revisionHistoryLimit: number;
  minReadySeconds: number;
  strategy: { type: string; rollingUpdate: { maxSurge: number | string; maxUnavailable: number | string } };
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: PodSpec };
}

export interface ServiceSpec {
  type: string;
  selector: Record<string, string>;
  ports: Array<{ name: string; port: number; targetPort: string | number; protocol: string }>;
}

export interface ServiceMonitorSpec {
  selector: { matchLabels: Record<string, string> };
  namespaceSelector: { matchNames: string[] };
  endpoints: Array<{ port: string; path: string; interval: string; scrapeTimeout: string }>;
}

export interface ScaleDownBehavior {
  scaleDown: { stabilizationWindowSeconds: number; policies: Array<{ type: string; value: number; periodSeconds: number }> };
}

export interface HpaSpec {
  scaleTargetRef: { apiVersion: string; kind: string; name: string };
  minReplicas: number;
  maxReplicas: number;
  metrics: Array<{ type: string; resource: { name: string; target: { type: string; averageUtilization: number } } }>;
  behavior: ScaleDownBehavior;
}

export interface ScaledObjectSpec {
  scaleTargetRef: { name: string; kind?: string };
  minReplicaCount: number;
  maxReplicaCount: number;
  pollingInterval: number;
  cooldownPeriod: number;
  advanced: { horizontalPodAutoscalerConfig: { behavior: ScaleDownBehavior } };
  triggers: Array<{ type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }>;
}

export interface PdbSpec {
  maxUnavailable: number | string;
  selector: { matchLabels: Record<string, string> };
}

/** The manifests of one `helm template` run, parsed with yaml's parseAllDocuments. */
export class Rendered {
  readonly stdout: string;
  readonly objects: Manifest[];
  readonly #sources = new Map<string, string>();

  constructor(stdout: string) {
    this.stdout = stdout;
    const documents = parseAllDocuments(stdout);
    const problems = documents.flatMap((document) => document.errors.map((error) => error.message));
    if (problems.length > 0) throw new Error(`helm rendered invalid YAML: ${problems.join('; ')}`);
    this.objects = documents.map((document) => document.toJS() as Manifest | null).filter((object): object is Manifest => object !== null);
    // Each document's text exactly as the template produced it (after helm's "# Source:" line).
    for (const chunk of stdout.split(/^---\n/m)) {
      const source = /^# Source: [^/\n]+\/(templates\/[^\n]+)\n/.exec(chunk);
      if (source !== null) this.#sources.set(source[1]!, chunk.slice(source[0].length));
    }
  }

  kinds(): string[] {
    return this.objects.map((object) => object.kind).sort();
  }

  all<Spec = Record<string, unknown>>(kind: string): Array<Manifest<Spec>> {
    return this.objects.filter((object) => object.kind === kind) as unknown as Array<Manifest<Spec>>;
  }

  /** The one object of this kind; throws when there is none or more than one. */
  one<Spec = Record<string, unknown>>(kind: string): Manifest<Spec> {
    const found = this.all<Spec>(kind);
    if (found.length !== 1) throw new Error(`expected one ${kind}, rendered ${found.length} (kinds: ${this.kinds().join(', ')})`);
    return found[0]!;
  }

  get deployment(): Manifest<DeploymentSpec> {
    return this.one<DeploymentSpec>('Deployment');
  }

  get pod(): PodSpec {
    return this.deployment.spec.template.spec;
  }

  /** The bridge container (the pod's only one). */
  get container(): Container {
    const containers = this.pod.containers;
    if (containers.length !== 1 || containers[0]!.name !== 'bridge') throw new Error(`expected the one container "bridge", got ${containers.map((c) => c.name).join(', ')}`);
    return containers[0]!;
  }

  /** config.yaml of the rendered ConfigMap: the file the bridge reads. */
  get configYaml(): string {
    const text = this.one('ConfigMap').data?.['config.yaml'];
    if (text === undefined) throw new Error('the ConfigMap has no config.yaml');
    return text;
  }

  /** The text a template rendered to, e.g. source('templates/configmap.yaml'). */
  source(template: string): string {
    const text = this.#sources.get(template);
    if (text === undefined) throw new Error(`${template} rendered nothing`);
    return text;
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
