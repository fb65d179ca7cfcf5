/**
 * The Helm chart renders. With `helm` on the PATH: `helm lint` and `helm template` succeed,
 * the rendered ConfigMap holds a configuration the bridge accepts, the Deployment has the
 * required probes, security context and grace period, and a replica count above the
 * partition count fails. Without helm those tests are skipped (and say so); the static
 * checks below run either way.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/load-config.ts';
import { projectPath, readProjectFile, readYaml } from '../support/deploy-files.ts';

const CHART = 'helm/kafka-http-bridge';
const hasHelm = spawnSync('helm', ['version', '--short'], { encoding: 'utf8' }).status === 0;
if (!hasHelm) console.log('helm not installed: helm lint/template not run');

function helm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('helm', args, { encoding: 'utf8', cwd: projectPath('.') });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
}

describe('the Helm chart with helm', () => {
  it.skipIf(!hasHelm)('passes helm lint (skipped: helm is not installed)', () => {
    const result = helm('lint', CHART);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it.skipIf(!hasHelm)('renders with helm template into objects the cluster and the bridge accept (skipped: helm is not installed)', () => {
    const result = helm('template', 'demo', CHART, '--namespace', 'bridges');
    expect(result.status, result.stderr).toBe(0);
    const objects = parseAllDocuments(result.stdout)
      .map((doc) => doc.toJS() as K8sObject | null)
      .filter((object): object is K8sObject => object !== null);
    const kinds = objects.map((object) => object.kind).sort();
    expect(kinds).toEqual(['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);

    const configMap = objects.find((object) => object.kind === 'ConfigMap')!;
    const config = parseConfig(configMap.data!['config.yaml']!, {}, 'rendered ConfigMap');

    const deployment = objects.find((object) => object.kind === 'Deployment')!;
    const pod = (deployment.spec!['template'] as { spec: Record<string, unknown> }).spec;
    expect(pod['terminationGracePeriodSeconds']).toBeGreaterThan(config.shutdown.timeout / 1000);
    const [container] = pod['containers'] as Array<Record<string, Record<string, unknown>>>;
    expect(container!['livenessProbe']!['httpGet']).toMatchObject({ path: '/health' });
    expect(container!['readinessProbe']!['httpGet']).toMatchObject({ path: '/ready' });
    expect(container!['securityContext']).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it.skipIf(!hasHelm)('refuses more replicas than partitions (skipped: helm is not installed)', () => {
    const result = helm('template', 'demo', CHART, '--set', 'replicaCount=7', '--set', 'partitions=6');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('must not exceed partitions');
  });

  it.skipIf(!hasHelm)('renders the optional ServiceMonitor and KEDA ScaledObject (skipped: helm is not installed)', () => {
    const result = helm('template', 'demo', CHART, '--set', 'serviceMonitor.enabled=true', '--set', 'keda.enabled=true');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('kind: ServiceMonitor');
    expect(result.stdout).toContain('kind: ScaledObject');
  });
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
});
