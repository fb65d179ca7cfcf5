/**
 * deploy/compose/prometheus.yml scrapes the bridge's /metrics on the port the bridge's
 * configuration (as mounted by docker-compose.yml) listens on, and compose hands Prometheus
 * that very file.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { commandList, projectPath, readCompose, readYaml, serviceEnv, serviceMounts } from '../support/deploy-files.ts';

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  scheme?: string;
  static_configs?: Array<{ targets: string[] }>;
}

const compose = readCompose();
const prometheus = compose.services['prometheus']!;
const bridge = compose.services['bridge']!;

describe('Prometheus in docker-compose.yml', () => {
  const configFlag = commandList(prometheus.command).find((arg) => arg.startsWith('--config.file='));
  const configPath = configFlag?.slice('--config.file='.length);
  const mount = serviceMounts(prometheus).find((m) => m.target === configPath);

  it('is given deploy/compose/prometheus.yml, read-only, as its configuration', () => {
    expect(prometheus.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(mount?.source.replace(/^\.\//, '')).toBe('deploy/compose/prometheus.yml');
    expect(mount?.readOnly).toBe(true);
  });

  it("scrapes /metrics on the bridge service at the bridge's server.port", () => {
    const bridgeConfigMount = serviceMounts(bridge).find((m) => m.target === '/etc/kafka-http-bridge/config.yaml');
    const config = loadConfig(projectPath(bridgeConfigMount!.source.replace(/^\.\//, '')), serviceEnv(bridge));
    const port = Number(serviceEnv(bridge)['PORT'] ?? config.server.port);

    const scrapeConfigs = readYaml<{ scrape_configs: ScrapeConfig[] }>('deploy/compose/prometheus.yml').scrape_configs;
    const targets = scrapeConfigs.flatMap((job) =>
      (job.static_configs ?? []).flatMap((group) => group.targets.map((target) => ({ job, target }))),
    );
    const toBridge = targets.filter(({ target }) => target.split(':')[0] === 'bridge');
    expect(toBridge.length).toBe(1);
    const [{ job, target }] = toBridge as [{ job: ScrapeConfig; target: string }];
    expect(target).toBe(`bridge:${port}`);
    expect(job.metrics_path ?? '/metrics').toBe('/metrics');
    expect(job.scheme ?? 'http').toBe('http');
    expect(['0.0.0.0', '::']).toContain(config.server.host);
  });
});
