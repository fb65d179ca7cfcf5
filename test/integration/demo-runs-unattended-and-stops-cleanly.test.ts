import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const DEMO = resolve(import.meta.dirname, '../../demo/run.ts');

function runDemo(args: string[]) {
  const child = spawn(process.execPath, [DEMO, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => (output.stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output.stderr += c.toString('utf8')));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return { child, output, exited };
}

describe('npm run demo', () => {
  it('Ctrl-C (SIGINT) stops it in order: the bridge drains and exits 0, then the broker stops', async () => {
    const demo = runDemo([]);
    const deadline = Date.now() + 40_000;
    while (!/^\[\s*\d+s\] delivered [1-9]/m.test(demo.output.stdout) && Date.now() < deadline && demo.child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
    demo.child.kill('SIGINT');
    expect(await demo.exited, demo.output.stdout + demo.output.stderr).toBe(0);
    expect(demo.output.stdout).toContain('stopping (SIGINT)');
    expect(demo.output.stdout).toContain('bridge drained and exited with status 0; dev broker stopped');
  }, 90_000);

  it('--duration runs unattended and ends with a summary showing deliveries, retries and dead letters', async () => {
    const demo = runDemo(['--duration', '12s']);
    const code = await demo.exited;
    const { stdout, stderr } = demo.output;
    expect(code, `${stdout}\n${stderr}`).toBe(0);

    // The live summary ran, with the URLs an operator needs.
    expect(stdout).toMatch(/metrics http:\/\/127\.0\.0\.1:\d+\/metrics\s+readiness http:\/\/127\.0\.0\.1:\d+\/ready/);
    expect(stdout).toMatch(/^\[\s*\d+s\] delivered \d+ · retry-scheduled \d+ · dead-lettered \d+/m);

    const final = /^final summary \(\d+s\): produced (\d+), delivered (\d+), retry-scheduled (\d+), dead-lettered (\d+)/m.exec(stdout);
    expect(final, stdout).not.toBeNull();
    const [produced, delivered, retried, deadLettered] = final!.slice(1).map(Number) as [number, number, number, number];
    expect(produced).toBeGreaterThan(20);
    expect(delivered).toBeGreaterThan(0);
    expect(retried).toBeGreaterThan(0);
    expect(deadLettered).toBeGreaterThan(0);
    // The second route: the same topic, filtered to euro orders, as CloudEvents the audit endpoint accepted.
    const audit = /filtered (\d+);.* and (\d+) audit events/m.exec(stdout);
    expect(audit, stdout).not.toBeNull();
    expect(Number(audit![1])).toBeGreaterThan(0);
    expect(Number(audit![2])).toBeGreaterThan(0);
    // The third route: Avro shipments, decoded to JSON through the demo's Schema Registry.
    const shipments = /and (\d+) shipments \(Avro decoded to JSON\)/m.exec(stdout);
    expect(shipments, stdout).not.toBeNull();
    expect(Number(shipments![1])).toBeGreaterThan(0);
    expect(stdout).toContain('bridge drained and exited with status 0; dev broker stopped');
  }, 90_000);
});
