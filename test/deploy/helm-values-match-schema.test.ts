/**
 * The Helm chart's values: values.yaml validates against values.schema.json (with a real
 * JSON Schema validator), the schema rejects what it should, the default `config` passes the
 * bridge's own validation, and the defaults respect the scaling rule (no replica count above
 * the partition count) that the templates enforce with `fail`.
 */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load-config.ts';
import { readProjectFile, readYaml, topicsNeeded } from '../support/deploy-files.ts';
import { validateAgainstSchema } from '../support/validate-against-schema.ts';

const CHART = 'helm/kafka-http-bridge';

interface Values {
  partitions: number;
  replicaCount: number;
  config: Record<string, unknown>;
  hpa: { enabled: boolean; minReplicas: number; maxReplicas: number };
  keda: { enabled: boolean; minReplicas: number; maxReplicas: number };
  pdb: { enabled: boolean; maxUnavailable: number };
  shutdownGraceMarginSeconds: number;
  [key: string]: unknown;
}

const schema = JSON.parse(readProjectFile(`${CHART}/values.schema.json`)) as Record<string, unknown>;
const values = readYaml<Values>(`${CHART}/values.yaml`);

/** values.yaml with `change` applied to a deep copy. */
function withValues(change: (v: Values) => void): Values {
  const copy = structuredClone(values);
  change(copy);
  return copy;
}

describe('helm values.yaml', () => {
  it('validates against values.schema.json', () => {
    expect(schema['$schema']).toBe('http://json-schema.org/draft-07/schema#');
    expect(validateAgainstSchema(schema, values)).toEqual([]);
  });

  it.each([
    ['a replica count given as a string', (v: Values) => (v.replicaCount = '2' as unknown as number), '/replicaCount'],
    ['no partitions', (v: Values) => delete (v as Partial<Values>).partitions, 'partitions'],
    ['a grace margin under 5 seconds', (v: Values) => (v.shutdownGraceMarginSeconds = 2), '/shutdownGraceMarginSeconds'],
    ['an unknown top-level key', (v: Values) => (v['replicas'] = 3), 'replicas'],
    ['a shutdown timeout the bridge cannot read', (v: Values) => ((v.config['shutdown'] as Record<string, unknown>)['timeout'] = '30 seconds'), '/config/shutdown/timeout'],
    ['a route without an endpoint', (v: Values) => delete (v.config['routes'] as Array<Record<string, unknown>>)[0]!['endpoint'], '/config/routes/0'],
    ['port 0 (the probes need a fixed port)', (v: Values) => ((v.config['server'] as Record<string, unknown>)['port'] = 0), '/config/server/port'],
    ['a relative secret mount path', (v: Values) => (v['secretMounts'] = [{ name: 'api', secretName: 'api', mountPath: 'secrets' }]), '/secretMounts/0/mountPath'],
    ['KEDA scaling to zero', (v: Values) => (v.keda.minReplicas = 0), '/keda/minReplicas'],
    ['root as the user', (v: Values) => ((v['securityContext'] as Record<string, unknown>)['runAsUser'] = 0), '/securityContext/runAsUser'],
  ])('rejects %s', (_name, change, where) => {
    const problems = validateAgainstSchema(schema, withValues(change));
    expect(problems.join('\n')).toContain(where);
  });

  it('accepts a secret mounted as files and secrets as environment variables', () => {
    const problems = validateAgainstSchema(
      schema,
      withValues((v) => {
        v['secretMounts'] = [{ name: 'orders-api', secretName: 'orders-api-token', mountPath: '/var/run/secrets/kafka-http-bridge/orders-api', items: [{ key: 'token', path: 'token' }] }];
        v['envFromSecrets'] = ['kafka-credentials'];
        v.keda.enabled = true;
      }),
    );
    expect(problems).toEqual([]);
  });

  it('has a default `config` that passes the bridge’s own validation', () => {
    // Helm's toYaml writes the same mapping; the bridge reads it from the ConfigMap.
    const config = parseConfig(stringify(values.config), {}, 'values.yaml config');
    expect(config.routes.length).toBeGreaterThan(0);
    expect(config.kafka.brokers).toEqual(['kafka:9092']);
    expect(config.server.port).toBe(8080);
    expect(topicsNeeded(config).map((t) => t.topic)).toEqual(['orders', 'orders-retry', 'orders-dlt']);
  });

  it('keeps every default replica count within the partition count', () => {
    expect(values.replicaCount).toBeLessThanOrEqual(values.partitions);
    expect(values.hpa.maxReplicas).toBeLessThanOrEqual(values.partitions);
    expect(values.keda.maxReplicas).toBeLessThanOrEqual(values.partitions);
    expect(values.hpa.minReplicas).toBeLessThanOrEqual(values.hpa.maxReplicas);
    expect(values.keda.minReplicas).toBeLessThanOrEqual(values.keda.maxReplicas);
  });

  it('ships with the optional parts off and a PodDisruptionBudget of one', () => {
    expect(values.hpa.enabled).toBe(false);
    expect(values.keda.enabled).toBe(false);
    expect((values['serviceMonitor'] as { enabled: boolean }).enabled).toBe(false);
    expect(values.pdb).toEqual({ enabled: true, maxUnavailable: 1 });
  });
});

describe('helm templates and the schema', () => {
  const templates = ['_helpers.tpl', 'deployment.yaml', 'configmap.yaml', 'service.yaml', 'serviceaccount.yaml', 'servicemonitor.yaml', 'pdb.yaml', 'hpa.yaml', 'keda-scaledobject.yaml', 'NOTES.txt'];

  it('only read values the schema declares', () => {
    const undeclared: string[] = [];
    for (const file of templates) {
      const text = readProjectFile(`${CHART}/templates/${file}`);
      for (const [path] of text.matchAll(/\.Values(\.[a-zA-Z_][a-zA-Z0-9_]*)+/g)) {
        let node: Record<string, unknown> | undefined = schema;
        for (const key of path.split('.').slice(2)) {
          const properties = node?.['properties'] as Record<string, Record<string, unknown>> | undefined;
          if (properties?.[key] !== undefined) node = properties[key];
          else if (node?.['additionalProperties'] === false) {
            undeclared.push(`${file}: ${path}`);
            break;
          } else break; // an open mapping (config, labels, ...)
        }
      }
    }
    expect(undeclared).toEqual([]);
  });
});
