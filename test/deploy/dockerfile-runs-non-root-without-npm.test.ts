/**
 * The Dockerfile (read as text: there is no image to inspect in a test): a multi-stage build
 * whose runtime stage runs Node itself as a numeric non-root user, drains on SIGTERM, has a
 * HEALTHCHECK that needs neither curl nor wget, and holds only what runs; .dockerignore lets
 * exactly that into the build context.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SHIPPED_BRIDGE_FLAGS } from '../../bench/lib/node-flags.ts';
import { projectPath, readProjectFile } from '../support/deploy-files.ts';

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions of a Dockerfile: comments dropped, continuation lines joined. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of each build stage (each FROM starts one). */
function stages(all: Instruction[]): Instruction[][] {
  const result: Instruction[][] = [];
  for (const instruction of all) {
    if (instruction.keyword === 'FROM') result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return parsed as string[];
}

const dockerfile = instructions(readProjectFile('Dockerfile'));
const allStages = stages(dockerfile);
const runtime = allStages.at(-1) ?? [];
const find = (keyword: string): Instruction[] => runtime.filter((i) => i.keyword === keyword);
const packageJson = JSON.parse(readProjectFile('package.json')) as { bin: Record<string, string>; scripts: Record<string, string> };

describe('the Dockerfile', () => {
  it('is multi-stage: production dependencies installed with npm ci --omit=dev in a build stage', () => {
    expect(allStages.length).toBeGreaterThanOrEqual(2);
    const installs = allStages.slice(0, -1).flat().filter((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(installs.length).toBe(1);
    expect(installs[0]!.args).toContain('--omit=dev');
    expect(runtime.filter((i) => i.keyword === 'RUN')).toEqual([]);
  });

  it('runs as a numeric non-root user', () => {
    const users = find('USER');
    expect(users.length).toBe(1);
    const match = /^(\d+)(?::(\d+))?$/.exec(users[0]!.args);
    expect(match, `USER ${users[0]!.args}`).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThan(0);
    if (match![2] !== undefined) expect(Number(match![2])).toBeGreaterThan(0);
    // USER comes after every COPY, so nothing is copied in that the user could rewrite.
    expect(runtime.findIndex((i) => i.keyword === 'USER')).toBeGreaterThan(runtime.findLastIndex((i) => i.keyword === 'COPY'));
  });

  it('stops with SIGTERM, so the bridge drains', () => {
    expect(find('STOPSIGNAL').map((i) => i.args)).toEqual(['SIGTERM']);
  });

  it('has a HEALTHCHECK on /health that needs neither curl nor wget', () => {
    const [healthcheck] = find('HEALTHCHECK');
    expect(healthcheck).toBeDefined();
    const command = execForm(healthcheck!.args.slice(healthcheck!.args.indexOf('CMD ') + 4));
    expect(command[0]).toMatch(/node$/);
    expect(command.join(' ')).toContain('/health');
    expect(command.join(' ')).not.toMatch(/\b(curl|wget)\b/);
  });

  it('starts Node itself on the bin script, never npm, with the config path as the default command', () => {
    const entrypoint = execForm(find('ENTRYPOINT')[0]!.args);
    const cmd = execForm(find('CMD')[0]!.args);
    expect(entrypoint[0]).toMatch(/(^|\/)node$/);
    expect(entrypoint.at(-1)).toBe(packageJson.bin['kafka-http-bridge']);
    expect(cmd).toEqual(['run', '--config', '/etc/kafka-http-bridge/config.yaml']);
    for (const part of [...entrypoint, ...cmd]) expect(part).not.toMatch(/\bnpm\b|\bnpx\b/);
  });

  it('passes the same node flags as npm start and the benchmark', () => {
    const entrypoint = execForm(find('ENTRYPOINT')[0]!.args);
    const flags = entrypoint.slice(1, -1);
    expect(flags).toEqual([...SHIPPED_BRIDGE_FLAGS]);
    const start = (packageJson.scripts['start'] ?? '').split(' ');
    expect(start.slice(1, start.indexOf(packageJson.bin['kafka-http-bridge'] ?? ''))).toEqual([...SHIPPED_BRIDGE_FLAGS]);
  });

  it('sets NODE_ENV=production, exposes 8080 and carries OCI labels', () => {
    expect(find('ENV').map((i) => i.args)).toContain('NODE_ENV=production');
    expect(find('EXPOSE').map((i) => i.args)).toEqual(['8080']);
    const labels = find('LABEL').map((i) => i.args).join(' ');
    for (const key of ['title', 'description', 'licenses', 'version', 'revision', 'source']) {
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    }
  });

  it('copies only what runs: dependencies, bin/, src/, package*.json and the example config', () => {
    const sources = find('COPY')
      .filter((i) => !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).filter((part) => !part.startsWith('--')).slice(0, -1));
    expect(sources.sort()).toEqual(['bin', 'config/bridge.example.yaml', 'package-lock.json', 'package.json', 'src']);
    const fromDeps = find('COPY').filter((i) => i.args.startsWith('--from='));
    expect(fromDeps.map((i) => i.args.split(/\s+/)[1])).toEqual(['/app/node_modules']);
  });
});

describe('.dockerignore', () => {
  const lines = readProjectFile('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const allowed = lines.filter((line) => line.startsWith('!')).map((line) => line.slice(1).replace(/\/$/, ''));

  it('ignores everything but what the Dockerfile copies', () => {
    expect(lines[0]).toBe('*');
    const copied = dockerfile
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).filter((part) => !part.startsWith('--')).slice(0, -1));
    expect([...allowed].sort()).toEqual([...new Set(copied)].sort());
    for (const path of allowed) expect(existsSync(projectPath(path)), path).toBe(true);
  });

  it('keeps node_modules, tests, benchmarks, tools, docs, deploy files and .git out', () => {
    for (const path of ['node_modules', 'test', 'bench', 'tools', 'tools/dev-broker/build', 'README.md', 'deploy', 'helm', '.git', '.ci']) {
      expect(allowed.some((allow) => path === allow || path.startsWith(`${allow}/`)), path).toBe(false);
    }
    expect(lines).toContain('**/node_modules');
  });
});
